"""Normal and chi-square tail functions for the estimators, on ``scipy.special``.

``scipy.stats`` takes seconds to import (it builds every distribution's documentation at import
time), which `walkback analyze` paid on every run for three functions. These are the same
``scipy.special`` routines ``scipy.stats`` calls (``norm.sf(x) = ndtr(-x)``, ``norm.cdf(x) = ndtr(x)``,
``norm.ppf(q) = ndtri(q)``, ``chi2.sf(x, df) = chdtrc(df, x)``), so the numbers are bit-identical; ``rankdata``
(only for cox.zph's rank transform) imports ``scipy.stats`` when it is called.

Examples
--------
>>> from scipy import stats as scipy_stats
>>> bool(norm.ppf(0.975) == scipy_stats.norm.ppf(0.975)), bool(chi2.sf(3.84, 1) == scipy_stats.chi2.sf(3.84, 1))
(True, True)
>>> bool(norm.sf(1.5) == scipy_stats.norm.sf(1.5)), bool(norm.cdf(-0.3) == scipy_stats.norm.cdf(-0.3))
(True, True)
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from scipy import special

__all__ = ["norm", "chi2", "rankdata"]


def _norm_cdf(x):
    return special.ndtr(np.asarray(x, dtype=float))


def _norm_sf(x):
    return special.ndtr(-np.asarray(x, dtype=float))


def _norm_ppf(q):
    return special.ndtri(np.asarray(q, dtype=float))


def _chi2_sf(x, df):
    x = np.asarray(x, dtype=float)
    return np.where(x < 0, 1.0, special.chdtrc(df, np.maximum(x, 0.0)))[()]


#: ``norm.cdf``, ``norm.sf``, ``norm.ppf`` as ``scipy.stats.norm``'s.
norm = SimpleNamespace(cdf=_norm_cdf, sf=_norm_sf, ppf=_norm_ppf)
#: ``chi2.sf`` as ``scipy.stats.chi2``'s.
chi2 = SimpleNamespace(sf=_chi2_sf)


def rankdata(a):
    """``scipy.stats.rankdata`` (average ranks), imported when first needed."""
    from scipy import stats

    return stats.rankdata(a)
