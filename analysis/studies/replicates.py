"""Monte Carlo replicates: many simulated trials of one scenario, analysed in vectorised batches.

Place in the pipeline: scenario -> (simulate -> estimate) x many -> distributions. The power
calculations (:mod:`analysis.studies.power`) and the estimand coverage studies (:mod:`analysis.studies.estimands`)
run on the same machinery.

Reproducibility rule (DESIGN habit 6)
-------------------------------------
Replicate ``i`` of a run with seed ``seed`` is the trial ``simulate_trial(scenario, seed=s_i)``
with ``s_i = replicate_seed(seed, i)`` (:mod:`analysis.simulate.seeds`, the one rule for every
caller). Replicate ``i`` therefore does not depend on how many replicates are run, on the chunking,
on the executor or on the order in which chunks finish; the sequential, process-pool and dask
results are bit-identical.

Speed
-----
``simulate_trial`` builds a documented pandas DataFrame (about 3 ms for 701 participants).
For Monte Carlo work :func:`simulate_batch` calls the simulator's batch core,
:func:`analysis.simulate.engine.simulate_trials`, of which ``simulate_trial`` is the one-trial case:
each replicate's random numbers come from its own generator (the only loop over replicates: a
few generator calls each), and the allocation, traits and event times of all replicates of a
chunk are computed at once. The analysis then runs on (replicates, participants) arrays with
the batched kernels of :mod:`analysis.stats.kernels`: no Python loop per replicate in the analysis.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import WalkBackInputError
from ..stats.kernels import km_on_grid_batch, two_arm_batch
from ..trial.scenario import Scenario
from ..simulate.engine import TrialBatch, simulate_trial, simulate_trials  # noqa: F401 - simulate_trial: doctests, callers
from ..simulate.seeds import check_seed, replicate_seed, replicate_seeds  # noqa: F401 - the rule lives beside the simulator

if TYPE_CHECKING:  # pandas is imported where a table is built: Monte Carlo workers never load it
    import pandas as pd

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
    "check_seed",
    "check_replicates",
    "analyse_chunk",
    "km_on_grid_batch",
    "chunk_size_for",
]

#: Upper limit on replicates in one run (about 130 MB of KM curves at 80 grid points).
MAX_REPLICATES = 100_000
#: Replicates per chunk handed to one worker: big enough to vectorise, small enough to report progress.
DEFAULT_CHUNK = 500
#: Smallest chunk :func:`chunk_size_for` hands out (below it the per-task overhead shows).
MIN_CHUNK = 50


def check_replicates(n_replicates: Any, name: str = "n_replicates") -> int:
    if isinstance(n_replicates, bool) or not isinstance(n_replicates, (int, np.integer)) \
            or not 1 <= int(n_replicates) <= MAX_REPLICATES:
        raise WalkBackInputError(f"{name} = {n_replicates!r} must be a whole number from 1 to {MAX_REPLICATES:,}")
    return int(n_replicates)


# --------------------------------------------------------------------------- batched simulation
def simulate_batch(scenario: Scenario, trial_seeds: Sequence[int] | np.ndarray, endpoint: str = "primary") -> TrialBatch:
    """Simulate one trial per seed; row r equals ``simulate_trial(scenario, seed=trial_seeds[r])``.

    ``endpoint`` ("primary", "any" or "care") picks the time-to-event endpoint the batch carries.

    The simulator's own batch core (:func:`analysis.simulate.simulate_trials`): ``simulate_trial``
    is the same code with one seed.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> batch = simulate_batch(Scenario(), [11, 12])
    >>> cohort = simulate_trial(Scenario(), seed=12)
    >>> bool(np.array_equal(batch.time_days[1], cohort.time_days.to_numpy()))
    True
    """
    return simulate_trials(scenario, trial_seeds, endpoint=endpoint)


def simulate_replicates(scenario: Scenario, n_replicates: int, seed: int, start: int = 0,
                        endpoint: str = "primary") -> TrialBatch:
    """Replicates ``start .. start + n_replicates - 1`` of a run seeded ``seed``."""
    return simulate_batch(scenario, replicate_seeds(seed, n_replicates, start), endpoint)


# --------------------------------------------------------------------------- executor plumbing
def chunk_size_for(n_replicates: int, workers: int) -> int:
    """Replicates per task for ``workers`` parallel workers: about four tasks per worker (so a
    slow worker does not hold up the end), between :data:`MIN_CHUNK` and :data:`DEFAULT_CHUNK`.

    Results never depend on it (replicate ``i`` is seeded by ``i`` alone).

    Examples
    --------
    >>> chunk_size_for(10_000, 2), chunk_size_for(1_000, 2), chunk_size_for(200, 2), chunk_size_for(200, 1)
    (500, 125, 50, 50)
    """
    per_task = -(-int(n_replicates) // (4 * max(1, int(workers))))
    return int(min(DEFAULT_CHUNK, max(MIN_CHUNK, per_task)))


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


# --------------------------------------------------------------------------- analysis of a chunk
def analyse_chunk(scenario: Scenario, seed: int, start: int, count: int, grid_days: np.ndarray | None = None,
                  endpoint: str = "primary") -> dict:
    """Simulate replicates ``start .. start + count - 1`` and analyse ``endpoint`` of each as arrays."""
    batch = simulate_replicates(scenario, count, seed, start, endpoint)
    with np.errstate(all="ignore"):  # tiny trials: a degenerate fit gives inf / NaN, never a warning
        fit, medians, curves = two_arm_batch(batch.time_days, batch.recurrence, batch.intervention,
                                             grid_days=grid_days)
        lower, upper = fit.ci(0.95)
        out = {
            "start": start, "trial_seed": batch.trial_seeds, "hr": fit.hr, "hr_lower": lower, "hr_upper": upper,
            "log_hr": fit.log_hr, "se": fit.se, "converged": fit.converged,
            "logrank_chisq": fit.logrank_chisq, "logrank_p": fit.logrank_p,
            "median_control": medians[:, 0], "median_intervention": medians[:, 1],
            "events": batch.recurrence.sum(axis=1),
        }
    if grid_days is not None:
        out["km"] = curves
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
        ``key`` (stable identifier: ``power``, ``hr_geometric_mean``, ``hr_ci_covers_expected``, ...),
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
    import pandas as pd
    from ..model.expectation import expected_trial

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
        ("replicates", "replicates", float(r), math.nan, math.nan),
        ("power", f"power (two-sided log-rank p < {alpha:g})", power, math.sqrt(power * (1 - power) / r), math.nan),
        ("hr_geometric_mean", "hazard ratio, geometric mean", float(np.exp(log_hr[ok].mean())) if ok.any() else math.nan,
         float(np.exp(log_hr[ok].mean()) * log_hr[ok].std(ddof=1) / math.sqrt(ok.sum())) if ok.sum() > 1 else math.nan,
         expected.cox_hr),
        ("hr_ci_covers_expected", "95% CI of the HR covers the expected HR", cover,
         math.sqrt(cover * (1 - cover) / max(ok.sum(), 1)), 0.95),
        ("recurrences_mean", "recurrences, mean", float(per_trial["events"].mean()),
         float(per_trial["events"].std(ddof=1) / math.sqrt(r)) if r > 1 else math.nan, expected.events_total),
    ]
    for arm, exp_median in (("control", expected.median_control), ("intervention", expected.median_intervention)):
        m = per_trial[f"median_{arm}"].to_numpy()
        reached = np.isfinite(m)
        rows.append((f"median_{arm}", f"median days to recurrence, {arm} (median over trials)",
                     float(np.median(m[reached])) if reached.any() else math.nan, math.nan, exp_median))
    return pd.DataFrame(rows, columns=["key", "quantity", "value", "mc_se", "expected"])


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
                   chunk_size: int = DEFAULT_CHUNK, alpha: float = 0.05, endpoint: str = "primary") -> ReplicateResult:
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
    endpoint : {"primary", "any", "care"}
        Time to first activity-limiting (primary), any or care-seeking recurrence.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> r = run_replicates(default_scenario(), 20, seed=1)
    >>> list(r.per_trial.columns[:4]), len(r.per_trial)
    (['replicate', 'hr', 'hr_lower', 'hr_upper'], 20)
    """
    import pandas as pd

    n_replicates = check_replicates(n_replicates)
    seed = check_seed(seed)
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise WalkBackInputError(f"alpha = {alpha!r} must be a number strictly between 0 and 1")
    grid = _check_grid(grid_days, scenario)
    began = time.perf_counter()
    parts = map_replicate_chunks(analyse_chunk, n_replicates, chunk_size, executor, progress,
                                 args=(scenario, seed), kwargs={"grid_days": grid, "endpoint": endpoint})
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
