"""Estimands of one simulated trial next to their true values from the potential outcomes.

Place in the pipeline: scenario -> simulate (with potential outcomes) -> **estimands** -> figures.
A real trial shows each participant under one arm only; the simulator also knows what would
have happened under the other arm (the same random draws with and without the programme), so
every estimator can be compared with the quantity it is meant to estimate.

Estimators (one trial)
----------------------
``itt_hr``
    Cox hazard ratio, intervention vs control, everyone as randomised.
``itt_landmark_diff``, ``itt_rmst_diff``
    Kaplan-Meier recurrence-free proportion at the landmark day, and restricted mean
    recurrence-free time (RMST, days) to ``tau``: intervention minus control.
``per_protocol_hr``
    Naive per-protocol: intervention participants with ``adherence >= adherence_threshold`` vs
    *all* controls (Cox HR). Ignores that adherers may differ from the controls they are
    compared with.
``as_treated_hr``
    As treated by achieved dose: participants walking ``>= dose_threshold_minutes`` in week 12
    vs those walking less, arms pooled, randomisation ignored (Cox HR; dose enters as a binary
    exposure, not as a covariate).
``cace_landmark_diff``, ``cace_rmst_diff``
    Complier average causal effect by the instrumental-variable (Wald) estimator with
    randomisation as the instrument: ITT difference / share of compliers in the intervention
    arm. Controls cannot get the programme (one-sided non-compliance), so the complier share is
    estimated in the intervention arm only. 95% CI by the delta method, with the influence
    functions of the Kaplan-Meier estimates and of the complier share, so it includes their
    covariance within the intervention arm (no bootstrap).

Who is a complier
-----------------
``complier="started"`` (default): a participant who *would start the programme if offered*
(``would_start``; observed as ``started_programme`` in the intervention arm). In the simulator a
never-starter's recurrence time is the same in both arms, so the exclusion restriction holds and
the Wald estimator is consistent for the effect among starters.
``complier="adherent"``: would reach ``adherence >= adherence_threshold`` if offered. Starters
below the threshold still benefit, which violates the exclusion restriction: the Wald estimator
then over-states the effect among adherers, and the truth column shows by how much.

True values (the ``truth`` column)
----------------------------------
Computed from potential outcomes ``T(0)`` (``recurrence_day_if_control``) and ``T(1)``
(``recurrence_day_if_intervention``) of a large simulated population of the same scenario
(``population_size`` participants, 200,000 by default; fixed seed; cached). Differences are
population means over the relevant group:

- ITT landmark / RMST: mean of ``1{T(1) > L} - 1{T(0) > L}`` and of ``min(T(1), tau) - min(T(0), tau)``
  over everyone;
- CACE: the same means over true compliers (``would_start``, or ``latent_adherence >= threshold``).

Hazard ratios are not means of individual effects. The truth of an HR estimand is the
large-sample limit of the Cox estimate that compares the group's ``T(1)`` with the *same*
group's ``T(0)``, both censored by the trial's own censoring distribution (accrual, follow-up
window, loss to follow-up). When hazards are not proportional (walking ramps up, then fades) a
Cox HR depends on follow-up, so this, and not an uncensored fit, is what the trial's Cox
estimate converges to. Groups: ``itt_hr`` everyone (equals :func:`analysis.model.expectation.expected_trial`'s
``cox_hr`` up to Monte Carlo error); ``per_protocol_hr`` would-be adherers
(``latent_adherence >= adherence_threshold``); ``as_treated_hr`` participants whose week-12 walking
would reach ``dose_threshold_minutes`` if offered the programme (the question as-treated
comparisons are usually mistaken for answering: what does the programme do for people who
would walk that much?).

``sample_truth`` is the same quantity computed on the trial's own 701 participants (needs the
potential-outcome columns); it is what this particular sample would have shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..model.expectation import censoring_survival, cox_limit_hr, day_grid
from ..stats.km_influence import KMPieces, km_landmark_rmst
from ..errors import WalkBackInputError
from ..model.hazard import dose_pieces, week12_fraction
from ..trial.scenario import Scenario
from ..simulate.engine import scenario_for_size, simulate_trial

__all__ = [
    "ESTIMANDS",
    "COMPLIER_DEFINITIONS",
    "EstimandSettings",
    "EstimandResult",
    "EstimandReplicates",
    "estimate_estimands",
    "true_estimands",
    "estimand_replicates",
    "km_landmark_rmst",
    "KMPieces",
]

#: Estimand key -> (label, scale). ``scale`` is "hr" (analysed on the log scale) or "difference".
ESTIMANDS: dict[str, tuple[str, str]] = {
    "itt_hr": ("ITT hazard ratio", "hr"),
    "itt_landmark_diff": ("ITT difference in recurrence-free proportion at the landmark", "difference"),
    "itt_rmst_diff": ("ITT difference in RMST (days)", "difference"),
    "per_protocol_hr": ("Naive per-protocol hazard ratio (adherent vs all controls)", "hr"),
    "as_treated_hr": ("As-treated hazard ratio (week-12 walking at or above the threshold vs below)", "hr"),
    "cace_landmark_diff": ("CACE: difference in recurrence-free proportion at the landmark, compliers", "difference"),
    "cace_rmst_diff": ("CACE: difference in RMST (days), compliers", "difference"),
}
COMPLIER_DEFINITIONS = ("started", "adherent")
TRUTH_SEED = 7_041_824
DEFAULT_POPULATION = 200_000
_DAYS_PER_MONTH = 365.25 / 12.0


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class EstimandSettings:
    """Choices that define the estimands (frozen, hashable: keys caches).

    Parameters
    ----------
    adherence_threshold : float
        Per-protocol cut-off on adherence (share of the walking target reached), 0..1.
    dose_threshold_minutes : float
        As-treated cut-off on walking minutes per week in week 12.
    landmark_days : float
        Day at which recurrence-free proportions are compared (default one year).
    tau_days : float
        RMST horizon in days (default two years).
    complier : {"started", "adherent"}
        Definition of a complier for the CACE (see the module docstring).
    level : float
        Confidence level of the intervals.
    """

    adherence_threshold: float = 0.6
    dose_threshold_minutes: float = 120.0
    landmark_days: float = 365.25
    tau_days: float = 730.5
    complier: str = "started"
    level: float = 0.95

    def __post_init__(self) -> None:
        def number(name: str, lo: float, hi: float) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(value)) or not lo <= float(value) <= hi:
                raise WalkBackInputError(f"{name} = {value!r} must be a number from {lo:g} to {hi:g}")
            object.__setattr__(self, name, float(value))

        number("adherence_threshold", 0.0, 1.0)
        number("dose_threshold_minutes", 0.0, 10_000.0)
        number("landmark_days", 1.0, 36_500.0)
        number("tau_days", 1.0, 36_500.0)
        if self.complier not in COMPLIER_DEFINITIONS:
            raise WalkBackInputError(f"complier = {self.complier!r} must be one of {', '.join(COMPLIER_DEFINITIONS)}")
        number("level", 0.5, 0.999)

    def check_against(self, scenario: Scenario) -> None:
        max_days = scenario.design.max_followup_days
        for name in ("landmark_days", "tau_days"):
            if getattr(self, name) > max_days:
                raise WalkBackInputError(f"{name} = {getattr(self, name):g} is beyond the maximum follow-up of "
                                         f"{max_days:g} days")

    @property
    def z(self) -> float:
        return float(stats.norm.ppf(0.5 + self.level / 2.0))


def _settings(settings: EstimandSettings | None, overrides: dict[str, Any]) -> EstimandSettings:
    base = settings if settings is not None else EstimandSettings()
    if not overrides:
        return base
    unknown = set(overrides) - set(EstimandSettings.__dataclass_fields__)
    if unknown:
        raise WalkBackInputError(f"unknown estimand setting(s): {', '.join(sorted(unknown))}")
    values = {name: getattr(base, name) for name in EstimandSettings.__dataclass_fields__}
    values.update(overrides)
    return EstimandSettings(**values)


# --------------------------------------------------------------------------- Cox hazard ratio
def _cox_hr(time: np.ndarray, event: np.ndarray, exposed: np.ndarray) -> tuple[float, float]:
    """(log HR, se) of a binary exposure (Efron ties); NaN when a group is empty or has no events."""
    from ..stats.kernels import logrank_cox_batch  # the shared vectorised kernel (a trial is a batch of one)

    exposed = np.asarray(exposed, dtype=bool)
    event = np.asarray(event, dtype=bool)
    if exposed.all() or (~exposed).all() or not event[exposed].any() or not event[~exposed].any():
        return math.nan, math.nan
    with np.errstate(all="ignore"):  # degenerate groups end as non-converged, reported as NaN
        fit = logrank_cox_batch(np.asarray(time, dtype=float)[None, :], event[None, :], exposed[None, :])
    if not fit.converged[0]:
        return math.nan, math.nan
    return float(fit.log_hr[0]), float(fit.se[0])


# --------------------------------------------------------------------------- the truth


def _cox_limit_hr(t0: np.ndarray, t1: np.ndarray, scenario: Scenario) -> float:
    """Large-sample Cox HR of T(1) vs T(0) of the same group under the trial's censoring.

    The empirical survival of each potential outcome (whole days, as the simulator records them)
    on the daily grid (equal allocation; at risk at the start of each day; the events of a day
    tied, as Efron's estimate on the trial's whole-day data treats them) into the one Cox-limit
    solver, :func:`cox_limit_hr`.
    """
    if len(t0) == 0:
        return math.nan
    times = day_grid(scenario.design.max_followup_days)
    s0 = 1.0 - np.searchsorted(np.sort(t0), times, side="right") / len(t0)
    s1 = 1.0 - np.searchsorted(np.sort(t1), times, side="right") / len(t1)
    return cox_limit_hr(s0, s1, censoring_survival(scenario, times), at_risk="start", ties="efron")


def _week12_if_offered(cohort: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """Week-12 walking each participant would do if offered the programme (potential dose).

    Observed for the intervention arm and for control participants who would not start (their
    walking does not depend on the offer); for would-be starters in the control arm it is
    rebuilt from their baseline walking, would-be adherence and the programme's week-12 step.
    """
    pieces = dose_pieces(scenario.walking)
    frac12 = week12_fraction(pieces)
    base = cohort["baseline_walking_minutes"].to_numpy(float)
    plateau = cohort["latent_adherence"].to_numpy(float) * np.maximum(scenario.walking.target_minutes - base, 0.0)
    rebuilt = base + plateau * frac12
    observed = cohort["walking_minutes_week12"].to_numpy(float)
    use_observed = (cohort["arm"].astype(str).to_numpy() == "intervention") | (cohort["would_start"].to_numpy() == 0)
    return np.where(use_observed, observed, rebuilt)


def _truth_from_potential(cohort: pd.DataFrame, scenario: Scenario, settings: EstimandSettings) -> dict[str, tuple[float, float]]:
    """estimand -> (true value, its Monte Carlo SE) from potential-outcome columns."""
    t0 = cohort["recurrence_day_if_control"].to_numpy(float)
    t1 = cohort["recurrence_day_if_intervention"].to_numpy(float)
    land, tau = settings.landmark_days, settings.tau_days
    diff_land = (t1 > land).astype(float) - (t0 > land).astype(float)
    diff_rmst = np.minimum(t1, tau) - np.minimum(t0, tau)
    adherent = cohort["latent_adherence"].to_numpy(float) >= settings.adherence_threshold
    starter = cohort["would_start"].to_numpy() == 1
    complier = starter if settings.complier == "started" else adherent
    high_dose = _week12_if_offered(cohort, scenario) >= settings.dose_threshold_minutes

    def mean_se(x: np.ndarray) -> tuple[float, float]:
        if len(x) == 0:
            return math.nan, math.nan
        return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.nan

    return {
        "itt_hr": (_cox_limit_hr(t0, t1, scenario), math.nan),
        "itt_landmark_diff": mean_se(diff_land),
        "itt_rmst_diff": mean_se(diff_rmst),
        "per_protocol_hr": (_cox_limit_hr(t0[adherent], t1[adherent], scenario), math.nan),
        "as_treated_hr": (_cox_limit_hr(t0[high_dose], t1[high_dose], scenario), math.nan),
        "cace_landmark_diff": mean_se(diff_land[complier]),
        "cace_rmst_diff": mean_se(diff_rmst[complier]),
    }


@lru_cache(maxsize=8)
def _population(scenario: Scenario, size: int) -> pd.DataFrame:
    population = simulate_trial(scenario_for_size(scenario, size), seed=TRUTH_SEED, potential_outcomes=True)
    keep = ["arm", "baseline_walking_minutes", "walking_minutes_week12", "recurrence_day_if_control",
            "recurrence_day_if_intervention", "would_start", "latent_adherence"]
    return population[keep]


@lru_cache(maxsize=32)
def _true_cached(scenario: Scenario, settings: EstimandSettings, size: int) -> tuple:
    truth = _truth_from_potential(_population(scenario, size), scenario, settings)
    return tuple((key, *truth[key]) for key in ESTIMANDS)


def true_estimands(scenario: Scenario, settings: EstimandSettings | None = None, *,
                   population_size: int = DEFAULT_POPULATION, **overrides: Any) -> pd.DataFrame:
    """True value of every estimand from a large simulated population's potential outcomes.

    Returns
    -------
    DataFrame
        ``estimand``, ``label``, ``scale`` ("hr" or "difference"), ``truth`` and ``truth_mcse``
        (Monte Carlo SE of the truth itself; NaN for hazard ratios), one row per estimand.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> t = true_estimands(default_scenario(), population_size=20_000).set_index("estimand")
    >>> bool(0.6 < t.loc["itt_hr", "truth"] < 0.85)
    True
    """
    settings = _settings(settings, overrides)
    settings.check_against(scenario)
    if isinstance(population_size, bool) or not isinstance(population_size, (int, np.integer)) \
            or not 1_000 <= population_size <= 5_000_000:
        raise WalkBackInputError(f"population_size = {population_size!r} must be a whole number from 1,000 to 5,000,000")
    rows = _true_cached(scenario, settings, int(population_size))
    return pd.DataFrame([{"estimand": key, "label": ESTIMANDS[key][0], "scale": ESTIMANDS[key][1],
                          "truth": value, "truth_mcse": se} for key, value, se in rows])


# --------------------------------------------------------------------------- the estimators
def _estimate_rows(cohort: pd.DataFrame, settings: EstimandSettings) -> tuple[dict[str, tuple[float, float, int]], float]:
    """estimand -> (estimate on the analysis scale, se, participants used); and the complier share."""
    arm = cohort["arm"].astype(str).to_numpy()
    is_int = arm == "intervention"
    time = cohort["time_days"].to_numpy(float)
    event = cohort["recurrence"].to_numpy().astype(bool)
    adherence = cohort["adherence"].to_numpy(float)
    started = cohort["started_programme"].to_numpy().astype(bool)
    walk12 = cohort["walking_minutes_week12"].to_numpy(float)
    land, tau = settings.landmark_days, settings.tau_days
    n_all = len(time)
    out: dict[str, tuple[float, float, int]] = {}

    out["itt_hr"] = (*_cox_hr(time, event, is_int), n_all)
    k1 = km_landmark_rmst(time[is_int], event[is_int], land, tau)
    k0 = km_landmark_rmst(time[~is_int], event[~is_int], land, tau)
    out["itt_landmark_diff"] = (k1.surv - k0.surv, math.sqrt(k1.var_surv + k0.var_surv), n_all)
    out["itt_rmst_diff"] = (k1.rmst - k0.rmst, math.sqrt(k1.var_rmst + k0.var_rmst), n_all)

    adherent = is_int & (np.nan_to_num(adherence, nan=-1.0) >= settings.adherence_threshold)
    pp = adherent | ~is_int
    out["per_protocol_hr"] = (*_cox_hr(time[pp], event[pp], adherent[pp]), int(pp.sum()))
    high = walk12 >= settings.dose_threshold_minutes
    out["as_treated_hr"] = (*_cox_hr(time, event, high), n_all)

    # Wald / IV estimator; complier share from the intervention arm (controls cannot get the programme).
    complied = (started if settings.complier == "started" else adherent)[is_int].astype(float)
    n1 = len(complied)
    share = float(complied.mean()) if n1 else math.nan
    psi_share = (complied - share) / n1 if n1 else np.zeros(0)
    var_share = float(np.sum(psi_share ** 2))  # share (1 - share) / n1
    for key, diff, var1, var0, psi1 in (
            ("cace_landmark_diff", k1.surv - k0.surv, k1.var_surv, k0.var_surv, k1.psi_surv),
            ("cace_rmst_diff", k1.rmst - k0.rmst, k1.var_rmst, k0.var_rmst, k1.psi_rmst)):
        if not share > 0:
            out[key] = (math.nan, math.nan, n_all)
            continue
        effect = diff / share
        # Delta method for diff / share: the intervention arm's KM estimate and the complier
        # share are correlated (compliers recur differently), the control arm is independent.
        cov_share = float(np.sum(psi1 * psi_share))
        var = (var1 + var0 - 2.0 * effect * cov_share + effect ** 2 * var_share) / share ** 2
        out[key] = (effect, math.sqrt(max(var, 0.0)), n_all)
    return out, share


@dataclass(frozen=True)
class EstimandResult:
    """Estimates with confidence intervals next to the truth, for one trial.

    Attributes
    ----------
    summary : DataFrame
        One row per estimand: ``estimand``, ``label``, ``scale``, ``estimate``, ``lower``,
        ``upper`` (CI at ``settings.level``), ``se`` (log scale for hazard ratios), ``truth``
        (population value), ``truth_mcse``, ``sample_truth`` (this trial's participants; NaN
        without potential outcomes), ``bias`` (estimate - truth; log scale for hazard ratios),
        ``covers`` (the CI contains the truth) and ``n_used``.
    complier_share : float
        Share of compliers observed in the intervention arm.
    settings : EstimandSettings
    """

    summary: pd.DataFrame
    complier_share: float
    settings: EstimandSettings

    def to_dict(self) -> dict:
        records = self.summary.astype(object).where(self.summary.notna(), None).to_dict(orient="records")
        return {"complier_share": _none(self.complier_share), "settings": _settings_dict(self.settings),
                "estimands": records}


def _none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _settings_dict(settings: EstimandSettings) -> dict:
    return {name: getattr(settings, name) for name in EstimandSettings.__dataclass_fields__}


def _result_frame(estimates: dict, truth: pd.DataFrame, sample: dict | None, settings: EstimandSettings) -> pd.DataFrame:
    z = settings.z
    truth_by = truth.set_index("estimand")
    rows = []
    for key, (label, scale) in ESTIMANDS.items():
        est, se, n_used = estimates[key]
        true_value = float(truth_by.loc[key, "truth"])
        if scale == "hr":
            estimate, lower, upper = math.exp(est), math.exp(est - z * se), math.exp(est + z * se)
            bias = est - math.log(true_value) if true_value > 0 else math.nan
        else:
            estimate, lower, upper = est, est - z * se, est + z * se
            bias = est - true_value
        rows.append({
            "estimand": key, "label": label, "scale": scale, "estimate": estimate, "lower": lower, "upper": upper,
            "se": se, "truth": true_value, "truth_mcse": float(truth_by.loc[key, "truth_mcse"]),
            "sample_truth": sample[key][0] if sample else math.nan, "bias": bias,
            "covers": bool(lower <= true_value <= upper) if math.isfinite(se) else False, "n_used": n_used,
        })
    return pd.DataFrame(rows)


def estimate_estimands(cohort: pd.DataFrame, scenario: Scenario, settings: EstimandSettings | None = None, *,
                       population_size: int = DEFAULT_POPULATION, **overrides: Any) -> EstimandResult:
    """Every estimator of the module for one simulated trial, with the truth.

    Parameters
    ----------
    cohort : DataFrame
        From :func:`analysis.simulate.engine.simulate_trial`; with ``potential_outcomes=True`` the
        ``sample_truth`` column is filled too.
    scenario : Scenario
        The scenario that generated the cohort (defines the population truth and the censoring).
    settings : EstimandSettings, optional
        Thresholds, landmark, horizon, complier definition; keyword overrides are accepted too,
        e.g. ``adherence_threshold=0.8``.

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> s = default_scenario()
    >>> r = estimate_estimands(simulate_trial(s, seed=3, potential_outcomes=True), s, population_size=20_000)
    >>> list(r.summary.estimand[:3])
    ['itt_hr', 'itt_landmark_diff', 'itt_rmst_diff']
    """
    settings = _settings(settings, overrides)
    settings.check_against(scenario)
    required = {"arm", "time_days", "recurrence", "adherence", "started_programme", "walking_minutes_week12"}
    missing = required - set(cohort.columns)
    if missing:
        raise WalkBackInputError(f"the cohort lacks column(s) {', '.join(sorted(missing))}; use a simulated cohort")
    estimates, share = _estimate_rows(cohort, settings)
    truth = true_estimands(scenario, settings, population_size=population_size)
    sample = None
    if "recurrence_day_if_control" in cohort.columns:
        sample = _truth_from_potential(cohort, scenario, settings)
    return EstimandResult(_result_frame(estimates, truth, sample, settings), share, settings)


# --------------------------------------------------------------------------- across replicates
@dataclass(frozen=True)
class EstimandReplicates:
    """Estimators over many simulated trials of one scenario.

    Attributes
    ----------
    per_replicate : DataFrame
        Long format: ``replicate``, ``trial_seed``, ``estimand``, ``estimate``, ``lower``, ``upper``,
        ``se``, ``truth``, ``bias``, ``covers``.
    summary : DataFrame
        Per estimand: ``truth`` and ``truth_mcse``, ``mean_estimate`` (geometric mean for hazard ratios), ``bias``
        (mean of estimate - truth, log scale for HRs) and ``bias_mcse``, ``empirical_se`` (SD of
        the estimates), ``mean_se`` (mean model SE), ``coverage`` and ``coverage_mcse``,
        ``n_replicates`` (replicates with a finite estimate).
    """

    per_replicate: pd.DataFrame
    summary: pd.DataFrame
    settings: EstimandSettings
    n_replicates: int
    seed: int

    def to_dict(self) -> dict:
        summary = self.summary.astype(object).where(self.summary.notna(), None).to_dict(orient="records")
        return {"n_replicates": self.n_replicates, "seed": self.seed, "settings": _settings_dict(self.settings),
                "summary": summary}


def _estimand_chunk(scenario: Scenario, seed: int, start: int, count: int, settings: EstimandSettings) -> dict:
    from .replicates import replicate_seed

    keys = list(ESTIMANDS)
    est = np.full((count, len(keys)), np.nan)
    ses = np.full((count, len(keys)), np.nan)
    seeds = np.empty(count, dtype=np.int64)
    for j in range(count):  # one trial at a time: each needs its own subgroups and potential outcomes
        seeds[j] = replicate_seed(seed, start + j)
        cohort = simulate_trial(scenario, seed=int(seeds[j]))
        rows, _ = _estimate_rows(cohort, settings)
        for k, key in enumerate(keys):
            est[j, k], ses[j, k] = rows[key][0], rows[key][1]
    return {"start": start, "seeds": seeds, "estimate": est, "se": ses}


def estimand_replicates(scenario: Scenario, n_replicates: int, seed: int, settings: EstimandSettings | None = None, *,
                        executor: Executor | None = None, progress: Callable[[int, int], None] | None = None,
                        chunk_size: int = 50, population_size: int = DEFAULT_POPULATION,
                        **overrides: Any) -> EstimandReplicates:
    """Bias, empirical SE and CI coverage of every estimator over ``n_replicates`` simulated trials.

    Replicate ``i`` is ``simulate_trial(scenario, seed=replicate_seed(seed, i))`` whatever the
    executor or chunking (see :mod:`analysis.studies.replicates`).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> r = estimand_replicates(default_scenario(), 4, seed=1, population_size=20_000)
    >>> int(r.summary.set_index("estimand").loc["itt_hr", "n_replicates"])
    4
    """
    from .replicates import check_replicates, check_seed, map_replicate_chunks

    settings = _settings(settings, overrides)
    settings.check_against(scenario)
    n_replicates = check_replicates(n_replicates)
    seed = check_seed(seed)
    truth = true_estimands(scenario, settings, population_size=population_size).set_index("estimand")
    parts = map_replicate_chunks(_estimand_chunk, n_replicates, chunk_size, executor, progress,
                                 args=(scenario, seed), kwargs={"settings": settings})
    est = np.concatenate([p["estimate"] for p in parts])
    ses = np.concatenate([p["se"] for p in parts])
    seeds = np.concatenate([p["seeds"] for p in parts])
    z = settings.z
    frames, summary_rows = [], []
    for k, (key, (label, scale)) in enumerate(ESTIMANDS.items()):
        true_value = float(truth.loc[key, "truth"])
        e, s = est[:, k], ses[:, k]
        lo, hi = e - z * s, e + z * s
        true_scaled = math.log(true_value) if scale == "hr" else true_value
        covers = (lo <= true_scaled) & (true_scaled <= hi)
        shown = np.exp if scale == "hr" else (lambda x: x)
        frames.append(pd.DataFrame({
            "replicate": np.arange(n_replicates), "trial_seed": seeds, "estimand": key, "estimate": shown(e),
            "lower": shown(lo), "upper": shown(hi), "se": s, "truth": true_value, "bias": e - true_scaled,
            "covers": covers & np.isfinite(s)}))
        ok = np.isfinite(e) & np.isfinite(s)
        m = int(ok.sum())
        cov = float(covers[ok].mean()) if m else math.nan
        summary_rows.append({
            "estimand": key, "label": label, "scale": scale, "truth": true_value,
            "truth_mcse": float(truth.loc[key, "truth_mcse"]),
            "mean_estimate": float(shown(e[ok].mean())) if m else math.nan,
            "bias": float(e[ok].mean() - true_scaled) if m else math.nan,
            "bias_mcse": float(e[ok].std(ddof=1) / math.sqrt(m)) if m > 1 else math.nan,
            "empirical_se": float(e[ok].std(ddof=1)) if m > 1 else math.nan,
            "mean_se": float(s[ok].mean()) if m else math.nan,
            "coverage": cov, "coverage_mcse": math.sqrt(cov * (1 - cov) / m) if m else math.nan,
            "n_replicates": m,
        })
    return EstimandReplicates(pd.concat(frames, ignore_index=True), pd.DataFrame(summary_rows), settings,
                              n_replicates, seed)
