"""The log-rank test of two arms, plain or stratified, as R's ``survdiff``.

Part of the two-arm analysis (:mod:`analysis.stats.survival`): lifelines' ``logrank_test`` at ordinary
sizes, from :data:`~analysis.stats.coxph.COX_EXACT_MIN_ROWS` rows the same statistic from the sums of
:mod:`analysis.stats.counting` (compared with R at both sizes in ``tests/test_r_logrank_cox.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import tails as stats  # scipy.stats costs seconds of import; same functions
from .counting import build_risk_sets, logrank_from_counts
from .coxph import COX_EXACT_MIN_ROWS
from .records import json_float
from .validation import strata_codes, two_arm_input

__all__ = ["LogRank", "logrank", "logrank_parts", "logrank_from_clean"]


@dataclass(frozen=True)
class LogRank:
    """Log-rank test (``survdiff``), optionally stratified.

    Attributes
    ----------
    chisq, p : float
        Test statistic (1 df) and p-value.
    observed, expected : tuple of float
        Events per arm (reference first), observed and expected under no difference
        (summed over strata when stratified).
    variance : float
        Variance of O - E of the non-reference arm.
    strata : tuple of str
        Stratification columns ("()" for the plain test).
    """

    chisq: float
    p: float
    observed: tuple[float, float]
    expected: tuple[float, float]
    variance: float
    levels: tuple[str, str]
    strata: tuple[str, ...] = ()

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"level": self.levels, "observed": self.observed, "expected": self.expected,
                             "chisq": self.chisq, "p": self.p})

    def to_dict(self) -> dict:
        return {"chisq": json_float(self.chisq), "p": json_float(self.p), "observed": [json_float(v) for v in self.observed],
                "expected": [json_float(v) for v in self.expected], "strata": list(self.strata)}


def logrank_parts(t: np.ndarray, e: np.ndarray, x: np.ndarray, s: np.ndarray):
    """(O1 - E1, V, E1, E_total) summed over strata; x = 1 for the non-reference arm."""
    rs = build_risk_sets(t, e, s)
    xs = rs.sorted(x)
    lr = logrank_from_counts(rs.n_risk(), rs.running(xs).risk_set(), rs.running(rs.event).tie_group(),
                             rs.running(rs.event * xs).tie_group(), rs.last)
    return (float(lr.observed[0] - lr.expected[0]), float(lr.variance[0]), float(lr.expected[0]),
            float(lr.events[0]))


def logrank(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
            reference: str = "control", *, strata: Sequence[str] = ()) -> LogRank:
    """Log-rank test of two arms; stratified when ``strata`` is given.

    Plain test: lifelines' ``logrank_test`` (equals R ``survdiff(Surv(t, e) ~ arm)``); from
    :data:`COX_EXACT_MIN_ROWS` rows the same statistic from the numpy sums below (equal to
    lifelines' to 1e-12; lifelines' pandas tables take seconds and 400 MB at a million rows).
    Stratified: O - E and its hypergeometric variance are summed over strata, as R
    ``survdiff(Surv(t, e) ~ arm + strata(s))`` (lifelines has no stratified test).

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 0, 1],
    ...                   "arm": ["control"] * 3 + ["intervention"] * 3})
    >>> round(logrank(d, "t", "e").chisq, 4)
    5.0517
    """
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    clean, ref, other = two_arm_input(df, time, event, group, reference, strata)
    return logrank_from_clean(clean, ref, other, strata)


def logrank_from_clean(clean, ref, other, strata) -> LogRank:
    t, e = clean["time"].to_numpy(float), clean["event"].to_numpy(np.int64)
    x = (clean["group"].to_numpy() == other).astype(np.int64)
    s = strata_codes(clean, strata)
    oe, v, e1, etot = logrank_parts(t, e, x, s)
    if strata or len(t) >= COX_EXACT_MIN_ROWS:  # lifelines' test: ordinary sizes (same value to 1e-12)
        chisq = oe * oe / v if v > 0 else math.nan
    else:
        from lifelines.statistics import logrank_test

        res = logrank_test(t[x == 0], t[x == 1], e[x == 0], e[x == 1])
        chisq = float(res.test_statistic)
    p = float(stats.chi2.sf(chisq, 1)) if math.isfinite(chisq) else math.nan
    o1 = float(e[x == 1].sum())
    o0 = float(e[x == 0].sum())
    return LogRank(chisq=float(chisq), p=p, observed=(o0, o1), expected=(etot - e1, e1), variance=v,
                   levels=(ref, other), strata=tuple(strata))
