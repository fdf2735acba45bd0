"""Kaplan-Meier curves, landmark survival, the risk table and median follow-up (reverse Kaplan-Meier).

As R's ``survfit(Surv(t, e) ~ arm, conf.type = "log-log")``, ``print(fit)``, ``summary(fit, times =,
extend = FALSE)`` and ``survfit(Surv(t, 1 - e) ~ arm)``. Risk sets, the product limit with Greenwood's
variance and R's median rule come from :mod:`analysis.stats.counting`. Part of the two-arm analysis
(:mod:`analysis.stats.survival`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import tails as stats  # scipy.stats costs seconds of import; same functions

from .counting import build_risk_sets, km_from_counts, median_survival
from .records import frame_records, json_float
from .validation import two_arm_input

__all__ = ["DEFAULT_LANDMARKS", "DEFAULT_RISK_TIMES", "KMCurve", "KaplanMeier", "RiskTable", "FollowUp", "kaplan_meier",
           "risk_table", "median_followup", "km_arrays", "km_curve", "survfit_confint", "median_with_ci",
           "kaplan_meier_from_clean", "risk_table_from_clean", "followup_from_clean"]

#: 6, 12 and 24 months in days (a month is 365.25 / 12 days).
DEFAULT_LANDMARKS = (182.625, 365.25, 730.5)
#: Every 6 months from randomisation to 36 months, in days.
DEFAULT_RISK_TIMES = tuple(182.625 * k for k in range(7))



def km_arrays(t: np.ndarray, e: np.ndarray):
    """Distinct times, at risk, events, censored, survival, Greenwood se of -log S."""
    groups = build_risk_sets(t, e).tie_groups()
    surv, se = km_from_counts(groups.n_risk, groups.n_event, std_err=True)
    return groups.time, groups.n_risk, groups.n_event, groups.n_censor, surv, se


def survfit_confint(surv: np.ndarray, se: np.ndarray, conf_level: float, conf_type: str = "log-log"):
    """R's survfit_confint; NaN where R gives NA."""
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        elif conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            lower = np.exp(np.log(xx) - z * se)
            upper = np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        else:  # pragma: no cover - internal
            raise ValueError(conf_type)
    return lower, upper


def median_with_ci(times, surv, lower, upper):
    return median_survival(times, surv), median_survival(times, lower), median_survival(times, upper)


@dataclass(frozen=True)
class KMCurve:
    """Kaplan-Meier curve of one arm, as R's ``survfit(..., conf.type = "log-log")``.

    Attributes
    ----------
    level : str
        Arm (level of the group column).
    n, events : int
        Participants and events.
    timeline, n_risk, n_event, n_censor, survival, std_err, lower, upper : numpy.ndarray
        One entry per distinct observed time (events and censorings), as R's ``fit$time``,
        ``fit$n.risk``, ... ``std_err`` is Greenwood's standard error of the cumulative
        hazard (-log S). ``lower``/``upper`` are NaN where R gives NA (S = 1 or S = 0).
        The curve is a right-continuous step function starting at S(0) = 1.
    censor_times : numpy.ndarray
        Distinct times with at least one censoring (for the tick marks of a plot).
    median, median_lower, median_upper : float
        Median survival time and its 95% CI as ``print(fit)``; NaN when not reached.
    """

    level: str
    n: int
    events: int
    timeline: np.ndarray = field(repr=False)
    n_risk: np.ndarray = field(repr=False)
    n_event: np.ndarray = field(repr=False)
    n_censor: np.ndarray = field(repr=False)
    survival: np.ndarray = field(repr=False)
    std_err: np.ndarray = field(repr=False)
    lower: np.ndarray = field(repr=False)
    upper: np.ndarray = field(repr=False)
    median: float
    median_lower: float
    median_upper: float

    @property
    def censor_times(self) -> np.ndarray:
        return self.timeline[self.n_censor > 0]

    def at(self, times) -> pd.DataFrame:
        """Survival, CI and number at risk at ``times`` (``summary(fit, times=, extend=FALSE)``).

        Times after the last observed time give NaN (R drops them). While S(t) = 1 the interval
        is [1, 1], as R's summary reports it.
        """
        times = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.timeline, times, side="right") - 1
        beyond = times > self.timeline[-1]
        safe = np.clip(idx, 0, None)
        before = idx < 0
        surv = np.where(before, 1.0, self.survival[safe])
        # R's summary(fit, times=) reports the interval [1, 1] while S(t) = 1
        lo = np.where(surv == 1, 1.0, self.lower[safe])
        hi = np.where(surv == 1, 1.0, self.upper[safe])
        at_risk = np.r_[self.n_risk, 0][np.searchsorted(self.timeline, times, side="left")]
        out = pd.DataFrame({"level": self.level, "time": times, "survival": surv, "lower": lo, "upper": hi,
                            "n_risk": at_risk.astype(np.int64)})
        out.loc[beyond, ["survival", "lower", "upper"]] = np.nan
        return out

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"level": self.level, "time": self.timeline, "n_risk": self.n_risk.astype(np.int64),
                             "n_event": self.n_event.astype(np.int64), "n_censor": self.n_censor.astype(np.int64),
                             "survival": self.survival, "std_err": self.std_err, "lower": self.lower, "upper": self.upper})

    def to_dict(self) -> dict:
        return {"level": self.level, "n": self.n, "events": self.events, "median": json_float(self.median),
                "median_ci": [json_float(self.median_lower), json_float(self.median_upper)]}


def km_curve(level: str, t: np.ndarray, e: np.ndarray, conf_level: float = 0.95) -> KMCurve:
    times, n_risk, n_event, n_cens, surv, se = km_arrays(t, e)
    lower, upper = survfit_confint(surv, se, conf_level)
    med, mlo, mhi = median_with_ci(times, surv, lower, upper)
    return KMCurve(level=str(level), n=int(len(t)), events=int(e.sum()), timeline=times, n_risk=n_risk,
                   n_event=n_event, n_censor=n_cens, survival=surv, std_err=se, lower=lower, upper=upper,
                   median=med, median_lower=mlo, median_upper=mhi)


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan-Meier curves of both arms (reference arm first) and survival at landmarks.

    Attributes
    ----------
    curves : tuple of KMCurve
        Reference arm, then the other arm.
    landmarks : pandas.DataFrame
        ``level``, ``time``, ``survival``, ``lower``, ``upper``, ``n_risk`` at each landmark.
    summary : pandas.DataFrame
        One row per arm: ``level``, ``n``, ``events``, ``median``, ``median_lower``, ``median_upper``.
    """

    curves: tuple[KMCurve, ...]
    landmarks: pd.DataFrame = field(repr=False)

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"level": c.level, "n": c.n, "events": c.events, "median": c.median,
                              "median_lower": c.median_lower, "median_upper": c.median_upper} for c in self.curves])

    def curve(self, level: str) -> KMCurve:
        return next(c for c in self.curves if c.level == str(level))

    def loglog(self) -> pd.DataFrame:
        """Data for a log-minus-log plot: per arm ``log_time`` and ``log_minus_log_survival``.

        Parallel lines support proportional hazards. Only times with 0 < S(t) < 1 are kept.
        """
        parts = []
        for c in self.curves:
            keep = (c.n_event > 0) & (c.survival > 0) & (c.survival < 1) & (c.timeline > 0)
            parts.append(pd.DataFrame({"level": c.level, "time": c.timeline[keep], "log_time": np.log(c.timeline[keep]),
                                       "log_minus_log_survival": np.log(-np.log(c.survival[keep]))}))
        return pd.concat(parts, ignore_index=True)

    def to_dict(self) -> dict:
        return {"groups": [c.to_dict() for c in self.curves], "landmarks": frame_records(self.landmarks)}


def kaplan_meier(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
                 reference: str = "control", *, landmarks: Sequence[float] = DEFAULT_LANDMARKS,
                 conf_level: float = 0.95) -> KaplanMeier:
    """Kaplan-Meier curve per arm with log-log confidence intervals.

    Matches R ``survfit(Surv(time, event) ~ group, conf.type = "log-log")``; the median and its
    CI follow ``print(fit)``; landmark survival follows ``summary(fit, times = landmarks)``.

    Parameters
    ----------
    df : pandas.DataFrame
        Cohort with the named columns.
    time, event, group, reference : str
        Column names and the reference arm (listed first).
    landmarks : sequence of float
        Times for survival estimates (default 6, 12, 24 months in days).
    conf_level : float
        Confidence level of the pointwise intervals.

    Returns
    -------
    KaplanMeier

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 0],
    ...                   "arm": ["control", "intervention"] * 3})
    >>> km = kaplan_meier(d, "t", "e", landmarks=[2])
    >>> km.curve("control").survival.round(3).tolist()
    [0.667, 0.667, 0.0]
    """
    clean, ref, other = two_arm_input(df, time, event, group, reference)
    return kaplan_meier_from_clean(clean, ref, other, landmarks, conf_level)


def kaplan_meier_from_clean(clean, ref, other, landmarks, conf_level=0.95) -> KaplanMeier:
    t, e, g = clean["time"].to_numpy(float), clean["event"].to_numpy(np.int64), clean["group"].to_numpy()
    curves = tuple(km_curve(lv, t[g == lv], e[g == lv], conf_level) for lv in (ref, other))
    lm = pd.concat([c.at(landmarks) for c in curves], ignore_index=True) if len(landmarks) else pd.DataFrame(
        columns=["level", "time", "survival", "lower", "upper", "n_risk"])
    return KaplanMeier(curves=curves, landmarks=lm)


@dataclass(frozen=True)
class RiskTable:
    """KMunicate-style table under a survival plot.

    Attributes
    ----------
    summary : pandas.DataFrame
        ``level``, ``time``, ``at_risk`` (time >= t, as R's ``n.risk``), ``events`` and
        ``censored`` (cumulative, time <= t).
    """

    summary: pd.DataFrame

    def to_dict(self) -> dict:
        return {"rows": frame_records(self.summary)}


def risk_table(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
               reference: str = "control", *, times: Sequence[float] = DEFAULT_RISK_TIMES) -> RiskTable:
    """Numbers at risk, cumulative events and cumulative censored per arm at ``times``.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "arm": ["control", "intervention"] * 2})
    >>> risk_table(d, "t", "e", times=[0, 2]).summary.to_dict("list")["at_risk"]
    [2, 1, 2, 2]
    """
    clean, ref, other = two_arm_input(df, time, event, group, reference)
    return risk_table_from_clean(clean, ref, other, times)


def risk_table_from_clean(clean, ref, other, times) -> RiskTable:
    times = np.asarray(times, dtype=float)
    rows = []
    for lv in (ref, other):
        sel = clean["group"].to_numpy() == lv
        t = np.sort(clean["time"].to_numpy(float)[sel])
        te = np.sort(clean["time"].to_numpy(float)[sel & (clean["event"].to_numpy() == 1)])
        n_to = np.searchsorted(t, times, side="right")
        ev = np.searchsorted(te, times, side="right")
        rows.append(pd.DataFrame({"level": lv, "time": times, "at_risk": len(t) - np.searchsorted(t, times, side="left"),
                                  "events": ev, "censored": n_to - ev}))
    return RiskTable(pd.concat(rows, ignore_index=True))


@dataclass(frozen=True)
class FollowUp:
    """Median follow-up by the reverse Kaplan-Meier method (censoring as the event).

    Attributes
    ----------
    summary : pandas.DataFrame
        ``level`` (each arm, then "overall"), ``median``, ``lower``, ``upper`` (95% CI, R's
        default "log" intervals of ``survfit(Surv(t, 1 - e) ~ arm)``); NaN when not reached.
    """

    summary: pd.DataFrame

    def to_dict(self) -> dict:
        return {"rows": frame_records(self.summary)}


def median_followup(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
                    reference: str = "control") -> FollowUp:
    """Median follow-up per arm and overall, reverse Kaplan-Meier (R ``survfit(Surv(t, 1 - e) ~ arm)``).

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 0, 1, 0, 0, 1],
    ...                   "arm": ["control", "intervention"] * 3})
    >>> median_followup(d, "t", "e").summary["median"].tolist()
    [5.0, 4.0, 5.0]
    """
    clean, ref, other = two_arm_input(df, time, event, group, reference)
    return followup_from_clean(clean, ref, other)


def followup_from_clean(clean, ref, other) -> FollowUp:
    t, e, g = clean["time"].to_numpy(float), 1 - clean["event"].to_numpy(np.int64), clean["group"].to_numpy()
    rows = []
    for lv, sel in ((ref, g == ref), (other, g == other), ("overall", np.ones(len(t), bool))):
        times, _, _, _, surv, se = km_arrays(t[sel], e[sel])
        lo, hi = survfit_confint(surv, se, 0.95, "log")
        med, mlo, mhi = median_with_ci(times, surv, lo, hi)
        rows.append({"level": lv, "median": med, "lower": mlo, "upper": mhi})
    return FollowUp(pd.DataFrame(rows))
