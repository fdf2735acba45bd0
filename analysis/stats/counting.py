"""The counting-process primitive: sorted times, tie groups and risk sets, per stratum and per replicate.

Place in the pipeline: the bottom of :mod:`analysis.stats`. Every estimator that walks the time
axis of right-censored data starts here -- the estimators of record in
:mod:`analysis.stats.survival` (Kaplan-Meier, log-rank, RMST, median follow-up, the PH check),
the batched Monte Carlo kernels of :mod:`analysis.stats.kernels`, the replicate curves of
:mod:`analysis.studies.replicates` and the influence functions of :mod:`analysis.studies.estimands`:

- :class:`RiskSets` sorts each row by (stratum, time) once and says, for every sorted position,
  where its tie group (same stratum and time) starts and ends and where its stratum ends. Sums
  over a risk set (time >= t within the stratum) or over a tie group are then differences of one
  running sum (:meth:`RiskSets.running`). Input is one sample ``(n,)`` or a batch of replicate
  trials ``(replicates, n)``: the batch of one is the same code.
- :meth:`RiskSets.tie_groups` compacts this to one row per distinct time (R's ``fit$time``,
  ``n.risk``, ``n.event``, ``n.censor``).
- On these counts: :func:`km_from_counts` (product-limit and Greenwood), :func:`median_survival`
  (R's median rule, the one place it is written), :func:`logrank_from_counts` (observed minus
  expected and the hypergeometric variance, summed over strata) and :func:`rmst_from_km`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

__all__ = ["RiskSets", "Running", "TieGroups", "LogRankTerms", "build_risk_sets", "km_from_counts",
           "greenwood_terms", "median_survival", "logrank_from_counts", "rmst_from_km", "MEDIAN_TOLERANCE"]

#: R's ``survmean`` tolerance in the median rule (``sqrt(.Machine$double.eps)``).
MEDIAN_TOLERANCE = math.sqrt(np.finfo(float).eps)


def _as_rows(a, dtype) -> np.ndarray:
    a = np.asarray(a, dtype=dtype)
    return a[None, :] if a.ndim == 1 else a


def _gather(a: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``a[r, index[r, j]]`` for every row r (flat gathers are much cheaper than take_along_axis)."""
    R, m = a.shape
    flat = np.ascontiguousarray(a).ravel()
    return flat[index] if R == 1 else flat[index + (np.arange(R) * m)[:, None]]


def _run_start(new: np.ndarray) -> np.ndarray:
    """For each position, the index of the first position of its run (``new[:, 0]`` is True)."""
    idx = np.where(new, np.arange(new.shape[1]), 0)
    return np.maximum.accumulate(idx, axis=1)


def _run_end(last: np.ndarray) -> np.ndarray:
    """For each position, 1 + the index of the last position of its run (``last[:, -1]`` is True)."""
    n = last.shape[1]
    idx = np.where(last, np.arange(1, n + 1), n)
    return np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]


class TieGroups(NamedTuple):
    """One entry per distinct (row, stratum, time), in sorted order (see :meth:`RiskSets.tie_groups`).

    ``row`` and ``stratum`` are the replicate and stratum codes; ``n_risk`` counts time >= t in the
    stratum, ``n_event`` and ``n_censor`` the events and censorings at t.
    """

    row: np.ndarray
    stratum: np.ndarray
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray


@dataclass(frozen=True, eq=False)
class Running:
    """Sums of one per-position quantity from each sorted position to the row's end (shape ``(R, n + 1, ...)``).

    Sums over a risk set, a tie group or part of one are differences of these tail sums, gathered
    per position (shape ``(R, n, ...)``). Tail sums (not running sums from the start) keep a late,
    small risk set exact when early weights are huge (a Cox fit's risk scores can span hundreds
    of orders of magnitude); integer counts are exact either way.
    """

    risk_sets: "RiskSets"
    cumulative: np.ndarray

    def _at(self, index: np.ndarray) -> np.ndarray:
        c = self.cumulative
        if c.ndim == 2:
            return _gather(c, index)
        return np.take_along_axis(c, index.reshape(index.shape + (1,) * (c.ndim - 2)), axis=1)

    @cached_property
    def _from_tie(self) -> np.ndarray:
        return self._at(self.risk_sets.first)

    def risk_set(self) -> np.ndarray:
        """Sum over the position's risk set: its stratum, from its tie group on (time >= t)."""
        rs = self.risk_sets
        return self._from_tie if rs.stratum is None else self._from_tie - self._at(rs.stratum_end)

    def tie_group(self) -> np.ndarray:
        """Sum over the position's tie group (same stratum, same time)."""
        return self._from_tie - self._at(self.risk_sets.end)

    def through_in_tie(self) -> np.ndarray:
        """Sum over the tie group up to and including the position (the whole group at its last position)."""
        return self._from_tie - self.cumulative[:, 1:]

    def earlier_in_tie(self) -> np.ndarray:
        """Sum over the positions of the tie group before this one (Efron's r for events)."""
        return self._from_tie - self.cumulative[:, :-1]


@dataclass(frozen=True, eq=False)
class RiskSets:
    """Right-censored data of one or many trials, sorted by (stratum, time) within each row.

    Build with :func:`build_risk_sets`. All arrays have shape ``(R, n)``: R replicate rows (1 for a
    single sample) of n participants, in sorted order.

    Attributes
    ----------
    time, event : numpy.ndarray
        Sorted times and event indicators (float 0/1).
    stratum : numpy.ndarray or None
        Sorted stratum codes (None: one stratum).
    order : numpy.ndarray
        The sorting permutation of each row (``sorted(values)`` applies it).
    last : numpy.ndarray of bool
        The position is the last of its tie group: one representative per distinct time.
    first, end, stratum_end : numpy.ndarray of int
        First position and end (exclusive) of each position's tie group; end (exclusive) of its
        stratum (computed when first used).
    """

    time: np.ndarray
    event: np.ndarray
    stratum: np.ndarray | None
    order: np.ndarray
    last: np.ndarray
    stratum_last: np.ndarray | None

    @property
    def shape(self) -> tuple[int, int]:
        return self.time.shape

    @cached_property
    def first(self) -> np.ndarray:
        new = np.zeros(self.shape, dtype=bool)
        new[:, 1:] = self.last[:, :-1]
        if self.shape[1]:
            new[:, 0] = True
        return _run_start(new)

    @cached_property
    def end(self) -> np.ndarray:
        return _run_end(self.last)

    @cached_property
    def stratum_end(self) -> np.ndarray:
        if self.stratum_last is None:
            return np.full(self.shape, self.shape[1])
        return _run_end(self.stratum_last)

    def sorted(self, values) -> np.ndarray:
        """``values`` (shape ``(n,)`` or ``(R, n)``, original order) in the sorted order of each row."""
        return _gather(np.broadcast_to(_as_rows(values, None), self.shape), self.order)

    def running(self, values) -> Running:
        """Tail sums of per-position ``values`` (sorted order; shape ``(R, n)`` or ``(R, n, k)``)."""
        v = np.asarray(values, dtype=float)
        out = np.zeros((v.shape[0], v.shape[1] + 1) + v.shape[2:])
        out[:, :-1] = np.cumsum(v[:, ::-1], axis=1)[:, ::-1]
        return Running(self, out)

    def n_risk(self) -> np.ndarray:
        """Participants at risk (same stratum, time >= t) at each position's time, as float."""
        end = self.shape[1] if self.stratum is None else self.stratum_end
        return (end - self.first).astype(float)

    def tie_groups(self) -> TieGroups:
        """Compact to one entry per distinct (row, stratum, time), in sorted order."""
        R, n = self.shape
        last = np.flatnonzero(self.last.ravel())  # flat position of each group's last member
        # each row ends with a group, so a group starts right after the previous group's end
        start = np.r_[0, last[:-1] + 1]
        rows = last // n
        cum = np.r_[0.0, np.cumsum(self.event.ravel())]  # counts: exact in float
        d = cum[last + 1] - cum[start]
        end = n if self.stratum is None else self.stratum_end.ravel()[last]
        strata = np.zeros(len(d), dtype=np.int64) if self.stratum is None else self.stratum.ravel()[last]
        return TieGroups(row=rows, stratum=strata, time=self.time.ravel()[last],
                         n_risk=(end - (start - rows * n)).astype(float), n_event=d,
                         n_censor=(last + 1 - start) - d)

    def group_survival(self, group) -> tuple[np.ndarray, np.ndarray]:
        """Product-limit survival of group 0 and of group 1 (0/1 in sorted order) along each row.

        Each group's curve uses its own risk sets (its members at risk, its members' events), so one
        pooled sort gives both arms' curves. Each result has shape ``(R, n)``: at position k, the
        survival after the tie groups complete by k (at a group's last position, the curve just
        after that group's time). Needs unstratified risk sets (the product runs along the row).
        """
        if self.stratum is not None:
            raise ValueError("group_survival needs unstratified risk sets (one curve per row)")
        g = np.asarray(group, dtype=float)
        n_all, d_all = self.n_risk(), self.running(self.event).through_in_tie()
        n1, d1 = self.running(g).risk_set(), self.running(g * self.event).through_in_tie()
        # one factor per tie group, at its last position (where through_in_tie is the whole group)
        return (km_from_counts(n_all - n1, d_all - d1, where=self.last),
                km_from_counts(n1, d1, where=self.last))

    def survival_at(self, curves, days) -> np.ndarray:
        """Curves from :meth:`group_survival` at ``days`` (increasing), right-continuous; shape (R, curves, G)."""
        count = self.count_at_or_before(days)
        index = np.maximum(count - 1, 0)
        return np.stack([np.where(count > 0, _gather(c, index), 1.0) for c in curves], axis=1)

    def count_at_or_before(self, days) -> np.ndarray:
        """Number of each row's sorted positions with time <= each of ``days`` (increasing); shape (R, G).

        One ``bincount`` over (row, day bin) codes: no loop over rows.
        """
        grid = np.asarray(days, dtype=float)
        R, n = self.shape
        G = len(grid)
        bins = np.searchsorted(grid, self.time.ravel(), side="left").reshape(R, n)  # first day >= t
        codes = (np.arange(R)[:, None] * (G + 1) + bins).ravel()
        counts = np.bincount(codes, minlength=R * (G + 1)).reshape(R, G + 1)[:, :G]
        return np.cumsum(counts, axis=1)


_SMALL_KEY = np.iinfo(np.int16).max


def _sort_order(t: np.ndarray, s: np.ndarray | None) -> np.ndarray:
    """The stable (stratum, time) order of each row: ``lexsort((t, s))`` / ``argsort(t, kind="stable")``.

    Whole-day times (WalkBack's are) with few strata fit one 16-bit key per row, which numpy sorts stably by
    radix sort in linear time; the permutation is the same (equal keys are equal (stratum, time) pairs, and
    both sorts are stable). Anything else takes the general sort.
    """
    if t.size and np.isfinite(t).all() and t.min() >= 0:
        span = float(t.max()) + 1.0
        strata_count = 1 if s is None else int(s.max()) + 1
        if (s is None or s.min() >= 0) and span * strata_count <= _SMALL_KEY and np.array_equal(t, np.floor(t)):
            key = t.astype(np.int16)
            if s is not None:
                key += s.astype(np.int16) * np.int16(span)
            return np.argsort(key, axis=1, kind="stable")
    if s is None:
        return np.argsort(t, axis=1, kind="stable")
    return np.lexsort((t, s), axis=-1)


def build_risk_sets(time, event, strata=None, *, presorted: bool = False) -> RiskSets:
    """Sort right-censored data by (stratum, time) and index its tie groups and risk sets.

    Parameters
    ----------
    time : array_like, shape (n,) or (replicates, n)
        Follow-up times.
    event : array_like of 0/1, same shape
        1 = event, 0 = censored.
    strata : array_like of int, same shape, optional
        Stratum codes: risk sets stop at the stratum's edge.
    presorted : bool
        Rows are already sorted by (stratum, time); skips the sort.

    Returns
    -------
    RiskSets
        Shape ``(replicates, n)`` (a single sample is a batch of one). O(n log n) per row.

    Examples
    --------
    >>> rs = build_risk_sets([3., 1, 3, 2], [1, 1, 0, 0])
    >>> g = rs.tie_groups()
    >>> g.time.tolist(), g.n_risk.tolist(), g.n_event.tolist(), g.n_censor.tolist()
    ([1.0, 2.0, 3.0], [4.0, 3.0, 2.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0])
    """
    t = _as_rows(time, float)
    e = _as_rows(event, None)
    s = None if strata is None else np.broadcast_to(_as_rows(strata, np.int64), t.shape)
    if t.shape != e.shape:
        raise ValueError(f"time and event must have the same shape, got {t.shape} and {e.shape}")
    R, n = t.shape
    if presorted:
        order = np.broadcast_to(np.arange(n), (R, n))
    else:
        order = _sort_order(t, s)
    ts = _gather(t, order)
    es = _gather(e, order).astype(float)
    ss = slast = None
    if s is not None:
        ss = _gather(s, order)
        slast = np.zeros((R, n), dtype=bool)
        slast[:, :-1] = ss[:, 1:] != ss[:, :-1]
        slast[:, -1:] = True
    tlast = np.empty((R, n), dtype=bool)
    np.not_equal(ts[:, 1:], ts[:, :-1], out=tlast[:, :-1])
    tlast[:, -1:] = True
    if slast is not None:
        tlast |= slast
    return RiskSets(time=ts, event=es, stratum=ss, order=order, last=tlast, stratum_last=slast)


# =============================================================================== estimators on the counts
def km_from_counts(n_risk, n_event, *, where=None, std_err: bool = False):
    """Product-limit survival along the last axis, and optionally Greenwood's standard error.

    Parameters
    ----------
    n_risk, n_event : array_like
        At risk and events at each distinct time (entries with no event contribute a factor 1,
        whatever their ``n_risk``, even 0).
    where : array_like of bool, optional
        Entries that contribute a factor (default all; e.g. :attr:`RiskSets.last`, one per tie
        group, when the counts are laid out by participant).
    std_err : bool
        Also return Greenwood's standard error of -log S (R's ``fit$std.err``): the square root of
        the running sum of d / (n (n - d)), infinite once the curve has reached 0.

    Returns
    -------
    numpy.ndarray, or (survival, std_err)

    Examples
    --------
    >>> km_from_counts([4., 3, 2], [1., 0, 1])
    array([0.75 , 0.75 , 0.375])
    """
    n_risk = np.asarray(n_risk, dtype=float)
    n_event = np.asarray(n_event, dtype=float)
    if where is not None:
        n_event = np.where(where, n_event, 0.0)
    factor = n_event / np.maximum(n_risk, 1.0)  # n >= d >= 1 where there are events; 0 elsewhere
    surv = np.cumprod(np.subtract(1.0, factor, out=factor), axis=-1)
    if not std_err:
        return surv
    return surv, np.sqrt(np.cumsum(greenwood_terms(n_risk, n_event), axis=-1))


def greenwood_terms(n_risk, n_event) -> np.ndarray:
    """Greenwood's increments d / (n (n - d)): 0 without events, infinite on a step to zero.

    (R's ``survmean`` drops the infinite term of a step to zero from the RMST variance;
    :func:`rmst_from_km` does the same.)

    Examples
    --------
    >>> greenwood_terms([4., 3, 2], [1., 0, 2]).tolist()
    [0.08333333333333333, 0.0, inf]
    """
    n_risk = np.asarray(n_risk, dtype=float)
    n_event = np.asarray(n_event, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)


def median_survival(times, survival, where=None):
    """R's median rule (``survmean``'s ``minmin``), along the last axis.

    The first time the curve is below 0.5 (within :data:`MEDIAN_TOLERANCE`); when the curve sits
    exactly on 0.5 there, the mid-point between that time and the next time it drops. NaN entries
    (R's NA, e.g. of a confidence limit) are skipped; NaN when never reached. Applied to a curve
    it gives ``print(survfit)``'s median, to its confidence limits the median's CI.

    Parameters
    ----------
    times, survival : array_like, shape (..., m)
        Non-decreasing times and the non-increasing curve at them.
    where : array_like of bool, optional
        Entries to consider (e.g. one per tie group in a batch laid out by participant).

    Returns
    -------
    float for 1-D input, else numpy.ndarray of shape (...)

    Examples
    --------
    >>> median_survival([1., 2, 4], [0.75, 0.5, 0.25])  # exact 0.5 plateau from 2 to 4
    3.0
    >>> median_survival([[1., 2, 4]], [[0.75, 0.6, 0.55]])
    array([nan])
    """
    y = np.asarray(survival, dtype=float)
    x = np.broadcast_to(np.asarray(times, dtype=float), y.shape)
    ok = ~np.isnan(y) if where is None else np.asarray(where, dtype=bool) & ~np.isnan(y)
    if y.shape[-1] == 0:
        out = np.full(y.shape[:-1], np.nan)
        return float(out) if y.ndim == 1 else out
    cand = ok & (y < 0.5 + MEDIAN_TOLERANCE)
    has = cand.any(axis=-1)
    i1 = np.argmax(cand, axis=-1)[..., None]
    y1 = np.take_along_axis(y, i1, axis=-1)
    t1 = np.take_along_axis(x, i1, axis=-1)[..., 0]
    plateau = has & (np.abs(y1[..., 0] - 0.5) < MEDIAN_TOLERANCE)
    nxt = ok & (y < y1)  # the curve is non-increasing: any lower value comes after i1
    has2 = nxt.any(axis=-1)
    t2 = np.take_along_axis(x, np.argmax(nxt, axis=-1)[..., None], axis=-1)[..., 0]
    med = np.where(has, np.where(plateau & has2, (t1 + t2) / 2, t1), np.nan)
    return float(med) if y.ndim == 1 else med


class LogRankTerms(NamedTuple):
    """Log-rank pieces per row, summed over strata (arrays of shape ``(R,)``).

    ``observed`` and ``expected`` are the events of the flagged group (x = 1) and their
    expectation under no difference; ``variance`` the hypergeometric variance of O - E;
    ``events`` all events. The (stratified) chi-square is (O - E)^2 / V.
    """

    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    events: np.ndarray

    @property
    def chisq(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.variance > 0, (self.observed - self.expected) ** 2 / self.variance, np.nan)

    @property
    def z(self) -> np.ndarray:
        """Signed statistic ``(O - E) / sqrt(V)`` of the flagged group: negative when it has fewer events."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.variance > 0, (self.observed - self.expected) / np.sqrt(self.variance), np.nan)


def logrank_from_counts(n_risk, n_risk1, n_event, n_event1, where) -> LogRankTerms:
    """Observed minus expected and its variance from risk-set counts (``survdiff``).

    Parameters
    ----------
    n_risk, n_risk1 : numpy.ndarray, shape (R, m)
        At risk, all and of the flagged group, at each entry's time (within its stratum).
    n_event, n_event1 : numpy.ndarray, shape (R, m)
        Events at that time, all and of the flagged group.
    where : numpy.ndarray of bool, shape (R, m)
        One True per distinct (stratum, time) (e.g. :attr:`RiskSets.last`).

    Examples
    --------
    >>> rs = build_risk_sets([1., 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1])
    >>> x = rs.sorted([0, 0, 0, 1, 1, 1])
    >>> lr = logrank_from_counts(rs.n_risk(), rs.running(x).risk_set(), rs.running(rs.event).tie_group(),
    ...                          rs.running(rs.event * x).tie_group(), rs.last)
    >>> round(float(lr.chisq[0]), 4)
    5.0517
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        term = where & (n_event > 0)
        frac1 = n_risk1 / n_risk
        e1 = np.where(term, n_event * frac1, 0.0)
        v = np.where(term & (n_risk > 1), n_event * frac1 * (1 - frac1) * (n_risk - n_event) / (n_risk - 1), 0.0)
    return LogRankTerms(observed=np.where(term, n_event1, 0.0).sum(axis=-1), expected=e1.sum(axis=-1),
                        variance=v.sum(axis=-1), events=np.where(term, n_event, 0.0).sum(axis=-1))


def rmst_from_km(times, survival, n_risk, n_event, tau: float) -> tuple[float, float, np.ndarray]:
    """Restricted mean survival to ``tau`` from one Kaplan-Meier curve, as R's ``print(fit, rmean = tau)``.

    Parameters
    ----------
    times, survival, n_risk, n_event : numpy.ndarray, shape (m,)
        The curve at its distinct times (as :meth:`RiskSets.tie_groups` and :func:`km_from_counts`).
    tau : float

    Returns
    -------
    (rmst, variance, area_after)
        Area under the step curve on [0, tau]; R's ``se(rmean)`` squared, the sum over times
        t <= tau of A(t)^2 d / (n (n - d)) with A(t) the area from t to tau (a step to zero adds
        nothing); ``area_after`` is A at each distinct time (0 beyond tau).

    Examples
    --------
    >>> mean, var, after = rmst_from_km(np.array([1., 3]), np.array([0.5, 0.0]), np.array([2., 1]),
    ...                                 np.array([1., 1]), 4.0)
    >>> mean, var, after.tolist()
    (2.0, 0.5, [1.0, 0.0])
    """
    times = np.asarray(times, dtype=float)
    keep = times <= tau
    knots = np.r_[0.0, times[keep], tau]
    area = np.diff(knots) * np.r_[1.0, np.asarray(survival, dtype=float)[keep]]
    after = np.cumsum(area[::-1])[::-1][1:]  # area from each kept time to tau
    terms = greenwood_terms(np.asarray(n_risk)[keep], np.asarray(n_event)[keep])
    terms = np.where(np.isinf(terms), 0.0, terms)  # R's survmean: a step to zero adds nothing
    area_after = np.zeros(len(times))
    area_after[keep] = after
    return float(area.sum()), float(np.sum(after ** 2 * terms)), area_after
