"""Exact expectations: what a scenario implies for the trial on expectation, with no sampling error.

Sits after the hazard model and before calibration and simulation. The arms' survival curves are
averages over a fixed quasi-random sample of participants' traits (:func:`quasi_uniforms`) on a time
grid (:func:`time_grid`; :func:`day_grid` for whole days); the censoring the design implies is
:func:`censoring_survival`; the Cox hazard ratio is the large-sample limit of the partial-likelihood
estimate under that censoring (:func:`cox_limit_hr`, a weighted average of the time-varying hazard
ratio, so it depends on follow-up).

The published figures were computed on whole-day data, and the simulator records whole days: a
latent continuous time ``u`` becomes day ``floor(u) + 1`` (see :mod:`analysis.simulate.engine`). The
whole-day Kaplan-Meier curve at day ``d`` is the latent ``S(d)``, and its median is ``ceil(m)`` for the
latent median ``m`` (:func:`whole_day_median`). For the primary endpoint ties are few, and the Efron
limit on the daily grid differs from the continuous-time limit by 2e-8 relative (default scenario,
measured), so :func:`expected_trial` uses the continuous-time limit on a coarse grid, six times cheaper.

Calibration (:mod:`analysis.model.calibration`) and the episode model (:mod:`analysis.model.episodes`)
build on this module; it imports neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .hazard import (
    N_LATENT_COLUMNS,
    BaselineHazard,
    cumulative_hazard_on_grid,
    dose_pieces,
    latent_from_uniforms,
    week12_fraction,
)
from ..trial.scenario import Scenario, clinic_frailty

__all__ = ["ExpectedTrial", "expected_trial", "censoring_survival", "cox_limit_hr", "time_grid", "quasi_uniforms",
           "grid_median", "whole_day_median", "day_grid", "clinic_frailty_nodes"]

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
    >>> from analysis.model.default import default_scenario
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


#: Gauss-Hermite nodes for the clinic frailty: 20 nodes integrate the lognormal mixture of the curves to better than
#: 1e-6 for ICC up to 0.3 (checked against 60 nodes in the tests).
_FRAILTY_NODES = 20


def clinic_frailty_nodes(sigma: float, nodes: int = _FRAILTY_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature of a clinic frailty ``exp(b)``, ``b ~ Normal(-sigma^2 / 2, sigma^2)`` (mean 1): values, weights.

    ``sigma = 0`` (no clinic effect) is the single node 1 with weight 1.

    >>> f, w = clinic_frailty_nodes(0.5)
    >>> round(float(w.sum()), 12), round(float((w * f).sum()), 12)
    (1.0, 1.0)
    """
    if sigma <= 0:
        return np.ones(1), np.ones(1)
    x, w = np.polynomial.hermite.hermgauss(nodes)
    return clinic_frailty(sigma, np.sqrt(2.0) * x), w / np.sqrt(np.pi)  # z = sqrt(2) x under exp(-x^2)


def expected_trial(scenario: Scenario) -> ExpectedTrial:
    """The scenario's expected curves, medians, Cox HR and events (deterministic).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> e = expected_trial(default_scenario())
    >>> round(e.median_control), round(e.median_intervention), round(e.cox_hr, 2)
    (112, 208, 0.72)
    """
    return _expected_trial(scenario.without_seed())


@lru_cache(maxsize=16)
def _expected_trial(scenario: Scenario) -> ExpectedTrial:
    # Cached on the model without its seed: a page that draws a new trial (a new seed) reads its expectation here.
    latent = latent_from_uniforms(scenario, quasi_uniforms())
    dose = scenario.dose_response
    pieces = dose_pieces(scenario.walking)
    baseline = BaselineHazard.from_outcome(scenario.outcome)
    times = time_grid(scenario.design.max_followup_days)
    starters = latent.starts

    frailties, frailty_weights = clinic_frailty_nodes(scenario.clinics.sigma)

    def curves(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Population survival of each arm at times ``t`` (exact mixture over the latent sample and, with a clinic
        effect, over the clinic frailty by Gauss-Hermite quadrature: the marginal curves an unadjusted analysis sees)."""
        s0 = np.zeros(len(t))
        s1 = np.zeros(len(t))
        for frailty, weight in zip(frailties, frailty_weights):
            risk = latent.risk * frailty
            surv_off = np.exp(-cumulative_hazard_on_grid(t, risk, None, 1.0, dose, pieces, baseline,
                                                         constant_extra=latent.spontaneous_extra))
            total = surv_off[~starters].sum(axis=0)
            if starters.any():
                h_on = cumulative_hazard_on_grid(t, risk[starters], latent.plateau_extra[starters],
                                                 dose.education_hr, dose, pieces, baseline)
                total = total + np.exp(-h_on).sum(axis=0)
            s0 += weight * surv_off.mean(axis=0)
            s1 += weight * total / len(latent.risk)
        return s0, s1

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
