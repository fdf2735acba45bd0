"""Scenario: everything that defines a simulated WalkBack-like trial.

First stage of the pipeline (scenario -> simulate -> estimate -> figures). A scenario is a
tree of frozen, validated dataclasses, so it is hashable (it keys caches), picklable (it
crosses process boundaries) and round-trips through JSON. Every field that the trial did
not publish is an assumption; :data:`ASSUMPTIONS` names them so the app can label them.

The defaults here are the *uncalibrated* assumptions. :func:`analysis.model.default.default_scenario`
solves the free outcome parameters so the scenario reproduces the published results.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from ..errors import ScenarioError, read_input_file
from .published import published_value

__all__ = [
    "Design",
    "Outcome",
    "Adherence",
    "Walking",
    "DoseResponse",
    "Episodes",
    "Clinics",
    "icc_to_sigma",
    "Scenario",
    "ASSUMPTIONS",
    "MAX_PARTICIPANTS",
    "scenario_from_dict",
    "scenario_from_json",
    "load_scenario_file",
    "with_changes",
]

#: Hard cap on participants in one simulated trial (protects memory; 10 million rows is ~1 GB).
MAX_PARTICIPANTS = 10_000_000

BASELINE_FAMILIES = ("weibull", "exponential", "piecewise_exponential")
CLINIC_SIZE_DISTRIBUTIONS = ("equal", "gamma")
RANDOMISATION_UNITS = ("participant", "cluster")
DOSE_SHAPES = ("log_linear", "emax", "none")


# --------------------------------------------------------------------------- validation helpers
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)



def _bound(value) -> str:
    """A range bound as a person reads it: whole numbers with thousands separators (not 9.22337e+18)."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"

def _check_number(section: str, name: str, value: Any, lo: float, hi: float, *, integer: bool = False,
                  lo_open: bool = False, hi_open: bool = False) -> None:
    where = f"{section}.{name}"
    if integer:
        if not (isinstance(value, int) and not isinstance(value, bool)):
            if isinstance(value, float) and value.is_integer():
                raise ScenarioError(f"{where} = {value!r} must be a whole number written without a decimal point")
            raise ScenarioError(f"{where} = {value!r} must be a whole number between {lo:g} and {hi:g}")
    elif not _is_number(value):
        raise ScenarioError(f"{where} = {value!r} must be a number between {_bound(lo)} and {_bound(hi)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(f"{where} = {value!r} must be a finite number between {_bound(lo)} and {_bound(hi)}")
    too_low = value <= lo if lo_open else value < lo
    too_high = value >= hi if hi_open else value > hi
    if too_low or too_high:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise ScenarioError(f"{where} = {value!r} is out of range: allowed {left}{_bound(lo)}, {_bound(hi)}{right}")


def _check_choice(section: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ScenarioError(f"{section}.{name} = {value!r} is not allowed: choose one of {', '.join(choices)}")


def _parse_date(section: str, name: str, value: Any) -> _dt.date:
    if not isinstance(value, str):
        raise ScenarioError(f"{section}.{name} = {value!r} must be a date written YYYY-MM-DD")
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise ScenarioError(f"{section}.{name} = {value!r} is not a valid date: write YYYY-MM-DD") from None


def _float_tuple(section: str, name: str, value: Any) -> tuple[float, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ScenarioError(f"{section}.{name} = {value!r} must be a list of numbers")
    items = tuple(value)
    for item in items:
        if not _is_number(item) or not math.isfinite(float(item)):
            raise ScenarioError(f"{section}.{name} contains {item!r}; every entry must be a finite number")
    return tuple(float(v) for v in items)


# --------------------------------------------------------------------------- sections
@dataclass(frozen=True)
class Design:
    """Trial design: arm sizes, randomisation, recruitment, follow-up and loss to follow-up.

    Parameters
    ----------
    n_intervention, n_control : int
        Participants randomised to each arm (published: 351 and 350).
    block_sizes : tuple of int
        Permuted block sizes, chosen at random per block (published: 4, 6 and 8). Each must be even
        for 1:1 allocation.
    recruitment_start, recruitment_end, followup_end : str
        ISO dates (published). Enrolment is spread evenly over the recruitment window
        (assumption: the recruitment curve was not published).
    max_followup_months : float
        Follow-up is cut at this many months after randomisation (published: 36).
    annual_loss_to_followup : float
        Probability of being lost to follow-up within a year (assumption, not published;
        calibration solves it so the expected number of events matches the derived ~506).
    share_history_gt2 : float
        Share with more than two previous episodes, the first stratification factor
        (assumption; the published lifetime median of 33 episodes suggests most).
    share_referred_by_clinician : float
        Share referred by a health professional rather than self-referred from advertising,
        the second stratification factor (assumption).
    """

    n_intervention: int = field(default_factory=lambda: int(published_value("n_intervention")))
    n_control: int = field(default_factory=lambda: int(published_value("n_control")))
    block_sizes: tuple[int, ...] = field(default_factory=lambda: tuple(published_value("block_sizes")))
    recruitment_start: str = field(default_factory=lambda: published_value("recruitment_start"))
    recruitment_end: str = field(default_factory=lambda: published_value("recruitment_end"))
    followup_end: str = field(default_factory=lambda: published_value("followup_end"))
    max_followup_months: float = field(default_factory=lambda: float(published_value("followup_max_months")))
    annual_loss_to_followup: float = 0.08
    share_history_gt2: float = 0.85
    share_referred_by_clinician: float = 0.35

    def __post_init__(self) -> None:
        s = "design"
        _check_number(s, "n_intervention", self.n_intervention, 1, MAX_PARTICIPANTS, integer=True)
        _check_number(s, "n_control", self.n_control, 1, MAX_PARTICIPANTS, integer=True)
        if self.n_intervention + self.n_control > MAX_PARTICIPANTS:
            raise ScenarioError(
                f"design: n_intervention + n_control = {self.n_intervention + self.n_control} exceeds the "
                f"limit of {MAX_PARTICIPANTS:,} participants")
        if isinstance(self.block_sizes, (str, bytes)) or not hasattr(self.block_sizes, "__iter__"):
            raise ScenarioError(f"design.block_sizes = {self.block_sizes!r} must be a list of even whole numbers")
        blocks = tuple(self.block_sizes)
        if not blocks:
            raise ScenarioError("design.block_sizes is empty: give at least one even block size, e.g. [4, 6, 8]")
        for b in blocks:
            if not (isinstance(b, int) and not isinstance(b, bool)) or b < 2 or b > 100 or b % 2:
                raise ScenarioError(
                    f"design.block_sizes contains {b!r}; every block size must be an even whole number from 2 to 100")
        object.__setattr__(self, "block_sizes", blocks)
        start = _parse_date(s, "recruitment_start", self.recruitment_start)
        end = _parse_date(s, "recruitment_end", self.recruitment_end)
        fu_end = _parse_date(s, "followup_end", self.followup_end)
        if end < start:
            raise ScenarioError(
                f"design.recruitment_end = {self.recruitment_end!r} is before recruitment_start = {self.recruitment_start!r}")
        if fu_end <= end:
            raise ScenarioError(
                f"design.followup_end = {self.followup_end!r} must be after recruitment_end = {self.recruitment_end!r}")
        _check_number(s, "max_followup_months", self.max_followup_months, 1, 240)
        _check_number(s, "annual_loss_to_followup", self.annual_loss_to_followup, 0, 0.95)
        _check_number(s, "share_history_gt2", self.share_history_gt2, 0, 1)
        _check_number(s, "share_referred_by_clinician", self.share_referred_by_clinician, 0, 1)

    @property
    def n_total(self) -> int:
        return self.n_intervention + self.n_control

    @property
    def recruitment_days(self) -> int:
        """Length of the recruitment window in days."""
        return (_dt.date.fromisoformat(self.recruitment_end) - _dt.date.fromisoformat(self.recruitment_start)).days

    @property
    def study_days(self) -> int:
        """Days from the first randomisation to the end of follow-up."""
        return (_dt.date.fromisoformat(self.followup_end) - _dt.date.fromisoformat(self.recruitment_start)).days

    @property
    def max_followup_days(self) -> float:
        """Maximum follow-up in days (months of 365.25/12 days)."""
        return self.max_followup_months * 365.25 / 12.0


@dataclass(frozen=True)
class Outcome:
    """Baseline hazard of a first activity-limiting recurrence and prognostic factors.

    The baseline hazard is the hazard of a control participant with no extra walking, no more
    than two previous episodes and average baseline risk.

    Parameters
    ----------
    baseline : {"weibull", "exponential", "piecewise_exponential"}
    scale_days : float
        Weibull scale (days); for the exponential, the mean time to recurrence (days).
    shape : float
        Weibull shape; below 1 the hazard falls over time (ignored by the other families).
    piece_starts_days : tuple of float
        Start of each piece of the piecewise-exponential hazard, first 0, increasing.
    piece_hazards_per_day : tuple of float
        Hazard on each piece (per day).
    history_hr : float
        Hazard ratio for more than two previous episodes (assumption: prognostic, not published).
    baseline_risk_sd : float
        SD of an individual log-hazard frailty (unobserved heterogeneity; assumption, default 0).
    """

    baseline: str = "weibull"
    scale_days: float = 160.0
    shape: float = 0.55
    piece_starts_days: tuple[float, ...] = (0.0, 30.0, 91.0, 182.0, 365.0, 730.0)
    piece_hazards_per_day: tuple[float, ...] = (0.008, 0.006, 0.004, 0.0025, 0.0015, 0.001)
    history_hr: float = 1.3
    baseline_risk_sd: float = 0.0

    def __post_init__(self) -> None:
        s = "outcome"
        _check_choice(s, "baseline", self.baseline, BASELINE_FAMILIES)
        _check_number(s, "scale_days", self.scale_days, 1, 100_000)
        _check_number(s, "shape", self.shape, 0.1, 5)
        starts = _float_tuple(s, "piece_starts_days", self.piece_starts_days)
        hazards = _float_tuple(s, "piece_hazards_per_day", self.piece_hazards_per_day)
        if not starts or starts[0] != 0.0:
            raise ScenarioError("outcome.piece_starts_days must start with 0")
        if any(b <= a for a, b in zip(starts, starts[1:])):
            raise ScenarioError(f"outcome.piece_starts_days = {list(starts)} must be strictly increasing")
        if len(hazards) != len(starts):
            raise ScenarioError(
                f"outcome.piece_hazards_per_day has {len(hazards)} entries but piece_starts_days has {len(starts)}; "
                "give one hazard per piece")
        if any(h <= 0 or h > 1 for h in hazards):
            raise ScenarioError("outcome.piece_hazards_per_day entries must be above 0 and at most 1 per day")
        if len(starts) > 50:
            raise ScenarioError("outcome.piece_starts_days has more than 50 pieces; use at most 50")
        object.__setattr__(self, "piece_starts_days", starts)
        object.__setattr__(self, "piece_hazards_per_day", hazards)
        _check_number(s, "history_hr", self.history_hr, 0.1, 10)
        _check_number(s, "baseline_risk_sd", self.baseline_risk_sd, 0, 3)


@dataclass(frozen=True)
class Adherence:
    """Who takes up the walking programme and how much of the target they reach (assumptions).

    Parameters
    ----------
    never_start : float
        Share of intervention participants who never start the programme (no walking increase,
        no education).
    mean_adherence : float
        Mean, among starters, of the share of the weekly walking target reached at the plateau.
    adherence_spread : float
        SD of adherence on the logit scale (0 = everyone identical).
    healthy_adherer_correlation : float
        Correlation between the adherence latent and *lower* baseline risk; above 0, adherent
        participants would have done better anyway ("healthy adherer" confounding). Has an effect
        only when ``outcome.baseline_risk_sd`` > 0.
    """

    never_start: float = 0.05
    mean_adherence: float = 0.87
    adherence_spread: float = 1.0
    healthy_adherer_correlation: float = 0.0

    def __post_init__(self) -> None:
        s = "adherence"
        _check_number(s, "never_start", self.never_start, 0, 1)
        _check_number(s, "mean_adherence", self.mean_adherence, 0, 1)
        _check_number(s, "adherence_spread", self.adherence_spread, 0, 5)
        _check_number(s, "healthy_adherer_correlation", self.healthy_adherer_correlation, -0.99, 0.99)


@dataclass(frozen=True)
class Walking:
    """Walking dose over time, in minutes per week.

    An intervention participant who starts walks ``baseline + adherence * (target - baseline)``
    minutes a week at the plateau, reached by progressing evenly over ``ramp_weeks``. After the
    programme ends the extra walking decays towards ``maintained_fraction`` of the plateau with the
    given half-life. Control participants add ``control_extra_minutes`` on average (spontaneous
    walking). Every value except the target and programme length is an assumption.

    Parameters
    ----------
    target_minutes : float
        Weekly target (published: 150, i.e. 30 minutes 5 times a week).
    baseline_minutes_mean, baseline_minutes_sd : float
        Walking before randomisation (gamma distributed; assumption).
    ramp_weeks : int
        Weeks to progress from baseline to the individual plateau (about 12).
    programme_weeks : int
        Length of the supported programme (published: 26 weeks, 6 sessions).
    maintained_fraction : float
        Share of the extra walking kept long after the programme (assumption).
    post_programme_half_life_weeks : float
        Half-life of the decay towards the maintained level (assumption).
    control_extra_minutes : float
        Mean spontaneous extra walking in the control arm (exponentially distributed; assumption).
    """

    target_minutes: float = field(default_factory=lambda: float(published_value("walking_target_min_week")))
    baseline_minutes_mean: float = 30.0
    baseline_minutes_sd: float = 20.0
    ramp_weeks: int = 12
    programme_weeks: int = field(default_factory=lambda: int(published_value("programme_weeks")))
    maintained_fraction: float = 0.6
    post_programme_half_life_weeks: float = 26.0
    control_extra_minutes: float = 10.0

    def __post_init__(self) -> None:
        s = "walking"
        _check_number(s, "target_minutes", self.target_minutes, 0, 1000)
        _check_number(s, "baseline_minutes_mean", self.baseline_minutes_mean, 0, 1000)
        _check_number(s, "baseline_minutes_sd", self.baseline_minutes_sd, 0, 1000)
        _check_number(s, "ramp_weeks", self.ramp_weeks, 1, 52, integer=True)
        _check_number(s, "programme_weeks", self.programme_weeks, 1, 156, integer=True)
        if self.ramp_weeks > self.programme_weeks:
            raise ScenarioError(
                f"walking.ramp_weeks = {self.ramp_weeks} is longer than programme_weeks = {self.programme_weeks}")
        _check_number(s, "maintained_fraction", self.maintained_fraction, 0, 1)
        _check_number(s, "post_programme_half_life_weeks", self.post_programme_half_life_weeks, 0.5, 1000)
        _check_number(s, "control_extra_minutes", self.control_extra_minutes, 0, 1000)


@dataclass(frozen=True)
class DoseResponse:
    """How the recurrence hazard responds to extra walking (assumption: never published).

    ``x`` is the extra walking in minutes per week above the participant's own baseline.

    - ``log_linear``: hazard x ``exp(-log_hr_per_100_min * x / 100)``
    - ``emax``: hazard x ``1 - emax * x / (ed50_minutes + x)`` (saturating)
    - ``none``: walking has no effect; only the education effect acts

    Parameters
    ----------
    shape : {"log_linear", "emax", "none"}
    log_hr_per_100_min : float
        Log-linear strength; calibration solves it when the shape is ``log_linear``.
    emax : float
        Largest possible hazard reduction (0 to 1); calibration solves it when the shape is ``emax``.
    ed50_minutes : float
        Extra minutes per week giving half the largest reduction.
    education_hr : float
        Dose-independent hazard ratio for starters (education, reassurance); calibration solves it
        when the shape is ``none``.
    """

    shape: str = "log_linear"
    log_hr_per_100_min: float = 0.5
    emax: float = 0.6
    ed50_minutes: float = 60.0
    education_hr: float = 1.0

    def __post_init__(self) -> None:
        s = "dose_response"
        _check_choice(s, "shape", self.shape, DOSE_SHAPES)
        _check_number(s, "log_hr_per_100_min", self.log_hr_per_100_min, -5, 5)
        _check_number(s, "emax", self.emax, 0, 1)
        _check_number(s, "ed50_minutes", self.ed50_minutes, 1, 2000)
        _check_number(s, "education_hr", self.education_hr, 0.05, 5)


@dataclass(frozen=True)
class Episodes:
    """Back-pain episodes over follow-up, their marks, and adverse events (see :mod:`analysis.model.episodes`).

    Every episode has a latent severity ``S ~ Normal(mu, 1)``, with ``mu = 0`` in control and
    ``mu = severity_shift_intervention`` for programme starters. An episode limits activity when
    ``S > limiting_threshold``; the activity-limiting episodes are exactly the primary endpoint's
    process (their hazard is the calibrated primary hazard), and non-limiting episodes are added at
    ``(1 - p) / p`` times that hazard (``p`` the participant's share of limiting episodes), times
    ``nonlimiting_hr_intervention`` for starters. Worst pain is ``worst_pain_centre +
    worst_pain_per_severity * S`` on the 0-10 scale (rounded, clipped); care seeking is logistic in
    ``S`` with an education effect; the duration to recovery is Weibull with a severity and a
    programme hazard ratio. Adverse events over 12 months are Poisson counts per participant.

    Parameters
    ----------
    limiting_threshold : float
        Severity above which an episode limits activity (calibrated: ~596 first recurrences of any kind).
    severity_shift_intervention : float
        Mean latent severity of a starter's episodes, control = 0 (calibrated: worst pain -0.34).
    nonlimiting_hr_intervention : float
        Extra hazard ratio of non-limiting episodes for starters beyond the severity mechanism
        (assumption; the any-recurrence HR was not published; 1 = the programme acts on
        non-limiting episodes only by making episodes milder).
    worst_pain_centre, worst_pain_per_severity : float
        Worst pain (0-10) of a control episode of average severity, and points per SD of severity
        (assumptions; not in the published sheet).
    care_intercept, care_per_severity : float
        Log-odds of seeking care for a control episode of average severity, and per SD of severity
        (assumptions).
    care_education_log_odds : float
        Change in the log-odds of seeking care at a given severity for starters (education;
        calibrated: care-seeking HR about 0.57).
    recovery_scale_days, recovery_shape : float
        Weibull duration of a control episode of average severity (calibrated: medians 4 and 3 days).
    recovery_hr_intervention : float
        Hazard ratio of recovery for starters (calibrated: recovery HR 1.30).
    recovery_log_hr_per_severity : float
        Log hazard ratio of recovery per SD of severity (assumption; severe episodes last longer).
    ae_lower_extremity_rate_control, ae_lower_extremity_rate_intervention : float
        Lower-extremity adverse events per participant over 12 months (calibrated: 54 and 100 events).
    ae_other_rate_control, ae_other_rate_intervention : float
        Other adverse events per participant over 12 months (calibrated: any adverse event 54% and 52%).
    """

    limiting_threshold: float = -0.6
    severity_shift_intervention: float = -0.15
    nonlimiting_hr_intervention: float = 1.0
    worst_pain_centre: float = 6.0
    worst_pain_per_severity: float = 2.0
    care_intercept: float = -0.3
    care_per_severity: float = 1.0
    care_education_log_odds: float = -0.5
    recovery_scale_days: float = 6.0
    recovery_shape: float = 0.9
    recovery_hr_intervention: float = 1.3
    recovery_log_hr_per_severity: float = -0.3
    ae_lower_extremity_rate_control: float = 0.15
    ae_lower_extremity_rate_intervention: float = 0.3
    ae_other_rate_control: float = 0.6
    ae_other_rate_intervention: float = 0.45

    def __post_init__(self) -> None:
        s = "episodes"
        _check_number(s, "limiting_threshold", self.limiting_threshold, -4, 4)
        _check_number(s, "severity_shift_intervention", self.severity_shift_intervention, -3, 3)
        _check_number(s, "nonlimiting_hr_intervention", self.nonlimiting_hr_intervention, 0.05, 5)
        _check_number(s, "worst_pain_centre", self.worst_pain_centre, 0, 10)
        _check_number(s, "worst_pain_per_severity", self.worst_pain_per_severity, 0, 10)
        _check_number(s, "care_intercept", self.care_intercept, -10, 10)
        _check_number(s, "care_per_severity", self.care_per_severity, -5, 5)
        _check_number(s, "care_education_log_odds", self.care_education_log_odds, -5, 5)
        _check_number(s, "recovery_scale_days", self.recovery_scale_days, 0.1, 1000)
        _check_number(s, "recovery_shape", self.recovery_shape, 0.1, 10)
        _check_number(s, "recovery_hr_intervention", self.recovery_hr_intervention, 0.05, 20)
        _check_number(s, "recovery_log_hr_per_severity", self.recovery_log_hr_per_severity, -5, 5)
        for name in ("ae_lower_extremity_rate_control", "ae_lower_extremity_rate_intervention",
                     "ae_other_rate_control", "ae_other_rate_intervention"):
            _check_number(s, name, getattr(self, name), 0, 20)


def icc_to_sigma(icc: float) -> float:
    """SD of the clinic log-frailty for an intraclass correlation on the log-hazard scale.

    ``ICC = sigma^2 / (sigma^2 + pi^2 / 6)``: ``pi^2 / 6`` is the variance of the log of a unit
    exponential (the extreme-value error of a proportional-hazards model written as a linear
    model for the log cumulative hazard), as the logistic ``pi^2 / 3`` is for binary outcomes.

    Examples
    --------
    >>> round(icc_to_sigma(0.05), 4), icc_to_sigma(0.0)
    (0.2942, 0.0)
    """
    return math.sqrt(icc / (1.0 - icc) * math.pi ** 2 / 6.0)


def clinic_frailty(sigma: float, z):
    """The clinic frailty law, in one place: ``exp(sigma * z - sigma^2 / 2)`` for standard normal ``z``, a
    log-normal multiplier of the hazard with mean 1 (so a clinic effect spreads the clinics without moving the
    population's average hazard). The simulator draws ``z``; the expectation integrates over it (Gauss-Hermite).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(np.mean(clinic_frailty(0.3, np.random.default_rng(1).standard_normal(200_000)))), 2)
    1.0
    """
    import numpy as np

    return np.exp(sigma * np.asarray(z, dtype=float) - sigma * sigma / 2.0)


@dataclass(frozen=True)
class Clinics:
    """Clinics that recruit and treat participants (assumptions: the trial published none of these).

    WalkBack recruited through 25 private physiotherapy clinics; the published analysis ignored
    them (no clinic term, no cluster-robust errors), so the calibrated scenario has no clinic
    effect (``icc = 0``) and reproduces the published figures unchanged. Every participant still
    gets a clinic label, drawn from its own random stream (a spawned child of the trial seed), so
    the other columns of a trial do not change with the clinic settings.

    Parameters
    ----------
    n_clinics : int
        Number of clinics (published: 25), at least 2.
    size_distribution : {"equal", "gamma"}
        ``"equal"``: clinic sizes differ by at most one participant. ``"gamma"``: each clinic's
        expected share is Gamma distributed with coefficient of variation ``size_cv`` (then each
        participant's clinic is drawn with those shares).
    size_cv : float
        Coefficient of variation of the clinic sizes under ``"gamma"`` (ignored under ``"equal"``).
    icc : float
        Intraclass correlation on the log-hazard scale, in [0, 1): a shared clinic frailty
        ``exp(b_k)`` multiplies the hazard of every participant of clinic k, with
        ``b_k ~ Normal(-sigma^2 / 2, sigma^2)`` (mean frailty 1) and
        ``ICC = sigma^2 / (sigma^2 + pi^2 / 6)`` (see :func:`icc_to_sigma`). 0 = no clinic effect.
    randomise : {"participant", "cluster"}
        ``"participant"``: the trial's stratified permuted blocks (by history and referral, as
        published), with the arms balanced within every clinic as randomising stratified by clinic
        does (each clinic within one participant of the trial's ratio). ``"cluster"``: whole clinics are randomised, in the
        design's ratio (``rint(n_clinics * n_intervention / n)`` clinics get the intervention), so
        the arm sizes follow the clinics' sizes and ``design.n_intervention``/``n_control`` only
        fix the total.
    """

    n_clinics: int = 25
    size_distribution: str = "equal"
    size_cv: float = 0.5
    icc: float = 0.0
    randomise: str = "participant"

    def __post_init__(self) -> None:
        s = "clinics"
        if isinstance(self.n_clinics, int) and not isinstance(self.n_clinics, bool) and self.n_clinics < 2:
            raise ScenarioError(f"clinics.n_clinics = {self.n_clinics!r}: a clustered trial needs at least 2 clinics")
        _check_number(s, "n_clinics", self.n_clinics, 2, 100_000, integer=True)
        _check_choice(s, "size_distribution", self.size_distribution, CLINIC_SIZE_DISTRIBUTIONS)
        _check_number(s, "size_cv", self.size_cv, 0, 5)
        if _is_number(self.icc) and not 0 <= self.icc < 1:
            raise ScenarioError(f"clinics.icc = {self.icc!r} is out of range: an intraclass correlation is in "
                                "[0, 1) (0 = no clinic effect)")
        _check_number(s, "icc", self.icc, 0, 1, hi_open=True)
        _check_choice(s, "randomise", self.randomise, RANDOMISATION_UNITS)

    @property
    def sigma(self) -> float:
        """SD of the clinic log-frailty (:func:`icc_to_sigma`)."""
        return icc_to_sigma(self.icc)


SECTIONS: dict[str, type] = {
    "design": Design,
    "outcome": Outcome,
    "adherence": Adherence,
    "walking": Walking,
    "dose_response": DoseResponse,
    "episodes": Episodes,
    "clinics": Clinics,
}


@dataclass(frozen=True)
class Scenario:
    """A complete, validated trial scenario.

    Examples
    --------
    >>> s = Scenario()
    >>> s.design.n_total
    701
    >>> scenario_from_json(s.to_json()) == s
    True
    >>> with_changes(s, {"adherence.never_start": 0.2}).adherence.never_start
    0.2
    """

    design: Design = field(default_factory=Design)
    outcome: Outcome = field(default_factory=Outcome)
    adherence: Adherence = field(default_factory=Adherence)
    walking: Walking = field(default_factory=Walking)
    dose_response: DoseResponse = field(default_factory=DoseResponse)
    episodes: Episodes = field(default_factory=Episodes)
    clinics: Clinics = field(default_factory=Clinics)
    seed: int = 20240704
    name: str = "WalkBack"

    def __post_init__(self) -> None:
        for key, cls in SECTIONS.items():
            if not isinstance(getattr(self, key), cls):
                raise ScenarioError(f"scenario.{key} must be a {cls.__name__} section")
        _check_number("scenario", "seed", self.seed, 0, 2**63 - 1, integer=True)
        if self.clinics.randomise == "cluster" and self.clinics.n_clinics > self.design.n_total:
            raise ScenarioError(
                f"clinics.n_clinics = {self.clinics.n_clinics} is more than the {self.design.n_total} participants: "
                "randomising clinics needs at least one participant per clinic")
        if not isinstance(self.name, str) or len(self.name) > 200:
            raise ScenarioError("scenario.name must be text of at most 200 characters")

    def without_seed(self) -> "Scenario":
        """The model alone: this scenario with the default seed (which trial is drawn set aside).

        Whatever does not depend on the draw (expectations, the pooled trials of a fixed seed) is cached on this
        key, so a new seed finds it computed.

        Examples
        --------
        >>> Scenario(seed=5).without_seed() == Scenario(seed=7).without_seed() == Scenario()
        True
        """
        default = type(self).__dataclass_fields__["seed"].default
        return self if self.seed == default else replace(self, seed=default)

    def to_dict(self) -> dict:
        """Plain JSON-compatible dict (tuples become lists)."""
        raw = asdict(self)
        return json.loads(json.dumps(raw))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)


def scenario_from_dict(data: Any, base: Scenario | None = None) -> Scenario:
    """Build a scenario from a (possibly partial) dict; missing fields come from ``base``.

    ``base`` defaults to the uncalibrated ``Scenario()``; the CLI and the app pass the calibrated
    WalkBack scenario, so a file that changes one field changes only that field.

    Unknown fields are rejected so that a typo never silently does nothing.

    Examples
    --------
    >>> scenario_from_dict({"adherence": {"never_start": 0.3}}).adherence.never_start
    0.3
    >>> scenario_from_dict({"adherence": {"never_strat": 0.3}})
    Traceback (most recent call last):
    ...
    analysis.errors.ScenarioError: unknown field 'adherence.never_strat'; allowed: never_start, mean_adherence, adherence_spread, healthy_adherer_correlation
    """
    if not isinstance(data, dict):
        raise ScenarioError(f"a scenario must be a JSON object, not {type(data).__name__}")
    top_allowed = [*list(SECTIONS), "seed", "name"]
    for key in data:
        if key not in top_allowed:
            raise ScenarioError(f"unknown field {key!r}; allowed: {', '.join(top_allowed)}")
    base = base if base is not None else Scenario()
    kwargs: dict[str, Any] = {}
    for key, cls in SECTIONS.items():
        section = data.get(key, {})
        if section is None:
            section = {}
        if not isinstance(section, dict):
            raise ScenarioError(f"{key} must be an object of fields, not {type(section).__name__}")
        allowed = [f.name for f in fields(cls)]
        for name in section:
            if name not in allowed:
                raise ScenarioError(f"unknown field {f'{key}.{name}'!r}; allowed: {', '.join(allowed)}")
        values = {f.name: getattr(getattr(base, key), f.name) for f in fields(cls)}
        for name, value in section.items():
            if isinstance(value, list):
                value = tuple(value)
            values[name] = value
        try:
            kwargs[key] = cls(**values)
        except TypeError as exc:  # pragma: no cover - guarded by the allowed-field check
            raise ScenarioError(f"{key}: {exc}") from None
    kwargs["seed"] = data.get("seed", base.seed)
    kwargs["name"] = data.get("name", base.name)
    return Scenario(**kwargs)


MAX_SCENARIO_BYTES = 1_000_000


def load_scenario_file(path: str, base: Scenario | None = None) -> Scenario:
    """Read a scenario JSON file; every failure is a :class:`ScenarioError` naming the file."""
    raw = read_input_file(path, label=f"scenario file '{path}'", error=ScenarioError, max_bytes=MAX_SCENARIO_BYTES)
    try:
        return scenario_from_json(raw, base=base)
    except ScenarioError as exc:
        raise ScenarioError(f"scenario file '{path}': {exc}") from None


def scenario_from_json(text: str | bytes, base: Scenario | None = None) -> Scenario:
    """Parse scenario JSON text, with a message that points at the line of any syntax error."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError("the scenario file is not UTF-8 text") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"the scenario is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ScenarioError("the scenario JSON is nested too deeply to be a scenario") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ScenarioError(f"the scenario JSON holds a value that cannot be read: {exc}") from None
    return scenario_from_dict(data, base=base)


def _reject_constant(name: str) -> Any:
    raise ScenarioError(f"the scenario contains {name}, which is not a number JSON allows")


def with_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """A copy of ``scenario`` with dotted-path changes, e.g. ``{"adherence.never_start": 0.2}``."""
    grouped: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for path, value in changes.items():
        if "." in path:
            section, name = path.split(".", 1)
            if section not in SECTIONS:
                raise ScenarioError(f"unknown section {section!r} in {path!r}; allowed: {', '.join(SECTIONS)}")
            allowed = [f.name for f in fields(SECTIONS[section])]
            if name not in allowed:
                raise ScenarioError(f"unknown field {path!r}; allowed: {', '.join(allowed)}")
            grouped.setdefault(section, {})[name] = tuple(value) if isinstance(value, list) else value
        elif path in ("seed", "name"):
            top[path] = value
        else:
            raise ScenarioError(f"unknown field {path!r}")
    new_sections = {key: replace(getattr(scenario, key), **vals) for key, vals in grouped.items()}
    return replace(scenario, **new_sections, **top)


#: Every scenario field the trial did not publish, with why it exists. The app labels these.
ASSUMPTIONS: dict[str, str] = {
    "design.annual_loss_to_followup": "Loss to follow-up was not published; calibration solves it to match the derived event count.",
    "design.share_history_gt2": "Share of each stratum not published.",
    "design.share_referred_by_clinician": "Share of each stratum not published.",
    "outcome.baseline": "Shape of the recurrence hazard not published; solved from the medians and the HR.",
    "outcome.history_hr": "Prognostic effect of previous episodes not published.",
    "outcome.baseline_risk_sd": "Unobserved heterogeneity in recurrence risk.",
    "adherence.never_start": "Programme uptake per participant not published.",
    "adherence.mean_adherence": "Adherence per participant not published; defaults give about the published 130 min/week at 12 weeks.",
    "adherence.adherence_spread": "Adherence distribution not published.",
    "adherence.healthy_adherer_correlation": "Whether adherent participants were at lower risk anyway is unknowable from the trial.",
    "walking.baseline_minutes_mean": "Baseline walking not published (eligibility excluded regular moderate exercise).",
    "walking.baseline_minutes_sd": "Baseline walking not published.",
    "walking.ramp_weeks": "Progression described as individual, reaching the target by about 12 weeks.",
    "walking.maintained_fraction": "Walking after the programme not published.",
    "walking.post_programme_half_life_weeks": "Walking after the programme not published.",
    "walking.control_extra_minutes": "Spontaneous walking in the control arm not published.",
    "dose_response.shape": "No dose-response analysis was published.",
    "dose_response.ed50_minutes": "No dose-response analysis was published.",
    "dose_response.education_hr": "The separate effect of education is not identifiable from the trial.",
    "episodes.limiting_threshold": "Share of episodes that limit activity not published; solved so about 596 of 701 have a first recurrence of any kind.",
    "episodes.severity_shift_intervention": "Latent severity is a modelling device; solved from the published worst-pain difference (-0.34).",
    "episodes.nonlimiting_hr_intervention": "Any-recurrence hazard ratio not published; 1 means the programme reaches non-limiting episodes only through milder episodes.",
    "episodes.worst_pain_centre": "Worst pain of a typical control episode not in the published sheet.",
    "episodes.worst_pain_per_severity": "Spread of worst pain across episodes not in the published sheet.",
    "episodes.care_intercept": "Share of episodes that lead to care seeking not published.",
    "episodes.care_per_severity": "How strongly severity drives care seeking is not published.",
    "episodes.care_education_log_odds": "Education effect on care seeking at a given severity not published; solved from the care-seeking HR about 0.57 (CI not found).",
    "episodes.recovery_scale_days": "Solved from the published recovery medians (4 and 3 days).",
    "episodes.recovery_shape": "Solved from the published recovery medians and HR 1.30.",
    "episodes.recovery_hr_intervention": "Solved from the published recovery HR 1.30 (from the first recurrence).",
    "episodes.recovery_log_hr_per_severity": "How severity slows recovery is not published.",
    "episodes.ae_lower_extremity_rate_control": "Solved from the published 54 lower-extremity adverse events (Poisson counts assumed).",
    "episodes.ae_lower_extremity_rate_intervention": "Solved from the published 100 lower-extremity adverse events (Poisson counts assumed).",
    "episodes.ae_other_rate_control": "Solved from the published 54% with any adverse event (Poisson counts assumed).",
    "episodes.ae_other_rate_intervention": "Solved from the published 52% with any adverse event (Poisson counts assumed).",
    "clinics.size_distribution": "Clinic sizes not published (25 clinics recruited).",
    "clinics.size_cv": "Spread of clinic sizes not published.",
    "clinics.icc": "Clustering by clinic not published; the published analysis ignored clinics, so the calibrated value is 0.",
    "clinics.randomise": "WalkBack randomised participants; clinic randomisation is a what-if for a follow-up trial.",
}
