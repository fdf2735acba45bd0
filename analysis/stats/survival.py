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

The pieces live in their own modules (:mod:`~analysis.stats.km`: Kaplan-Meier, landmarks, risk
table, follow-up; :mod:`~analysis.stats.logrank_test`; :mod:`~analysis.stats.coxph`; :mod:`~analysis.stats.zph`:
PH check; :mod:`~analysis.stats.restricted_mean`: RMST); this module runs them all on one cohort
(:func:`analyze_two_arm`) and keeps every public name importable from here.

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
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .coxph import (COX_ENGINES, COX_EXACT_MIN_ROWS, CoxModel, cox, cox_engine_for, cox_from_clean, fit_cox_model,
                    two_arm_input_with_cluster)
from .km import (DEFAULT_LANDMARKS, DEFAULT_RISK_TIMES, FollowUp, KaplanMeier, KMCurve, RiskTable,
                 followup_from_clean, kaplan_meier, kaplan_meier_from_clean, median_followup, risk_table,
                 risk_table_from_clean)
from .logrank_test import LogRank, logrank, logrank_from_clean
from .records import frame_records, json_float
from .restricted_mean import RMST, rmst, rmst_from_clean
from .validation import two_arm_input
from .zph import PHCheck, ph_check, ph_check_from_clean

__all__ = [
    "DEFAULT_LANDMARKS", "DEFAULT_RISK_TIMES",
    "KMCurve", "KaplanMeier", "RiskTable", "LogRank", "CoxModel", "PHCheck", "RMST", "FollowUp",
    "TwoArmAnalysis",
    "kaplan_meier", "risk_table", "logrank", "cox", "ph_check", "rmst", "median_followup",
    "analyze_two_arm", "COX_EXACT_MIN_ROWS", "COX_ENGINES",
]


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
            "logrank": {"chisq": json_float(self.logrank.chisq), "p": json_float(self.logrank.p)},
            "cox": {"hr": json_float(self.cox.hr), "ci": [json_float(self.cox.lower), json_float(self.cox.upper)], "p": json_float(self.cox.p)},
            "rmst": {"tau": json_float(self.rmst.tau), "difference": json_float(self.rmst.difference),
                     "ci": [json_float(self.rmst.lower), json_float(self.rmst.upper)], "p": json_float(self.rmst.p)},
            "reference": self.km.curves[0].level,
            "cox_engine": self.cox.engine,
            "logrank_stratified": None if self.logrank_stratified is None else self.logrank_stratified.to_dict(),
            "cox_stratified": None if self.cox_stratified is None else self.cox_stratified.to_dict(),
            "cox_adjusted": None if self.cox_adjusted is None else self.cox_adjusted.to_dict(),
            **({} if self.cox_cluster is None else {"cox_cluster": self.cox_cluster.to_dict()}),
            "ph_check": self.ph.to_dict(),
            "rmst_detail": self.rmst.to_dict(),
            "landmarks": frame_records(self.km.landmarks),
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
    clean, ref, other = two_arm_input_with_cluster(df, time, event, group, reference, strata, covariates, cluster)
    km = kaplan_meier_from_clean(clean, ref, other, tuple(landmarks))
    engine = cox_engine_for(len(clean), cox_engine)
    fitted = fit_cox_model(clean, other, (), (), engine)
    cox_u = cox_from_clean(clean, ref, other, (), (), fitted)
    cox_s = cox_from_clean(clean, ref, other, strata, (), cox_engine=engine) if strata else None
    fitted_a = fit_cox_model(clean, other, (), covariates, engine) if covariates else None
    cox_a = cox_from_clean(clean, ref, other, (), covariates, fitted_a) if covariates else None
    ph = ph_check_from_clean(clean, ref, other, (), covariates, "km", fitted_a if covariates else fitted, km=km)
    return TwoArmAnalysis(
        km=km,
        logrank=logrank_from_clean(clean, ref, other, ()),
        logrank_stratified=logrank_from_clean(clean, ref, other, strata) if strata else None,
        cox=cox_u, cox_stratified=cox_s, cox_adjusted=cox_a, ph=ph,
        rmst=rmst_from_clean(clean, ref, other, tau),
        followup=followup_from_clean(clean, ref, other),
        risk_table=risk_table_from_clean(clean, ref, other, tuple(risk_times)),
        cox_cluster=cox_from_clean(clean, ref, other, strata, (), cluster=cluster) if cluster is not None else None,
    )
