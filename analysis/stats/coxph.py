"""The Cox proportional-hazards model of two arms (Efron ties), as R's ``coxph``: lifelines' fitter of record,
or from :data:`COX_EXACT_MIN_ROWS` rows the exact vectorised fitter of :mod:`analysis.stats.cox`.

Part of the two-arm analysis (:mod:`analysis.stats.survival`); the PH check (:mod:`analysis.stats.zph`)
tests the model fitted here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import tails as stats  # scipy.stats costs seconds of import; same functions
from ..errors import CohortFileError
from .records import frame_records, json_float
from .validation import strata_codes, two_arm_input

__all__ = ["CoxModel", "CoxFitted", "cox", "COX_EXACT_MIN_ROWS", "COX_ENGINES", "design_matrix", "cox_engine_for",
           "fit_cox_model", "cox_from_clean", "two_arm_input_with_cluster"]


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
        out = {"hr": json_float(self.hr), "ci": [json_float(self.lower), json_float(self.upper)], "p": json_float(self.p), "coef": json_float(self.coef),
               "se": json_float(self.se), "kind": self.kind, "strata": list(self.strata), "covariates": list(self.covariates),
               "n": self.n, "events": self.events, "terms": frame_records(self.summary), "cox_engine": self.engine}
        if self.cluster is not None:
            out.update(cluster=self.cluster, robust_se=json_float(self.se), naive_se=json_float(self.naive_se),
                       n_clusters=self.n_clusters)
        return out


def design_matrix(clean, other, covariates):
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


class CoxFitted(NamedTuple):
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


def cox_engine_for(n_rows: int, engine: str) -> str:
    if engine == "auto":
        return "exact-vectorised" if n_rows >= COX_EXACT_MIN_ROWS else "lifelines"
    if engine not in COX_ENGINES:
        raise CohortFileError(f"cox_engine = {engine!r} must be 'auto', 'lifelines' or 'exact-vectorised'")
    return engine


def fit_cox_model(clean, other, strata, covariates, engine: str = "auto", cluster: str | None = None) -> CoxFitted:
    """Fit the Cox model (Efron ties) with lifelines or the exact vectorised fitter.

    With ``cluster`` the exact fitter always runs: it is the one implementation of the
    cluster-robust variance (lifelines' own ``cluster_col`` is not used, so there is one).
    """
    X, assign = design_matrix(clean, other, covariates)
    time = clean["time"].to_numpy(float)
    event = clean["event"].to_numpy(np.int64)
    s = strata_codes(clean, strata)
    if not event.any():
        raise CohortFileError("no events in the file: a hazard ratio cannot be estimated")
    engine = "exact-vectorised" if cluster is not None else cox_engine_for(len(clean), engine)
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
            return CoxFitted(np.asarray(fit.coef), np.asarray(fit.robust_se), fit.loglik[1], X, assign, s, engine,
                             np.asarray(fit.se), fit.n_clusters)
        return CoxFitted(np.asarray(fit.coef), np.asarray(fit.se), fit.loglik[1], X, assign, s, engine)

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
    return CoxFitted(cph.params_[cols].to_numpy(), cph.standard_errors_[cols].to_numpy(),
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
    clean, ref, other = two_arm_input_with_cluster(df, time, event, group, reference, strata, covariates, cluster)
    return cox_from_clean(clean, ref, other, strata, covariates, cox_engine=cox_engine, cluster=cluster)


def two_arm_input_with_cluster(df, time, event, group, reference, strata, covariates, cluster):
    """:func:`~analysis.stats.validation.two_arm_input`, the cluster column checked and kept as text like a stratum."""
    if cluster is None:
        return two_arm_input(df, time, event, group, reference, strata, covariates)
    if not isinstance(cluster, str) or not cluster:
        raise CohortFileError(f"cluster = {cluster!r} must be the name of a column")
    extra = () if cluster in strata else (cluster,)
    return two_arm_input(df, time, event, group, reference, (*strata, *extra), covariates)


def cox_from_clean(clean, ref, other, strata, covariates, fitted=None, cox_engine="auto", cluster=None) -> CoxModel:
    fitted = fitted if fitted is not None else fit_cox_model(clean, other, strata, covariates, cox_engine, cluster)
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
