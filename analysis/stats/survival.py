"""Two-arm time-to-event analysis of a WalkBack-like cohort (or any uploaded two-arm file).

Third stage of the pipeline (after :mod:`analysis.simulate.engine` or :mod:`analysis.io.cohort_files`).
Everything here reproduces R's ``survival`` package (version 3.5-3 was used for the reference
values in ``tests/r_reference``):

=======================  ==========================================================  =========================
piece                    R call matched                                              computed by
=======================  ==========================================================  =========================
Kaplan-Meier per arm     ``survfit(Surv(t, e) ~ arm, conf.type = "log-log")``          numpy (checked vs lifelines)
median and its 95% CI    ``print(fit)`` (``survmean``'s ``minmin`` rule)               numpy
landmark survival        ``summary(fit, times = ..., extend = FALSE)``                 numpy
risk table (KMunicate)   ``n.risk`` at t; cumulative ``n.event``/``n.censor`` to t     numpy
log-rank                 ``survdiff(Surv(t, e) ~ arm)``                                lifelines ``logrank_test``
                                                                                     (numpy from 5,000 rows)
stratified log-rank      ``survdiff(Surv(t, e) ~ arm + strata(s))``                    numpy (lifelines lacks it)
Cox PH                   ``coxph(Surv(t, e) ~ arm [+ strata(s)] [+ x], ties="efron")``  lifelines ``CoxPHFitter``;
                                                                                     from 5,000 rows the exact
                                                                                     vectorised fitter (see cox)
PH check                 ``cox.zph(fit)`` of survival >= 3.0 (score test, transform   numpy (own implementation)
                         ``"km"`` by default)
RMST                     ``print(fit, rmean = tau)`` (``rmean``, ``se(rmean)``)          numpy
median follow-up         ``survfit(Surv(t, 1 - e) ~ arm)`` median (reverse KM)         numpy
=======================  ==========================================================  =========================

Risk sets, tie groups, the product limit with Greenwood's variance, R's median rule, the log-rank
terms and the RMST come from :mod:`analysis.stats.counting`, which the batched Monte Carlo kernels
(:mod:`analysis.stats.kernels`) share.

lifelines' own ``restricted_mean_survival_time(..., return_variance=True)`` returns the variance
of the restricted survival *time*, not of the RMST *estimate*, and lifelines'
``proportional_hazard_test`` is the pre-3.0 R test; neither is used.

All functions accept a raw cohort (checked with :func:`~analysis.stats.validation.validate_two_arm`,
so bad input raises :class:`~analysis.errors.CohortFileError`) and return frozen result
objects with a tidy ``.summary`` DataFrame and a JSON-ready ``.to_dict()`` (``None`` where a
value is undefined, e.g. a median that is not reached).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from . import tails as stats  # scipy.stats costs seconds of import; same functions

from .validation import validate_two_arm
from .counting import (build_risk_sets, km_from_counts, logrank_from_counts, median_survival,
                       rmst_from_km)
from ..errors import CohortFileError

__all__ = [
    "DEFAULT_LANDMARKS", "DEFAULT_RISK_TIMES",
    "KMCurve", "KaplanMeier", "RiskTable", "LogRank", "CoxModel", "PHCheck", "RMST", "FollowUp",
    "TwoArmAnalysis",
    "kaplan_meier", "risk_table", "logrank", "cox", "ph_check", "rmst", "median_followup",
    "analyze_two_arm", "COX_EXACT_MIN_ROWS", "COX_ENGINES",
]

#: 6, 12 and 24 months in days (a month is 365.25 / 12 days).
DEFAULT_LANDMARKS = (182.625, 365.25, 730.5)
#: Every 6 months from randomisation to 36 months, in days.
DEFAULT_RISK_TIMES = tuple(182.625 * k for k in range(7))


def _f(x) -> float | None:
    """Float for JSON: None for NaN/inf/None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _frame_records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (_f(v) if isinstance(v, (float, np.floating)) else
                        int(v) if isinstance(v, (np.integer,)) else
                        bool(v) if isinstance(v, np.bool_) else v) for k, v in rec.items()})
    return out


# =============================================================================== input
def _clean(df, time, event, group, reference, strata=(), covariates=()):
    """(clean frame, reference level, other level). Accepts an already clean frame too."""
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    clean = validate_two_arm(df, time=time, event=event, group=group, reference=reference,
                             strata=strata, covariates=covariates)
    reference = str(reference)
    other = next(v for v in pd.unique(clean["group"]) if v != reference)
    return clean, reference, other


def _strata_codes(clean: pd.DataFrame, strata: Sequence[str]) -> np.ndarray:
    if not strata:
        return np.zeros(len(clean), dtype=np.int64)
    if len(strata) == 1:
        return pd.factorize(clean[strata[0]], sort=True)[0].astype(np.int64)
    # one code per combination of levels (a groupby, not a Python join per row)
    return clean.groupby(list(strata), sort=True).ngroup().to_numpy(np.int64)


# =============================================================================== Kaplan-Meier
def _km_arrays(t: np.ndarray, e: np.ndarray):
    """Distinct times, at risk, events, censored, survival, Greenwood se of -log S."""
    groups = build_risk_sets(t, e).tie_groups()
    surv, se = km_from_counts(groups.n_risk, groups.n_event, std_err=True)
    return groups.time, groups.n_risk, groups.n_event, groups.n_censor, surv, se


def _ci(surv: np.ndarray, se: np.ndarray, conf_level: float, conf_type: str = "log-log"):
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


def _median_with_ci(times, surv, lower, upper):
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
        return {"level": self.level, "n": self.n, "events": self.events, "median": _f(self.median),
                "median_ci": [_f(self.median_lower), _f(self.median_upper)]}


def _km_curve(level: str, t: np.ndarray, e: np.ndarray, conf_level: float = 0.95) -> KMCurve:
    times, n_risk, n_event, n_cens, surv, se = _km_arrays(t, e)
    lower, upper = _ci(surv, se, conf_level)
    med, mlo, mhi = _median_with_ci(times, surv, lower, upper)
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
        return {"groups": [c.to_dict() for c in self.curves], "landmarks": _frame_records(self.landmarks)}


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
    clean, ref, other = _clean(df, time, event, group, reference)
    return _kaplan_meier(clean, ref, other, landmarks, conf_level)


def _kaplan_meier(clean, ref, other, landmarks, conf_level=0.95) -> KaplanMeier:
    t, e, g = clean["time"].to_numpy(float), clean["event"].to_numpy(np.int64), clean["group"].to_numpy()
    curves = tuple(_km_curve(lv, t[g == lv], e[g == lv], conf_level) for lv in (ref, other))
    lm = pd.concat([c.at(landmarks) for c in curves], ignore_index=True) if len(landmarks) else pd.DataFrame(
        columns=["level", "time", "survival", "lower", "upper", "n_risk"])
    return KaplanMeier(curves=curves, landmarks=lm)


# =============================================================================== risk table
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
        return {"rows": _frame_records(self.summary)}


def risk_table(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
               reference: str = "control", *, times: Sequence[float] = DEFAULT_RISK_TIMES) -> RiskTable:
    """Numbers at risk, cumulative events and cumulative censored per arm at ``times``.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 1, 1], "arm": ["control", "intervention"] * 2})
    >>> risk_table(d, "t", "e", times=[0, 2]).summary.to_dict("list")["at_risk"]
    [2, 1, 2, 2]
    """
    clean, ref, other = _clean(df, time, event, group, reference)
    return _risk_table(clean, ref, other, times)


def _risk_table(clean, ref, other, times) -> RiskTable:
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


# =============================================================================== log-rank
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
        return {"chisq": _f(self.chisq), "p": _f(self.p), "observed": [_f(v) for v in self.observed],
                "expected": [_f(v) for v in self.expected], "strata": list(self.strata)}


def _logrank_parts(t: np.ndarray, e: np.ndarray, x: np.ndarray, s: np.ndarray):
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
    clean, ref, other = _clean(df, time, event, group, reference, strata)
    return _logrank(clean, ref, other, strata)


def _logrank(clean, ref, other, strata) -> LogRank:
    t, e = clean["time"].to_numpy(float), clean["event"].to_numpy(np.int64)
    x = (clean["group"].to_numpy() == other).astype(np.int64)
    s = _strata_codes(clean, strata)
    oe, v, e1, etot = _logrank_parts(t, e, x, s)
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


# =============================================================================== Cox
@dataclass(frozen=True)
class CoxModel:
    """Cox proportional-hazards model (Efron ties), as R ``coxph(..., ties = "efron")``.

    Attributes
    ----------
    hr, lower, upper, p : float
        Hazard ratio of the non-reference arm vs the reference arm, its 95% Wald CI and Wald p.
    coef, se : float
        log hazard ratio and its standard error.
    kind : str
        "unadjusted", "stratified", "adjusted" or "stratified+adjusted".
    strata, covariates : tuple of str
    loglik : float
        Partial log-likelihood at the estimate.
    n, events : int
    summary : pandas.DataFrame
        One row per model coefficient: ``term``, ``coef``, ``se``, ``hr``, ``lower``, ``upper``,
        ``z``, ``p`` (covariates included).
    engine : str
        Which fitter ran: ``"lifelines"`` or ``"exact-vectorised"`` (:func:`analysis.stats.cox.fit_cox`).
    cluster : str or None
        Column whose levels are clusters (e.g. ``"clinic"``). Then ``se``, the CI and ``p`` are
        cluster-robust (sandwich), as R's ``summary(coxph(... + cluster(clinic)))``, and
        ``naive_se`` is the model-based standard error.
    naive_se : float or None
    n_clusters : int
        Clusters behind the robust variance (0 without ``cluster``).
    """

    hr: float
    lower: float
    upper: float
    p: float
    coef: float
    se: float
    kind: str
    strata: tuple[str, ...]
    covariates: tuple[str, ...]
    loglik: float
    n: int
    events: int
    summary: pd.DataFrame = field(repr=False)
    engine: str = "lifelines"
    cluster: str | None = None
    naive_se: float | None = None
    n_clusters: int = 0

    def to_dict(self) -> dict:
        out = {"hr": _f(self.hr), "ci": [_f(self.lower), _f(self.upper)], "p": _f(self.p), "coef": _f(self.coef),
               "se": _f(self.se), "kind": self.kind, "strata": list(self.strata), "covariates": list(self.covariates),
               "n": self.n, "events": self.events, "terms": _frame_records(self.summary), "cox_engine": self.engine}
        if self.cluster is not None:
            out.update(cluster=self.cluster, robust_se=_f(self.se), naive_se=_f(self.naive_se),
                       n_clusters=self.n_clusters)
        return out


def _design(clean, other, covariates):
    """Model matrix (DataFrame), column names, term -> column indices (R's fit$assign)."""
    cols = {"group": (clean["group"].to_numpy() == other).astype(float)}
    assign = {"group": [0]}
    for c in covariates:
        s = clean[c]
        if pd.api.types.is_numeric_dtype(s):
            assign[c] = [len(cols)]
            cols[c] = s.to_numpy(float)
        else:
            levels = sorted(pd.unique(s).tolist())
            idx = []
            for lv in levels[1:]:
                idx.append(len(cols))
                cols[f"{c}[{lv}]"] = (s.to_numpy() == lv).astype(float)
            if idx:
                assign[c] = idx
    return pd.DataFrame(cols), assign


#: Rows from which :func:`cox`, :func:`ph_check` and :func:`analyze_two_arm` fit the Cox model with
#: the exact vectorised fitter (:func:`analysis.stats.cox.fit_cox`) instead of lifelines. See :func:`cox`.
COX_EXACT_MIN_ROWS = 5_000
#: The names of the two Cox engines (reported as ``cox_engine`` in the results).
COX_ENGINES = ("lifelines", "exact-vectorised")


class _CoxFitted(NamedTuple):
    """A fitted Cox model, whichever engine fitted it (``se`` robust when fitted with clusters)."""

    coef: np.ndarray
    se: np.ndarray
    loglik: float
    X: pd.DataFrame
    assign: dict
    strata_codes: np.ndarray
    engine: str
    naive_se: np.ndarray | None = None
    n_clusters: int = 0


def _cox_engine(n_rows: int, engine: str) -> str:
    if engine == "auto":
        return "exact-vectorised" if n_rows >= COX_EXACT_MIN_ROWS else "lifelines"
    if engine not in COX_ENGINES:
        raise CohortFileError(f"cox_engine = {engine!r} must be 'auto', 'lifelines' or 'exact-vectorised'")
    return engine


def _fit_cox(clean, other, strata, covariates, engine: str = "auto", cluster: str | None = None) -> _CoxFitted:
    """Fit the Cox model (Efron ties) with lifelines or the exact vectorised fitter.

    With ``cluster`` the exact fitter always runs: it is the one implementation of the
    cluster-robust variance (lifelines' own ``cluster_col`` is not used, so there is one).
    """
    X, assign = _design(clean, other, covariates)
    time = clean["time"].to_numpy(float)
    event = clean["event"].to_numpy(np.int64)
    s = _strata_codes(clean, strata)
    if not event.any():
        raise CohortFileError("no events in the file: a hazard ratio cannot be estimated")
    engine = "exact-vectorised" if cluster is not None else _cox_engine(len(clean), engine)
    if engine == "exact-vectorised":
        from .cox import fit_cox

        clusters = None
        if cluster is not None:
            clusters = pd.factorize(clean[cluster])[0]
            if clusters.max(initial=0) < 1:
                raise CohortFileError(f"column '{cluster}' has a single cluster: robust standard errors need at "
                                      "least two clusters")
        try:
            fit = fit_cox(time, event, X.to_numpy(float), strata=s if strata else None, ties="efron", max_iter=100,
                          tol=1e-12, cluster=clusters)
        except ValueError as exc:
            raise CohortFileError(f"the Cox model cannot be fitted: {exc}") from None
        if cluster is not None:
            return _CoxFitted(np.asarray(fit.coef), np.asarray(fit.robust_se), fit.loglik[1], X, assign, s, engine,
                              np.asarray(fit.se), fit.n_clusters)
        return _CoxFitted(np.asarray(fit.coef), np.asarray(fit.se), fit.loglik[1], X, assign, s, engine)

    from lifelines import CoxPHFitter

    data = X.copy()
    data["__time"] = time
    data["__event"] = event
    kw = {}
    if strata:
        data["__stratum"] = s
        kw["strata"] = ["__stratum"]
    cph = CoxPHFitter()
    with warnings.catch_warnings():
        # lifelines' advisory warnings (e.g. low-variance columns) are not errors here; a fit
        # that fails outright raises ConvergenceError below.
        warnings.simplefilter("ignore")
        try:
            cph.fit(data, duration_col="__time", event_col="__event",
                    fit_options={"precision": 1e-18, "r_precision": 0.0, "max_steps": 100}, **kw)
        except Exception as exc:  # lifelines.exceptions.ConvergenceError and linear-algebra failures
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CohortFileError(f"the Cox model cannot be fitted: {msg}") from None
    cols = list(X.columns)
    return _CoxFitted(cph.params_[cols].to_numpy(), cph.standard_errors_[cols].to_numpy(),
                      float(cph.log_likelihood_), X, assign, s, engine)


def cox(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
        reference: str = "control", *, strata: Sequence[str] = (), covariates: Sequence[str] = (),
        cox_engine: str = "auto", cluster: str | None = None) -> CoxModel:
    """Hazard ratio of the non-reference arm from a Cox model with Efron ties.

    Matches R ``coxph(Surv(t, e) ~ arm [+ strata(s)] [+ covariates], ties = "efron")``. Text
    covariates are coded as indicators of each level except the first (alphabetical, as an R
    factor).

    Two engines fit the same model: lifelines' ``CoxPHFitter`` (tight convergence), the
    estimator of record, and the exact vectorised Newton-Raphson of
    :func:`analysis.stats.cox.fit_cox` (one sort, then cumulative sums; no Python loop over
    event times). They agree with each other and with R to 1e-8 relative (tests/test_cox_engines.py).
    ``cox_engine="auto"`` uses lifelines below :data:`COX_EXACT_MIN_ROWS` (5,000) rows and the
    exact fitter from there on. The switch-over is where lifelines stops being interactive:
    measured for one Cox fit (arm only) on simulated WalkBack cohorts (continuous times), on a
    shared 2-core machine under load:

    =========  ============  ================
    rows       lifelines     exact-vectorised
    =========  ============  ================
    701        0.13 s        0.0015 s
    2,000      0.20 s        0.002 s
    5,000      0.98 s        0.004 s
    10,000     1.4 s         0.004 s
    30,000     4.1 s         0.06 s
    1,000,000  ~217 s (1)    2.0 s
    =========  ============  ================

    (1) issue 11's profile of ``walkback analyze`` on a million rows: 217 s of 235 s in lifelines'
    Efron loop. lifelines' Efron loop is a Python loop over distinct event times, so its time grows with
    the number of events; from about 5,000 rows a single fit takes a second or more, and
    ``walkback analyze`` fits up to three models plus the PH check. The result says which engine
    ran (``engine``; ``"cox_engine"`` in ``to_dict()``).

    Parameters
    ----------
    cox_engine : {"auto", "lifelines", "exact-vectorised"}
        Which fitter to use (default: by size, as above).
    cluster : str, optional
        A column of cluster labels (e.g. ``"clinic"``): standard errors, CI and p become
        cluster-robust, equal to R's ``coxph(Surv(t, e) ~ arm + cluster(clinic))`` robust se
        (tests/test_cox_cluster.py); the exact fitter runs.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 0, 1, 1, 1, 0],
    ...                   "arm": ["control", "intervention"] * 4, "clinic": list("aabbccdd")})
    >>> round(cox(d, "t", "e").hr, 4)
    0.4205
    >>> m = cox(d, "t", "e", cluster="clinic")
    >>> round(m.hr, 4), m.n_clusters, m.se < m.naive_se
    (0.4205, 4, True)
    """
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    clean, ref, other = _clean_with_cluster(df, time, event, group, reference, strata, covariates, cluster)
    return _cox(clean, ref, other, strata, covariates, cox_engine=cox_engine, cluster=cluster)


def _clean_with_cluster(df, time, event, group, reference, strata, covariates, cluster):
    """:func:`_clean`, the cluster column checked and kept as text like a stratum."""
    if cluster is None:
        return _clean(df, time, event, group, reference, strata, covariates)
    if not isinstance(cluster, str) or not cluster:
        raise CohortFileError(f"cluster = {cluster!r} must be the name of a column")
    extra = () if cluster in strata else (cluster,)
    return _clean(df, time, event, group, reference, (*strata, *extra), covariates)


def _cox(clean, ref, other, strata, covariates, fitted=None, cox_engine="auto", cluster=None) -> CoxModel:
    fitted = fitted if fitted is not None else _fit_cox(clean, other, strata, covariates, cox_engine, cluster)
    X = fitted.X
    z = stats.norm.ppf(0.975)
    beta = fitted.coef
    se = fitted.se
    zz = beta / se
    p = 2 * stats.norm.sf(np.abs(zz))
    # an arm without events gives a (near-)infinite estimate, as R's "coefficient may be infinite"
    with np.errstate(over="ignore"):
        table = pd.DataFrame({"term": list(X.columns), "coef": beta, "se": se, "hr": np.exp(beta),
                              "lower": np.exp(beta - z * se), "upper": np.exp(beta + z * se), "z": zz, "p": p})
    kind = ("stratified+adjusted" if strata and covariates else "stratified" if strata
            else "adjusted" if covariates else "unadjusted")
    r = table.iloc[0]
    return CoxModel(hr=float(r.hr), lower=float(r.lower), upper=float(r.upper), p=float(r.p), coef=float(r.coef),
                    se=float(r.se), kind=kind, strata=tuple(strata), covariates=tuple(covariates),
                    loglik=float(fitted.loglik), n=int(len(clean)), events=int(clean["event"].sum()),
                    summary=table, engine=fitted.engine, cluster=cluster,
                    naive_se=None if fitted.naive_se is None else float(fitted.naive_se[0]),
                    n_clusters=fitted.n_clusters)


# =============================================================================== PH check
@dataclass(frozen=True)
class PHCheck:
    """Schoenfeld-residual test of proportional hazards (R >= 3.0 ``cox.zph``) and plot data.

    Attributes
    ----------
    summary : pandas.DataFrame
        ``term``, ``chisq``, ``df``, ``p``; one row per model term plus ``GLOBAL``.
    transform : str
        Time transform used ("km", "identity", "log" or "rank").
    loglog : pandas.DataFrame
        Per arm ``log_time`` and ``log_minus_log_survival`` (see :meth:`KaplanMeier.loglog`).
    engine : str
        The Cox engine that fitted the model tested (see :func:`cox`).
    """

    summary: pd.DataFrame
    transform: str
    loglog: pd.DataFrame = field(repr=False)
    engine: str = "lifelines"

    def to_dict(self) -> dict:
        return {"transform": self.transform, "tests": _frame_records(self.summary), "cox_engine": self.engine}


def _efron_blocks(t, e, X, eta, s):
    """Per (Efron) death: time, x of a death, mean vector, covariance of the risk set.

    Risk sets per stratum from :func:`~analysis.stats.counting.build_risk_sets`. Returns arrays
    over the deaths in (stratum, time) order: death time, x_death (d, p), xbar (d, p), V (d, p, p);
    and the sorting permutation of the rows.
    """
    rs = build_risk_sets(t, e, s)
    order = rs.order[0]
    es, Xs = rs.event[0] > 0, X[order]
    w = np.exp(eta[order] - eta.max())
    n, p = Xs.shape
    XX = (Xs[:, :, None] * Xs[:, None, :]).reshape(n, p * p)
    dw = np.where(es, w, 0.0)
    at_risk = [rs.running(v[None]) for v in (w, w[:, None] * Xs, w[:, None] * XX)]
    died = [rs.running(v[None]) for v in (dw, dw[:, None] * Xs, dw[:, None] * XX)]
    deaths = rs.running(rs.event)
    # each death gets r = 0..d-1 within its tie group: Efron's share f = r / d of the deaths leaves
    f = deaths.earlier_in_tie()[0][es] / deaths.tie_group()[0][es]
    S0, S1, S2 = (r.risk_set()[0][es] for r in at_risk)
    D0, D1, D2 = (r.tie_group()[0][es] for r in died)
    s0 = S0 - f * D0
    xbar = (S1 - f[:, None] * D1) / s0[:, None]
    s2 = (S2 - f[:, None] * D2) / s0[:, None]
    V = s2.reshape(-1, p, p) - xbar[:, :, None] * xbar[:, None, :]
    return rs.time[0][es], Xs[es], xbar, V, order


def _quad(u, m) -> float:
    """u' m^-1 u; NaN when m is singular (e.g. a single event: R's cox.zph stops there)."""
    try:
        with np.errstate(all="ignore"):
            v = float(u @ np.linalg.solve(m, u))
    except np.linalg.LinAlgError:
        return math.nan
    return v if math.isfinite(v) else math.nan


def _zph(t, e, X, beta, s, assign, transform="km"):
    if transform == "km":
        times, _, _, _, surv, _ = _km_arrays(t, e)
        idx = np.searchsorted(times, t, side="left")  # number of distinct times < t
        tt = 1.0 - np.r_[1.0, surv][idx]
    elif transform == "identity":
        tt = t.copy()
    elif transform == "log":
        tt = np.log(t)
    elif transform == "rank":
        tt = stats.rankdata(t)
    else:
        raise ValueError(f"transform must be 'km', 'identity', 'log' or 'rank', not {transform!r}")
    g_all = tt - tt[e == 1].mean()
    eta = X @ beta
    # g per death: the transform depends on time only, so take it from any row with that time
    dt, xd, xbar, V, order = _efron_blocks(t, e, X, eta, s)
    gd = g_all[order][e[order] == 1]
    p = X.shape[1]
    resid = xd - xbar  # Schoenfeld residuals (Efron: per sub-death)
    u = (gd[:, None] * resid).sum(axis=0)
    Vs = V.sum(axis=0)
    Vg = (gd[:, None, None] * V).sum(axis=0)
    Vgg = ((gd ** 2)[:, None, None] * V).sum(axis=0)
    imat = np.block([[Vs, Vg], [Vg, Vgg]])
    rows = []
    for term, jj in assign.items():
        kk = list(range(p)) + [p + j for j in jj]
        uu = np.r_[np.zeros(p), u[jj]]
        rows.append((term, _quad(uu, imat[np.ix_(kk, kk)]), len(jj)))
    uu = np.r_[np.zeros(p), u]
    rows.append(("GLOBAL", _quad(uu, imat), p))
    out = pd.DataFrame(rows, columns=["term", "chisq", "df"])
    out["p"] = stats.chi2.sf(out["chisq"], out["df"])
    return out


def ph_check(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
             reference: str = "control", *, strata: Sequence[str] = (), covariates: Sequence[str] = (),
             transform: str = "km", cox_engine: str = "auto") -> PHCheck:
    """Test proportional hazards of the Cox model, as R (survival >= 3.0) ``cox.zph(fit)``.

    The model is refitted (same terms as :func:`cox`). For each term, and globally, the score
    test of adding ``x * g(t)`` at the fitted coefficients, where ``g`` is the transformed time
    centred at its mean over the events; "km" uses 1 - the left-continuous pooled KM, as R's
    default. The information matrix is the Efron-weighted one of the expanded model, exactly as
    R's ``Czph1`` (this is *not* lifelines' ``proportional_hazard_test``, which is the older
    approximation R used before 3.0). ``cox_engine`` chooses the fitter as in :func:`cox`.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "e": [1, 1, 1, 0, 1, 1, 1, 0, 1, 1],
    ...                   "arm": ["control", "intervention"] * 5})
    >>> ph_check(d, "t", "e").summary.term.tolist()
    ['group', 'GLOBAL']
    """
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    clean, ref, other = _clean(df, time, event, group, reference, strata, covariates)
    return _ph_check(clean, ref, other, strata, covariates, transform, cox_engine=cox_engine)


def _ph_check(clean, ref, other, strata, covariates, transform="km", fitted=None, cox_engine="auto",
              km=None) -> PHCheck:
    fitted = fitted if fitted is not None else _fit_cox(clean, other, strata, covariates, cox_engine)
    table = _zph(clean["time"].to_numpy(float), clean["event"].to_numpy(np.int64), fitted.X.to_numpy(float),
                 fitted.coef, fitted.strata_codes, fitted.assign, transform)
    loglog = (km if km is not None else _kaplan_meier(clean, ref, other, ())).loglog()
    return PHCheck(summary=table, transform=transform, loglog=loglog, engine=fitted.engine)


# =============================================================================== RMST
@dataclass(frozen=True)
class RMST:
    """Restricted mean survival time per arm up to ``tau`` and the difference.

    Attributes
    ----------
    tau : float
    levels : tuple of str
        Reference arm first.
    rmst, se : tuple of float
        Per arm; ``se`` is R's ``se(rmean)`` of ``print(fit, rmean = tau)``.
    difference, lower, upper, p : float
        Other arm minus reference arm, 95% normal CI, two-sided p.
    """

    tau: float
    levels: tuple[str, str]
    rmst: tuple[float, float]
    se: tuple[float, float]
    difference: float
    lower: float
    upper: float
    p: float

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"level": list(self.levels) + ["difference"], "tau": self.tau,
                             "rmst": list(self.rmst) + [self.difference], "se": list(self.se) + [math.hypot(*self.se)],
                             "lower": [math.nan, math.nan, self.lower], "upper": [math.nan, math.nan, self.upper],
                             "p": [math.nan, math.nan, self.p]})

    def to_dict(self) -> dict:
        return {"tau": _f(self.tau), "difference": _f(self.difference), "ci": [_f(self.lower), _f(self.upper)],
                "p": _f(self.p), "levels": list(self.levels), "rmst": [_f(v) for v in self.rmst],
                "se": [_f(v) for v in self.se]}


def _rmst_one(t, e, tau):
    """R survmean: area under the KM curve on [0, tau] and its Greenwood-type se."""
    times, n_risk, n_event, _, surv, _ = _km_arrays(t, e)
    mean, var, _ = rmst_from_km(times, surv, n_risk, n_event, tau)
    return mean, math.sqrt(var)


def rmst(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
         reference: str = "control", *, tau: float | None = None, conf_level: float = 0.95) -> RMST:
    """Restricted mean survival time to ``tau`` per arm and its difference.

    Per arm the estimate and standard error are those of R ``print(survfit(...), rmean = tau)``
    (variance: sum over event times of A(t)^2 d / (n (n - d)), A(t) the area under the curve
    from t to tau). The difference (other minus reference) uses the sum of the two variances.

    Parameters
    ----------
    tau : float, optional
        Horizon. Default: the smaller of the two arms' largest follow-up times (event or
        censoring), so that both curves are estimated up to tau.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 0],
    ...                   "arm": ["control", "intervention"] * 3})
    >>> r = rmst(d, "t", "e", tau=4)
    >>> r.rmst, round(r.difference, 4)
    ((3.0, 3.3333333333333335), 0.3333)
    """
    clean, ref, other = _clean(df, time, event, group, reference)
    return _rmst(clean, ref, other, tau, conf_level)


def _default_tau(clean, ref, other) -> float:
    t, g = clean["time"].to_numpy(float), clean["group"].to_numpy()
    return float(min(t[g == ref].max(), t[g == other].max()))


def _rmst(clean, ref, other, tau, conf_level=0.95) -> RMST:
    if tau is None:
        tau = _default_tau(clean, ref, other)
    tau = float(tau)
    if not math.isfinite(tau) or tau <= 0:
        raise CohortFileError(f"tau = {tau!r} must be a positive number of time units")
    t, e, g = clean["time"].to_numpy(float), clean["event"].to_numpy(np.int64), clean["group"].to_numpy()
    m0, s0 = _rmst_one(t[g == ref], e[g == ref], tau)
    m1, s1 = _rmst_one(t[g == other], e[g == other], tau)
    diff = m1 - m0
    se = math.hypot(s0, s1)
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else math.nan
    return RMST(tau=tau, levels=(ref, other), rmst=(m0, m1), se=(s0, s1), difference=diff,
                lower=diff - z * se, upper=diff + z * se, p=p)


# =============================================================================== follow-up
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
        return {"rows": _frame_records(self.summary)}


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
    clean, ref, other = _clean(df, time, event, group, reference)
    return _followup(clean, ref, other)


def _followup(clean, ref, other) -> FollowUp:
    t, e, g = clean["time"].to_numpy(float), 1 - clean["event"].to_numpy(np.int64), clean["group"].to_numpy()
    rows = []
    for lv, sel in ((ref, g == ref), (other, g == other), ("overall", np.ones(len(t), bool))):
        times, _, _, _, surv, se = _km_arrays(t[sel], e[sel])
        lo, hi = _ci(surv, se, 0.95, "log")
        med, mlo, mhi = _median_with_ci(times, surv, lo, hi)
        rows.append({"level": lv, "median": med, "lower": mlo, "upper": mhi})
    return FollowUp(pd.DataFrame(rows))


# =============================================================================== everything
@dataclass(frozen=True)
class TwoArmAnalysis:
    """All analyses of one two-arm cohort (see :func:`analyze_two_arm`).

    Attributes
    ----------
    km : KaplanMeier
    logrank : LogRank
    logrank_stratified : LogRank or None
    cox : CoxModel
        Unadjusted.
    cox_stratified, cox_adjusted : CoxModel or None
    cox_cluster : CoxModel or None
        The unadjusted (stratified, when strata are given) model with cluster-robust standard
        errors, when a cluster column is given.
    ph : PHCheck
        For the unadjusted model (or the adjusted one when covariates are given).
    rmst : RMST
    followup : FollowUp
    risk_table : RiskTable
    """

    km: KaplanMeier
    logrank: LogRank
    logrank_stratified: LogRank | None
    cox: CoxModel
    cox_stratified: CoxModel | None
    cox_adjusted: CoxModel | None
    ph: PHCheck
    rmst: RMST
    followup: FollowUp
    risk_table: RiskTable
    cox_cluster: CoxModel | None = None

    @property
    def summary(self) -> pd.DataFrame:
        """Tidy: ``analysis``, ``level``, ``estimate``, ``lower``, ``upper``, ``statistic``, ``p``."""
        nan = math.nan
        rows = []
        for c in self.km.curves:
            rows.append(("median", c.level, c.median, c.median_lower, c.median_upper, nan, nan))
        for r in self.km.landmarks.itertuples():
            rows.append((f"survival at {r.time:g}", r.level, r.survival, r.lower, r.upper, nan, nan))
        other = self.km.curves[1].level
        for name, lr in (("log-rank", self.logrank), ("stratified log-rank", self.logrank_stratified)):
            if lr is not None:
                rows.append((name, other, nan, nan, nan, lr.chisq, lr.p))
        for name, m in (("Cox HR", self.cox), ("stratified Cox HR", self.cox_stratified),
                        ("adjusted Cox HR", self.cox_adjusted), ("cluster-robust Cox HR", self.cox_cluster)):
            if m is not None:
                rows.append((name, other, m.hr, m.lower, m.upper, m.coef / m.se, m.p))
        for lv, m, s in zip(self.rmst.levels, self.rmst.rmst, self.rmst.se):
            rows.append((f"RMST to {self.rmst.tau:g}", lv, m, nan, nan, nan, nan))
        rows.append((f"RMST difference to {self.rmst.tau:g}", other, self.rmst.difference, self.rmst.lower,
                     self.rmst.upper, nan, self.rmst.p))
        for r in self.followup.summary.itertuples():
            rows.append(("median follow-up", r.level, r.median, r.lower, r.upper, nan, nan))
        return pd.DataFrame(rows, columns=["analysis", "level", "estimate", "lower", "upper", "statistic", "p"])

    def to_dict(self) -> dict:
        return {
            "groups": [c.to_dict() for c in self.km.curves],
            "logrank": {"chisq": _f(self.logrank.chisq), "p": _f(self.logrank.p)},
            "cox": {"hr": _f(self.cox.hr), "ci": [_f(self.cox.lower), _f(self.cox.upper)], "p": _f(self.cox.p)},
            "rmst": {"tau": _f(self.rmst.tau), "difference": _f(self.rmst.difference),
                     "ci": [_f(self.rmst.lower), _f(self.rmst.upper)], "p": _f(self.rmst.p)},
            "reference": self.km.curves[0].level,
            "cox_engine": self.cox.engine,
            "logrank_stratified": None if self.logrank_stratified is None else self.logrank_stratified.to_dict(),
            "cox_stratified": None if self.cox_stratified is None else self.cox_stratified.to_dict(),
            "cox_adjusted": None if self.cox_adjusted is None else self.cox_adjusted.to_dict(),
            **({} if self.cox_cluster is None else {"cox_cluster": self.cox_cluster.to_dict()}),
            "ph_check": self.ph.to_dict(),
            "rmst_detail": self.rmst.to_dict(),
            "landmarks": _frame_records(self.km.landmarks),
            "followup": self.followup.to_dict()["rows"],
            "risk_table": self.risk_table.to_dict()["rows"],
        }


def analyze_two_arm(df: pd.DataFrame, time: str = "time_days", event: str = "recurrence", group: str = "arm",
                    reference: str = "control", strata: Sequence[str] = (), covariates: Sequence[str] = (),
                    tau: float | None = None, landmarks: Sequence[float] = DEFAULT_LANDMARKS,
                    risk_times: Sequence[float] = DEFAULT_RISK_TIMES, cox_engine: str = "auto",
                    cluster: str | None = None) -> TwoArmAnalysis:
    """Run every two-arm analysis on a cohort: KM, log-rank, Cox, PH check, RMST, follow-up.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per participant.
    time, event, group : str
        Column names (defaults: the simulator's ``time_days``, ``recurrence``, ``arm``).
    reference : str
        Reference arm; hazard ratios and differences are other arm vs reference.
    strata : sequence of str
        When given, a stratified log-rank test and a stratified Cox model are added.
    covariates : sequence of str
        When given, a Cox model adjusted for them is added (and used for the PH check).
    tau : float, optional
        RMST horizon; default the smaller of the two arms' largest follow-up times.
    landmarks : sequence of float
        Times for landmark survival (default 6, 12 and 24 months in days).
    risk_times : sequence of float
        Times of the risk table (default every 6 months to 36 months, in days).
    cox_engine : {"auto", "lifelines", "exact-vectorised"}
        The Cox fitter (see :func:`cox`: by default lifelines below 5,000 rows, the exact
        vectorised fitter from there on); every model of the analysis uses the same one.
    cluster : str, optional
        Column of cluster labels (e.g. ``"clinic"``): adds ``cox_cluster``, the Cox model (stratified
        when strata are given) with cluster-robust standard errors (see :func:`cox`).

    Returns
    -------
    TwoArmAnalysis
        ``.to_dict()`` has at least ``groups``, ``logrank``, ``cox``, ``rmst`` and
        ``cox_engine`` (the fitter that ran).

    Examples
    --------
    >>> from analysis import Scenario, simulate_trial
    >>> res = analyze_two_arm(simulate_trial(Scenario(), seed=1), strata=["stratum"])
    >>> sorted(res.to_dict())[:4]
    ['cox', 'cox_adjusted', 'cox_engine', 'cox_stratified']
    >>> res.to_dict()["cox_engine"]  # 701 rows: lifelines, the estimator of record
    'lifelines'
    >>> [g["level"] for g in res.to_dict()["groups"]]
    ['control', 'intervention']
    """
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    clean, ref, other = _clean_with_cluster(df, time, event, group, reference, strata, covariates, cluster)
    km = _kaplan_meier(clean, ref, other, tuple(landmarks))
    engine = _cox_engine(len(clean), cox_engine)
    fitted = _fit_cox(clean, other, (), (), engine)
    cox_u = _cox(clean, ref, other, (), (), fitted)
    cox_s = _cox(clean, ref, other, strata, (), cox_engine=engine) if strata else None
    fitted_a = _fit_cox(clean, other, (), covariates, engine) if covariates else None
    cox_a = _cox(clean, ref, other, (), covariates, fitted_a) if covariates else None
    ph = _ph_check(clean, ref, other, (), covariates, "km", fitted_a if covariates else fitted, km=km)
    return TwoArmAnalysis(
        km=km,
        logrank=_logrank(clean, ref, other, ()),
        logrank_stratified=_logrank(clean, ref, other, strata) if strata else None,
        cox=cox_u, cox_stratified=cox_s, cox_adjusted=cox_a, ph=ph,
        rmst=_rmst(clean, ref, other, tau),
        followup=_followup(clean, ref, other),
        risk_table=_risk_table(clean, ref, other, tuple(risk_times)),
        cox_cluster=_cox(clean, ref, other, strata, (), cluster=cluster) if cluster is not None else None,
    )
