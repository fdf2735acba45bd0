"""Calibration: solve a scenario's free outcome parameters so it reproduces the published trial.

Sits before simulation. Given any choice of adherence, walking and dose-response *assumptions*,
:func:`calibrate` solves

- the baseline hazard (Weibull scale and shape; exponential scale; or the level and trend of a
  piecewise-exponential hazard),
- the strength of the walking effect (``log_hr_per_100_min`` or ``emax``; the education hazard
  ratio when walking is assumed to have no effect),
- the annual loss to follow-up (unpublished; it sets how many recurrences are observed),

so that, on expectation, the control median is 112 days, the intervention median 208 days, the
ITT Cox hazard ratio 0.72 and the number of recurrences about 506 (derived from the HR's CI).

The published figures were computed on whole-day data (days to recurrence, from monthly
self-report), and the simulator records whole days: a latent continuous time ``u`` becomes day
``floor(u) + 1`` (see :mod:`analysis.simulate.engine`). So the targets are the *expected whole-day*
figures. The whole-day Kaplan-Meier curve at day ``d`` is the latent ``S(d)``, and its median (the
smallest day with ``S(d) <= 0.5``) is ``ceil(m)`` for the latent median ``m``; the calibration aims
``m`` at the middle of the day the published median names (111.5 for 112, 207.5 for 208), so the
expected whole-day median is the published one with half a day's margin on each side. The hazard
ratio's target is the large-sample limit of Efron's estimate on whole-day data; for this endpoint
ties are few and that limit (:func:`cox_limit_hr` with ``ties="efron"`` on the daily grid) differs
from the continuous-time limit by 2e-8 relative (default scenario, measured), so the solve uses the
continuous-time limit on a coarse grid, six times cheaper. The recovery endpoint, whose ties are
massive, is calibrated on the Efron limit (:mod:`analysis.model.episodes`).

"On expectation" is computed exactly, not by simulation: the arms' survival curves are averages
over a fixed quasi-random sample of participants' traits, and the Cox hazard ratio is the
large-sample limit of the partial-likelihood estimate under the trial's censoring (it is a
weighted average of the time-varying hazard ratio, so it depends on follow-up).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .hazard import (
    N_LATENT_COLUMNS,
    BaselineHazard,
    cumulative_hazard_on_grid,
    dose_pieces,
    latent_from_uniforms,
    week12_fraction,
)
from ..trial.published import DATA_DIR, published_figures
from ..trial.scenario import Scenario, scenario_from_dict, with_changes

if TYPE_CHECKING:  # pandas is imported where a table is built: Monte Carlo workers never load it
    import pandas as pd

__all__ = ["ExpectedTrial", "CalibrationReport", "expected_trial", "calibrate", "calibrated_fields",
           "compare_with_published", "censoring_survival", "cox_limit_hr", "time_grid", "quasi_uniforms", "grid_median",
           "whole_day_median", "day_grid", "default_scenario", "TOLERANCE"]

#: A target counts as met when achieved within this relative distance (events: 3%).
TOLERANCE = 0.01
EVENTS_TOLERANCE = 0.03
_N_LATENT = 2048
_LATENT_SEED = 20240704


@lru_cache(maxsize=1)
def quasi_uniforms() -> np.ndarray:
    from scipy.stats import qmc  # imported here: scipy.stats costs 0.6 s at start-up

    sampler = qmc.Sobol(d=N_LATENT_COLUMNS, scramble=True, seed=_LATENT_SEED)
    u = sampler.random(_N_LATENT)
    return np.clip(u, 1e-9, 1 - 1e-9)


def time_grid(max_days: float) -> np.ndarray:
    # 4-day steps cover the medians (error < 0.01 day against 1-day steps), then 10-day steps.
    early = np.arange(0.0, 400.0, 4.0)
    late = np.arange(400.0, max_days, 10.0)
    return np.unique(np.concatenate([early, late, [max_days]]))


def day_grid(max_days: float) -> np.ndarray:
    """Whole days 0, 1, ..., ``floor(max_days) + 1``: the days a simulated time can take (see the engine).

    Step ``d`` of the grid is day ``d`` of the trial (latent times in ``[d - 1, d)``): empirical
    whole-day curves jump on it and Efron's ties are its steps (``cox_limit_hr(..., ties="efron")``).

    Examples
    --------
    >>> g = day_grid(36 * 365.25 / 12)
    >>> float(g[0]), float(g[1]), float(g[-1])
    (0.0, 1.0, 1096.0)
    """
    return np.arange(0.0, math.floor(max_days) + 2.0)


def whole_day_median(latent_median: float) -> float:
    """The whole-day Kaplan-Meier median implied by a latent continuous median ``m``: ``ceil(m)`` (at least day 1).

    With times recorded as day ``floor(u) + 1``, the whole-day survival at day ``d`` is the latent
    ``S(d)``, so the smallest day with ``S(d) <= 0.5`` is ``ceil(m)``. (When ``m`` is a whole
    number, ``S(m) = 0.5`` exactly and R's rule would average ``m`` and ``m + 1``; that has
    probability zero for a fitted model and is not modelled.)

    Examples
    --------
    >>> whole_day_median(111.5), whole_day_median(0.2), whole_day_median(math.inf)
    (112.0, 1.0, inf)
    """
    if not math.isfinite(latent_median):
        return math.inf
    return float(max(1, math.ceil(latent_median)))


@dataclass(frozen=True)
class ExpectedTrial:
    """What a scenario implies on expectation (no sampling error).

    Attributes
    ----------
    times : ndarray
        Days since randomisation.
    survival_control, survival_intervention : ndarray
        Population recurrence-free curves of each arm at ``times``.
    median_control, median_intervention : float
        Expected whole-day Kaplan-Meier medians, days (``inf`` when the curve never reaches 0.5
        within follow-up): ``ceil`` of the latent medians (:func:`whole_day_median`).
    latent_median_control, latent_median_intervention : float
        Medians of the latent continuous times (what the calibration solves, aiming at the middle
        of the published day).
    cox_hr : float
        Large-sample limit of the ITT Cox hazard ratio under the design's censoring (continuous-time
        limit; Efron's on whole-day data differs by about 2e-8 relative, see the module docstring).
    events_control, events_intervention : float
        Expected recurrences observed under the design's censoring and sample size.
    walking_week12_intervention : float
        Mean walking minutes per week in week 12, intervention arm.
    """

    times: np.ndarray = field(repr=False)
    survival_control: np.ndarray = field(repr=False)
    survival_intervention: np.ndarray = field(repr=False)
    censoring_survival: np.ndarray = field(repr=False)
    median_control: float
    median_intervention: float
    latent_median_control: float
    latent_median_intervention: float
    cox_hr: float
    events_control: float
    events_intervention: float
    walking_week12_intervention: float

    @property
    def events_total(self) -> float:
        return self.events_control + self.events_intervention

    def survival_at(self, day: float, arm: str) -> float:
        curve = self.survival_intervention if arm == "intervention" else self.survival_control
        return float(np.interp(day, self.times, curve))

    def rmst(self, tau: float, arm: str) -> float:
        """Restricted mean recurrence-free time up to ``tau`` days."""
        curve = self.survival_intervention if arm == "intervention" else self.survival_control
        grid = np.unique(np.concatenate([self.times[self.times < tau], [tau]]))
        values = np.interp(grid, self.times, curve)
        return float(np.sum(0.5 * (values[1:] + values[:-1]) * np.diff(grid)))


def grid_median(times: np.ndarray, surv: np.ndarray) -> float:
    below = np.flatnonzero(surv <= 0.5)
    if below.size == 0:
        return math.inf
    j = below[0]
    if j == 0:
        return float(times[0])
    s0, s1 = surv[j - 1], surv[j]
    if s0 == s1:
        return float(times[j])
    # Linear in log survival between grid points (exact for a constant hazard on the step).
    w = (math.log(s0) - math.log(0.5)) / (math.log(s0) - math.log(max(s1, 1e-300)))
    return float(times[j - 1] + w * (times[j] - times[j - 1]))


def _refine_median(times: np.ndarray, surv: np.ndarray, curve, rounds: int = 3, points: int = 17) -> float:
    """Median from the grid, then narrowed on the exact curve (bracket / 16 per round)."""
    rough = grid_median(times, surv)
    if not math.isfinite(rough):
        return rough
    j = int(np.searchsorted(times, rough))
    lo, hi = float(times[max(j - 1, 0)]), float(times[min(j, len(times) - 1)])
    if hi <= lo:
        return rough
    for _ in range(rounds):
        grid = np.linspace(lo, hi, points)
        values = curve(grid)
        k = int(np.flatnonzero(values <= 0.5)[0]) if np.any(values <= 0.5) else points - 1
        k = max(k, 1)
        lo, hi = float(grid[k - 1]), float(grid[k])
    return grid_median(np.array([lo, hi]), curve(np.array([lo, hi])))


def censoring_survival(scenario: Scenario, times: np.ndarray) -> np.ndarray:
    """P(still under follow-up at day t): uniform accrual, fixed end date, maximum follow-up, loss.

    Examples
    --------
    >>> g = censoring_survival(default_scenario(), np.array([0.0, 400.0, 1100.0]))
    >>> float(g[0]), bool(0 < g[1] < 1), float(g[2])
    (1.0, True, 0.0)
    """
    design = scenario.design
    window = design.recruitment_days + 1.0
    admin = np.clip((design.study_days - times) / window, 0.0, 1.0)
    admin = np.where(times >= design.max_followup_days, 0.0, admin)
    if design.annual_loss_to_followup > 0:
        rate = -math.log1p(-design.annual_loss_to_followup) / 365.25
        admin = admin * np.exp(-rate * times)
    return admin


def cox_limit_hr(survival0: np.ndarray, survival1: np.ndarray, censoring: np.ndarray, *, n0: float = 1.0,
                 n1: float = 1.0, at_risk: str = "midpoint", ties: str = "none") -> float:
    """Large-sample limit of the Cox hazard ratio of arm 1 vs arm 0 under a censoring distribution.

    Solves the limiting partial-likelihood score equation
    ``sum_t G(t) [n1 dF1(t) - w(t) (n0 dF0(t) + n1 dF1(t))] = 0`` with
    ``w = n1 e^b Y1 / (n0 Y0 + n1 e^b Y1)`` over the steps of a time grid, G taken at each
    step's mid-point. When hazards are not proportional this, not an uncensored fit, is what a
    trial's Cox estimate converges to. The one Cox-limit solver: :func:`expected_trial` and the
    estimand truths of :mod:`analysis.studies.estimands` call it.

    Parameters
    ----------
    survival0, survival1 : numpy.ndarray
        Survival of each arm on a common increasing time grid.
    censoring : numpy.ndarray
        P(still under follow-up) on the same grid (:func:`censoring_survival`).
    n0, n1 : float
        Allocation (participants per arm; only the ratio matters).
    at_risk : {"midpoint", "start"}
        Y on a step: the mean of its two ends (smooth population curves on a coarse grid) or its
        start (empirical step curves whose jumps fall on the grid points, e.g. whole days).
    ties : {"none", "efron"}
        "none": the times are continuous (no ties; the limit above). "efron": every step of the
        grid is one recorded time (whole days: all events of day ``d`` are tied at ``d``) and the
        estimate is Efron's (R's default). Per step, with at-risk totals ``A0 = n0 G Y0 + A1``,
        ``A1 = n1 G Y1 e^b`` (G and Y at the step's start) and expected events ``E0 = n0 G dF0 +
        E1``, ``E1 = n1 G dF1 e^b`` (G at the mid-point), Efron's sum over the ``D`` tied events
        ``(1/D) sum_k (A1 - k/D E1) / (A0 - k/D E0)`` tends, as the trial grows, to the integral
        ``int_0^1 (A1 - s E1) / (A0 - s E0) ds = r + (A1/A0 - r) L(E0/A0)`` with ``r = E1/E0``
        and ``L(x) = -log(1 - x) / x`` (closed form, no quadrature). It is the large-sample limit
        of a Cox (Efron) fit to whole-day data; with few events per step it equals the continuous
        limit, with many (recovery: medians of 3 and 4 days) it is what R's estimate converges to.

    Returns
    -------
    float
        The hazard ratio; NaN when the score has no root for |log HR| <= 8.

    Examples
    --------
    >>> t = np.arange(0.0, 366.0)
    >>> round(cox_limit_hr(np.exp(-t / 100), np.exp(-0.7 * t / 100), np.ones_like(t)), 4)
    0.7
    """
    s0 = np.asarray(survival0, dtype=float)
    s1 = np.asarray(survival1, dtype=float)
    g = np.asarray(censoring, dtype=float)
    if ties not in ("none", "efron"):
        raise ValueError(f"ties must be 'none' or 'efron', not {ties!r}")
    if at_risk == "midpoint" and ties == "none":
        y0, y1 = 0.5 * (s0[:-1] + s0[1:]), 0.5 * (s1[:-1] + s1[1:])
    elif at_risk in ("start", "midpoint"):  # tied steps: at risk = still event-free at the step's start
        y0, y1 = s0[:-1], s1[:-1]
    else:
        raise ValueError(f"at_risk must be 'midpoint' or 'start', not {at_risk!r}")
    d0 = s0[:-1] - s0[1:]
    d1 = s1[:-1] - s1[1:]
    gm = 0.5 * (g[:-1] + g[1:])
    g_start = g[:-1] if ties == "efron" else gm
    keep = (gm > 0) & (n0 * y0 + n1 * y1 > 0)
    d0, d1, y0, y1, gm, g_start = d0[keep], d1[keep], y0[keep], y1[keep], gm[keep], g_start[keep]

    def score(beta: float) -> float:
        w = n1 * math.exp(beta) * y1 / (n0 * y0 + n1 * math.exp(beta) * y1)
        if ties == "efron":
            e1 = n1 * math.exp(beta) * d1 * gm
            e0 = n0 * d0 * gm + e1
            a0 = g_start * (n0 * y0 + n1 * math.exp(beta) * y1)
            x = np.clip(np.divide(e0, a0, out=np.zeros_like(e0), where=a0 > 0), 0.0, 1.0 - 1e-15)
            r = np.divide(e1, e0, out=w.copy(), where=e0 > 0)
            safe = np.where(x > 1e-8, x, 0.5)  # any value in (0, 1): only used where x > 1e-8
            stretch = np.where(x > 1e-8, -np.log1p(-safe) / safe, 1.0 + 0.5 * x)  # L(x) = -log(1 - x) / x
            w = r + (w - r) * stretch
        return float(np.sum(gm * (n1 * d1 - w * (n0 * d0 + n1 * d1))))

    lo, hi = -8.0, 8.0
    if score(lo) * score(hi) > 0:
        return math.nan
    from scipy import optimize  # only when solving: scipy.optimize costs 0.3 s at start-up

    return math.exp(optimize.brentq(score, lo, hi, xtol=1e-12))


def expected_trial(scenario: Scenario) -> ExpectedTrial:
    """The scenario's expected curves, medians, Cox HR and events (deterministic).

    Examples
    --------
    >>> e = expected_trial(default_scenario())
    >>> round(e.median_control), round(e.median_intervention), round(e.cox_hr, 2)
    (112, 208, 0.72)
    """
    latent = latent_from_uniforms(scenario, quasi_uniforms())
    dose = scenario.dose_response
    pieces = dose_pieces(scenario.walking)
    baseline = BaselineHazard.from_outcome(scenario.outcome)
    times = time_grid(scenario.design.max_followup_days)
    starters = latent.starts

    def curves(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Population survival of each arm at times ``t`` (exact mixture over the latent sample)."""
        surv_off = np.exp(-cumulative_hazard_on_grid(t, latent.risk, None, 1.0, dose, pieces, baseline,
                                                     constant_extra=latent.spontaneous_extra))
        total = surv_off[~starters].sum(axis=0)
        if starters.any():
            h_on = cumulative_hazard_on_grid(t, latent.risk[starters], latent.plateau_extra[starters],
                                             dose.education_hr, dose, pieces, baseline)
            total = total + np.exp(-h_on).sum(axis=0)
        return surv_off.mean(axis=0), total / len(latent.risk)

    s0, s1 = curves(times)  # at whole days d, S(d) is also the expected whole-day KM curve
    g = censoring_survival(scenario, times)
    n0, n1 = float(scenario.design.n_control), float(scenario.design.n_intervention)
    gm = 0.5 * (g[:-1] + g[1:])
    events0 = n0 * float(np.sum(gm * (s0[:-1] - s0[1:])))
    events1 = n1 * float(np.sum(gm * (s1[:-1] - s1[1:])))
    frac12 = week12_fraction(pieces)
    walk12 = np.where(latent.starts, latent.baseline_minutes + latent.plateau_extra * frac12,
                      latent.baseline_minutes + latent.spontaneous_extra)
    latent0 = _refine_median(times, s0, lambda t: curves(t)[0])
    latent1 = _refine_median(times, s1, lambda t: curves(t)[1])
    return ExpectedTrial(
        times=times, survival_control=s0, survival_intervention=s1, censoring_survival=g,
        median_control=whole_day_median(latent0), median_intervention=whole_day_median(latent1),
        latent_median_control=latent0, latent_median_intervention=latent1,
        cox_hr=cox_limit_hr(s0, s1, g, n0=n0, n1=n1), events_control=events0, events_intervention=events1,
        walking_week12_intervention=float(walk12.mean()),
    )


# --------------------------------------------------------------------------- the solve
@dataclass(frozen=True)
class CalibrationReport:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    scenario : Scenario
        The input scenario with the free parameters solved.
    expected : ExpectedTrial
        What the calibrated scenario implies.
    summary : pandas.DataFrame
        One row per target: ``target``, ``published``, ``achieved``, ``relative_residual``,
        ``met``, ``kind`` ("published", "derived" or "not published") and ``role`` ("target", "check", or
        "implied" for unpublished figures the model implies).
    free_parameters : dict
        Solved parameter -> value.
    message : str
        Plain-language verdict, including why a target cannot be met when it cannot.
    """

    scenario: Scenario
    expected: ExpectedTrial
    summary: pd.DataFrame
    free_parameters: dict
    converged: bool
    message: str

    def to_dict(self) -> dict:
        return {
            "converged": self.converged,
            "message": self.message,
            "free_parameters": dict(self.free_parameters),
            "targets": self.summary.replace({np.nan: None}).to_dict(orient="records"),
            "scenario": self.scenario.to_dict(),
        }


def _free_parameters(scenario: Scenario, fit_loss_to_followup: bool):
    """(names, x0, lower, upper, apply) for the scenario's families."""
    outcome, dose = scenario.outcome, scenario.dose_response
    names: list[str] = []
    x0: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    if outcome.baseline == "weibull":
        names += ["outcome.scale_days", "outcome.shape"]
        x0 += [math.log(outcome.scale_days), math.log(outcome.shape)]
        lo += [math.log(1.0), math.log(0.1)]
        hi += [math.log(100_000.0), math.log(5.0)]
    elif outcome.baseline == "exponential":
        names += ["outcome.scale_days"]
        x0 += [math.log(outcome.scale_days)]
        lo += [math.log(1.0)]
        hi += [math.log(100_000.0)]
    else:
        names += ["piecewise.level", "piecewise.trend"]
        mids = _piece_mids(outcome.piece_starts_days)
        hz = np.asarray(outcome.piece_hazards_per_day)
        slope = float(np.polyfit(np.log(mids / 30.0), np.log(hz), 1)[0]) if len(hz) > 1 else 0.0
        x0 += [float(np.mean(np.log(hz))), min(max(slope, -2.5), 1.5)]
        lo += [math.log(1e-6), -3.0]
        hi += [math.log(1.0), 2.0]
    if dose.shape == "log_linear":
        names.append("dose_response.log_hr_per_100_min")
        x0.append(min(max(dose.log_hr_per_100_min, -4.9), 4.9))
        lo.append(-5.0)
        hi.append(5.0)
    elif dose.shape == "emax":
        names.append("dose_response.emax")
        x0.append(min(max(dose.emax, 0.01), 0.99))
        lo.append(0.0)
        hi.append(1.0)
    else:
        names.append("dose_response.education_hr")
        x0.append(math.log(dose.education_hr))
        lo.append(math.log(0.05))
        hi.append(math.log(5.0))
    if fit_loss_to_followup:
        names.append("design.annual_loss_to_followup")
        x0.append(min(max(scenario.design.annual_loss_to_followup, 0.001), 0.5))
        lo.append(0.0)
        hi.append(0.6)
    return names, np.array(x0), np.array(lo), np.array(hi)


def calibrated_fields(scenario: Scenario, *, fit_loss_to_followup: bool = True) -> tuple[str, ...]:
    """The scenario fields :func:`calibrate` solves for this scenario's hazard family and dose-response shape.

    Examples
    --------
    >>> calibrated_fields(Scenario())
    ('outcome.scale_days', 'outcome.shape', 'dose_response.log_hr_per_100_min', 'design.annual_loss_to_followup')
    """
    names = _free_parameters(scenario, fit_loss_to_followup)[0]
    out = ["outcome.piece_hazards_per_day" if n.startswith("piecewise.") else n for n in names]
    return tuple(dict.fromkeys(out))


def _piece_mids(starts) -> np.ndarray:
    starts = np.asarray(starts, dtype=float)
    ends = np.append(starts[1:], starts[-1] + max(365.0, starts[-1] - (starts[-2] if len(starts) > 1 else 0.0)))
    return 0.5 * (starts + ends) + 1.0


def _apply(scenario: Scenario, names: list[str], x: np.ndarray) -> Scenario:
    changes: dict = {}
    level = trend = None
    for name, value in zip(names, x):
        if name in ("outcome.scale_days", "outcome.shape"):
            changes[name] = float(math.exp(value))
        elif name == "dose_response.education_hr":
            changes[name] = float(min(max(math.exp(value), 0.05), 5.0))
        elif name == "piecewise.level":
            level = value
        elif name == "piecewise.trend":
            trend = value
        else:
            changes[name] = float(value)
    if level is not None:
        mids = _piece_mids(scenario.outcome.piece_starts_days)
        hz = np.exp(level + trend * (np.log(mids / 30.0) - np.mean(np.log(mids / 30.0))))
        changes["outcome.piece_hazards_per_day"] = tuple(float(min(max(h, 1e-7), 1.0)) for h in hz)
    return with_changes(scenario, changes)


def _targets():
    figs = published_figures()
    return (figs["median_days_control"].value, figs["median_days_intervention"].value,
            figs["hazard_ratio"].value, figs["events_total"].value)


def _scaled_events_target(scenario: Scenario) -> float:
    figs = published_figures()
    return figs["events_total"].value * scenario.design.n_total / figs["n_randomised"].value


def _residuals(expected: ExpectedTrial, events_target: float) -> np.ndarray:
    med0, med1, hr, _ = _targets()

    def log_ratio(value: float, target: float) -> float:
        if not math.isfinite(value) or value <= 0:
            return 5.0
        return math.log(value / target)

    # Latent medians aim at the middle of the published day (see the module docstring).
    return np.array([
        log_ratio(expected.latent_median_control, med0 - 0.5),
        log_ratio(expected.latent_median_intervention, med1 - 0.5),
        log_ratio(expected.cox_hr, hr) if math.isfinite(expected.cox_hr) else 5.0,
        (expected.events_total - events_target) / events_target,
    ])


def calibrate(scenario: Scenario | None = None, *, fit_loss_to_followup: bool = True,
              episodes: bool = True) -> CalibrationReport:
    """Solve the free parameters of ``scenario`` against the published results.

    Parameters
    ----------
    scenario : Scenario, optional
        The assumptions (adherence, walking, dose-response shape, hazard family, design). Its
        current free-parameter values are only the starting point. Defaults to ``Scenario()``.
    fit_loss_to_followup : bool
        Solve the annual loss to follow-up so the expected number of recurrences matches the
        derived ~506 (scaled to the design's size). If False, keep the scenario's value and report
        the event count as achieved.
    episodes : bool
        Then solve the episode model against the secondary outcomes and harms (see
        :func:`analysis.model.episodes.calibrate_episodes`; the primary solution is not changed);
        their rows join the report.

    Returns
    -------
    CalibrationReport

    Examples
    --------
    >>> report = calibrate(Scenario())
    >>> report.converged
    True
    >>> round(float(report.summary.set_index("target").loc["Cox hazard ratio (ITT)", "achieved"]), 3)
    0.72
    """
    scenario = scenario or Scenario()
    names, x0, lo, hi = _free_parameters(scenario, fit_loss_to_followup)
    events_target = _scaled_events_target(scenario)
    weights = np.array([1.0, 1.0, 1.0, 1.0 if fit_loss_to_followup else 0.25])

    def fun(x: np.ndarray) -> np.ndarray:
        return weights * _residuals(expected_trial(_apply(scenario, names, x)), events_target)

    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    # A cheap start for Weibull scale: put the control median near its target first.
    from scipy import optimize  # only when solving: scipy.optimize costs 0.3 s at start-up

    result = optimize.least_squares(fun, x0, bounds=(lo, hi), method="trf", x_scale="jac",
                                    diff_step=1e-4, xtol=1e-10, ftol=1e-10, gtol=1e-10, max_nfev=200)
    solved = _apply(scenario, names, result.x)
    expected = expected_trial(solved)
    if not episodes:
        return _report(scenario, solved, expected, names, events_target, fit_loss_to_followup)
    from .episodes import calibrate_episodes  # episodes builds on this module's expectations

    solved, _, episode_rows = calibrate_episodes(solved)
    return _report(scenario, solved, expected, names, events_target, fit_loss_to_followup, episode_rows)


def compare_with_published(scenario: Scenario) -> CalibrationReport:
    """How ``scenario`` as it stands matches the published results (nothing is solved).

    Same targets, tolerances and labels as :func:`calibrate`'s report, so a scenario edited by
    hand can be judged against the trial without recalibrating it.

    Examples
    --------
    >>> report = compare_with_published(default_scenario())
    >>> bool(report.converged), report.free_parameters
    (True, {})
    """
    from .episodes import episode_report, expected_episodes  # episodes builds on this module's expectations

    return _report(scenario, scenario, expected_trial(scenario), [], _scaled_events_target(scenario), True,
                   episode_report(scenario, expected_episodes(scenario)))


def _report(original: Scenario, solved: Scenario, expected: ExpectedTrial, names: list[str],
            events_target: float, fit_loss: bool, episode_rows: pd.DataFrame | None = None) -> CalibrationReport:
    import pandas as pd

    figs = published_figures()
    med0, med1, hr, _ = _targets()
    rows = [
        ("Median days to recurrence, control", med0, expected.median_control, "published", "target", TOLERANCE),
        ("Median days to recurrence, intervention", med1, expected.median_intervention, "published", "target", TOLERANCE),
        ("Cox hazard ratio (ITT)", hr, expected.cox_hr, "published", "target", TOLERANCE),
        (f"Recurrences, both arms (n = {solved.design.n_total})", events_target, expected.events_total, "derived",
         "target" if fit_loss else "check", EVENTS_TOLERANCE),
        ("Mean walking in week 12, intervention (min/week)", figs["achieved_walking_week12"].value,
         expected.walking_week12_intervention, "published", "check", 0.10),
    ]
    records = []
    for label, target, achieved, kind, role, tol in rows:
        resid = (achieved - target) / target if math.isfinite(achieved) else math.inf
        records.append({"target": label, "published": float(target), "achieved": float(achieved),
                        "relative_residual": float(resid), "met": bool(abs(resid) <= tol), "kind": kind, "role": role,
                        "tolerance": tol})
    summary = pd.DataFrame(records)
    walk = summary.iloc[-1]
    if episode_rows is not None:
        summary = pd.concat([summary, episode_rows], ignore_index=True)
    targets_met = bool(summary.loc[summary.role == "target", "met"].all())
    free = {name: _read(solved, name) for name in names}
    if episode_rows is not None and names:
        free.update({f"episodes.{f}": getattr(solved.episodes, f) for f in (
            "limiting_threshold", "severity_shift_intervention", "care_education_log_odds", "recovery_scale_days",
            "recovery_shape", "recovery_hr_intervention", "ae_lower_extremity_rate_control",
            "ae_lower_extremity_rate_intervention", "ae_other_rate_control", "ae_other_rate_intervention")})
    messages = []
    if targets_met:
        messages.append("All calibration targets are reproduced on expectation.")
    else:
        missed = summary.loc[(summary.role == "target") & ~summary.met, "target"].tolist()
        messages.append("Not all targets can be met with these assumptions; missed: " + "; ".join(missed) + ".")
        if solved.outcome.baseline == "exponential":
            messages.append(
                "An exponential baseline has a constant hazard, so under proportional hazards the two medians imply "
                f"HR = {med0}/{med1} = {med0 / med1:.2f}, not the published {hr}. The published medians and HR are "
                "consistent only if the recurrence hazard falls over time (Weibull shape about 0.53): choose a "
                "Weibull or piecewise-exponential baseline.")
        if solved.dose_response.shape == "emax" and solved.dose_response.emax >= 0.999:
            messages.append("The Emax curve hit its ceiling (emax = 1): with this adherence and ED50 even a complete "
                            "hazard reduction at high doses cannot produce the published effect.")
        if fit_loss and solved.design.annual_loss_to_followup <= 1e-6:
            messages.append("Loss to follow-up is already zero: the model produces fewer recurrences than derived.")
    if not walk.met:
        messages.append(f"Check: mean walking in week 12 is {walk.achieved:.0f} min/week against the published "
                        f"about {walk.published:.0f}; adjust adherence or baseline walking if that matters to you.")
    return CalibrationReport(scenario=solved, expected=expected, summary=summary, free_parameters=free,
                             converged=targets_met, message=" ".join(messages))


def _read(scenario: Scenario, name: str):
    if name.startswith("piecewise."):
        return list(scenario.outcome.piece_hazards_per_day)
    section, field_name = name.split(".")
    return getattr(getattr(scenario, section), field_name)


DEFAULT_SCENARIO_FILE = DATA_DIR / "default_scenario.json"


@lru_cache(maxsize=1)
def default_scenario() -> Scenario:
    """The calibrated WalkBack scenario: default assumptions, free parameters solved.

    The solved scenario is stored in ``data/default_scenario.json`` together with the assumptions
    it was solved from, so start-up does not pay for the solve and every machine uses the same
    bits. The file is used only while its assumptions equal ``Scenario()``; otherwise the solve
    runs here. ``python -m analysis.model.calibration`` regenerates it; a test checks it against a fresh solve.

    Examples
    --------
    >>> s = default_scenario()
    >>> s.design.n_total, s.outcome.baseline
    (701, 'weibull')
    """
    try:
        stored = json.loads(DEFAULT_SCENARIO_FILE.read_text(encoding="utf-8"))
        if stored.get("assumptions") == Scenario().to_dict():
            return scenario_from_dict(stored["calibrated"])
    except (OSError, ValueError, KeyError):
        pass
    return calibrate(Scenario()).scenario


def write_default_scenario_file() -> Scenario:
    """Solve the default scenario and store it (see :func:`default_scenario`)."""
    solved = calibrate(Scenario()).scenario
    payload = {
        "about": "Calibrated WalkBack scenario, generated by `python -m analysis.model.calibration`; do not edit by hand.",
        "assumptions": Scenario().to_dict(),
        "calibrated": solved.to_dict(),
    }
    DEFAULT_SCENARIO_FILE.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    default_scenario.cache_clear()
    return solved


if __name__ == "__main__":  # pragma: no cover
    write_default_scenario_file()
