"""The recurrence-hazard model shared by the simulator and the calibrator.

Participant i's hazard of a first activity-limiting recurrence at day t is

    h_i(t) = h0(t) * exp(sigma * z_i) * history_hr^[history_i] * E_i * RR(x_i(t))

- ``h0`` is the baseline hazard (Weibull, exponential or piecewise exponential);
- ``z_i`` is a standard-normal frailty (``outcome.baseline_risk_sd`` = sigma, default 0);
- ``E_i`` is the education hazard ratio for intervention participants who start the programme;
- ``x_i(t)`` is the participant's *extra* walking in minutes per week above their own baseline and
  ``RR`` the dose-response curve.

Walking is recorded and prescribed per week, so ``x_i(t)`` is a step function on common pieces:
weekly during the progression, constant on the plateau until the programme ends, then 4-weekly
steps of the post-programme decay for a year, quarterly steps for two more, then constant. Within a piece the hazard is the
baseline hazard times a constant, so the cumulative hazard has a closed form and event times are
drawn exactly by inverting it; nothing is approximated on a grid.

A participant who never starts, and every control participant, keeps their spontaneous extra
walking ``c_i`` (exponential with mean ``walking.control_extra_minutes``) for the whole follow-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from ..trial.scenario import DoseResponse, Outcome, Scenario, Walking

__all__ = [
    "BaselineHazard",
    "DosePieces",
    "Latent",
    "dose_pieces",
    "relative_hazard",
    "logitnormal_location",
    "latent_from_uniforms",
    "event_times_constant",
    "event_times_piecewise",
    "cumulative_hazard_on_grid",
    "StarterHazard",
    "week12_fraction",
    "N_LATENT_COLUMNS",
]

DAYS_PER_WEEK = 7.0
# After the programme: 4-weekly steps for a year (the decay is fastest then), then quarterly
# (13-weekly) steps for two more years, then constant.
POST_PROGRAMME_STEPS_DAYS = (28.0,) * 13 + (91.0,) * 8


# --------------------------------------------------------------------------- baseline hazard
@dataclass(frozen=True)
class BaselineHazard:
    """Cumulative baseline hazard ``H0`` and its inverse, vectorised."""

    family: str
    scale: float
    shape: float
    starts: np.ndarray
    hazards: np.ndarray
    cum_at_starts: np.ndarray

    @classmethod
    def from_outcome(cls, outcome: Outcome) -> "BaselineHazard":
        starts = np.asarray(outcome.piece_starts_days, dtype=float)
        hazards = np.asarray(outcome.piece_hazards_per_day, dtype=float)
        cum = np.concatenate([[0.0], np.cumsum(hazards[:-1] * np.diff(starts))])
        return cls(outcome.baseline, float(outcome.scale_days), float(outcome.shape), starts, hazards, cum)

    def cumulative(self, t: np.ndarray | float) -> np.ndarray:
        """H0(t); H0(inf) = inf."""
        t = np.asarray(t, dtype=float)
        if self.family == "weibull":
            with np.errstate(over="ignore"):
                return (t / self.scale) ** self.shape
        if self.family == "exponential":
            return t / self.scale
        j = np.searchsorted(self.starts, t, side="right") - 1
        j = np.clip(j, 0, len(self.starts) - 1)
        return self.cum_at_starts[j] + self.hazards[j] * (t - self.starts[j])

    def inverse(self, x: np.ndarray | float) -> np.ndarray:
        """The t with H0(t) = x."""
        x = np.asarray(x, dtype=float)
        if self.family == "weibull":
            return self.scale * x ** (1.0 / self.shape)
        if self.family == "exponential":
            return self.scale * x
        j = np.searchsorted(self.cum_at_starts, x, side="right") - 1
        j = np.clip(j, 0, len(self.starts) - 1)
        return self.starts[j] + (x - self.cum_at_starts[j]) / self.hazards[j]

    def hazard(self, t: np.ndarray | float) -> np.ndarray:
        """h0(t), for plots."""
        t = np.asarray(t, dtype=float)
        if self.family == "weibull":
            with np.errstate(divide="ignore"):
                return self.shape / self.scale * (np.maximum(t, 1e-9) / self.scale) ** (self.shape - 1.0)
        if self.family == "exponential":
            return np.full_like(t, 1.0 / self.scale)
        j = np.clip(np.searchsorted(self.starts, t, side="right") - 1, 0, len(self.starts) - 1)
        return self.hazards[j]


# --------------------------------------------------------------------------- walking dose
@dataclass(frozen=True)
class DosePieces:
    """Common time pieces of the walking step function.

    Attributes
    ----------
    starts, ends : ndarray
        Piece boundaries in days since randomisation; the last end is ``inf``.
    fraction : ndarray
        Share of the participant's plateau extra walking done during each piece.
    """

    starts: np.ndarray
    ends: np.ndarray
    fraction: np.ndarray

    def piece_of(self, t: np.ndarray | float) -> np.ndarray:
        return np.clip(np.searchsorted(self.starts, t, side="right") - 1, 0, len(self.starts) - 1)


def dose_pieces(walking: Walking) -> DosePieces:
    """The step function of the share of plateau extra walking over time.

    Examples
    --------
    >>> p = dose_pieces(Walking())
    >>> float(p.fraction[0]), float(p.fraction[11]), float(p.fraction[12])
    (0.08333333333333333, 1.0, 1.0)
    >>> float(p.starts[12]), float(p.starts[13])
    (84.0, 182.0)
    """
    ramp = walking.ramp_weeks
    starts = [DAYS_PER_WEEK * j for j in range(ramp)]
    fraction = [(j + 1) / ramp for j in range(ramp)]
    end_programme = DAYS_PER_WEEK * walking.programme_weeks
    if walking.programme_weeks > ramp:
        starts.append(DAYS_PER_WEEK * ramp)
        fraction.append(1.0)
    kept = walking.maintained_fraction
    half_life_days = walking.post_programme_half_life_weeks * DAYS_PER_WEEK
    offset = 0.0
    for width in POST_PROGRAMME_STEPS_DAYS:
        starts.append(end_programme + offset)
        mid = offset + 0.5 * width
        fraction.append(kept + (1.0 - kept) * 2.0 ** (-mid / half_life_days))
        offset += width
    starts.append(end_programme + offset)
    fraction.append(kept + (1.0 - kept) * 2.0 ** (-offset / half_life_days))
    starts_arr = np.asarray(starts, dtype=float)
    ends = np.append(starts_arr[1:], np.inf)
    return DosePieces(starts_arr, ends, np.asarray(fraction, dtype=float))


def week12_fraction(pieces: DosePieces) -> float:
    """Share of the plateau extra walking done in week 12 after randomisation (days 77 to 84).

    The published walking outcome is measured in week 12; this is the step of the walking
    trajectory that covers the middle of that week.

    Examples
    --------
    >>> week12_fraction(dose_pieces(Walking()))
    1.0
    >>> week12_fraction(dose_pieces(Walking(ramp_weeks=24, programme_weeks=26)))
    0.5
    """
    return float(pieces.fraction[pieces.piece_of(11 * DAYS_PER_WEEK + 0.5)])


def relative_hazard(extra_minutes: np.ndarray | float, dose: DoseResponse) -> np.ndarray:
    """Hazard multiplier for ``extra_minutes`` of extra walking per week.

    Examples
    --------
    >>> round(float(relative_hazard(100.0, DoseResponse(shape="log_linear", log_hr_per_100_min=0.5))), 4)
    0.6065
    >>> float(relative_hazard(60.0, DoseResponse(shape="emax", emax=0.6, ed50_minutes=60)))
    0.7
    """
    x = np.asarray(extra_minutes, dtype=float)
    if dose.shape == "log_linear":
        return np.exp(-dose.log_hr_per_100_min * x / 100.0)
    if dose.shape == "emax":
        return 1.0 - dose.emax * x / (dose.ed50_minutes + x)
    return np.ones_like(x)


# --------------------------------------------------------------------------- participants' latent traits
N_LATENT_COLUMNS = 6  # history, referral, frailty, adherence noise, baseline walking, spontaneous walking

_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(60)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()


@lru_cache(maxsize=256)
def logitnormal_location(mean: float, spread: float) -> float:
    """Location mu such that E[expit(mu + spread * Z)] = mean (Z standard normal).

    Examples
    --------
    >>> abs(logitnormal_location(0.5, 1.0)) < 1e-12
    True
    >>> mu = logitnormal_location(0.87, 1.0)
    >>> round(float(np.sum(_GH_WEIGHTS * special.expit(mu + _GH_NODES))), 6)
    0.87
    """
    if mean <= 0.0 or mean >= 1.0:
        return float("-inf") if mean <= 0.0 else float("inf")
    lo, hi = -40.0, 40.0
    for _ in range(80):  # bisection: monotone, robust, deterministic
        mid = 0.5 * (lo + hi)
        if np.sum(_GH_WEIGHTS * special.expit(mid + spread * _GH_NODES)) < mean:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class Latent:
    """Participants' traits, identical in distribution in both arms (randomisation).

    ``adherence`` and ``starts`` describe what the participant *would* do if offered the
    programme; they are realised only in the intervention arm.
    """

    history: np.ndarray          # bool, more than two previous episodes
    referral_clinician: np.ndarray  # bool
    risk: np.ndarray             # exp(sigma z) * history_hr^history
    starts: np.ndarray           # bool, would start the programme
    adherence: np.ndarray        # share of target reached at the plateau (0 for never-starters)
    baseline_minutes: np.ndarray
    spontaneous_extra: np.ndarray  # extra minutes/week without the programme
    plateau_extra: np.ndarray    # extra minutes/week at the plateau if starting the programme


def latent_from_uniforms(scenario: Scenario, u: np.ndarray) -> Latent:
    """Map uniforms of shape (n, N_LATENT_COLUMNS) to participant traits.

    Using uniforms (rather than drawing inside) lets the calibrator feed a fixed quasi-random
    sample and the simulator a pseudo-random one through the same transformation.
    """
    design, outcome, adh, walk = scenario.design, scenario.outcome, scenario.adherence, scenario.walking
    history = u[:, 0] < design.share_history_gt2
    referral = u[:, 1] < design.share_referred_by_clinician
    rho = adh.healthy_adherer_correlation
    if outcome.baseline_risk_sd == 0.0 and rho == 0.0:
        # Same values as the general branch (ndtr(ndtri(u)) == u), without three special functions.
        risk = np.ones(len(u))
        p_w = u[:, 3]
    else:
        z = special.ndtri(u[:, 2])
        eps = special.ndtri(u[:, 3])
        # Adherence latent: correlation rho with *lower* baseline risk (-z).
        w = -rho * z + np.sqrt(1.0 - rho * rho) * eps
        risk = np.exp(outcome.baseline_risk_sd * z)
        p_w = special.ndtr(w)
    if outcome.history_hr != 1.0:
        risk = risk * np.where(history, outcome.history_hr, 1.0)
    starts = p_w >= adh.never_start
    if adh.mean_adherence >= 1.0:
        adherence = np.ones_like(p_w)
    elif adh.mean_adherence <= 0.0:
        adherence = np.zeros_like(p_w)
    elif adh.adherence_spread == 0.0:
        adherence = np.full_like(p_w, adh.mean_adherence)
    else:
        mu = logitnormal_location(adh.mean_adherence, adh.adherence_spread)
        # Rank within starters, so the never-starters are the lowest adherence latents.
        q = (p_w - adh.never_start) / max(1.0 - adh.never_start, 1e-12)
        q = np.clip(q, 1e-12, 1.0 - 1e-12)
        adherence = special.expit(mu + adh.adherence_spread * special.ndtri(q))
    adherence = np.where(starts, adherence, 0.0)
    # Means below a microsecond a week are zero walking (and would overflow the lognormal's CV).
    if walk.baseline_minutes_sd > 0 and walk.baseline_minutes_mean > 1e-6:
        cv = walk.baseline_minutes_sd / walk.baseline_minutes_mean
        # log(1 + cv^2) without overflow for extreme coefficients of variation
        s2 = math.log1p(cv * cv) if cv < 1e100 else 2.0 * math.log(cv)
        baseline = np.exp(np.log(walk.baseline_minutes_mean) - 0.5 * s2 + np.sqrt(s2) * special.ndtri(u[:, 4]))
    else:
        baseline = np.full(len(u), float(walk.baseline_minutes_mean))
    spontaneous = -walk.control_extra_minutes * np.log1p(-u[:, 5])
    plateau = adherence * np.maximum(walk.target_minutes - baseline, 0.0)
    return Latent(history, referral, risk, starts, adherence, baseline, spontaneous, plateau)


# --------------------------------------------------------------------------- exact event times
def event_times_constant(target: np.ndarray, multiplier: np.ndarray, baseline: BaselineHazard) -> np.ndarray:
    """Event times when the hazard is ``multiplier * h0``: t = H0^-1(target / multiplier)."""
    with np.errstate(divide="ignore"):
        return baseline.inverse(target / multiplier)


def event_times_piecewise(target: np.ndarray, risk: np.ndarray, plateau_extra: np.ndarray,
                          education_hr: float, dose: DoseResponse, pieces: DosePieces,
                          baseline: BaselineHazard, chunk: int = 8192) -> np.ndarray:
    """Exact event times for programme starters, whose multiplier changes between pieces.

    The cumulative hazard is piecewise ``H0`` times a constant, so participant i recurs in the
    first piece k where the running sum of ``multiplier[i, k] * (H0(end_k) - H0(start_k))``
    reaches ``target[i]``, at ``H0^-1(H0(start_k) + leftover / multiplier[i, k])``.

    Parameters
    ----------
    target : ndarray
        Exp(1) draws: participant i recurs when their cumulative hazard reaches ``target[i]``.
    risk, plateau_extra : ndarray
        Participant multipliers and extra minutes per week at the plateau.
    chunk : int
        Participants processed at once (8192 keeps the working arrays in cache; measured fastest).

    Returns
    -------
    ndarray of event times in days (``inf`` if the hazard falls to zero before the event).
    """
    n = len(target)
    times = np.full(n, np.inf)
    h0_starts = baseline.cumulative(pieces.starts)
    widths = baseline.cumulative(pieces.ends) - h0_starts  # last is inf
    n_pieces = len(widths)
    # Most recurrences happen early (the hazard falls over time), so pieces are taken in two
    # groups: everyone through the end of the plateau, then only those still recurrence-free.
    # (For small calls the extra pass costs more than it saves.) Both routes do the same
    # additions in the same order (the second pass continues the running sum from the carried
    # value), so a participant's time does not depend on how many rows are in the call.
    split = int(min(max(np.searchsorted(pieces.starts, 182.0, side="right"), 1), n_pieces))
    groups = [(0, split), (split, n_pieces)] if split < n_pieces and n > 4096 else [(0, n_pieces)]
    # Arrays are (pieces, participants): the running sum over pieces is then one vector addition
    # per piece (the same additions, in the same order, as a sum along each participant's row).
    for lo in range(0, n, chunk):
        rows = np.arange(lo, min(lo + chunk, n))
        carried = np.zeros(len(rows))
        for first, last in groups:
            if rows.size == 0:
                break
            frac = pieces.fraction[first:last]
            mult = relative_hazard(frac[:, None] * plateau_extra[None, rows], dose)
            mult *= (risk[rows] * education_hr)[None, :]
            cum = np.multiply(mult, widths[first:last, None])
            if first:
                cum[0] += carried  # carried + x_first, then the running sum: as in one pass
            for j in range(1, last - first):  # the running sum (np.cumsum along an axis is slower)
                np.add(cum[j - 1], cum[j], out=cum[j])
            tgt = target[rows]
            k_local = (cum < tgt[None, :]).sum(axis=0)
            done = k_local < (last - first)
            if np.any(done):
                idx = np.flatnonzero(done)
                k = k_local[idx]
                prev = np.where(k > 0, cum[np.maximum(k - 1, 0), idx], carried[idx])
                m_k = mult[k, idx]
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = baseline.inverse(h0_starts[first + k] + (tgt[idx] - prev) / m_k)
                times[rows[idx]] = np.where(m_k > 0, t, np.inf)
            carried = cum[-1, ~done]
            rows = rows[~done]
    return times


def cumulative_hazard_on_grid(times: np.ndarray, risk: np.ndarray, plateau_extra: np.ndarray | None,
                              education_hr: float, dose: DoseResponse, pieces: DosePieces,
                              baseline: BaselineHazard, constant_extra: np.ndarray | None = None) -> np.ndarray:
    """Cumulative hazards, shape (participants, times), for expected-curve calculations.

    With ``constant_extra`` the participant walks that many extra minutes throughout (control
    arm, never-starters); otherwise the programme trajectory ``plateau_extra * fraction``.
    """
    h0 = baseline.cumulative(times)
    if constant_extra is not None:
        return (risk * relative_hazard(constant_extra, dose))[:, None] * h0[None, :]
    mult = risk[:, None] * education_hr * relative_hazard(plateau_extra[:, None] * pieces.fraction[None, :], dose)
    h0_starts = baseline.cumulative(pieces.starts)
    widths = np.diff(np.append(h0_starts, np.inf))[:-1]
    cum_at_starts = np.concatenate([np.zeros((len(risk), 1)), np.cumsum(mult[:, :-1] * widths[None, :], axis=1)], axis=1)
    k = pieces.piece_of(times)
    return cum_at_starts[:, k] + mult[:, k] * (h0 - h0_starts[k])[None, :]


@dataclass(frozen=True)
class StarterHazard:
    """Programme starters' cumulative hazards at the dose pieces' starts, for many look-ups per participant.

    The episode process needs each starter's cumulative hazard at the end of follow-up and its
    inverse at several points; the per-piece multipliers (the costly exponentials) are computed
    once per participant here instead of once per look-up. Row arithmetic does not depend on the
    other rows, so results do not depend on the batch.
    """

    at_starts: np.ndarray   # (n, pieces): cumulative hazard at each piece's start
    risk: np.ndarray
    plateau_extra: np.ndarray
    education_hr: float
    dose: DoseResponse
    pieces: DosePieces
    baseline: BaselineHazard

    @classmethod
    def build(cls, risk, plateau_extra, education_hr, dose, pieces, baseline, chunk: int = 8192) -> "StarterHazard":
        n, n_pieces = len(risk), len(pieces.starts)
        h0_starts = baseline.cumulative(pieces.starts)
        widths = np.diff(h0_starts)  # the finite pieces
        at_starts = np.zeros((n, n_pieces))
        for lo in range(0, n, chunk):
            hi = min(lo + chunk, n)
            # (pieces, participants), so the running sum is one vector addition per piece (the same
            # additions in the same order as np.cumsum along each row, which is slower)
            mult = relative_hazard(pieces.fraction[:-1, None] * plateau_extra[None, lo:hi], dose)
            mult *= (risk[lo:hi] * education_hr)[None, :]
            mult *= widths[:, None]
            for j in range(1, len(widths)):
                np.add(mult[j - 1], mult[j], out=mult[j])
            at_starts[lo:hi, 1:] = mult.T
        return cls(at_starts, risk, plateau_extra, education_hr, dose, pieces, baseline)

    def _multiplier(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        return self.risk[rows] * self.education_hr * relative_hazard(self.plateau_extra[rows] * self.pieces.fraction[k],
                                                                      self.dose)

    def cumulative(self, rows: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Cumulative hazard of participant ``rows[j]`` at ``times[j]``.

        Examples
        --------
        >>> from analysis.trial.scenario import Scenario
        >>> s = Scenario()
        >>> b, p = BaselineHazard.from_outcome(s.outcome), dose_pieces(s.walking)
        >>> table = StarterHazard.build(np.ones(2), np.array([90.0, 30.0]), 1.0, s.dose_response, p, b)
        >>> rows, t = np.array([0, 1, 0]), np.array([100.0, 700.0, 3.0])
        >>> bool(np.allclose(table.inverse(rows, table.cumulative(rows, t)), t))
        True
        """
        k = self.pieces.piece_of(times)
        h0_starts = self.baseline.cumulative(self.pieces.starts)
        return self.at_starts[rows, k] + self._multiplier(rows, k) * (self.baseline.cumulative(times) - h0_starts[k])

    def inverse(self, rows: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
        """The time at which participant ``rows[j]``'s cumulative hazard reaches ``cumulative[j]``."""
        # The last piece whose start the cumulative hazard has reached: bisection on each row (the
        # rows are non-decreasing), one gathered column per step instead of the whole row.
        k = np.zeros(len(rows), dtype=np.int64)
        hi = np.full(len(rows), self.at_starts.shape[1] - 1, dtype=np.int64)
        while True:
            open_ = k < hi
            if not open_.any():
                break
            mid = (k + hi + 1) // 2
            reached = self.at_starts[rows, mid] <= cumulative
            k = np.where(open_ & reached, mid, k)
            hi = np.where(open_ & ~reached, mid - 1, hi)
        mult = self._multiplier(rows, k)
        h0_starts = self.baseline.cumulative(self.pieces.starts)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.baseline.inverse(h0_starts[k] + (cumulative - self.at_starts[rows, k]) / mult)
        return np.where(mult > 0, t, np.inf)
