"""Monte Carlo replicates: many simulated trials of one scenario, analysed in vectorised batches.

Place in the pipeline: scenario -> (simulate -> estimate) x many -> distributions. The power
calculations (:mod:`analysis.studies.power`) and the estimand coverage studies (:mod:`analysis.studies.estimands`)
run on the same machinery.

Reproducibility rule (DESIGN habit 6)
-------------------------------------
Replicate ``i`` of a run with seed ``seed`` is the trial ``simulate_trial(scenario, seed=s_i)``
with ``s_i = replicate_seed(seed, i)``: the first 64-bit word of child ``i`` of
``numpy.random.SeedSequence(seed).spawn(n)``, shifted right by one bit so it is a valid scenario
seed (below 2**63) that ``walkback simulate --seed`` accepts. Replicate ``i`` therefore does not
depend on how many replicates are run, on the chunking, on the executor or on the order in
which chunks finish; the sequential, process-pool and dask results are bit-identical.

Speed
-----
``simulate_trial`` builds a documented pandas DataFrame (about 4 ms for 701 participants).
For Monte Carlo work :func:`simulate_batch` draws exactly the same random numbers, in the same
order, per replicate (the only loop over replicates: a few generator calls each), and then
computes the permuted-block allocation and the event times of all replicates of a chunk at
once, with the same arithmetic and model functions, so it returns the same arm, time and
recurrence arrays as ``simulate_trial``. This mirrors the simulator's draw order, so it is
checked bit for bit against ``simulate_trial`` once per scenario at run time (any difference,
e.g. after a change to the simulator, switches to calling ``simulate_trial`` per replicate:
slower, never different) and in the tests. The analysis then runs on (replicates, participants) arrays with
the batched kernels of :mod:`analysis.stats.kernels`: no Python loop per replicate in the analysis.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError
from ..model.hazard import (
    N_LATENT_COLUMNS,
    BaselineHazard,
    dose_pieces,
    event_times_constant,
    event_times_piecewise,
    latent_from_uniforms,
    relative_hazard,
)
from ..trial.scenario import Scenario
from ..simulate.engine import simulate_trial

__all__ = [
    "ReplicateResult",
    "TrialBatch",
    "replicate_seed",
    "replicate_seeds",
    "simulate_batch",
    "simulate_replicates",
    "run_replicates",
    "map_replicate_chunks",
    "default_grid_days",
    "MAX_REPLICATES",
]

#: Upper limit on replicates in one run (about 130 MB of KM curves at 80 grid points).
MAX_REPLICATES = 100_000
#: Replicates per chunk handed to one worker: big enough to vectorise, small enough to report progress.
DEFAULT_CHUNK = 500
# Participants x replicates simulated at once inside a chunk (bounds memory at ~100 MB).
_MAX_CELLS = 400_000


# --------------------------------------------------------------------------- seeds
def replicate_seed(seed: int, index: int) -> int:
    """The integer trial seed of replicate ``index`` (child ``index`` of ``SeedSequence(seed)``).

    ``SeedSequence(seed, spawn_key=(i,))`` is exactly child ``i`` of ``SeedSequence(seed).spawn(n)``
    for any ``n > i``, so replicate ``i`` is found without spawning the others.

    Examples
    --------
    >>> children = np.random.SeedSequence(7).spawn(3)
    >>> replicate_seed(7, 2) == int(children[2].generate_state(1, np.uint64)[0] >> np.uint64(1))
    True
    """
    child = np.random.SeedSequence(int(seed), spawn_key=(int(index),))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def replicate_seeds(seed: int, n: int, start: int = 0) -> np.ndarray:
    """Trial seeds of replicates ``start .. start + n - 1`` (int64 array)."""
    return np.array([replicate_seed(seed, i) for i in range(start, start + n)], dtype=np.int64)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise WalkBackInputError(f"seed = {seed!r} must be a whole number from 0 to 2^63 - 1")
    return int(seed)


def _check_replicates(n_replicates: Any, name: str = "n_replicates") -> int:
    if isinstance(n_replicates, bool) or not isinstance(n_replicates, (int, np.integer)) \
            or not 1 <= int(n_replicates) <= MAX_REPLICATES:
        raise WalkBackInputError(f"{name} = {n_replicates!r} must be a whole number from 1 to {MAX_REPLICATES:,}")
    return int(n_replicates)


# --------------------------------------------------------------------------- batched simulation
@dataclass(frozen=True)
class TrialBatch:
    """Observed outcomes of several simulated trials, one row per replicate.

    Attributes
    ----------
    trial_seeds : ndarray, shape (R,)
        The seed of each trial (``simulate_trial(scenario, seed=trial_seeds[r])`` reproduces row r).
    intervention : ndarray of bool, shape (R, n)
        Randomised to the intervention arm (enrolment order, as in ``simulate_trial``).
    time_days : ndarray of float, shape (R, n)
        Days to recurrence or censoring.
    recurrence : ndarray of bool, shape (R, n)
        Recurrence observed.
    stratum : ndarray of int8, shape (R, n)
        Randomisation stratum code (history * 2 + referral), as ``simulate_trial``'s ``stratum`` codes.
    """

    trial_seeds: np.ndarray
    intervention: np.ndarray
    time_days: np.ndarray
    recurrence: np.ndarray
    stratum: np.ndarray

    @property
    def n_replicates(self) -> int:
        return int(self.time_days.shape[0])


def _draw_one_original(scenario: Scenario, seed: int):
    """One trial's draws exactly as ``simulate_trial`` makes them, using the simulator's own allocation."""
    from ..simulate.engine import _randomise

    design = scenario.design
    n = design.n_total
    days = design.recruitment_days + 1
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))
    enrol = np.repeat(np.arange(days), rng.multinomial(n, np.full(days, 1.0 / days)))
    u = rng.random((n, N_LATENT_COLUMNS))
    st = (u[:, 0] < design.share_history_gt2).astype(np.int64) * 2 \
        + (u[:, 1] < design.share_referred_by_clinician).astype(np.int64)
    is_int = _randomise(st, 4, design.n_intervention, design.block_sizes, rng)[0]
    return enrol, u, st, is_int, rng.standard_exponential(n), rng.standard_exponential(n)


def _simulate_batch_fast(scenario: Scenario, trial_seeds: np.ndarray) -> TrialBatch:
    """Same draws, in the same order, as ``simulate_trial``; everything else vectorised over replicates.

    Each trial has its own generator, so the draws are made trial by trial, in
    ``simulate_trial``'s order: enrolment days, participant uniforms, then the permuted-block
    allocation (per stratum: block sizes, within-block uniforms; then one permutation for the
    incomplete final blocks), event and loss-to-follow-up draws. Only the draws and a few
    scalars are computed in that loop; the allocation itself (ranks within blocks, arm,
    final-block fix-up) is computed afterwards for all trials at once, with the same arithmetic
    as :func:`analysis.simulate.engine._randomise`. A trial whose fix-up needs more than the final blocks
    (unusual allocation ratios) is drawn by the simulator's own code instead.
    """
    design, walking, dose = scenario.design, scenario.walking, scenario.dose_response
    n1, n = design.n_intervention, design.n_total
    reps = len(trial_seeds)
    sizes = np.asarray(design.block_sizes)
    min_size = int(sizes.min())
    ratio = n1 / n
    k_lut = np.rint(np.arange(int(sizes.max()) + 1) * ratio).astype(np.int64)  # = rint(drawn * ratio)
    enrol = np.empty((reps, n), dtype=np.int64)
    u = np.empty((reps, n, N_LATENT_COLUMNS))
    is_int = np.zeros((reps, n), dtype=bool)
    stratum = np.empty((reps, n), dtype=np.int8)
    target = np.empty((reps, n))
    dropout_draw = np.empty((reps, n))
    block_u = np.empty(reps * n)  # within-block uniforms, grouped by (trial, stratum), enrolment order
    blocks: list[np.ndarray] = []  # block sizes used, per (trial, non-empty stratum)
    group_m: list[int] = []
    perms: list[np.ndarray] = []
    need = np.zeros(reps, dtype=np.int64)
    fallback: list[int] = []
    days = design.recruitment_days + 1
    day_index = np.arange(days)
    day_p = np.full(days, 1.0 / days)
    offset = 0
    for r, seed in enumerate(trial_seeds):  # only draws and scalars: each trial has its own generator
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))
        enrol[r] = np.repeat(day_index, rng.multinomial(n, day_p))
        u[r] = rng.random((n, N_LATENT_COLUMNS))
        st = (u[r, :, 0] < design.share_history_gt2).astype(np.int64) * 2 \
            + (u[r, :, 1] < design.share_referred_by_clinician).astype(np.int64)
        stratum[r] = st
        counts = np.bincount(st, minlength=4)
        fixed = pool = 0
        start_groups = len(blocks)
        for s_code in range(4):
            m = int(counts[s_code])
            if m == 0:
                continue
            drawn = rng.choice(sizes, size=m // min_size + 1)
            ends = drawn.cumsum()
            last = int(ends.searchsorted(m))
            used = drawn[:last + 1]
            rng.random(out=block_u[offset:offset + m])
            offset += m
            k = k_lut[used]
            if int(ends[last]) == m:
                fixed += int(k.sum())
            else:
                fixed += int(k.sum()) - int(k[-1])
                pool += m - (int(ends[last]) - int(used[-1]))
            blocks.append(used)
            group_m.append(m)
        need[r] = n1 - fixed
        if not 0 <= need[r] <= pool:  # the simulator would pool earlier blocks too: use its own code
            fallback.append(r)
            del blocks[start_groups:], group_m[start_groups:]
            offset -= n
            enrol[r], u[r], st, is_int[r], target[r], dropout_draw[r] = _draw_one_original(scenario, int(seed))
            continue
        perms.append(rng.permutation(pool) if pool else np.empty(0, dtype=np.int64))
        target[r] = rng.standard_exponential(n)
        dropout_draw[r] = rng.standard_exponential(n)
        # simulate_trial draws age and sex next; nothing after them is random, so they are skipped.

    fast = np.ones(reps, dtype=bool)
    fast[fallback] = False
    if fast.any():
        _allocate(is_int, stratum, fast, block_u[:offset], blocks, np.asarray(group_m, dtype=np.int64), k_lut,
                  perms, need)

    latent = latent_from_uniforms(scenario, u.reshape(reps * n, N_LATENT_COLUMNS))
    admin = np.minimum(design.max_followup_days, (design.study_days - enrol.ravel()).astype(float))
    target = target.ravel()
    if design.annual_loss_to_followup > 0:
        dropout_rate = -np.log1p(-design.annual_loss_to_followup) / 365.25
        with np.errstate(over="ignore", divide="ignore"):  # a vanishing rate: nobody is lost (inf)
            dropout = dropout_draw.ravel() / dropout_rate
    else:
        dropout = np.full(reps * n, np.inf)
    baseline = BaselineHazard.from_outcome(scenario.outcome)
    pieces = dose_pieces(walking)
    off_programme_mult = latent.risk * relative_hazard(latent.spontaneous_extra, dose)
    started = is_int.ravel() & latent.starts
    censor_at = np.minimum(admin, dropout)
    event = np.empty(reps * n)
    no_prog = ~started
    event[no_prog] = event_times_constant(target[no_prog], off_programme_mult[no_prog], baseline)
    event[started] = _piecewise_like_per_trial(started.reshape(reps, n), target, latent, dose, pieces, baseline)
    observed = event <= censor_at
    time_days = np.where(observed, event, censor_at)
    return TrialBatch(np.asarray(trial_seeds, dtype=np.int64), is_int, time_days.reshape(reps, n),
                      observed.reshape(reps, n), stratum)


def _allocate(is_int: np.ndarray, stratum: np.ndarray, fast: np.ndarray, block_u: np.ndarray, blocks: list[np.ndarray],
              group_m: np.ndarray, k_lut: np.ndarray, perms: list[np.ndarray], need: np.ndarray) -> None:
    """Permuted-block allocation of the ``fast`` trials from their draws, all trials at once.

    Mirrors :func:`analysis.simulate.engine._randomise`: within stratum s of a trial, participants in
    enrolment order fill blocks of the drawn sizes; inside a block they are ranked by
    ``block index + uniform`` (stable), and the first ``rint(size * ratio)`` ranks get the
    intervention. Participants of an incomplete final block form the pool, which the trial's
    permutation assigns: ``permutation(len(pool)) < need`` in enrolment order.
    """
    reps, n = is_int.shape
    rows = np.flatnonzero(fast)
    st = stratum[rows].astype(np.int64)
    group = (np.arange(len(rows))[:, None] * 4 + st).ravel()  # (trial, stratum), trial-major
    order = np.argsort(group, kind="stable")  # grouped by (trial, stratum), enrolment order within
    n_blocks = np.array([len(b) for b in blocks], dtype=np.int64)
    drawn = np.concatenate(blocks).astype(np.int64)
    block_group = np.repeat(np.arange(len(blocks)), n_blocks)
    first_block = np.concatenate([[0], np.cumsum(n_blocks)[:-1]])
    local_block = np.arange(len(drawn)) - first_block[block_group]
    block_end = np.cumsum(drawn) - np.repeat(np.concatenate([[0], np.cumsum(drawn)])[first_block], n_blocks)
    block_start = block_end - drawn
    # one entry per seat in every block, then keep the seats that a participant fills
    seat_block = np.repeat(np.arange(len(drawn)), drawn)
    seat_pos = np.repeat(block_start, drawn) + (np.arange(len(seat_block)) - np.repeat(np.cumsum(drawn) - drawn, drawn))
    filled = seat_pos < group_m[block_group[seat_block]]
    seat_block = seat_block[filled]
    within_block = local_block[seat_block]
    keys = within_block + block_u  # the simulator's key: block index + uniform
    group_of_seat = block_group[seat_block]
    sorted_seats = np.lexsort((keys, group_of_seat))  # stable, as argsort(kind="stable") per stratum
    group_first = np.concatenate([[0], np.cumsum(group_m)[:-1]])
    position = np.arange(len(keys)) - group_first[group_of_seat[sorted_seats]]
    rank = np.empty(len(keys), dtype=np.int64)
    rank[sorted_seats] = position - block_start[seat_block[sorted_seats]]
    alloc = rank < k_lut[drawn[seat_block]]
    incomplete_group = block_end[first_block + n_blocks - 1] != group_m
    in_pool = incomplete_group[group_of_seat] & (local_block[seat_block] == n_blocks[group_of_seat] - 1)
    flat_alloc = np.empty(len(rows) * n, dtype=bool)
    flat_alloc[order] = alloc
    flat_pool = np.empty(len(rows) * n, dtype=bool)
    flat_pool[order] = in_pool
    flat_alloc = flat_alloc.reshape(len(rows), n)
    flat_pool = flat_pool.reshape(len(rows), n)
    pool_rows, pool_cols = np.nonzero(flat_pool)  # trial-major, enrolment order: the simulator's pool order
    if len(pool_rows):
        chosen = np.concatenate(perms) < np.repeat(need[rows], [len(p) for p in perms])
        flat_alloc[pool_rows, pool_cols] = chosen
    is_int[rows] = flat_alloc


# simulate_trial computes the starters' event times of one trial in one call of
# event_times_piecewise, which takes a two-pass route (different rounding) above this many rows.
_PIECEWISE_ONE_PASS_MAX = 4096


def _piecewise_like_per_trial(started: np.ndarray, target: np.ndarray, latent, dose, pieces, baseline) -> np.ndarray:
    """Starters' event times of all replicates, each computed by the same route as in its own trial.

    Rows are independent inside :func:`analysis.model.hazard.event_times_piecewise`; only the size of a
    call picks its route. Trials whose starters fit the one-pass route are grouped into calls that
    still fit it; larger trials go into calls that are large too.
    """
    per_trial = started.sum(axis=1)
    flat = np.flatnonzero(started.ravel())
    bounds = np.concatenate([[0], np.cumsum(per_trial)])
    out = np.empty(len(flat))
    small = per_trial <= _PIECEWISE_ONE_PASS_MAX
    calls: list[list[int]] = []
    current: list[int] = []
    size = 0
    for r in np.flatnonzero(small):
        if size + per_trial[r] > _PIECEWISE_ONE_PASS_MAX and current:
            calls.append(current)
            current, size = [], 0
        current.append(int(r))
        size += int(per_trial[r])
    if current:
        calls.append(current)
    big = [int(r) for r in np.flatnonzero(~small)]
    if big:
        calls.append(big)
    for rows in calls:
        pos = np.concatenate([np.arange(bounds[r], bounds[r + 1]) for r in rows])
        idx = flat[pos]
        out[pos] = event_times_piecewise(target[idx], latent.risk[idx], latent.plateau_extra[idx],
                                         dose.education_hr, dose, pieces, baseline)
    return out


def _simulate_batch_reference(scenario: Scenario, trial_seeds: np.ndarray) -> TrialBatch:
    """One ``simulate_trial`` call per replicate (the definition; slower)."""
    rows = [simulate_trial(scenario, seed=int(s)) for s in trial_seeds]
    return TrialBatch(
        np.asarray(trial_seeds, dtype=np.int64),
        np.stack([(c["arm"] == "intervention").to_numpy() for c in rows]),
        np.stack([c["time_days"].to_numpy(dtype=float) for c in rows]),
        np.stack([c["recurrence"].to_numpy().astype(bool) for c in rows]),
        np.stack([c["stratum"].cat.codes.to_numpy().astype(np.int8) for c in rows]),
    )


@lru_cache(maxsize=64)
@lru_cache(maxsize=64)  # scenarios are frozen and hashable: one check per scenario per process
def _fast_path_agrees(scenario: Scenario) -> bool:
    """Whether :func:`_simulate_batch_fast` reproduces ``simulate_trial`` for this scenario.

    Checked once per scenario on two seeds, so a change to the simulator can never make Monte
    Carlo results silently differ from ``simulate_trial``: the run falls back to the slow path.
    """
    seeds = np.array([replicate_seed(scenario.seed, 0), replicate_seed(scenario.seed, 1)], dtype=np.int64)
    try:
        fast = _simulate_batch_fast(scenario, seeds)
    except Exception:  # noqa: BLE001 - any failure (e.g. a renamed helper) means "use the reference path"
        return False
    ref = _simulate_batch_reference(scenario, seeds)
    return bool(np.array_equal(fast.intervention, ref.intervention) and np.array_equal(fast.time_days, ref.time_days)
                and np.array_equal(fast.recurrence, ref.recurrence) and np.array_equal(fast.stratum, ref.stratum))


def simulate_batch(scenario: Scenario, trial_seeds: Sequence[int] | np.ndarray) -> TrialBatch:
    """Simulate one trial per seed; row r equals ``simulate_trial(scenario, seed=trial_seeds[r])``.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> batch = simulate_batch(Scenario(), [11, 12])
    >>> cohort = simulate_trial(Scenario(), seed=12)
    >>> bool(np.array_equal(batch.time_days[1], cohort.time_days.to_numpy()))
    True
    """
    seeds = np.asarray(trial_seeds, dtype=np.int64).ravel()
    if len(seeds) == 0:
        n = scenario.design.n_total
        return TrialBatch(seeds, np.zeros((0, n), bool), np.zeros((0, n)), np.zeros((0, n), bool),
                          np.zeros((0, n), np.int8))
    if not _fast_path_agrees(scenario):
        return _simulate_batch_reference(scenario, seeds)
    per_call = max(1, _MAX_CELLS // scenario.design.n_total)
    if len(seeds) <= per_call:
        return _simulate_batch_fast(scenario, seeds)
    parts = [_simulate_batch_fast(scenario, seeds[i:i + per_call]) for i in range(0, len(seeds), per_call)]
    return TrialBatch(seeds, *(np.concatenate([getattr(p, name) for p in parts])
                               for name in ("intervention", "time_days", "recurrence", "stratum")))


def simulate_replicates(scenario: Scenario, n_replicates: int, seed: int, start: int = 0) -> TrialBatch:
    """Replicates ``start .. start + n_replicates - 1`` of a run seeded ``seed``."""
    return simulate_batch(scenario, replicate_seeds(seed, n_replicates, start))


# --------------------------------------------------------------------------- executor plumbing
def _chunks(n_replicates: int, chunk_size: int) -> list[tuple[int, int]]:
    return [(start, min(chunk_size, n_replicates - start)) for start in range(0, n_replicates, chunk_size)]


def map_replicate_chunks(task: Callable[..., Any], n_replicates: int, chunk_size: int, executor: Executor | None,
                         progress: Callable[[int, int], None] | None, *, args: tuple = (),
                         kwargs: dict | None = None) -> list[Any]:
    """Run ``task(*args, start, count, **kwargs)`` over consecutive chunks of replicates.

    Results come back in replicate order whatever order the chunks finish in; ``progress(done,
    total)`` is called after each chunk with the number of replicates finished. ``task`` and its
    arguments must be picklable (module-level function, frozen dataclasses, arrays) so any
    ``concurrent.futures.Executor`` works: a process pool, or ``dask.distributed.Client.get_executor()``.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise WalkBackInputError(f"chunk_size = {chunk_size!r} must be a whole number of at least 1")
    kwargs = kwargs or {}
    chunks = _chunks(n_replicates, int(chunk_size))
    done = 0
    if executor is None:
        results = []
        for start, count in chunks:
            results.append(task(*args, start, count, **kwargs))
            done += count
            if progress is not None:
                progress(done, n_replicates)
        return results
    futures = {executor.submit(task, *args, start, count, **kwargs): i for i, (start, count) in enumerate(chunks)}
    results_by_index: dict[int, Any] = {}
    try:
        for future in as_completed(futures):
            i = futures[future]
            results_by_index[i] = future.result()
            done += chunks[i][1]
            if progress is not None:
                progress(done, n_replicates)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return [results_by_index[i] for i in range(len(chunks))]


def default_grid_days(scenario: Scenario) -> np.ndarray:
    """Every 14 days from 0 to the maximum follow-up (the KM band's grid)."""
    max_days = scenario.design.max_followup_days
    return np.unique(np.concatenate([np.arange(0.0, max_days, 14.0), [math.floor(max_days)]]))


# --------------------------------------------------------------------------- batched Kaplan-Meier on a grid
def km_on_grid_batch(time: np.ndarray, event: np.ndarray, group: np.ndarray, grid_days: np.ndarray) -> np.ndarray:
    """Kaplan-Meier survival of each arm at ``grid_days`` for many trials at once.

    :mod:`analysis.stats.kernels` has batched KM medians but not whole curves, so the curves are here.
    Per row and arm the participants are sorted by time (events before censorings at a tie, so a
    tie's factors telescope to ``1 - d/n``); the number of the arm's times at or before each grid
    day comes from one ``bincount`` over (row, grid bin) codes: no loop over rows.

    Parameters
    ----------
    time, event, group : arrays of shape (R, n)
        ``group`` 1 = intervention, 0 = control.
    grid_days : 1-D array, increasing

    Returns
    -------
    ndarray, shape (R, 2, len(grid_days))
        ``[:, 0]`` control and ``[:, 1]`` intervention survival (right-continuous: events at a
        grid day count).

    Examples
    --------
    >>> km_on_grid_batch(np.array([[1., 2, 3, 4]]), np.array([[1, 1, 0, 1]]), np.array([[0, 1, 0, 1]]),
    ...                  np.array([0., 1, 2, 5]))[0]
    array([[1. , 0.5, 0.5, 0.5],
           [1. , 1. , 0.5, 0. ]])
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    group = np.asarray(group).astype(bool)
    grid = np.asarray(grid_days, dtype=float)
    reps, n = time.shape
    n_grid = len(grid)
    out = np.empty((reps, 2, n_grid))
    rows = np.arange(reps)[:, None]
    for arm in (0, 1):
        mine = group == bool(arm)
        t = np.where(mine, time, np.inf)
        e = mine & event
        order = np.lexsort((~e, t), axis=-1)
        ts = np.take_along_axis(t, order, axis=1)
        es = np.take_along_axis(e, order, axis=1)
        n_arm = mine.sum(axis=1)
        remaining = (n_arm[:, None] - np.arange(n)[None, :]).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            inc = np.where(es, np.log1p(-1.0 / remaining), 0.0)
        cum = np.zeros((reps, n + 1))
        np.cumsum(inc, axis=1, out=cum[:, 1:])
        # grid bin of each time: smallest j with grid[j] >= t (n_grid when beyond the grid or not this arm)
        bins = np.searchsorted(grid, ts.ravel(), side="left").reshape(reps, n)
        codes = (rows * (n_grid + 1) + bins).ravel()
        counts = np.bincount(codes, minlength=reps * (n_grid + 1)).reshape(reps, n_grid + 1)[:, :n_grid]
        at_or_before = np.cumsum(counts, axis=1)
        out[:, arm, :] = np.exp(np.take_along_axis(cum, at_or_before, axis=1))
    return out


# --------------------------------------------------------------------------- analysis of a chunk
def _analyse_chunk(scenario: Scenario, seed: int, start: int, count: int, grid_days: np.ndarray | None = None) -> dict:
    """Simulate replicates ``start .. start + count - 1`` and analyse them as arrays."""
    from ..stats.kernels import km_median_batch, logrank_cox_batch

    batch = simulate_replicates(scenario, count, seed, start)
    with np.errstate(all="ignore"):  # tiny trials: a degenerate fit gives inf / NaN, never a warning
        fit = logrank_cox_batch(batch.time_days, batch.recurrence, batch.intervention)
        medians = km_median_batch(batch.time_days, batch.recurrence, batch.intervention)
        lower, upper = fit.ci(0.95)
        out = {
            "start": start, "trial_seed": batch.trial_seeds, "hr": fit.hr, "hr_lower": lower, "hr_upper": upper,
            "log_hr": fit.log_hr, "se": fit.se, "converged": fit.converged,
            "logrank_chisq": fit.logrank_chisq, "logrank_p": fit.logrank_p,
            "median_control": medians[:, 0], "median_intervention": medians[:, 1],
            "events": batch.recurrence.sum(axis=1),
        }
    if grid_days is not None:
        out["km"] = km_on_grid_batch(batch.time_days, batch.recurrence, batch.intervention, grid_days)
    return out


def _concat(parts: list[dict], key: str) -> np.ndarray:
    return np.concatenate([p[key] for p in parts])


@dataclass(frozen=True)
class ReplicateResult:
    """Many simulated trials of one scenario.

    Attributes
    ----------
    per_trial : DataFrame
        One row per replicate: ``replicate``, ``hr``, ``hr_lower``, ``hr_upper`` (Cox, Efron ties,
        95% Wald CI), ``logrank_chisq``, ``logrank_p``, ``median_control``,
        ``median_intervention`` (KM medians in days, NaN if not reached), ``events``, and
        ``trial_seed`` (``simulate_trial(scenario, seed=trial_seed)`` rebuilds the cohort).
    km_band : DataFrame
        ``day``, ``arm``, ``q025``, ``q50``, ``q975``: pointwise quantiles of the replicates'
        Kaplan-Meier curves on the grid.
    summary : DataFrame
        ``quantity``, ``value``, ``mc_se``, ``expected`` (the scenario's exact expectation where
        one exists).
    seed, n_replicates, elapsed_seconds : as run
    """

    per_trial: pd.DataFrame
    km_band: pd.DataFrame
    summary: pd.DataFrame
    seed: int
    n_replicates: int
    alpha: float
    elapsed_seconds: float = field(compare=False)

    @property
    def power(self) -> float:
        """Share of replicates with a two-sided log-rank p below ``alpha``."""
        return float(np.mean(self.per_trial["logrank_p"].to_numpy() < self.alpha))

    def to_dict(self) -> dict:
        def records(df: pd.DataFrame) -> list[dict]:
            return df.astype(object).where(df.notna(), None).to_dict(orient="records")

        return {"seed": self.seed, "n_replicates": self.n_replicates, "alpha": self.alpha,
                "elapsed_seconds": self.elapsed_seconds, "summary": records(self.summary),
                "km_band": records(self.km_band), "per_trial": records(self.per_trial)}


def _summary(per_trial: pd.DataFrame, scenario: Scenario, alpha: float) -> pd.DataFrame:
    from ..model.calibration import expected_trial

    expected = expected_trial(scenario)
    r = len(per_trial)
    reject = per_trial["logrank_p"].to_numpy() < alpha
    power = float(reject.mean())
    with np.errstate(divide="ignore", invalid="ignore"):
        log_hr = np.log(per_trial["hr"].to_numpy())
    ok = np.isfinite(log_hr)
    covers = (per_trial["hr_lower"] <= expected.cox_hr) & (expected.cox_hr <= per_trial["hr_upper"])
    cover = float(covers[ok].mean()) if ok.any() else math.nan
    rows = [
        ("replicates", float(r), math.nan, math.nan),
        (f"power (two-sided log-rank p < {alpha:g})", power, math.sqrt(power * (1 - power) / r), math.nan),
        ("hazard ratio, geometric mean", float(np.exp(log_hr[ok].mean())) if ok.any() else math.nan,
         float(np.exp(log_hr[ok].mean()) * log_hr[ok].std(ddof=1) / math.sqrt(ok.sum())) if ok.sum() > 1 else math.nan,
         expected.cox_hr),
        ("95% CI of the HR covers the expected HR", cover,
         math.sqrt(cover * (1 - cover) / max(ok.sum(), 1)), 0.95),
        ("recurrences, mean", float(per_trial["events"].mean()),
         float(per_trial["events"].std(ddof=1) / math.sqrt(r)) if r > 1 else math.nan, expected.events_total),
    ]
    for arm, exp_median in (("control", expected.median_control), ("intervention", expected.median_intervention)):
        m = per_trial[f"median_{arm}"].to_numpy()
        reached = np.isfinite(m)
        rows.append((f"median days to recurrence, {arm} (median over trials)",
                     float(np.median(m[reached])) if reached.any() else math.nan, math.nan, exp_median))
    return pd.DataFrame(rows, columns=["quantity", "value", "mc_se", "expected"])


def _check_grid(grid_days: Any, scenario: Scenario) -> np.ndarray:
    if grid_days is None:
        return default_grid_days(scenario)
    try:
        grid = np.asarray(grid_days, dtype=float).ravel()
    except (TypeError, ValueError):
        raise WalkBackInputError("grid_days must be a list of days") from None
    if grid.size == 0 or grid.size > 10_000 or not np.all(np.isfinite(grid)) or np.any(grid < 0) \
            or np.any(np.diff(grid) <= 0):
        raise WalkBackInputError("grid_days must be 1 to 10,000 increasing, non-negative, finite days")
    return grid


def run_replicates(scenario: Scenario, n_replicates: int, seed: int, *, executor: Executor | None = None,
                   progress: Callable[[int, int], None] | None = None, grid_days: Sequence[float] | None = None,
                   chunk_size: int = DEFAULT_CHUNK, alpha: float = 0.05) -> ReplicateResult:
    """Simulate and analyse ``n_replicates`` trials of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    n_replicates : int
        1 to :data:`MAX_REPLICATES`.
    seed : int
        Replicate i uses child i of ``SeedSequence(seed)`` (module docstring).
    executor : concurrent.futures.Executor, optional
        Runs the chunks (e.g. ``ProcessPoolExecutor`` or ``dask.distributed.Client.get_executor()``);
        ``None`` runs them here. The result does not depend on it.
    progress : callable(done, total), optional
        Called after every chunk with replicates finished so far.
    grid_days : sequence of float, optional
        Days for the KM band (default every 14 days to the maximum follow-up).
    chunk_size : int
        Replicates per task (the result does not depend on it).
    alpha : float
        Two-sided level of the log-rank test for the power line of the summary.

    Examples
    --------
    >>> from analysis.model.calibration import default_scenario
    >>> r = run_replicates(default_scenario(), 20, seed=1)
    >>> list(r.per_trial.columns[:4]), len(r.per_trial)
    (['replicate', 'hr', 'hr_lower', 'hr_upper'], 20)
    """
    n_replicates = _check_replicates(n_replicates)
    seed = _check_seed(seed)
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise WalkBackInputError(f"alpha = {alpha!r} must be a number strictly between 0 and 1")
    grid = _check_grid(grid_days, scenario)
    began = time.perf_counter()
    parts = map_replicate_chunks(_analyse_chunk, n_replicates, chunk_size, executor, progress,
                                 args=(scenario, seed), kwargs={"grid_days": grid})
    per_trial = pd.DataFrame({
        "replicate": np.arange(n_replicates, dtype=np.int64),
        "hr": _concat(parts, "hr"), "hr_lower": _concat(parts, "hr_lower"), "hr_upper": _concat(parts, "hr_upper"),
        "logrank_chisq": _concat(parts, "logrank_chisq"), "logrank_p": _concat(parts, "logrank_p"),
        "median_control": _concat(parts, "median_control"),
        "median_intervention": _concat(parts, "median_intervention"),
        "events": _concat(parts, "events").astype(np.int64),
        "trial_seed": _concat(parts, "trial_seed"),
    })
    curves = np.concatenate([p["km"] for p in parts])  # (R, 2, G)
    q = np.quantile(curves, [0.025, 0.5, 0.975], axis=0)  # (3, 2, G)
    km_band = pd.concat([pd.DataFrame({"day": grid, "arm": arm, "q025": q[0, a], "q50": q[1, a], "q975": q[2, a]})
                         for a, arm in ((1, "intervention"), (0, "control"))], ignore_index=True)
    return ReplicateResult(per_trial=per_trial, km_band=km_band, summary=_summary(per_trial, scenario, alpha),
                           seed=seed, n_replicates=n_replicates, alpha=float(alpha),
                           elapsed_seconds=time.perf_counter() - began)
