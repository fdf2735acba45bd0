"""Back-pain episodes over follow-up: the recurrent-event model, its marks, and its exact expectations.

Sits beside :mod:`analysis.model.hazard` (the simulator draws episodes with it) and after
:mod:`analysis.model.expectation` (whose latent sample, censoring and Cox limit it reuses).
The text between the rules below is the Methods section (Markdown, ready to paste).

----

### Episodes of low back pain over follow-up

**Onsets.** Each participant lives through a sequence of low back pain episodes. The
*activity-limiting* episodes form a point process whose intensity is exactly the calibrated
primary hazard ``h_i(t)`` (Weibull baseline, prognostic history, frailty, adherence and the
time-varying walking dose; see the hazard model). Its first event is the primary endpoint, drawn
exactly as before, so every primary result (medians 112/208 days, HR 0.72, about 506 events) is
unchanged by construction. *Non-limiting* episodes come from a second, independent process with
intensity ``q_i h_i(t)``. Given the participant, both are Poisson processes, so all episodes
together form one Poisson process with intensity ``(1 + q_i) h_i(t)`` in which each episode is
activity-limiting with the same probability ``p_i = 1 / (1 + q_i)`` whenever it happens. This is
the thinning construction read backwards: it keeps the primary endpoint's calibrated distribution
exactly, while the any-recurrence and care-seeking endpoints inherit all of the hazard's structure.

**Severity and marks.** Each episode has a latent severity ``S ~ Normal(mu, 1)``; ``mu = 0`` in
the control arm and for intervention participants who never start, and ``mu =
severity_shift_intervention`` for starters. An episode limits activity when ``S >
limiting_threshold``, so ``p_i = P(S > threshold)``, and
``q_i = (1 - p_i) / p_i * nonlimiting_hr_intervention`` (the last factor for starters only;
default 1). A limiting episode's severity is drawn from the normal truncated above the threshold, a
non-limiting one's from below it. Severity drives the other marks:

- *worst pain* (0 to 10) = ``worst_pain_centre + worst_pain_per_severity * S``, rounded and clipped;
- *care seeking* with probability ``expit(care_intercept + care_per_severity * S +
  care_education_log_odds * starter)``: at a given severity, education changes care seeking;
- *duration to recovery*: Weibull with scale ``recovery_scale_days`` and shape ``recovery_shape``,
  with recovery hazard multiplied by ``exp(recovery_log_hr_per_severity * S)`` and, for starters,
  by ``recovery_hr_intervention`` (walking shortens recovery).

Because the marks do not depend on time, the care-seeking episodes are again a thinned Poisson
process: its intensity is ``h_i(t) * (P(care | limiting) + q_i P(care | non-limiting))``.

**Endpoints.** Time to the first recurrence of any kind, of an activity-limiting one (primary) and
of a care-seeking one are read off the same history, so the any-recurrence time is never later
than the other two. Recovery from the first recurrence is that episode's duration, censored at the
end of the participant's follow-up.

**Adverse events.** Independently of the episodes, each participant has Poisson counts of
lower-extremity and of other adverse events over the first 12 months, with arm-specific rates; a
participant has an adverse event when either count is positive.

**Calibration.** On expectation (the same quasi-random latent sample, censoring distribution and
large-sample Cox limit as the primary calibration), the threshold is solved so that about 596 of
701 participants have an observed first recurrence of any kind; the severity shift so the worst
pain of the first recurrence differs by -0.34 points; the education effect on care seeking so the
care-seeking HR is about 0.57; the recovery scale, shape and programme HR so the recovery medians
are 4 and 3 days and the recovery HR is 1.30; the adverse-event rates in closed form from 54% and
52% with any event and 54 and 100 lower-extremity events. Not published, and therefore labelled
assumptions with defaults: the any-recurrence HR (it follows from the severity shift when
``nonlimiting_hr_intervention`` = 1), the care-seeking CI, worst pain's level and spread, how
strongly severity drives care seeking and slows recovery.

**Whole days.** Times are recorded in whole days, as the trial did: an onset or recovery at latent
time ``u`` (days since randomisation) is on day ``floor(u) + 1``, and the duration of recovery
from the first recurrence counts the onset day as day 1 (``recovery_day - onset_day + 1``, like
``AVAL = ADT - STARTDT + 1``; never zero). A latent duration ``X`` starting at time of day ``f``
is recorded as ``K = floor(f + X) + 1`` days, so ``P(K > k) = E[S_X(k - f)]``. Were ``f``
uniform this would be ``int_{k-1}^{k} S_X(x) dx``; it is not quite: the recurrence hazard is
steepest just after randomisation, so a first recurrence on day 1 tends to fall early in the day.
The expectation therefore averages over where in the day first recurrences fall, from the exact
curves over the first 32 days (16 parts per day) and uniform after (simulation of 400,000
participants: without this the day-1 share still in recovery is 5 SEs off, with it within 1).
The recovery medians are calibrated on that whole-day curve (its continuous version crossing 0.5
at 3.5 and 2.5 days, the middle of the published days 4 and 3) and the recovery HR is the
large-sample limit of Efron's estimate on the whole-day durations (most recoveries are tied with
many others). For the default scenario that limit is 1.300 where the latent continuous durations'
limit is 1.301 and a Breslow fit's limit 1.270: Efron's handling of ties nearly undoes the
grouping, Breslow's does not.

**Simplifications.** Onsets are a Poisson process in calendar time: an episode may begin before the
previous one has recovered (with the default scenario in about 3% of episodes; listed as its own
row). Recovery is not censored by anything but the end of follow-up (the expectations ignore that
censoring, which touches only recurrences in the last days of follow-up).

----
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from ..trial.published import published_figures
from ..trial.scenario import Episodes, Scenario, with_changes
from .expectation import censoring_survival, cox_limit_hr, grid_median, quasi_uniforms, time_grid, whole_day_median
from .hazard import BaselineHazard, cumulative_hazard_on_grid, dose_pieces, latent_from_uniforms

if TYPE_CHECKING:  # pandas is imported where a table is built: Monte Carlo workers never load it
    import pandas as pd

__all__ = ["limiting_share", "nonlimiting_per_limiting", "care_probability", "worst_pain", "recovery_durations",
           "adverse_event_rates", "severity_given_limiting", "ExpectedEpisodes", "expected_episodes",
           "calibrate_episodes", "EPISODE_TARGETS"]


# --------------------------------------------------------------------------- the mark model (shared with the simulator)
def _mean_severity(episodes: Episodes, started: np.ndarray) -> np.ndarray:
    return np.where(started, episodes.severity_shift_intervention, 0.0)


def limiting_share(episodes: Episodes, started: np.ndarray) -> np.ndarray:
    """P(an episode limits activity) = P(S > threshold), per participant.

    Examples
    --------
    >>> float(limiting_share(Episodes(limiting_threshold=0.0), np.array([False]))[0])
    0.5
    """
    return special.ndtr(_mean_severity(episodes, started) - episodes.limiting_threshold)


def nonlimiting_per_limiting(episodes: Episodes, started: np.ndarray) -> np.ndarray:
    """``q_i``: rate of non-limiting episodes per unit of the primary (limiting) hazard.

    Examples
    --------
    >>> float(nonlimiting_per_limiting(Episodes(limiting_threshold=0.0), np.array([False]))[0])
    1.0
    """
    p = limiting_share(episodes, started)
    q = (1.0 - p) / p
    return np.where(started, q * episodes.nonlimiting_hr_intervention, q)


def severity_given_limiting(episodes: Episodes, started: np.ndarray, limiting: np.ndarray,
                            uniform: np.ndarray) -> np.ndarray:
    """Latent severity of episodes given whether they limit activity (inverse-CDF of a truncated normal).

    Examples
    --------
    >>> s = severity_given_limiting(Episodes(limiting_threshold=0.0), np.array([False, False]),
    ...                             np.array([True, False]), np.array([0.5, 0.5]))
    >>> bool(s[0] > 0 > s[1])
    True
    """
    # mu and P(non-limiting) take one value per arm of the programme, so the interval [lo, hi] of the
    # uniform takes one of four values: looked up per episode, with the same arithmetic as per episode.
    mu = np.array([0.0, episodes.severity_shift_intervention])  # as _mean_severity(episodes, [False, True])
    below = special.ndtr(episodes.limiting_threshold - mu)  # P(non-limiting)
    lo = np.array([0.0, below[0], 0.0, below[1]])  # code = 2 * started + limiting
    hi = np.array([below[0], 1.0, below[1], 1.0])
    code = np.asarray(started, dtype=np.intp) * 2 + np.asarray(limiting, dtype=np.intp)
    u = np.clip(lo[code] + uniform * (hi - lo)[code], 1e-15, 1.0 - 1e-15)
    return mu[code >> 1] + special.ndtri(u)


def care_probability(episodes: Episodes, severity: np.ndarray, started: np.ndarray) -> np.ndarray:
    """P(care seeking | severity, starter)."""
    return special.expit(episodes.care_intercept + episodes.care_per_severity * severity
                         + np.where(started, episodes.care_education_log_odds, 0.0))


def worst_pain(episodes: Episodes, severity: np.ndarray) -> np.ndarray:
    """Worst pain on the 0-10 numeric rating scale (whole points).

    Examples
    --------
    >>> worst_pain(Episodes(worst_pain_centre=6.0, worst_pain_per_severity=2.0), np.array([-9.0, 0.2, 9.0])).tolist()
    [0, 6, 10]
    """
    return np.clip(np.rint(episodes.worst_pain_centre + episodes.worst_pain_per_severity * severity), 0, 10).astype(np.int8)


def _recovery_multiplier(episodes: Episodes, severity: np.ndarray, started: np.ndarray) -> np.ndarray:
    return np.exp(episodes.recovery_log_hr_per_severity * severity) * np.where(started, episodes.recovery_hr_intervention, 1.0)


def recovery_durations(episodes: Episodes, severity: np.ndarray, started: np.ndarray, exp_draw: np.ndarray) -> np.ndarray:
    """Days from onset to recovery: Weibull, recovery hazard scaled by severity and the programme."""
    mult = _recovery_multiplier(episodes, severity, started)
    return episodes.recovery_scale_days * (exp_draw / mult) ** (1.0 / episodes.recovery_shape)


def adverse_event_rates(episodes: Episodes, intervention: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lower-extremity, other) adverse events expected per participant over 12 months, by arm."""
    le = np.where(intervention, episodes.ae_lower_extremity_rate_intervention, episodes.ae_lower_extremity_rate_control)
    other = np.where(intervention, episodes.ae_other_rate_intervention, episodes.ae_other_rate_control)
    return le, other


# --------------------------------------------------------------------------- exact expectations
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)


def _first_episode_severity(episodes: Episodes, started: bool) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the severity of a participant's *first* episode (sums to 1).

    A first episode is limiting with probability 1 / (1 + q); given that, its severity is the
    truncated normal. Gauss-Legendre on the probability scale of each side of the threshold keeps
    every expectation smooth in the threshold (the calibration differentiates numerically).
    """
    st = np.array([started])
    mu = float(_mean_severity(episodes, st)[0])
    q = float(nonlimiting_per_limiting(episodes, st)[0])
    below = float(special.ndtr(episodes.limiting_threshold - mu))
    nodes, weights = [], []
    for lo, hi, share in ((below, 1.0, 1.0 / (1.0 + q)), (0.0, below, q / (1.0 + q))):
        u = lo + 0.5 * (hi - lo) * (_GL_NODES + 1.0)
        nodes.append(mu + special.ndtri(np.clip(u, 1e-300, 1.0 - 1e-16)))
        weights.append(0.5 * _GL_WEIGHTS * share)  # uniform density on (lo, hi): weights sum to share
    return np.concatenate(nodes), np.concatenate(weights)


def _mean_first_pain(episodes: Episodes, started: bool) -> float:
    """E[worst pain of the first episode], exact: rounding handled through the normal CDF per point."""
    st = np.array([started])
    mu = float(_mean_severity(episodes, st)[0])
    q = float(nonlimiting_per_limiting(episodes, st)[0])
    p = float(limiting_share(episodes, st)[0])
    tau = episodes.limiting_threshold
    w_hi, w_lo = 1.0 / ((1.0 + q) * p), q / ((1.0 + q) * (1.0 - p)) if p < 1.0 else 0.0
    k, c = episodes.worst_pain_per_severity, episodes.worst_pain_centre
    points = np.arange(11)
    if k == 0.0:
        return float(np.clip(np.rint(c), 0, 10))
    edges_lo = np.where(points == 0, -np.inf, (points - 0.5 - c) / k)
    edges_hi = np.where(points == 10, np.inf, (points + 0.5 - c) / k)

    def mass(a, b):
        below = np.clip(special.ndtr(np.minimum(b, tau) - mu) - special.ndtr(a - mu), 0.0, None)
        above = np.clip(special.ndtr(b - mu) - special.ndtr(np.maximum(a, tau) - mu), 0.0, None)
        return w_lo * below + w_hi * above

    return float(np.sum(points * mass(edges_lo, edges_hi)))


@dataclass(frozen=True)
class ExpectedEpisodes:
    """What a scenario's episode model implies on expectation (no sampling error).

    Attributes
    ----------
    any_events_control, any_events_intervention : float
        Expected participants with an observed first recurrence of any kind.
    any_median_control, any_median_intervention, any_hr : float
        Whole-day median days to any recurrence and the large-sample Cox HR (continuous-time limit;
        Efron's on whole-day data differs by less than 1e-5 relative: few ties per day).
    care_events_control, care_events_intervention, care_median_control, care_median_intervention, care_hr : float
        The same for the first care-seeking recurrence.
    recovery_median_control, recovery_median_intervention, recovery_hr : float
        Recovery from the first recurrence: expected whole-day Kaplan-Meier medians (days, the
        onset day counted as day 1) and the large-sample Efron HR on whole-day durations
        (recovery, intervention vs control).
    latent_recovery_median_control, latent_recovery_median_intervention : float
        Where the continuous version of the whole-day recovery curve crosses 0.5 (what the
        calibration solves; the whole-day median is its ``ceil``).
    worst_pain_control, worst_pain_intervention : float
        Mean worst pain of the first recurrence.
    ae_any_control, ae_any_intervention : float
        Share with at least one adverse event over 12 months.
    ae_lower_extremity_control, ae_lower_extremity_intervention : float
        Expected lower-extremity adverse events (counts, design's arm sizes).
    times, survival_any_*, survival_care_* : ndarray
        The population curves.
    recovery_days, survival_recovery_control, survival_recovery_intervention : ndarray
        Whole-day recovery curves ``P(K > k)`` at ``k = 0, 1, ...`` days (the onset day is day 1).
    """

    any_events_control: float
    any_events_intervention: float
    any_median_control: float
    any_median_intervention: float
    any_hr: float
    care_events_control: float
    care_events_intervention: float
    care_median_control: float
    care_median_intervention: float
    care_hr: float
    recovery_median_control: float
    recovery_median_intervention: float
    recovery_hr: float
    latent_recovery_median_control: float
    latent_recovery_median_intervention: float
    worst_pain_control: float
    worst_pain_intervention: float
    ae_any_control: float
    ae_any_intervention: float
    ae_lower_extremity_control: float
    ae_lower_extremity_intervention: float
    times: np.ndarray = field(repr=False)
    survival_any_control: np.ndarray = field(repr=False)
    survival_any_intervention: np.ndarray = field(repr=False)
    survival_care_control: np.ndarray = field(repr=False)
    survival_care_intervention: np.ndarray = field(repr=False)
    recovery_days: np.ndarray = field(repr=False)
    survival_recovery_control: np.ndarray = field(repr=False)
    survival_recovery_intervention: np.ndarray = field(repr=False)

    @property
    def any_events_total(self) -> float:
        return self.any_events_control + self.any_events_intervention

    @property
    def worst_pain_difference(self) -> float:
        return self.worst_pain_intervention - self.worst_pain_control

    def to_dict(self) -> dict:
        return {k: float(v) for k, v in self.__dict__.items() if not isinstance(v, np.ndarray)}


@dataclass(frozen=True)
class _Basis:
    """What does not depend on the episode parameters: the latent sample's primary cumulative hazards."""

    times: np.ndarray
    h_off: np.ndarray      # (latent, times): every participant off the programme
    h_on: np.ndarray       # (starters, times): starters on the programme
    starts: np.ndarray     # bool (latent,)
    g: np.ndarray          # censoring survival at times
    n0: float
    n1: float
    h_off_early: np.ndarray  # (latent, early): cumulative hazards on _EARLY_TIMES (fractions of the first days)
    h_on_early: np.ndarray   # (starters, early)
    g_early: np.ndarray      # censoring survival at the mid-points of the _EARLY_TIMES steps


def _basis(scenario: Scenario) -> _Basis:
    latent = latent_from_uniforms(scenario, quasi_uniforms())
    dose = scenario.dose_response
    pieces = dose_pieces(scenario.walking)
    baseline = BaselineHazard.from_outcome(scenario.outcome)
    times = time_grid(scenario.design.max_followup_days)
    h_off = cumulative_hazard_on_grid(times, latent.risk, None, 1.0, dose, pieces, baseline,
                                      constant_extra=latent.spontaneous_extra)
    s = latent.starts
    h_on = cumulative_hazard_on_grid(times, latent.risk[s], latent.plateau_extra[s], dose.education_hr, dose, pieces,
                                     baseline)
    early = np.minimum(_EARLY_TIMES, scenario.design.max_followup_days)
    h_off_early = cumulative_hazard_on_grid(early, latent.risk, None, 1.0, dose, pieces, baseline,
                                            constant_extra=latent.spontaneous_extra)
    h_on_early = cumulative_hazard_on_grid(early, latent.risk[s], latent.plateau_extra[s], dose.education_hr, dose,
                                           pieces, baseline)
    return _Basis(times, h_off, h_on, s, censoring_survival(scenario, times),
                  float(scenario.design.n_control), float(scenario.design.n_intervention),
                  h_off_early, h_on_early, censoring_survival(scenario, 0.5 * (early[:-1] + early[1:])))


#: The first _EARLY_DAYS days cut in _EARLY_STEPS steps each: where in its day a first recurrence falls.
_EARLY_DAYS, _EARLY_STEPS = 32, 16
_EARLY_TIMES = np.arange(_EARLY_DAYS * _EARLY_STEPS + 1) / _EARLY_STEPS


def _time_of_day(basis: _Basis, mult_off: float, mult_on: float, sums) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where in its day the observed first recurrence falls: masses over ``_EARLY_STEPS`` bins of the day, per group.

    Returns (control, intervention starters, intervention non-starters), each the expected share of
    participants (per latent participant) whose first recurrence of any kind is observed with its
    time of day in each bin. Over the first ``_EARLY_DAYS`` days from the exact curves (the hazard
    falls steeply just after randomisation, so a day-1 recurrence is early in its day); later the
    time of day is uniform (the hazard barely changes within a day), with the remaining mass.
    ``sums`` are :func:`_arm_curves`' summed curves of the same endpoint (all, starters, non-starters).
    """
    def masses(surv: np.ndarray, late_curve: np.ndarray) -> np.ndarray:
        total = surv.sum(axis=0)  # the steps are linear in the curves: sum over participants first
        steps = (total[:-1] - total[1:]) * basis.g_early
        by_bin = steps.reshape(_EARLY_DAYS, _EARLY_STEPS).sum(axis=0) / len(basis.starts)
        # later observed first recurrences (from day _EARLY_DAYS on), spread evenly over the day
        day = int(np.searchsorted(basis.times, _EARLY_DAYS))
        gm = 0.5 * (basis.g[day:-1] + basis.g[day + 1:])
        late = float(np.sum(gm * -np.diff(late_curve[day:]))) / len(basis.starts)
        return by_bin + late / _EARLY_STEPS

    off_all, on, off_non = sums
    surv_off = np.exp(-mult_off * basis.h_off_early)
    control = masses(surv_off, off_all)
    starters = masses(np.exp(-mult_on * basis.h_on_early), on)
    non = masses(surv_off[~basis.starts], off_non)
    return control, starters, non


def _arm_curves(basis: _Basis, mult_off: float, mult_on: float) -> tuple[np.ndarray, np.ndarray, float, tuple]:
    """Control and intervention survival for an endpoint whose intensity is ``mult * h``; starters' share of
    events; the summed curves (all off the programme, starters on it, intervention non-starters)."""
    surv_off = np.exp(-mult_off * basis.h_off)
    off_all = surv_off.sum(axis=0)
    s0 = off_all / surv_off.shape[0]
    on = np.exp(-mult_on * basis.h_on).sum(axis=0)
    off_non = surv_off[~basis.starts].sum(axis=0)
    n = basis.h_off.shape[0]
    s1 = (on + off_non) / n
    gm = 0.5 * (basis.g[:-1] + basis.g[1:])
    ev_on = float(np.sum(gm * -np.diff(on)))
    ev_off = float(np.sum(gm * -np.diff(off_non)))
    share = ev_on / (ev_on + ev_off) if ev_on + ev_off > 0 else 0.0
    return s0, s1, share, (off_all, on, off_non)


def _events(basis: _Basis, s: np.ndarray, n_arm: float) -> float:
    gm = 0.5 * (basis.g[:-1] + basis.g[1:])
    return n_arm * float(np.sum(gm * (s[:-1] - s[1:])))


#: Whole-day recovery durations 0 (the origin), 1, 2, ..., 400 days.
_RECOVERY_GRID = np.arange(0.0, 401.0)


def _recovery_curves(episodes: Episodes, day_parts) -> tuple[np.ndarray, np.ndarray, callable, callable]:
    """Whole-day recovery survival ``P(K > k)`` of each arm on :data:`_RECOVERY_GRID`, and as functions of real k.

    A recovery of latent duration ``X`` from an onset at time of day ``f`` is recorded as ``K =
    floor(f + X) + 1`` days, so ``P(K > k | f) = S_X(k - f)``, averaged over where in the day the
    first recurrences fall (``day_parts``: :func:`_time_of_day`'s masses per bin of the day, for
    control, intervention starters and non-starters; the bin's mid-point stands for it). With
    ``f`` uniform this is ``int_{k-1}^{k} S_X(x) dx``; a recurrence on the randomisation day
    falls early in it (the hazard is steepest then), which makes recovery days slightly fewer.
    """
    groups = {}
    for started in (False, True):
        nodes, weights = _first_episode_severity(episodes, started)
        mult = _recovery_multiplier(episodes, nodes, np.full(len(nodes), started))
        groups[started] = (mult, weights)
    scale, shape = episodes.recovery_scale_days, episodes.recovery_shape
    f = (np.arange(_EARLY_STEPS) + 0.5) / _EARLY_STEPS
    control_mass, starter_mass, non_mass = day_parts

    def s_x(d: np.ndarray, started: bool) -> np.ndarray:
        """S_X(d - f) for each bin's f, shape (len(d), bins); S_X = 1 before the onset."""
        mult, weights = groups[started]
        x = np.asarray(d, dtype=float)[:, None] - f[None, :]
        return np.exp(-(np.maximum(x, 0.0)[..., None] / scale) ** shape * mult) @ weights

    def average(values: np.ndarray, mass: np.ndarray) -> np.ndarray:
        """P(K > d) = sum_bins mass * S_X(d - f) / sum(mass)."""
        return values @ mass / mass.sum() if mass.sum() > 0 else np.ones(len(values))

    total = starter_mass.sum() + non_mass.sum()
    on_share = starter_mass.sum() / total if total > 0 else 0.0

    def curves(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        off = s_x(d, False)  # control and intervention non-starters share it
        return average(off, control_mass), on_share * average(s_x(d, True), starter_mass) + (
            1.0 - on_share) * average(off, non_mass)

    def control(d):
        return average(s_x(d, False), control_mass)

    def intervention(d):
        return on_share * average(s_x(d, True), starter_mass) + (1.0 - on_share) * average(s_x(d, False), non_mass)

    r0, r1 = curves(_RECOVERY_GRID)
    return r0, r1, control, intervention


def _exact_median(curve, hi: float = 1e4) -> float:
    f = lambda d: float(curve(np.array([d]))[0]) - 0.5  # noqa: E731
    if f(hi) > 0:
        return math.inf
    if f(0.0) <= 0:
        return 0.0
    from scipy import optimize  # only when solving: scipy.optimize costs 0.3 s at start-up

    return float(optimize.brentq(f, 0.0, hi, xtol=1e-10))


def _expected_from_basis(basis: _Basis, scenario: Scenario) -> ExpectedEpisodes:
    ep = scenario.episodes
    no, yes = np.array([False]), np.array([True])
    q_off, q_on = float(nonlimiting_per_limiting(ep, no)[0]), float(nonlimiting_per_limiting(ep, yes)[0])
    care = {}
    for key, started in (("off", no), ("on", yes)):
        nodes, weights = _first_episode_severity(ep, bool(started[0]))
        # E[care | first-episode severity mix] * (1 + q) = P(care | limiting) + q P(care | non-limiting)
        care[key] = float(care_probability(ep, nodes, np.full(len(nodes), started[0])) @ weights)
    m_any_off, m_any_on = 1.0 + q_off, 1.0 + q_on
    m_care_off, m_care_on = care["off"] * m_any_off, care["on"] * m_any_on

    a0, a1, starter_share, any_sums = _arm_curves(basis, m_any_off, m_any_on)
    c0, c1, _, _ = _arm_curves(basis, m_care_off, m_care_on)
    ev_a0, ev_a1 = _events(basis, a0, basis.n0), _events(basis, a1, basis.n1)
    r0, r1, rc0, rc1 = _recovery_curves(ep, _time_of_day(basis, m_any_off, m_any_on, any_sums))
    ones = np.ones_like(_RECOVERY_GRID)
    rec0, rec1 = _exact_median(rc0), _exact_median(rc1)
    le0, le1 = ep.ae_lower_extremity_rate_control, ep.ae_lower_extremity_rate_intervention
    pain0 = _mean_first_pain(ep, False)
    pain1 = starter_share * _mean_first_pain(ep, True) + (1.0 - starter_share) * pain0
    return ExpectedEpisodes(
        any_events_control=ev_a0, any_events_intervention=ev_a1,
        any_median_control=whole_day_median(grid_median(basis.times, a0)),
        any_median_intervention=whole_day_median(grid_median(basis.times, a1)),
        any_hr=cox_limit_hr(a0, a1, basis.g, n0=basis.n0, n1=basis.n1),  # few ties per day: continuous limit
        care_events_control=_events(basis, c0, basis.n0), care_events_intervention=_events(basis, c1, basis.n1),
        care_median_control=whole_day_median(grid_median(basis.times, c0)),
        care_median_intervention=whole_day_median(grid_median(basis.times, c1)),
        care_hr=cox_limit_hr(c0, c1, basis.g, n0=basis.n0, n1=basis.n1),
        recovery_median_control=whole_day_median(rec0), recovery_median_intervention=whole_day_median(rec1),
        recovery_hr=cox_limit_hr(r0, r1, ones, n0=ev_a0, n1=ev_a1, ties="efron"),
        latent_recovery_median_control=rec0, latent_recovery_median_intervention=rec1,
        worst_pain_control=pain0, worst_pain_intervention=pain1,
        ae_any_control=1.0 - math.exp(-(le0 + ep.ae_other_rate_control)),
        ae_any_intervention=1.0 - math.exp(-(le1 + ep.ae_other_rate_intervention)),
        ae_lower_extremity_control=le0 * basis.n0, ae_lower_extremity_intervention=le1 * basis.n1,
        times=basis.times, survival_any_control=a0, survival_any_intervention=a1,
        survival_care_control=c0, survival_care_intervention=c1,
        recovery_days=_RECOVERY_GRID, survival_recovery_control=r0, survival_recovery_intervention=r1,
    )


def expected_episodes(scenario: Scenario) -> ExpectedEpisodes:
    """The scenario's expected secondary outcomes (deterministic; cached per scenario, whatever its seed).

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> e = expected_episodes(default_scenario())
    >>> round(e.any_events_total), round(e.care_hr, 2), round(e.recovery_hr, 2)
    (596, 0.57, 1.3)
    """
    return _expected_episodes(scenario.without_seed())


@lru_cache(maxsize=16)
def _expected_episodes(scenario: Scenario) -> ExpectedEpisodes:
    return _expected_from_basis(_basis(scenario), scenario)


# --------------------------------------------------------------------------- calibration of the episode model
#: (label, published key or None, ExpectedEpisodes attribute, kind, tolerance). Events scale with the design's size.
EPISODE_TARGETS = (
    ("Participants with a first recurrence of any kind", "any_recurrence_participants", "any_events_total", "published", 0.03),
    ("Care-seeking recurrence hazard ratio", "care_seeking_hr", "care_hr", "published", 0.01),
    ("Median days to recovery from the first recurrence, control", "recovery_median_days_control",
     "recovery_median_control", "published", 0.01),
    ("Median days to recovery from the first recurrence, intervention", "recovery_median_days_intervention",
     "recovery_median_intervention", "published", 0.01),
    ("Hazard ratio for recovery from the first recurrence", "recovery_hr", "recovery_hr", "published", 0.01),
    ("Worst pain in the first recurrence, difference (points)", "worst_pain_difference", "worst_pain_difference",
     "published", 0.01),
    ("At least one adverse event over 12 months, control", "adverse_event_any_control", "ae_any_control", "published", 0.01),
    ("At least one adverse event over 12 months, intervention", "adverse_event_any_intervention", "ae_any_intervention",
     "published", 0.01),
    ("Lower-extremity adverse events, control", "lower_extremity_ae_control", "ae_lower_extremity_control", "published", 0.01),
    ("Lower-extremity adverse events, intervention", "lower_extremity_ae_intervention", "ae_lower_extremity_intervention",
     "published", 0.01),
)
_NOT_PUBLISHED = (
    ("Any-recurrence hazard ratio", "any_hr"),
    ("Median days to any recurrence, control", "any_median_control"),
    ("Median days to any recurrence, intervention", "any_median_intervention"),
    ("Median days to care-seeking recurrence, control", "care_median_control"),
    ("Median days to care-seeking recurrence, intervention", "care_median_intervention"),
)


def _target_value(key: str, scenario: Scenario) -> float:
    figs = published_figures()
    value = float(figs[key].value)
    if key == "any_recurrence_participants":
        return value * scenario.design.n_total / figs["n_randomised"].value
    if key == "lower_extremity_ae_control":
        return value * scenario.design.n_control / figs["n_control"].value
    if key == "lower_extremity_ae_intervention":
        return value * scenario.design.n_intervention / figs["n_intervention"].value
    return value


def _closed_form_adverse_events(scenario: Scenario) -> dict:
    figs = published_figures()
    le0 = figs["lower_extremity_ae_control"].value / figs["n_control"].value
    le1 = figs["lower_extremity_ae_intervention"].value / figs["n_intervention"].value
    tot0 = -math.log1p(-figs["adverse_event_any_control"].value)
    tot1 = -math.log1p(-figs["adverse_event_any_intervention"].value)
    return {"episodes.ae_lower_extremity_rate_control": le0, "episodes.ae_lower_extremity_rate_intervention": le1,
            "episodes.ae_other_rate_control": max(tot0 - le0, 0.0), "episodes.ae_other_rate_intervention": max(tot1 - le1, 0.0)}


_FREE = ("episodes.limiting_threshold", "episodes.severity_shift_intervention", "episodes.care_education_log_odds",
         "episodes.recovery_scale_days", "episodes.recovery_shape", "episodes.recovery_hr_intervention")
_LOG_SCALED = {"episodes.recovery_scale_days", "episodes.recovery_shape", "episodes.recovery_hr_intervention"}


def calibrate_episodes(scenario: Scenario) -> tuple[Scenario, ExpectedEpisodes, pd.DataFrame]:
    """Solve the episode model's free parameters against the secondary outcomes (the primary is untouched).

    Returns the solved scenario, its expectations and one report row per target (``target``,
    ``published``, ``achieved``, ``relative_residual``, ``met``, ``kind``, ``role``, ``tolerance``),
    then the unpublished figures the model implies (``kind`` "not published", ``role`` "implied").

    Examples
    --------
    >>> from analysis.model.default import default_scenario
    >>> solved, expected, rows = calibrate_episodes(default_scenario())
    >>> bool(rows.loc[rows.role == "target", "met"].all())
    True
    """
    scenario = with_changes(scenario, _closed_form_adverse_events(scenario))
    basis = _basis(scenario)
    figs = published_figures()
    any_target = _target_value("any_recurrence_participants", scenario)
    care_hr, pain = figs["care_seeking_hr"].value, figs["worst_pain_difference"].value
    med0, med1 = figs["recovery_median_days_control"].value, figs["recovery_median_days_intervention"].value
    rec_hr = figs["recovery_hr"].value

    def apply(x: np.ndarray) -> Scenario:
        return with_changes(scenario, {name: float(math.exp(v)) if name in _LOG_SCALED else float(v)
                                       for name, v in zip(_FREE, x)})

    def log_ratio(value: float, target: float) -> float:
        return math.log(value / target) if math.isfinite(value) and value > 0 else 5.0

    def fun(x: np.ndarray) -> np.ndarray:
        e = _expected_from_basis(basis, apply(x))
        return np.array([(e.any_events_total - any_target) / any_target, log_ratio(e.care_hr, care_hr),
                         # the continuous whole-day curve crosses 0.5 in the middle of the published day
                         log_ratio(e.latent_recovery_median_control, med0 - 0.5),
                         log_ratio(e.latent_recovery_median_intervention, med1 - 0.5),
                         log_ratio(e.recovery_hr, rec_hr), (e.worst_pain_difference - pain) / abs(pain)])

    ep = scenario.episodes
    x0 = np.array([ep.limiting_threshold, ep.severity_shift_intervention, ep.care_education_log_odds,
                   math.log(ep.recovery_scale_days), math.log(ep.recovery_shape), math.log(ep.recovery_hr_intervention)])
    lo = np.array([-4.0, -3.0, -5.0, math.log(0.1), math.log(0.1), math.log(0.05)])
    hi = np.array([4.0, 3.0, 5.0, math.log(1000.0), math.log(10.0), math.log(20.0)])
    from scipy import optimize  # only when solving: scipy.optimize costs 0.3 s at start-up

    result = optimize.least_squares(fun, np.clip(x0, lo + 1e-9, hi - 1e-9), bounds=(lo, hi), method="trf",
                                    x_scale="jac", diff_step=1e-5, xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=300)
    solved = apply(result.x)
    expected = _expected_from_basis(basis, solved)
    return solved, expected, episode_report(solved, expected)


def episode_report(scenario: Scenario, expected: ExpectedEpisodes) -> pd.DataFrame:
    """Targets vs achieved for the episode model (rows as in the calibration report)."""
    import pandas as pd

    records = []
    for label, key, attr, kind, tol in EPISODE_TARGETS:
        target = _target_value(key, scenario)
        achieved = float(getattr(expected, attr))
        resid = (achieved - target) / abs(target) if math.isfinite(achieved) else math.inf
        records.append({"target": label, "published": target, "achieved": achieved, "relative_residual": resid,
                        "met": bool(abs(resid) <= tol), "kind": "derived" if key == "any_recurrence_participants"
                        and scenario.design.n_total != published_figures()["n_randomised"].value else kind,
                        "role": "target", "tolerance": tol})
    for label, attr in _NOT_PUBLISHED:
        records.append({"target": label, "published": math.nan, "achieved": float(getattr(expected, attr)),
                        "relative_residual": math.nan, "met": True, "kind": "not published", "role": "implied",
                        "tolerance": math.nan})
    return pd.DataFrame(records)
