"""Kaplan-Meier landmark survival and RMST of one arm with their influence functions.

``sum(psi_a * psi_b)`` is the covariance of two estimates from the same participants, which the
delta method of the complier-average estimands (:mod:`analysis.studies.estimands`) needs. Built on the
counting primitives of :mod:`analysis.stats.counting`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .counting import build_risk_sets, greenwood_terms, km_from_counts, rmst_from_km

__all__ = ["KMPieces", "km_landmark_rmst"]


class KMPieces(NamedTuple):
    """Kaplan-Meier landmark survival and RMST of one arm, with variances and influence functions."""

    surv: float
    psi_surv: np.ndarray
    var_surv: float
    rmst: float
    psi_rmst: np.ndarray
    var_rmst: float


def km_landmark_rmst(time: np.ndarray, event: np.ndarray, landmark: float, tau: float) -> KMPieces:
    """Kaplan-Meier survival at ``landmark`` and RMST to ``tau``, with variances and influence functions.

    Variances are Greenwood's (for the RMST: R's ``print(survfit, rmean = tau)`` se). The
    influence function ``psi`` satisfies ``estimate - truth ~ sum(psi)``; ``sum(psi_a * psi_b)``
    is the covariance of two estimates from the same participants, which the CACE's delta method
    needs (``sum(psi**2)`` is the variance too, asymptotically equal to Greenwood's but smaller in
    small samples, so Greenwood's is used for the variances).

    Examples
    --------
    >>> k = km_landmark_rmst(np.array([1., 2, 3, 4]), np.array([1, 0, 1, 0]), 2.5, 4.0)
    >>> k.surv, k.rmst
    (0.75, 2.875)
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    n = len(time)
    if n == 0:
        return KMPieces(math.nan, np.zeros(0), math.nan, math.nan, np.zeros(0), math.nan)
    groups = build_risk_sets(time, event).tie_groups()
    uniq, at_risk, deaths = groups.time, groups.n_risk, groups.n_event
    surv = km_from_counts(at_risk, deaths)  # just after each distinct time
    jump = deaths / (at_risk * at_risk)  # d / Y^2, the compensator increment per at-risk participant

    # position of each participant's own time among the distinct times
    pos = np.searchsorted(uniq, time, side="left")
    y_own = at_risk[pos]

    # --- landmark
    j_land = np.searchsorted(uniq, landmark, side="right") - 1
    s_land = 1.0 if j_land < 0 else float(surv[j_land])
    cum_jump = np.cumsum(jump)
    k_land = np.searchsorted(uniq, np.minimum(time, landmark), side="right") - 1
    comp = np.where(k_land >= 0, cum_jump[np.maximum(k_land, 0)], 0.0)
    counted = event & (time <= landmark)
    psi_land = -s_land * (np.where(counted, 1.0 / y_own, 0.0) - comp)

    # --- RMST: area under the step curve on [0, tau]; a_full = area from each distinct time to tau
    rmst, var_rmst, a_full = rmst_from_km(uniq, surv, at_risk, deaths, tau)
    cum_a_jump = np.cumsum(a_full * jump)
    k_tau = np.searchsorted(uniq, np.minimum(time, tau), side="right") - 1
    comp_r = np.where(k_tau >= 0, cum_a_jump[np.maximum(k_tau, 0)], 0.0)
    counted_r = event & (time <= tau)
    psi_rmst = -(np.where(counted_r, a_full[pos] / y_own, 0.0) - comp_r)

    # Greenwood: sum of d / (Y (Y - d)); a step to zero (Y = d) adds nothing, as in R's survmean
    green = greenwood_terms(at_risk, deaths)
    var_land = s_land ** 2 * float(np.sum(np.where(np.isinf(green), 0.0, green)[uniq <= landmark]))
    return KMPieces(s_land, psi_land, var_land, rmst, psi_rmst, var_rmst)
