"""Recurrences, participants and calendar times of the looks of a group-sequential survival design, as rpact's
``getSampleSizeSurvival`` and ``getPowerSurvival`` compute them (Schoenfeld's events, exponential or piecewise
exponential hazards, uniform or piecewise uniform recruitment, exponential loss to follow-up).

Place in the pipeline: after :mod:`analysis.design.boundaries` (the drift and the information rates of a solved
design) and before any simulation. Time is in whatever unit the hazards are (the CLI uses days).

- Events: ``D_max = drift^2 (1 + r)^2 / (r log(HR)^2)`` (``r`` = allocation ratio intervention : control), i.e. the
  inflation factor times Schoenfeld's fixed-design events; look k at ``t_k D_max``.
- Expected events by calendar time ``T`` with ``N`` participants recruited uniformly over ``A``:
  ``N/A [G(T) - G(max(T - A, 0))]`` per arm share, ``G(s) = int_0^s F(u) du`` and ``F`` the probability of an observed
  recurrence within ``u`` of entry under the competing exponential loss (closed form piece by piece).
- Participants: ``N = D_max / P(recurrence observed by A + F)`` under H1 (``F`` the follow-up after recruitment
  ends); the calendar time of look k solves expected events = ``t_k D_max`` under H1.
- Expected events (H0, H1 and half-way) and expected participants and duration under H1 weigh the looks by the
  design's stopping probabilities.

Examples
--------
>>> from analysis.design.boundaries import GroupSequentialDesign, compute_boundaries
>>> b = compute_boundaries(GroupSequentialDesign("asOF", (1/3, 2/3, 1.0)))
>>> a = SurvivalAssumptions(hazard_ratio=0.7, control_hazards=(math.log(2) / 12,), accrual_time=24, follow_up=12,
...                         dropout_rate=0.05, dropout_time=12)
>>> s = sample_size_survival(b, a)
>>> round(s.max_events, 2), round(s.max_participants, 1), [round(t, 2) for t in s.analysis_times]
(249.94, 390.2, [16.63, 25.08, 36.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import WalkBackInputError
from .boundaries import GroupSequentialBoundaries, sequential_probabilities
from .integration import find_root

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SurvivalAssumptions", "SurvivalDesign", "drift_for", "events_for", "sample_size_survival",
           "power_survival", "expected_events"]


def _positive(name: str, value: Any, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(float(value)) and (float(value) >= 0 if allow_zero else float(value) > 0)
    if not ok:
        raise WalkBackInputError(f"{name} = {value!r} must be a {'non-negative' if allow_zero else 'positive'} "
                                 "finite number")
    return float(value)


def drift_for(hazard_ratio: float, events: float, allocation_ratio: float = 1.0) -> float:
    """Mean of the final log-rank z with ``events`` recurrences (Schoenfeld), oriented towards the assumed effect
    (rpact's directionUpper follows the hazard ratio).

    Examples
    --------
    >>> round(drift_for(0.7, 250), 4)
    2.8198
    """
    hr, r = _positive("hazard ratio", hazard_ratio), _positive("allocation ratio", allocation_ratio)
    events = _positive("events", events, allow_zero=True)
    return abs(math.log(hr)) * math.sqrt(events * r) / (1 + r)


def events_for(drift: float, hazard_ratio: float, allocation_ratio: float = 1.0) -> float:
    """Recurrences whose log-rank z has mean ``drift`` at ``hazard_ratio`` (Schoenfeld), the inverse of
    :func:`drift_for`.

    Examples
    --------
    >>> round(events_for(drift_for(0.7, 250), 0.7), 6)
    250.0
    """
    hr, r = _positive("hazard ratio", hazard_ratio), _positive("allocation ratio", allocation_ratio)
    if hr == 1:
        raise WalkBackInputError("hazard ratio 1 has no sample size: there is no effect to detect")
    return drift * drift * (1 + r) ** 2 / (r * math.log(hr) ** 2)


@dataclass(frozen=True)
class SurvivalAssumptions:
    """What rpact's survival functions take.

    Parameters
    ----------
    hazard_ratio : float
        Intervention : control hazard ratio under H1 (not 1).
    control_hazards : tuple of float
        Control hazard per piece (one value: exponential).
    piece_starts : tuple of float
        Start of each piece, from 0 (rpact's piecewiseSurvivalTime).
    accrual_time : float or tuple of float
        Length of uniform recruitment, or the ends of its pieces (rpact's accrualTime without the leading 0).
    accrual_intensity : tuple of float, optional
        Relative recruitment rate per piece (default equal rates: uniform). rpact's absolute intensities are
        ``max_participants = sum(intensity x piece length)`` with these as the relative rates.
    follow_up : float, optional
        Follow-up after recruitment ends (gives the participants); or
    max_participants : float, optional
        the participants (gives the follow-up).
    dropout_rate, dropout_time : float
        Share lost to follow-up by ``dropout_time`` (exponential; same in both arms).
    allocation_ratio : float
        Intervention : control participants (rpact's allocationRatioPlanned).
    """

    hazard_ratio: float
    control_hazards: tuple
    accrual_time: Any
    follow_up: float | None = None
    max_participants: float | None = None
    piece_starts: tuple = (0.0,)
    dropout_rate: float = 0.0
    dropout_time: float = 12.0
    allocation_ratio: float = 1.0
    accrual_intensity: tuple | None = None

    def __post_init__(self) -> None:
        hr = _positive("hazard ratio", self.hazard_ratio)
        if hr == 1:
            raise WalkBackInputError("hazard ratio 1 has no sample size: there is no effect to detect")
        try:
            hazards = tuple(_positive("control hazard", h) for h in self.control_hazards)
            starts = tuple(_positive("piece start", s, allow_zero=True) for s in self.piece_starts)
        except TypeError:
            raise WalkBackInputError("control hazards and piece starts must be lists of numbers") from None
        if len(hazards) != len(starts) or starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:])):
            raise WalkBackInputError(f"piece starts {self.piece_starts!r} must begin at 0, increase, and match the "
                                     f"{len(hazards)} control hazard(s)")
        object.__setattr__(self, "control_hazards", hazards)
        object.__setattr__(self, "piece_starts", starts)
        ends = self.accrual_time if isinstance(self.accrual_time, (tuple, list)) else (self.accrual_time,)
        try:
            ends = tuple(_positive("accrual time", e) for e in ends)
        except TypeError:
            raise WalkBackInputError("accrual time must be a number or a list of piece ends") from None
        if any(b <= a for a, b in zip(ends, ends[1:])):
            raise WalkBackInputError(f"accrual piece ends {self.accrual_time!r} must increase")
        object.__setattr__(self, "accrual_time", ends[0] if len(ends) == 1 else ends)
        rates = (1.0,) * len(ends) if self.accrual_intensity is None else self.accrual_intensity
        try:
            rates = tuple(_positive("accrual intensity", r) for r in rates)
        except TypeError:
            raise WalkBackInputError("accrual intensity must be a list of numbers") from None
        if len(rates) != len(ends):
            raise WalkBackInputError(f"{len(rates)} accrual intensities for {len(ends)} accrual pieces")
        object.__setattr__(self, "accrual_intensity", None if self.accrual_intensity is None else rates)
        if (self.follow_up is None) == (self.max_participants is None):
            raise WalkBackInputError("give either the follow-up after recruitment or the number of participants")
        if self.follow_up is not None:
            _positive("follow-up", self.follow_up, allow_zero=True)
        if self.max_participants is not None:
            _positive("participants", self.max_participants)
        rate = self.dropout_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise WalkBackInputError(f"dropout rate = {rate!r} must be from 0 to below 1")
        _positive("dropout time", self.dropout_time)
        _positive("allocation ratio", self.allocation_ratio)

    @property
    def accrual_pieces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start, end and share of the participants of each recruitment piece."""
        ends = np.atleast_1d(np.asarray(self.accrual_time, dtype=float))
        starts = np.concatenate(([0.0], ends[:-1]))
        rates = np.ones(ends.size) if self.accrual_intensity is None else np.asarray(self.accrual_intensity)
        weight = rates * (ends - starts)
        return starts, ends, weight / weight.sum()

    @property
    def accrual_end(self) -> float:
        return float(np.atleast_1d(self.accrual_time)[-1])

    def recruited(self, calendar_time: float) -> float:
        """Share of the participants recruited by ``calendar_time``."""
        starts, ends, shares = self.accrual_pieces
        return float(shares @ np.clip((calendar_time - starts) / (ends - starts), 0.0, 1.0))

    @property
    def dropout_hazard(self) -> float:
        return -math.log1p(-self.dropout_rate) / self.dropout_time

    @property
    def share_intervention(self) -> float:
        return self.allocation_ratio / (1 + self.allocation_ratio)


def _integrated_incidence(hazards, starts, dropout: float, s: np.ndarray) -> np.ndarray:
    """``G(s) = int_0^s F(u) du``, ``F(u)`` = P(recurrence observed within ``u`` of entry), piecewise exact."""
    s = np.asarray(s, dtype=float)
    out = np.zeros_like(s)
    surv, incidence = 1.0, 0.0
    ends = list(starts[1:]) + [math.inf]
    for lam, lo, hi in zip(hazards, starts, ends):
        m = lam + dropout
        length = np.clip(s - lo, 0.0, hi - lo)
        out += incidence * length + lam / m * surv * (length + np.expm1(-m * length) / m)
        if math.isfinite(hi):
            incidence += lam / m * surv * -math.expm1(-m * (hi - lo))
            surv *= math.exp(-m * (hi - lo))
    return out


def _arm_hazards(a: SurvivalAssumptions, hazard_ratio: float):
    return ((a.control_hazards, 1 - a.share_intervention),
            (tuple(hazard_ratio * h for h in a.control_hazards), a.share_intervention))


def expected_events(assumptions: SurvivalAssumptions, participants: float, calendar_time, hazard_ratio=None):
    """Expected recurrences by ``calendar_time`` (both arms) with ``participants`` recruited uniformly.

    ``hazard_ratio`` defaults to the assumptions' (H1); pass 1 for H0.

    Examples
    --------
    >>> a = SurvivalAssumptions(0.7, (0.05,), accrual_time=24, follow_up=12)
    >>> round(float(expected_events(a, 400, 36.0)), 3)
    247.178
    """
    a = assumptions
    hr = a.hazard_ratio if hazard_ratio is None else hazard_ratio
    t = np.asarray(calendar_time, dtype=float)
    total = np.zeros_like(t)
    starts, ends, shares = a.accrual_pieces
    for hazards, share in _arm_hazards(a, hr):
        # entries uniform within each recruitment piece: events = N share / length x [G(T - start) - G(T - end)]
        for start, end, piece in zip(starts, ends, shares):
            g = _integrated_incidence(hazards, a.piece_starts, a.dropout_hazard,
                                      np.stack([np.maximum(t - start, 0), np.maximum(t - end, 0)]))
            total += share * piece / (end - start) * (g[0] - g[1])
    out = participants * total
    return float(out) if out.ndim == 0 else out


def _time_of(a: SurvivalAssumptions, participants: float, events: float) -> float:
    """Calendar time at which ``events`` recurrences are expected under H1."""
    hi = a.accrual_end
    while expected_events(a, participants, hi) < events:
        if hi > 1e4 * a.accrual_end:
            raise WalkBackInputError(f"{events:.1f} recurrences are never reached with {participants:.0f} "
                                     "participants: recruit more or follow them longer")
        hi *= 2
    return find_root(lambda t: expected_events(a, participants, t) - events, 0.0, hi, tol=1e-10,
                     what="the time of a look")


@dataclass(frozen=True)
class SurvivalDesign:
    """Events, participants and look times of a solved design (rpact's names in brackets).

    ``events_fixed`` (eventsFixed), ``max_events`` (maxNumberOfEvents), ``events_per_look`` (eventsPerStage),
    ``max_participants`` (maxNumberOfSubjects), ``participants_fixed`` (nFixed), ``analysis_times`` (analysisTime),
    ``participants_per_look`` (numberOfSubjects), ``expected_events`` (expectedEventsH0/H01/H1),
    ``expected_participants_h1`` (expectedNumberOfSubjectsH1), ``expected_duration_h1`` (studyDuration),
    ``efficacy_hr`` / ``futility_hr`` (criticalValuesEffectScale / futilityBoundsEffectScale), ``power`` at the
    assumed hazard ratio with the looks' events, its per-look ``reject``/``futility`` probabilities.
    """

    boundaries: GroupSequentialBoundaries
    assumptions: SurvivalAssumptions
    events_fixed: float
    participants_fixed: float | None
    max_events: float
    max_participants: float
    follow_up: float
    analysis_times: tuple
    expected_events: dict
    expected_participants_h1: float
    expected_duration_h1: float
    power: float
    reject: tuple
    futility: tuple

    @property
    def events_per_look(self) -> tuple:
        return tuple(t * self.max_events for t in self.boundaries.information_rates)

    @property
    def participants_per_look(self) -> tuple:
        a = self.assumptions
        return tuple(self.max_participants * a.recruited(t) for t in self.analysis_times)

    def _hr_scale(self, z) -> tuple:
        r = self.assumptions.allocation_ratio
        sign = -1 if self.assumptions.hazard_ratio < 1 else 1
        return tuple(math.nan if math.isnan(b) else math.exp(sign * b * (1 + r) / math.sqrt(r * d))
                     for b, d in zip(z, self.events_per_look))

    @property
    def efficacy_hr(self) -> tuple:
        return self._hr_scale(self.boundaries.efficacy_z)

    @property
    def futility_hr(self) -> tuple:
        return self._hr_scale(self.boundaries.futility_z)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look: information, events, time, participants, boundaries on the z and HR scales."""
        import pandas as pd

        b = self.boundaries
        return pd.DataFrame({
            "look": np.arange(1, len(b.information_rates) + 1),
            "information_rate": b.information_rates,
            "events": self.events_per_look,
            "analysis_time": self.analysis_times,
            "participants": self.participants_per_look,
            "efficacy_z": b.efficacy_z,
            "efficacy_hr": self.efficacy_hr,
            "futility_z": b.futility_z,
            "futility_hr": self.futility_hr,
            "reject": self.reject,
            "futility_stop": self.futility,
        }).set_index("look")

    def to_dict(self) -> dict:
        def clean(values):
            return [None if math.isnan(v) else v for v in values]

        return {
            "events_fixed": self.events_fixed, "participants_fixed": self.participants_fixed,
            "max_events": self.max_events, "max_participants": self.max_participants,
            "follow_up": self.follow_up, "events_per_look": list(self.events_per_look),
            "analysis_times": list(self.analysis_times), "participants_per_look": list(self.participants_per_look),
            "expected_events": dict(self.expected_events),
            "expected_participants_h1": self.expected_participants_h1,
            "expected_duration_h1": self.expected_duration_h1,
            "efficacy_hr": clean(self.efficacy_hr), "futility_hr": clean(self.futility_hr),
            "power": self.power, "reject": list(self.reject), "futility_stop": list(self.futility),
        }


def _complete(b: GroupSequentialBoundaries, a: SurvivalAssumptions, max_events: float, participants: float,
              participants_fixed, follow_up: float, drift: float) -> SurvivalDesign:
    rates = b.information_rates
    times = tuple(_time_of(a, participants, t * max_events) for t in rates[:-1]) + (a.accrual_end + follow_up,)
    at = sequential_probabilities(b, drift)
    stop = at.stop
    weights = {"h0": b.expected_information_h0, "h01": b.expected_information_h01, "h1": at.expected_information}
    n_look = [participants * a.recruited(t) for t in times]
    fixed_events = events_for(b.fixed_drift, a.hazard_ratio, a.allocation_ratio)
    return SurvivalDesign(
        b, a, fixed_events, participants_fixed, max_events, participants, follow_up, times,
        {k: w * max_events for k, w in weights.items()}, float(stop @ np.asarray(n_look)),
        float(stop @ np.asarray(times)), at.power, tuple(at.reject.tolist()), tuple(at.futility.tolist()))


def _participants_for(a: SurvivalAssumptions, events: float, follow_up: float) -> float:
    return events / expected_events(a, 1.0, a.accrual_end + follow_up)


def _follow_up_for(a: SurvivalAssumptions, participants: float, events: float) -> float:
    end = _time_of(a, participants, events)
    if end < a.accrual_end:
        raise WalkBackInputError(f"{events:.1f} recurrences are expected before recruitment of {participants:.0f} "
                                 "ends: recruit fewer participants or over a shorter time")
    return end - a.accrual_end


def sample_size_survival(boundaries: GroupSequentialBoundaries, assumptions: SurvivalAssumptions) -> SurvivalDesign:
    """Events and participants giving the design's power at the assumed hazard ratio (rpact's
    ``getSampleSizeSurvival``); ``follow_up`` gives the participants, or ``max_participants`` the follow-up."""
    a = assumptions
    max_events = events_for(boundaries.drift, a.hazard_ratio, a.allocation_ratio)
    fixed_events = events_for(boundaries.fixed_drift, a.hazard_ratio, a.allocation_ratio)
    if a.follow_up is not None:
        follow_up = float(a.follow_up)
        participants = _participants_for(a, max_events, follow_up)
        participants_fixed = _participants_for(a, fixed_events, follow_up)
    else:
        participants = participants_fixed = float(a.max_participants)  # rpact: the fixed design recruits as many
        follow_up = _follow_up_for(a, participants, max_events)
    return _complete(boundaries, a, max_events, participants, participants_fixed, follow_up, boundaries.drift)


def power_survival(boundaries: GroupSequentialBoundaries, assumptions: SurvivalAssumptions,
                   max_events: float) -> SurvivalDesign:
    """Power and stopping probabilities with ``max_events`` recurrences at the last look and the assumptions'
    participants (rpact's ``getPowerSurvival``); the follow-up is whatever the events take."""
    a = assumptions
    max_events = _positive("events", max_events)
    if a.max_participants is None:
        raise WalkBackInputError("power for given events needs the number of participants")
    participants = float(a.max_participants)
    follow_up = _follow_up_for(a, participants, max_events)
    drift = drift_for(a.hazard_ratio, max_events, a.allocation_ratio)
    return _complete(boundaries, a, max_events, participants, None, follow_up, drift)
