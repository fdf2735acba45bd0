"""Statistics of two arms' increments (intervention minus control) in cost and effect: the paired,
stratified bootstrap, cost-effectiveness quadrants and their statements, Fieller's interval for the
ratio and the normal-approximation acceptability curve.

Plain statistics on a table with an ``arm`` column; the cost-effectiveness study
(:mod:`analysis.studies.economics`) composes them. The bootstrap is vectorised: each arm's resamples are
an index matrix drawn in blocks of replicates and summed along rows, so there is no Python loop per
replicate.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError

__all__ = ["CEAError", "QUADRANTS", "BLOCK_CELLS", "arm_values", "bootstrap_increments", "quadrants", "describe_increments", "fieller_interval",
           "acceptability_normal"]

QUADRANTS = ("NE", "SE", "SW", "NW")
#: Resampled values held at once (about 32 MB of indices): bounds the memory of the bootstrap.
BLOCK_CELLS = 4_000_000


class CEAError(WalkBackInputError):
    """Settings or a cost table that the cost-effectiveness analysis cannot use."""


def arm_values(table: pd.DataFrame, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per arm ("intervention", "control") the finite values of ``columns``, or one CEAError line."""
    if not isinstance(table, pd.DataFrame):
        raise CEAError(f"the cost table must be a DataFrame, not {type(table).__name__}")
    missing = [c for c in ("arm", *columns) if c not in table.columns]
    if missing:
        raise CEAError(f"the cost table lacks column(s) {', '.join(missing)}")
    arm = table["arm"].to_numpy()
    out = {}
    for name in ("intervention", "control"):
        mask = arm == name
        if mask.sum() < 2:
            raise CEAError(f"the cost table needs at least two participants in the {name} arm (has {int(mask.sum())})")
        try:
            values = table.loc[mask, list(columns)].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise CEAError(f"the cost table's {', '.join(columns)} must be numbers") from None
        if not np.isfinite(values).all():
            raise CEAError(f"the cost table's {', '.join(columns)} must be finite numbers in every row")
        out[name] = values
    if (~np.isin(arm, ("intervention", "control"))).any():
        raise CEAError("the cost table's arm must be 'intervention' or 'control'")
    return out


def bootstrap_increments(table: pd.DataFrame, replicates: int = 5000, seed: int = 20240619,
                         columns: tuple[str, ...] = ("cost", "qaly")) -> np.ndarray:
    """Stratified non-parametric bootstrap of the differences in means, intervention minus control.

    Each arm is resampled with replacement to its own size (costs and effects in pairs), from
    ``SeedSequence(seed).spawn(2)`` (child 0 intervention, child 1 control). Vectorised: an index
    matrix per block of replicates, summed along its rows.

    Returns
    -------
    ndarray, shape (replicates, len(columns))
        Column j holds the replicates of ``mean(columns[j] | intervention) - mean(columns[j] | control)``.

    Examples
    --------
    >>> table = pd.DataFrame({"arm": ["intervention"] * 3 + ["control"] * 3,
    ...                       "cost": [1.0, 2, 3, 0, 0, 0], "qaly": [1.0, 1, 1, 0, 0, 0]})
    >>> draws = bootstrap_increments(table, 1000, seed=1)
    >>> draws.shape, bool((draws[:, 1] == 1).all()), bool(1 <= draws[:, 0].min() <= draws[:, 0].max() <= 3)
    ((1000, 2), True, True)
    """
    columns = tuple(columns)
    arms = arm_values(table, columns)
    replicates = int(replicates)
    gen_i, gen_c = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    means = {}
    for name, gen in (("intervention", gen_i), ("control", gen_c)):
        values = arms[name]
        n = len(values)
        out = np.empty((replicates, len(columns)))
        block = max(1, BLOCK_CELLS // n)
        for start in range(0, replicates, block):  # blocks of replicates bound the memory, not a loop per replicate
            stop = min(start + block, replicates)
            idx = gen.integers(0, n, size=(stop - start, n))
            for j in range(len(columns)):
                out[start:stop, j] = values[:, j][idx].sum(axis=1)
        means[name] = out / n
    return means["intervention"] - means["control"]


def quadrants(delta_cost, delta_qaly) -> np.ndarray:
    """Quadrant of each (incremental cost, incremental QALY) pair: 'NE', 'SE', 'SW' or 'NW'.

    Examples
    --------
    >>> quadrants([100, -100, -100, 100], [0.01, 0.01, -0.01, -0.01]).tolist()
    ['NE', 'SE', 'SW', 'NW']
    """
    d_cost = np.asarray(delta_cost, dtype=float)
    d_qaly = np.asarray(delta_qaly, dtype=float)
    east = d_qaly > 0
    north = d_cost > 0
    return np.where(east, np.where(north, "NE", "SE"), np.where(north, "NW", "SW"))


def describe_increments(delta_cost: float, delta_effect: float, *, tolerance: float = 0.0,
                        effect: str = "QALY", currency: str = "AU$") -> tuple[str, float, str]:
    """(quadrant, ratio or NaN, statement) for one pair of increments: never a meaningless negative ratio.

    Examples
    --------
    >>> describe_increments(390.0, 0.05)
    ('NE', 7800.0, 'more costly and more effective: AU$7,800 per QALY gained')
    >>> describe_increments(-50.0, 0.01)[::2]
    ('SE', 'dominant: less costly (AU$50 saved) and more effective (+0.0100 QALY)')
    >>> describe_increments(50.0, -0.01)[::2]
    ('NW', 'dominated: more costly (AU$50 more) and less effective (0.0100 QALY lost)')
    >>> describe_increments(-200.0, -0.01)
    ('SW', 20000.0, 'less costly and less effective: AU$20,000 saved per QALY lost')
    >>> describe_increments(120.0, 0.0)[2]
    'no difference in QALY: the ratio is undefined; incremental cost AU$120'
    """
    quadrant = str(quadrants(delta_cost, delta_effect))
    money = f"{currency}{abs(delta_cost):,.0f}"
    if abs(delta_effect) <= tolerance:
        sign = "-" if delta_cost < 0 else ""
        return quadrant, math.nan, (f"no difference in {effect}: the ratio is undefined; incremental cost "
                                    f"{sign}{money}")
    ratio = abs(delta_cost / delta_effect)
    per = f"{currency}{ratio:,.0f}"
    if quadrant == "NE":
        return quadrant, ratio, f"more costly and more effective: {per} per {effect} gained"
    if quadrant == "SW":
        return quadrant, ratio, f"less costly and less effective: {per} saved per {effect} lost"
    if quadrant == "SE":
        what = "no more costly" if delta_cost == 0 else f"less costly ({money} saved)"
        return quadrant, math.nan, f"dominant: {what} and more effective (+{abs(delta_effect):.4f} {effect})"
    what = "no less costly" if delta_cost == 0 else f"more costly ({money} more)"
    return quadrant, math.nan, f"dominated: {what} and less effective ({abs(delta_effect):.4f} {effect} lost)"


def fieller_interval(delta_cost: float, delta_qaly: float, var_cost: float, var_qaly: float, cov: float,
                     confidence: float = 0.95) -> tuple[float, float, str]:
    """Fieller's interval for the ICER: (lower, upper, kind).

    ``kind`` is ``'bounded'`` (``[lower, upper]``), ``'exclusive'`` (``(-inf, lower] and [upper, inf)``:
    the QALY difference is not significant and the interval is two half-lines) or ``'unbounded'``
    (the whole line). The same inequality ``|INMB(l)| <= z SE(INMB(l))`` defines the interval and
    the normal-approximation acceptability curve, so Fieller's limits are where that curve crosses
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2``.

    Examples
    --------
    >>> lo, hi, kind = fieller_interval(400.0, 0.05, 100.0**2, 0.01**2, 0.0)
    >>> kind, round(lo), round(hi)
    ('bounded', 3806, 15099)
    >>> fieller_interval(400.0, 0.01, 100.0**2, 0.01**2, 0.0)[2]
    'exclusive'
    """
    from scipy.special import ndtri  # scipy.stats would add 0.6 s to the command's start-up

    z2 = ndtri(0.5 + confidence / 2) ** 2
    a = delta_qaly ** 2 - z2 * var_qaly
    b = delta_cost * delta_qaly - z2 * cov
    c = delta_cost ** 2 - z2 * var_cost
    disc = b * b - a * c
    if a > 0:
        root = math.sqrt(max(disc, 0.0))
        return (b - root) / a, (b + root) / a, "bounded"
    if disc >= 0 and a < 0:
        root = math.sqrt(disc)
        return (b + root) / a, (b - root) / a, "exclusive"
    return -math.inf, math.inf, "unbounded"


def acceptability_normal(wtp, delta_cost: float, delta_qaly: float, var_cost: float, var_qaly: float,
                         cov: float) -> np.ndarray:
    """P(INMB > 0) under the bivariate normal approximation: ``Phi(INMB(l) / SE(INMB(l)))``.

    Examples
    --------
    >>> acceptability_normal([0.0], 100.0, 0.01, 50.0**2, 0.005**2, 0.0).round(4).tolist()
    [0.0228]
    """
    from scipy.special import ndtr  # scipy.stats would add 0.6 s to the command's start-up

    lam = np.asarray(wtp, dtype=float)
    inmb = lam * delta_qaly - delta_cost
    se = np.sqrt(np.maximum(lam ** 2 * var_qaly + var_cost - 2 * lam * cov, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, inmb / np.where(se > 0, se, 1.0), np.sign(inmb) * np.inf)
    return ndtr(z)
