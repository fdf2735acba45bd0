"""Restricted mean survival time per arm and its difference, as R's ``print(survfit(...), rmean = tau)``.

Part of the two-arm analysis (:mod:`analysis.stats.survival`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import tails as stats  # scipy.stats costs seconds of import; same functions
from ..errors import CohortFileError
from .counting import rmst_from_km
from .km import km_arrays
from .records import json_float
from .validation import two_arm_input

__all__ = ["RMST", "rmst", "rmst_from_clean", "default_tau"]


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
        return {"tau": json_float(self.tau), "difference": json_float(self.difference), "ci": [json_float(self.lower), json_float(self.upper)],
                "p": json_float(self.p), "levels": list(self.levels), "rmst": [json_float(v) for v in self.rmst],
                "se": [json_float(v) for v in self.se]}


def _rmst_one(t, e, tau):
    """R survmean: area under the KM curve on [0, tau] and its Greenwood-type se."""
    times, n_risk, n_event, _, surv, _ = km_arrays(t, e)
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
    clean, ref, other = two_arm_input(df, time, event, group, reference)
    return rmst_from_clean(clean, ref, other, tau, conf_level)


def default_tau(clean, ref, other) -> float:
    """The smaller of the two arms' largest follow-up times: both curves are estimated up to it."""
    t, g = clean["time"].to_numpy(float), clean["group"].to_numpy()
    return float(min(t[g == ref].max(), t[g == other].max()))


def rmst_from_clean(clean, ref, other, tau, conf_level=0.95) -> RMST:
    if tau is None:
        tau = default_tau(clean, ref, other)
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
