"""A group-sequential design simulated on the model: interim looks at the k-th recurrence or on calendar days.

Place in the pipeline: scenario -> simulate (:func:`analysis.simulate.engine.simulate_trials`, the one
simulator) -> **cut at each look** (:mod:`analysis.simulate.cuts`) -> log-rank at each look
(:func:`analysis.stats.kernels.logrank_cox_batch`) -> stop or go on by the design's boundaries ->
operating characteristics. The boundaries come from :mod:`analysis.design` (or any object with
``efficacy_z`` and ``futility_z``): they are one-sided z values in the direction of benefit, so the
test statistic at a look is ``-logrank_z`` (intervention fewer recurrences than expected: positive).

Stopping rule at look k (as rpact's ``getSimulationSurvival``): stop for efficacy when
``z_k >= efficacy_z[k]``; otherwise stop for futility when ``z_k <= futility_z[k]`` (no futility
where it is NaN); the last look rejects or not. Futility stops are counted whether the design
calls them binding or not: the simulated trial stops when its boundary says so.

Type I error is the same simulation of the scenario with its effect removed
(:func:`scenario_without_effect`): no walking effect and no education effect, so both arms have the
same hazard and H0 holds exactly. Trial i of both is child i of ``SeedSequence(seed)`` (common random
numbers, independent of the executor and chunking, as :mod:`analysis.studies.replicates`).

Monte Carlo standard errors: ``sqrt(p (1 - p) / N)`` for probabilities, ``sd / sqrt(N)`` for means.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..design.boundaries import GroupSequentialBoundaries, sequential_probabilities
from ..design.events import drift_for
from ..errors import WalkBackInputError
from ..model.expectation import expected_trial
from ..simulate.cuts import cut_at_day, day_of_recurrence, last_data_day
from ..simulate.engine import scenario_for_size
from ..stats.kernels import logrank_cox_batch, logrank_z_batch
from ..trial.scenario import Scenario, with_changes
from ..simulate.seeds import check_seed
from .replicates import check_replicates, chunk_size_for, map_replicate_chunks, simulate_replicates

if TYPE_CHECKING:  # pandas is imported where a table is built: the simulating workers never load it
    import pandas as pd

__all__ = ["MAX_LOOKS", "DesignSimulation", "SequentialStudy", "group_sequential_study", "look_recurrences", "boundary_hazard_ratio", "scenario_without_effect", "expected_recurrences_by_day",
           "expected_look_days", "simulate_design", "simulate_design_chunk"]

MAX_LOOKS = 10
HYPOTHESES = ("scenario", "null")


def scenario_without_effect(scenario: Scenario) -> Scenario:
    """The scenario under H0: walking and education change nothing, so both arms share one hazard.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> round(expected_trial(scenario_without_effect(default_scenario())).cox_hr, 6)
    1.0
    """
    return with_changes(scenario, {"dose_response.log_hr_per_100_min": 0.0, "dose_response.emax": 0.0,
                                   "dose_response.education_hr": 1.0})


# --------------------------------------------------------------------------- expected calendar
def _observed_event_cumulative(scenario: Scenario):
    """Expected curves -> per arm, P(recurrence observed within u follow-up days | loss only), on a grid."""
    e = expected_trial(scenario)
    design = scenario.design
    rate = -math.log1p(-design.annual_loss_to_followup) / 365.25 if design.annual_loss_to_followup > 0 else 0.0
    mid = 0.5 * (e.times[1:] + e.times[:-1])
    keep = np.exp(-rate * mid)
    cumulative = []
    for s in (e.survival_control, e.survival_intervention):
        cumulative.append(np.concatenate([[0.0], np.cumsum(keep * (s[:-1] - s[1:]))]))
    return e.times, cumulative


def expected_recurrences_by_day(scenario: Scenario, days) -> np.ndarray:
    """Expected recurrences observed by each calendar day, recruitment still running.

    From the scenario's expected survival curves (:func:`analysis.model.expectation.expected_trial`):
    enrolment spread evenly over the recruitment days, loss to follow-up, the maximum follow-up and
    the study end date; a participant randomised on day ``e`` has been followed ``c - e + 1`` days on
    calendar day ``c`` (as :mod:`analysis.simulate.cuts` counts).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> s = default_scenario()
    >>> at_end = expected_recurrences_by_day(s, [s.design.study_days])[0]
    >>> round(float(at_end))  # the whole trial: expected_trial's events
    506
    """
    d = np.atleast_1d(np.asarray(days, dtype=float))
    design = scenario.design
    times, cumulative = _observed_event_cumulative(scenario)
    enrol = np.arange(design.recruitment_days + 1, dtype=float)
    followup = np.minimum(np.floor(d)[:, None] - enrol[None, :] + 1.0,
                          np.minimum(design.study_days - enrol, design.max_followup_days)[None, :])
    followup = np.clip(followup, 0.0, None)  # not yet randomised: nothing observed
    out = np.zeros(len(d))
    for n_arm, cum in zip((design.n_control, design.n_intervention), cumulative):
        out += n_arm * np.interp(followup, times, cum).mean(axis=1)
    return out


def expected_look_days(scenario: Scenario, look_events: Sequence[int]) -> np.ndarray:
    """Expected calendar day of each event-driven look: the first day the expected recurrences reach it.

    NaN for a look whose recurrences the scenario does not expect by the study end date.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> d = expected_look_days(default_scenario(), [150, 300, 450])
    >>> bool(np.all(np.diff(d) > 0))
    True
    """
    days = np.arange(scenario.design.study_days + 1, dtype=float)
    expected = expected_recurrences_by_day(scenario, days)
    targets = np.asarray(look_events, dtype=float)
    idx = np.searchsorted(expected, targets, side="left")
    return np.where(idx < len(days), days[np.minimum(idx, len(days) - 1)], np.nan)


def _analytic(boundaries: Any, scenarios: tuple[Scenario, Scenario], hr: float, look_events, look_days) -> dict | None:
    """What the design promises under proportional hazards at the scenario's expected HR (None without a solved design).

    Drift ``-log(HR) sqrt(D_K r) / (1 + r)`` (Schoenfeld, :func:`analysis.design.events.drift_for`) at the last look's
    recurrences (planned, or expected by the last calendar look); stopping probabilities at the design's
    information rates (:func:`analysis.design.boundaries.sequential_probabilities`); recurrences, participants and
    days per look from the expected curves of the scenario (and of H0 for the null), weighted by the stopping
    probabilities.
    """
    if not isinstance(boundaries, GroupSequentialBoundaries):
        return None
    out = {}
    for tag, scenario in zip(("", "_null"), scenarios):
        design = scenario.design
        if look_events is not None:
            events = np.asarray(look_events, dtype=float)
            days = expected_look_days(scenario, look_events)
        else:
            days = np.asarray(look_days, dtype=float)
            events = expected_recurrences_by_day(scenario, days)
        if tag:
            at = boundaries.h0
        else:
            size = drift_for(hr, events[-1], design.n_intervention / design.n_control) if hr != 1 else 0.0
            at = sequential_probabilities(boundaries, math.copysign(size, -math.log(hr)) if hr != 1 else 0.0)
        participants = design.n_total * np.minimum(1.0, (days + 1.0) / (design.recruitment_days + 1.0))
        stop = at.stop
        out[tag] = {"reject": at.reject, "futility": at.futility, "power": at.power,
                    "recurrences": float(stop @ events), "participants": float(stop @ participants),
                    "day": float(stop @ days) if np.isfinite(days).all() else math.nan}
    return out


def look_recurrences(scenario: Scenario, boundaries: Any, hazard_ratio: float | None = None) -> tuple[tuple[int, ...], float, float]:
    """Recurrences at the looks of an event-driven design: ``ceil(F_k D_max)``, with ``D_max`` the design's maximum.

    ``D_max = drift^2 (1 + r)^2 / (r log(HR)^2)`` (Schoenfeld, :func:`analysis.design.events.events_for`) at
    ``hazard_ratio``, or else at the scenario's expected Cox HR; ``r`` the allocation ratio.

    Returns
    -------
    (looks, D_max, the hazard ratio used)

    Examples
    --------
    >>> from analysis.design.boundaries import GroupSequentialDesign, compute_boundaries
    >>> from analysis.model.default import default_scenario
    >>> looks, d_max, hr = look_recurrences(default_scenario(), compute_boundaries(GroupSequentialDesign("asOF")))
    >>> looks, round(d_max, 1), round(hr, 2)
    ((99, 197, 295), 294.7, 0.72)
    """
    from ..design.events import events_for

    design = scenario.design
    hr = expected_trial(scenario).cox_hr if hazard_ratio is None else float(hazard_ratio)
    if hazard_ratio is None and not hr < 1:
        raise WalkBackInputError(f"the scenario's expected hazard ratio is {hr:.3f} (no benefit): size the looks "
                                 "with a hazard ratio or look on calendar days")
    max_events = events_for(boundaries.drift, hr, design.n_intervention / design.n_control)
    looks = [math.ceil(t * max_events - 1e-9) for t in boundaries.information_rates]
    if looks[-1] > design.n_total or looks[0] < 1 or any(b <= a for a, b in zip(looks, looks[1:])):
        raise WalkBackInputError(f"the design needs {max_events:.0f} recurrences at its last look, looks {looks}, "
                                 f"which {design.n_total} participants cannot give: recruit more or lower the power")
    return tuple(looks), max_events, hr


def boundary_hazard_ratio(z, recurrences, allocation_ratio: float = 1.0) -> np.ndarray:
    """A one-sided z boundary on the hazard-ratio scale: ``exp(-z (1 + r) / sqrt(r D))`` (Schoenfeld's approximation).

    The hazard ratio estimated at a look with ``D`` recurrences must be at or below it to cross the boundary.

    Examples
    --------
    >>> float(np.round(boundary_hazard_ratio(1.96, 400), 4))
    0.822
    """
    r = float(allocation_ratio)
    return np.exp(-np.asarray(z, dtype=float) * (1 + r) / np.sqrt(r * np.asarray(recurrences, dtype=float)))


# --------------------------------------------------------------------------- one chunk of trials
def simulate_design_chunk(scenario: Scenario, seed: int, efficacy: np.ndarray, futility: np.ndarray,
                          look_events: tuple[int, ...] | None, look_days: tuple[float, ...] | None, start: int,
                          count: int) -> dict:
    """Simulate trials ``start .. start + count - 1``, analyse each at every look, and stop them by the boundaries.

    Every look is analysed for every trial (vectorised: the log-rank z alone); stopping is decided
    afterwards from the z values, which gives the same answer as stopping trial by trial; the Cox
    hazard ratio is then fitted once, at each trial's stopping look. Arrays (count, K) of ``z``,
    ``events``, ``participants``, ``day``; per trial ``look`` (0-based), ``decision`` (1 efficacy,
    -1 futility, 0 none) and ``log_hr`` at the stopping look.
    """
    batch = simulate_replicates(scenario, count, seed, start)
    if look_events is not None:
        end = last_data_day(batch)
        days = np.minimum(day_of_recurrence(batch, list(look_events)), end[:, None])
    else:
        days = np.broadcast_to(np.asarray(look_days, dtype=float), (count, len(look_days)))
    k = days.shape[1]
    z = np.empty((count, k))
    events = np.empty((count, k), dtype=np.int64)
    participants = np.empty((count, k), dtype=np.int64)
    for j in range(k):
        cut = cut_at_day(batch, days[:, j])
        with np.errstate(all="ignore"):  # a look with no recurrence yet: NaN z, never a warning
            z[:, j] = -logrank_z_batch(cut.time_days, cut.recurrence, cut.intervention)
        events[:, j] = cut.recurrences
        participants[:, j] = cut.participants
    look, decision = _stopping(z, np.asarray(efficacy, dtype=float), np.asarray(futility, dtype=float))
    at_stop = cut_at_day(batch, days[np.arange(count), look])
    with np.errstate(all="ignore"):
        fit = logrank_cox_batch(at_stop.time_days, at_stop.recurrence, at_stop.intervention)
    return {"z": z, "events": events, "participants": participants, "day": np.array(days), "look": look,
            "decision": decision, "log_hr": np.where(fit.converged, fit.log_hr, np.nan)}


def _either_hypothesis_chunk(scenarios: tuple[Scenario, Scenario], n_trials: int, seed: int, efficacy, futility,
                             look_events, look_days, start: int, count: int) -> list[tuple[int, dict]]:
    """Trials ``start .. start + count - 1`` of the queue of both hypotheses: (hypothesis, chunk result) pieces."""
    pieces = []
    for h, scenario in enumerate(scenarios):
        lo, hi = max(start, h * n_trials), min(start + count, (h + 1) * n_trials)
        if lo < hi:
            pieces.append((h, simulate_design_chunk(scenario, seed, efficacy, futility, look_events, look_days,
                                                    lo - h * n_trials, hi - lo)))
    return pieces


def _stopping(z: np.ndarray, efficacy: np.ndarray, futility: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(look index at which each trial stops, 1 = efficacy / -1 = futility / 0 = final look without rejection)."""
    with np.errstate(invalid="ignore"):
        eff = z >= efficacy[None, :]
        fut = ~eff & (z <= futility[None, :])  # NaN futility: never
    fut[:, -1] = False  # the last look rejects or not: that is not a futility stop
    stop_any = eff | fut
    stop_any[:, -1] = True
    look = np.argmax(stop_any, axis=1)
    rows = np.arange(len(look))
    decision = np.where(eff[rows, look], 1, np.where(fut[rows, look], -1, 0)).astype(np.int8)
    return look, decision


# --------------------------------------------------------------------------- the study
@dataclass(frozen=True)
class DesignSimulation:
    """Operating characteristics of a group-sequential design simulated on a scenario.

    Attributes
    ----------
    summary : DataFrame
        ``key`` (stable id), ``quantity``, ``value`` (simulated), ``mc_se``, ``analytic`` (what the design
        promises under proportional hazards at the scenario's expected HR; NaN where there is no such number or
        the boundaries are plain arrays) for the scenario and the null
        (``power``, ``type_i_error``, ``recurrences_at_stop``, ``participants_at_stop``,
        ``day_at_stop``, ``hr_at_stop_geometric_mean``, ``hr_at_stop_median``, ``log_hr_bias_at_stop``,
        ``hr_true``, ...).
    looks : DataFrame
        One row per look: ``look``, ``efficacy_z``, ``futility_z``, ``planned_recurrences`` or
        ``planned_day``, ``expected_day`` (event-driven looks: from the expected curves) or
        ``expected_recurrences`` (calendar looks), then per hypothesis (``scenario``/``null``):
        ``recurrences_mean``, ``participants_mean``, ``day_mean``, ``p_efficacy``, ``p_futility``,
        ``p_efficacy_se``, ``p_futility_se``, ``p_reach`` (share of trials still going at the look),
        ``p_efficacy_analytic``, ``p_futility_analytic`` (the proportional-hazards promise).
    per_trial : DataFrame
        One row per simulated trial and hypothesis: ``hypothesis``, ``trial``, ``stop_look`` (1..K),
        ``decision`` ("efficacy", "futility" or "none"), ``z``, ``hr``, ``recurrences``, ``participants``,
        ``day`` at the stopping look.
    """

    summary: pd.DataFrame
    looks: pd.DataFrame
    per_trial: pd.DataFrame = field(repr=False)
    n_trials: int
    seed: int
    looks_by: str
    n_participants: int
    elapsed_seconds: float = field(compare=False)

    def value(self, key: str) -> float:
        row = self.summary.loc[self.summary.key == key]
        return float(row.value.iloc[0]) if len(row) else math.nan

    def to_dict(self) -> dict:
        def records(df) -> list[dict]:
            return df.astype(object).where(df.notna(), None).to_dict(orient="records")

        return {"n_trials": self.n_trials, "seed": self.seed, "looks_by": self.looks_by,
                "n_participants": self.n_participants, "elapsed_seconds": self.elapsed_seconds,
                "summary": records(self.summary), "looks": records(self.looks)}


def _bounds(boundaries: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        efficacy = np.asarray(boundaries.efficacy_z, dtype=float).ravel()
        futility = getattr(boundaries, "futility_z", None)
        futility = np.full(len(efficacy), np.nan) if futility is None else np.asarray(futility, dtype=float).ravel()
    except (AttributeError, TypeError, ValueError):
        raise WalkBackInputError("boundaries must give efficacy_z (and futility_z) per look") from None
    if not 1 <= len(efficacy) <= MAX_LOOKS or len(futility) != len(efficacy):
        raise WalkBackInputError(f"boundaries must have 1 to {MAX_LOOKS} looks, efficacy and futility alike")
    if np.isnan(efficacy).any():
        raise WalkBackInputError("every look needs an efficacy boundary (a z value)")
    if getattr(getattr(boundaries, "design", None), "sided", 1) != 1:
        raise WalkBackInputError("the simulation takes one-sided designs (stopping for benefit); a two-sided design's "
                                 "harm boundary is not simulated: use --sided 1")
    return efficacy, futility


def _check_looks(k: int, look_events, look_days, n: int, study_days: int):
    if (look_events is None) == (look_days is None):
        raise WalkBackInputError("give the looks either as numbers of recurrences or as calendar days, not both")
    values = look_events if look_events is not None else look_days
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise WalkBackInputError(f"looks {values!r} must be numbers") from None
    if len(arr) != k:
        raise WalkBackInputError(f"{len(arr)} looks given but the design has {k}")
    if not np.all(np.isfinite(arr)) or np.any(np.diff(arr) <= 0):
        raise WalkBackInputError("looks must be finite and strictly increasing")
    if look_events is not None:
        if np.any(arr != np.round(arr)) or arr[0] < 1 or arr[-1] > n:
            raise WalkBackInputError(f"recurrences at the looks must be whole numbers from 1 to the {n} participants")
        return tuple(int(v) for v in arr), None
    if arr[0] < 0 or arr[-1] > study_days:
        raise WalkBackInputError(f"look days must be from 0 to the study end, day {study_days}")
    return None, tuple(float(v) for v in arr)


def simulate_design(scenario: Scenario, boundaries: Any, n_trials: int, seed: int, *,
                    look_events: Sequence[int] | None = None, look_days: Sequence[float] | None = None,
                    n_participants: int | None = None, executor: Executor | None = None,
                    progress: Callable[[int, int], None] | None = None, chunk_size: int | None = None,
                    workers: int = 1) -> DesignSimulation:
    """Simulate a group-sequential trial ``n_trials`` times on the scenario and under H0.

    Parameters
    ----------
    scenario : Scenario
        The model (usually the calibrated WalkBack trial, or an exponential one).
    boundaries : object with ``efficacy_z`` and ``futility_z``
        One-sided z boundaries per look (:func:`analysis.design.compute_boundaries`); NaN futility:
        none at that look.
    n_trials, seed : int
        Trials per hypothesis; trial i uses child i of ``SeedSequence(seed)``.
    look_events, look_days : sequence, one of them
        Look k happens on the day the ``look_events[k]``-th recurrence is observed (or on the trial's
        last data day if it never is), or on calendar day ``look_days[k]`` (days since the first
        randomisation).
    n_participants : int, optional
        Participants randomised (default: the scenario's).
    executor, progress, chunk_size, workers :
        As :func:`analysis.studies.replicates.run_replicates`; the result does not depend on them.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from analysis.model.default import default_scenario
    >>> bounds = SimpleNamespace(efficacy_z=[3.47, 2.45, 2.0], futility_z=[float("nan")] * 3)
    >>> sim = simulate_design(default_scenario(), bounds, 40, seed=1, look_events=[150, 300, 450])
    >>> list(sim.looks.look), 0 <= sim.value("power") <= 1
    ([1, 2, 3], True)
    """
    n_trials = check_replicates(n_trials, "n_trials")
    seed = check_seed(seed)
    efficacy, futility = _bounds(boundaries)
    with np.errstate(invalid="ignore"):
        if np.any(futility > efficacy):
            raise WalkBackInputError("a futility boundary lies above the efficacy boundary at the same look")
    s1 = scenario if n_participants is None else scenario_for_size(scenario, n_participants)
    s0 = scenario_without_effect(s1)
    k = len(efficacy)
    events_plan, days_plan = _check_looks(k, look_events, look_days, s1.design.n_total, s1.design.study_days)
    chunk = chunk_size or chunk_size_for(n_trials, workers)
    began = time.perf_counter()
    # Both hypotheses' trials in one queue (trial n_trials + i is trial i under H0): no worker waits for the
    # scenario's last chunk before starting on H0's.
    chunks = map_replicate_chunks(_either_hypothesis_chunk, 2 * n_trials, chunk, executor, progress,
                                  args=((s1, s0), n_trials, seed, efficacy, futility, events_plan, days_plan))
    results = {}
    for h, name in enumerate(HYPOTHESES):
        parts = [part for pieces in chunks for which, part in pieces if which == h]
        results[name] = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    elapsed = time.perf_counter() - began
    import pandas as pd  # after the simulation: the workers are forked without it

    truth = expected_trial(s1).cox_hr
    analytic = _analytic(boundaries, (s1, s0), truth, events_plan, days_plan)
    rows, per_trial, look_cols = [], [], {}
    for name in HYPOTHESES:
        r = results[name]
        look, decision, log_hr = r["look"], r["decision"], r["log_hr"]
        at = (np.arange(n_trials), look)
        tag = "" if name == "scenario" else "_null"
        promise = {} if analytic is None else analytic[tag]
        reject = decision == 1
        p = float(reject.mean())
        label = "power" if name == "scenario" else "type_i_error"
        rows.append((label, "power (rejects H0)" if name == "scenario" else "type I error (rejects under H0)",
                     p, math.sqrt(p * (1 - p) / n_trials), promise.get("power", math.nan)))
        p_fut = float((decision == -1).mean())
        rows.append((f"p_futility{tag}", "stops for futility", p_fut, math.sqrt(p_fut * (1 - p_fut) / n_trials),
                     float(np.sum(promise["futility"])) if promise else math.nan))
        p_early = float((look < k - 1).mean())
        rows.append((f"p_stop_early{tag}", "stops before the last look", p_early,
                     math.sqrt(p_early * (1 - p_early) / n_trials),
                     float(np.sum(promise["reject"][:-1]) + np.sum(promise["futility"][:-1])) if promise else math.nan))
        for key, what, values, promised in (
                ("recurrences_at_stop", "recurrences at stopping, mean", r["events"][at], "recurrences"),
                ("participants_at_stop", "participants at stopping, mean", r["participants"][at],
                 "participants"),
                ("day_at_stop", "day of stopping (duration), mean", r["day"][at], "day")):
            v = values.astype(float)
            rows.append((f"{key}{tag}", what, float(v.mean()), float(v.std(ddof=1) / math.sqrt(n_trials))
                         if n_trials > 1 else math.nan, promise.get(promised, math.nan)))
        ok = np.isfinite(log_hr)
        if name == "scenario":
            m = float(log_hr[ok].mean()) if ok.any() else math.nan
            se = float(log_hr[ok].std(ddof=1) / math.sqrt(ok.sum())) if ok.sum() > 1 else math.nan
            rows += [("hr_true", "true HR (the scenario's expected Cox HR)", truth, math.nan, truth),
                     ("hr_at_stop_geometric_mean", "HR estimated at stopping, geometric mean",
                      math.exp(m), math.exp(m) * se, math.nan),
                     ("hr_at_stop_median", "HR estimated at stopping, median",
                      float(np.exp(np.median(log_hr[ok]))) if ok.any() else math.nan, math.nan, math.nan),
                     ("log_hr_bias_at_stop", "bias of the log HR at stopping (mean − truth)",
                      m - math.log(truth), se, math.nan)]
            eff = ok & reject
            if eff.any():
                rows.append(("hr_at_efficacy_stop_geometric_mean",
                             "HR when stopping for efficacy, geometric mean",
                             float(np.exp(log_hr[eff].mean())), math.nan, math.nan))
        for j in range(k):
            stopped_eff = (look == j) & (decision == 1)
            stopped_fut = (look == j) & (decision == -1)
            pe, pf = float(stopped_eff.mean()), float(stopped_fut.mean())
            look_cols.setdefault(j, {}).update({
                f"recurrences_mean{tag}": float(r["events"][:, j].mean()),
                f"participants_mean{tag}": float(r["participants"][:, j].mean()),
                f"day_mean{tag}": float(r["day"][:, j].mean()),
                f"p_reach{tag}": float((look >= j).mean()),
                f"p_efficacy{tag}": pe, f"p_efficacy_se{tag}": math.sqrt(pe * (1 - pe) / n_trials),
                f"p_futility{tag}": pf, f"p_futility_se{tag}": math.sqrt(pf * (1 - pf) / n_trials),
                f"p_efficacy_analytic{tag}": float(promise["reject"][j]) if promise else math.nan,
                f"p_futility_analytic{tag}": float(promise["futility"][j]) if promise else math.nan,
            })
        per_trial.append(pd.DataFrame({
            "hypothesis": name, "trial": np.arange(n_trials), "stop_look": look + 1,
            "decision": np.array(["futility", "none", "efficacy"])[decision + 1],
            "z": r["z"][at], "hr": np.exp(log_hr), "recurrences": r["events"][at],
            "participants": r["participants"][at], "day": r["day"][at]}))
    looks = []
    expected_at = (expected_look_days(s1, events_plan) if events_plan is not None
                   else expected_recurrences_by_day(s1, days_plan))  # one pass over the calendar for every look
    for j in range(k):
        row = {"look": j + 1, "efficacy_z": float(efficacy[j]), "futility_z": float(futility[j])}
        if events_plan is not None:
            row["planned_recurrences"] = events_plan[j]
            row["expected_day"] = float(expected_at[j])
        else:
            row["planned_day"] = days_plan[j]
            row["expected_recurrences"] = float(expected_at[j])
        row.update(look_cols[j])
        looks.append(row)
    return DesignSimulation(summary=pd.DataFrame(rows, columns=["key", "quantity", "value", "mc_se", "analytic"]),
                            looks=pd.DataFrame(looks), per_trial=pd.concat(per_trial, ignore_index=True),
                            n_trials=n_trials, seed=seed, looks_by="events" if events_plan else "days",
                            n_participants=s1.design.n_total, elapsed_seconds=elapsed)


# --------------------------------------------------------------------------- the page's one call
#: Rows of the analytic-only operating characteristics (key -> quantity), as :class:`DesignSimulation` names them.
_PROMISED = {"power": ("", "power", "power (rejects H0)"),
             "type_i_error": ("_null", "power", "type I error (rejects under H0)"),
             "recurrences_at_stop": ("", "recurrences", "recurrences at stopping, mean"),
             "participants_at_stop": ("", "participants", "participants at stopping, mean"),
             "day_at_stop": ("", "day", "day of stopping (duration), mean"),
             "recurrences_at_stop_null": ("_null", "recurrences", "recurrences at stopping, mean"),
             "participants_at_stop_null": ("_null", "participants", "participants at stopping, mean"),
             "day_at_stop_null": ("_null", "day", "day of stopping (duration), mean")}


@dataclass(frozen=True)
class SequentialStudy:
    """A group-sequential design on a scenario: its looks, what it promises, and (optionally) what it delivers.

    Attributes
    ----------
    boundaries : GroupSequentialBoundaries
    looks : DataFrame
        One row per look: ``look``, ``information_rate``, ``recurrences`` (planned, or expected by a calendar
        look), ``day`` (expected, or planned), ``participants`` (expected randomised by then), ``efficacy_z``,
        ``futility_z``, ``efficacy_hr``, ``futility_hr`` (the boundaries on the hazard-ratio scale,
        :func:`boundary_hazard_ratio`), ``p_efficacy_analytic``, ``p_futility_analytic`` (PH, at the scenario's HR)
        and, when simulated, ``p_efficacy``, ``p_efficacy_se``, ``p_futility``, ``p_futility_se``, ``p_efficacy_null``.
    operating : DataFrame
        ``key``, ``quantity``, ``hypothesis`` ("scenario" or "H0"), ``analytic``, ``simulated``, ``mc_se``.
    simulation : DesignSimulation or None
    hazard_ratio : float
        The scenario's expected Cox HR (the analytic design assumes it throughout).
    max_events : float or None
        The design's maximum recurrences (event-driven looks).
    """

    boundaries: Any
    looks: pd.DataFrame
    operating: pd.DataFrame
    simulation: DesignSimulation | None
    hazard_ratio: float
    max_events: float | None

    @property
    def summary(self) -> pd.DataFrame:
        return self.operating

    def to_dict(self) -> dict:
        def records(df) -> list[dict]:
            return df.astype(object).where(df.notna(), None).to_dict(orient="records")

        return {"boundaries": self.boundaries.to_dict(), "hazard_ratio": self.hazard_ratio,
                "max_events": self.max_events, "looks": records(self.looks), "operating": records(self.operating),
                "simulation": None if self.simulation is None else self.simulation.to_dict()}


def group_sequential_study(scenario: Scenario, design: Any, n_trials: int, seed: int, *,
                           look_days: Sequence[float] | None = None, executor: Executor | None = None,
                           progress: Callable[[int, int], None] | None = None) -> SequentialStudy:
    """Solve ``design``, place its looks on the scenario, and (``n_trials`` > 0) simulate it there and under H0.

    Event-driven looks by default (:func:`look_recurrences` at the scenario's expected HR), or calendar days.

    Examples
    --------
    >>> from analysis.design.boundaries import GroupSequentialDesign
    >>> from analysis.model.default import default_scenario
    >>> study = group_sequential_study(default_scenario(), GroupSequentialDesign("asOF"), 0, seed=1)
    >>> list(study.looks.recurrences), round(float(study.looks.efficacy_hr.iloc[-1]), 3)
    ([99, 197, 295], 0.793)
    """
    import pandas as pd

    from ..design.boundaries import compute_boundaries

    boundaries = compute_boundaries(design)
    s0 = scenario_without_effect(scenario)
    hr = expected_trial(scenario).cox_hr
    if look_days is None:
        events, max_events, _ = look_recurrences(scenario, boundaries)
        days = expected_look_days(scenario, events)
        looks_arg = {"look_events": events}
    else:
        _, days_t = _check_looks(design.looks, None, look_days, scenario.design.n_total, scenario.design.study_days)
        days, max_events = np.asarray(days_t), None
        events = expected_recurrences_by_day(scenario, days)
        looks_arg = {"look_days": days_t}
    d = scenario.design
    promise = _analytic(boundaries, (scenario, s0), hr, looks_arg.get("look_events"), looks_arg.get("look_days"))
    looks = pd.DataFrame({
        "look": np.arange(1, design.looks + 1), "information_rate": design.information_rates,
        "recurrences": np.asarray(events), "day": np.asarray(days, dtype=float),
        "participants": d.n_total * np.minimum(1.0, (np.asarray(days, dtype=float) + 1) / (d.recruitment_days + 1)),
        "efficacy_z": boundaries.efficacy_z, "futility_z": boundaries.futility_z,
        "efficacy_hr": boundary_hazard_ratio(boundaries.efficacy_z, events, d.n_intervention / d.n_control),
        "futility_hr": boundary_hazard_ratio(boundaries.futility_z, events, d.n_intervention / d.n_control),
        "p_efficacy_analytic": promise[""]["reject"], "p_futility_analytic": promise[""]["futility"]})
    simulation = None
    if n_trials:
        simulation = simulate_design(scenario, boundaries, n_trials, seed, executor=executor, progress=progress,
                                     **looks_arg)
        sim_looks = simulation.looks
        for col in ("p_efficacy", "p_efficacy_se", "p_futility", "p_futility_se", "p_efficacy_null"):
            looks[col] = sim_looks[col].to_numpy()
        operating = simulation.summary.rename(columns={"value": "simulated"})
    else:
        operating = pd.DataFrame([(key, quantity, promise[tag][field_], math.nan, math.nan)
                                  for key, (tag, field_, quantity) in _PROMISED.items()],
                                 columns=["key", "quantity", "analytic", "simulated", "mc_se"])
    operating.insert(2, "hypothesis", np.where(operating.key.str.endswith("_null") | (operating.key == "type_i_error"),
                                               "H0", "scenario"))
    operating = operating[["key", "quantity", "hypothesis", "analytic", "simulated", "mc_se"]]
    return SequentialStudy(boundaries=boundaries, looks=looks, operating=operating, simulation=simulation,
                           hazard_ratio=hr, max_events=max_events)
