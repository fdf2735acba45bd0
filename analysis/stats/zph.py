"""The test of proportional hazards of R (survival >= 3.0) ``cox.zph``, with its log-minus-log plot data.

Part of the two-arm analysis (:mod:`analysis.stats.survival`); tests the model of :mod:`analysis.stats.coxph`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import tails as stats  # scipy.stats costs seconds of import; same functions

from .counting import build_risk_sets
from .coxph import fit_cox_model
from .km import kaplan_meier_from_clean, km_arrays
from .records import frame_records
from .validation import two_arm_input

__all__ = ["PHCheck", "ph_check", "ph_check_from_clean"]


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
        return {"transform": self.transform, "tests": frame_records(self.summary), "cox_engine": self.engine}


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
        times, _, _, _, surv, _ = km_arrays(t, e)
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
    clean, ref, other = two_arm_input(df, time, event, group, reference, strata, covariates)
    return ph_check_from_clean(clean, ref, other, strata, covariates, transform, cox_engine=cox_engine)


def ph_check_from_clean(clean, ref, other, strata, covariates, transform="km", fitted=None, cox_engine="auto",
              km=None) -> PHCheck:
    fitted = fitted if fitted is not None else fit_cox_model(clean, other, strata, covariates, cox_engine)
    table = _zph(clean["time"].to_numpy(float), clean["event"].to_numpy(np.int64), fitted.X.to_numpy(float),
                 fitted.coef, fitted.strata_codes, fitted.assign, transform)
    loglog = (km if km is not None else kaplan_meier_from_clean(clean, ref, other, ())).loglog()
    return PHCheck(summary=table, transform=transform, loglog=loglog, engine=fitted.engine)
