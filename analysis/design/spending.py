"""Alpha- and beta-spending functions, exactly as rpact defines them.

Place in the pipeline: the first step of a group-sequential design (:mod:`analysis.design.boundaries`
spends the error rates look by look with these).

``spent(kind, total, t, sided, gamma)`` is the cumulative error spent by information fraction ``t``
(rpact's ``getSpendingValueCpp``):

- ``asOF`` (Lan-DeMets, O'Brien-Fleming type): ``2 s (1 - Phi(z_{1 - total/(2 s)} / sqrt(t)))``, ``s`` = sided;
- ``asP`` (Lan-DeMets, Pocock type): ``total log(1 + (e - 1) t)``;
- ``asKD`` (Kim-DeMets power family): ``total t^gamma``, gamma in [0.4, 8];
- ``asHSD`` (Hwang-Shih-DeCani): ``total (1 - exp(-gamma t)) / (1 - exp(-gamma))``, gamma in [-10, 5],
  gamma = 0 the linear ``total t``.

For beta spending rpact uses the one-sided forms (``sided = 1``).

Examples
--------
>>> round(spent("asOF", 0.025, 0.5), 6)
0.001525
>>> round(spent("asHSD", 0.025, 0.5, gamma=0), 6)
0.0125
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ..errors import WalkBackInputError

__all__ = ["SPENDING_KINDS", "GAMMA_RANGE", "spent"]

#: The spending families, by rpact's names.
SPENDING_KINDS = ("asOF", "asP", "asKD", "asHSD")
#: Allowed gamma per family that takes one (rpact's bounds).
GAMMA_RANGE = {"asKD": (0.4, 8.0), "asHSD": (-10.0, 5.0)}


def spent(kind: str, total: float, t, sided: int = 1, gamma: float | None = None):
    """Cumulative error spent by information fraction(s) ``t`` (0 < t <= 1).

    Parameters
    ----------
    kind : {"asOF", "asP", "asKD", "asHSD"}
    total : float
        The error to spend by ``t = 1`` (alpha, or beta for futility).
    t : float or array
        Cumulative information fraction(s).
    sided : {1, 2}
        Only the O'Brien-Fleming type depends on it (rpact spends ``total/2`` per side).
    gamma : float, optional
        The Kim-DeMets or Hwang-Shih-DeCani parameter.

    Examples
    --------
    >>> [round(float(a), 6) for a in spent("asKD", 0.025, [0.5, 1.0], gamma=2)]
    [0.00625, 0.025]
    """
    x = np.asarray(t, dtype=float)
    if kind == "asOF":
        z = -special.ndtri(total / (2 * sided))
        with np.errstate(divide="ignore"):
            out = 2 * sided * special.ndtr(-z / np.sqrt(x))
    elif kind == "asP":
        out = total * np.log1p((math.e - 1) * x)
    elif kind == "asKD":
        out = total * x ** float(gamma)
    elif kind == "asHSD":
        out = total * x if gamma == 0 else total * -np.expm1(-gamma * x) / -math.expm1(-gamma)
    else:
        raise WalkBackInputError(f"spending function {kind!r} must be one of {', '.join(SPENDING_KINDS)}")
    return float(out) if out.ndim == 0 else out
