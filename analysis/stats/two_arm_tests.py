"""One family of two-arm tests for an effect that may wane: log-rank, Fleming-Harrington, MaxCombo, RMST.

Place in the pipeline: :mod:`analysis.stats`, on the counting primitive of :mod:`analysis.stats.counting`.
A test is chosen by name (:func:`choose_test`: ``"logrank"``, ``"fh"`` with ``rho`` and ``gamma``,
``"fh01"``, ``"fh10"``, ``"maxcombo"``, ``"rmst"`` with ``tau``), so the CLI (``walkback analyze --test``,
``walkback power --test``), the pages and power by simulation share one choice and one result type
(:class:`TwoArmTest`).

=================  ==================================================================  =======================
test               statistic                                                           checked against
=================  ==================================================================  =======================
FH(rho, gamma)     U = sum_t w(t) (d1 - d n1 / n), V = sum_t w(t)^2 d (n1/n)(1 - n1/n)  R ``survdiff(rho = )``
                   (n - d)/(n - 1), chi-square U^2 / V; w(t) = S(t-)^rho (1 - S(t-))^   (gamma = 0), a brute-force
                   gamma with S the pooled Kaplan-Meier curve (within each stratum),     loop (any gamma)
                   summed over strata. FH(0, 0) is the log-rank test.
MaxCombo           max |Z| of FH(0,0), FH(0,1), FH(1,0); p = P(max |Z| >= observed)     brute force with scipy's
                   under the normal law of the three with their estimated correlation  Genz integration; null
                                                                                       simulations
RMST difference    other arm minus reference arm at ``tau`` (R ``print(fit, rmean=)``); :func:`analysis.stats.
                   z = difference / se, chi-square z^2                                 survival.rmst` (vs R)
=================  ==================================================================  =======================

The MaxCombo p-value. With weights 1 = S(t-) + (1 - S(t-)), the score of FH(0,0) is exactly the sum of
those of FH(1,0) and FH(0,1), so the three statistics have a normal law of rank 2: writing X = Z(1,0),
Y = Z(0,1) (correlation r), Z(0,0) = a X + b Y with a = sqrt(V10/V00), b = sqrt(V01/V00).
P(max |Z| < m) is then the bivariate normal probability of a hexagon, one integral over x of
phi(x) [Phi((hi(x) - r x)/s) - Phi((lo(x) - r x)/s)], s = sqrt(1 - r^2). The integrand is analytic between
the two points where the limits hi, lo switch from +-m to the Z(0,0) constraint, so 40-point
Gauss-Legendre on each of the three pieces is exact to about 1e-11 (checked against adaptive 2-D
quadrature, ``scipy.integrate.dblquad``, in ``tests/test_two_arm_tests.py``), with no random error and
vectorised across replicate trials. scipy's ``multivariate_normal.cdf`` (Genz's quasi-Monte Carlo) is not
used: on this singular law it was off by up to 1e-4 (1e-3 relative near p = 0.001) whatever ``abseps``,
and it costs about a millisecond per trial.

Batched: :func:`two_arm_tests_batch` takes arrays of shape ``(replicates, n)`` and computes every
requested test of every replicate from one sort per chunk of rows, with no Python loop over replicates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import tails as stats  # scipy.stats's tails without its import cost
from .counting import RiskSets, build_risk_sets
from ..errors import CohortFileError, WalkBackInputError

if TYPE_CHECKING:  # pandas only where a table is built: Monte Carlo workers never load it
    import pandas as pd

__all__ = ["TEST_NAMES", "POWER_TEST_NAMES", "TestChoice", "choose_test", "TwoArmTest", "BatchOutcome",
           "two_arm_test", "two_arm_tests_batch", "maxcombo_p"]

#: Names a test is picked by (``fh`` takes ``rho`` and ``gamma``; ``rmst`` takes ``tau``).
TEST_NAMES = ("logrank", "fh", "fh01", "fh10", "maxcombo", "rmst")
#: The tests compared by power under the model (``walkback power --test``, the Design page).
POWER_TEST_NAMES = ("logrank", "fh01", "fh10", "maxcombo", "rmst")
#: Weights of MaxCombo's three statistics, (rho, gamma).
MAXCOMBO_WEIGHTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0))
_MAX_ELEMENTS = 250_000  # elements per chunk (rows * n): cache-sized temporaries
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(40)


def _num(x: float) -> str:
    return f"{x:g}"


@dataclass(frozen=True)
class TestChoice:
    """Which two-arm test to run (hashable: it keys caches and crosses process boundaries).

    Attributes
    ----------
    kind : {"logrank", "fh", "maxcombo", "rmst"}
    rho, gamma : float
        Fleming-Harrington weight S(t-)^rho (1 - S(t-))^gamma (``kind="fh"``; 0 or more).
    tau : float or None
        RMST horizon in the data's time unit (``kind="rmst"``; None: the smaller of the arms' longest
        follow-up when analysing one data set).
    """

    __test__ = False  # not a pytest class

    kind: str
    rho: float = 0.0
    gamma: float = 0.0
    tau: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("logrank", "fh", "maxcombo", "rmst"):
            raise WalkBackInputError(f"test {self.kind!r} is not one of {', '.join(TEST_NAMES)}")
        for name in ("rho", "gamma"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(value)) or float(value) < 0:
                raise WalkBackInputError(f"{name} = {value!r} must be a number of 0 or more "
                                         "(the Fleming-Harrington weight is S(t-)^rho (1 - S(t-))^gamma)")
            object.__setattr__(self, name, float(value))
        if self.kind != "fh" and (self.rho, self.gamma) != (0.0, 0.0):
            raise WalkBackInputError(f"rho and gamma belong to the Fleming-Harrington test, not to {self.kind}")
        if self.tau is not None:
            if self.kind != "rmst":
                raise WalkBackInputError(f"tau (the RMST horizon) belongs to the RMST test, not to {self.kind}")
            tau = self.tau
            if isinstance(tau, bool) or not isinstance(tau, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(tau)) or float(tau) <= 0:
                raise WalkBackInputError(f"tau = {tau!r} must be a positive time (the RMST horizon)")
            object.__setattr__(self, "tau", float(tau))

    @property
    def name(self) -> str:
        """JSON key: ``logrank``, ``fh_<rho>_<gamma>``, ``maxcombo`` or ``rmst``."""
        if self.kind == "fh":
            return f"fh_{_num(self.rho)}_{_num(self.gamma)}"
        return self.kind

    @property
    def label(self) -> str:
        """Words for a page or a table."""
        if self.kind == "logrank":
            return "Log-rank"
        if self.kind == "fh":
            return f"Fleming-Harrington FH({_num(self.rho)}, {_num(self.gamma)})"
        if self.kind == "maxcombo":
            return "MaxCombo (FH(0,0), FH(0,1), FH(1,0))"
        return "RMST difference" + ("" if self.tau is None else f" at {_num(round(self.tau, 2))}")

    @property
    def weights(self) -> tuple[tuple[float, float], ...]:
        """The (rho, gamma) weights of the weighted log-rank statistics it needs (none for RMST)."""
        if self.kind == "logrank":
            return ((0.0, 0.0),)
        if self.kind == "fh":
            return ((self.rho, self.gamma),)
        if self.kind == "maxcombo":
            return MAXCOMBO_WEIGHTS
        return ()


def choose_test(name: str, *, rho: float | None = None, gamma: float | None = None,
                tau: float | None = None) -> TestChoice:
    """The test called ``name`` (one of :data:`TEST_NAMES`), with its settings checked.

    ``fh01`` and ``fh10`` are FH(0, 1) (late differences weighted up) and FH(1, 0) (early ones);
    ``fh`` takes ``rho`` and ``gamma`` (default 0, the log-rank test).

    Examples
    --------
    >>> choose_test("fh01").name, choose_test("fh", rho=0.5, gamma=0).label
    ('fh_0_1', 'Fleming-Harrington FH(0.5, 0)')
    >>> choose_test("fh", rho=-1)
    Traceback (most recent call last):
    ...
    analysis.errors.WalkBackInputError: rho = -1 must be a number of 0 or more (the Fleming-Harrington weight is S(t-)^rho (1 - S(t-))^gamma)
    """
    if name not in TEST_NAMES:
        raise WalkBackInputError(f"test {name!r} is not one of {', '.join(TEST_NAMES)}")
    if name != "fh" and (rho is not None or gamma is not None):
        raise WalkBackInputError(f"rho and gamma go with the test 'fh', not {name!r}")
    if name != "rmst" and tau is not None:
        raise WalkBackInputError(f"tau goes with the test 'rmst', not {name!r}")
    if name == "fh":
        return TestChoice("fh", 0.0 if rho is None else rho, 0.0 if gamma is None else gamma)
    if name in ("fh01", "fh10"):
        return TestChoice("fh", float(name[2]), float(name[3]))  # "fh01": rho 0, gamma 1
    return TestChoice(name, tau=tau) if name == "rmst" else TestChoice(name)


# =============================================================================== the result
def _f(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class TwoArmTest:
    """The result of one two-arm test of one data set.

    Attributes
    ----------
    test : str
        The test's key (:attr:`TestChoice.name`, e.g. ``fh_0_1``).
    label : str
    statistic : float
        The test's own statistic: the chi-square of a (weighted) log-rank test, max |Z| of MaxCombo, the
        RMST difference (other arm minus reference) of RMST.
    chisq, z, p : float
        Chi-square (1 df; for MaxCombo the square of max |Z|), signed z and two-sided p. For the log-rank
        family z = U / sqrt(V) with U the (weighted) observed minus expected events of the other arm, so a
        negative z means fewer recurrences than expected on it; for RMST z = difference / se.
    direction : str
        ``"favours <arm>"`` or ``"no difference"``, read from z.
    details : dict
        Per-test pieces: observed, expected and variance for the log-rank family; the three z and their
        correlation for MaxCombo; per-arm RMST, se and the 95% CI of the difference for RMST.
    """

    test: str
    label: str
    statistic: float
    chisq: float
    z: float
    p: float
    direction: str
    details: dict = field(default_factory=dict, compare=False)

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``test``, ``label``, ``statistic``, ``chisq``, ``z``, ``p``, ``direction``."""
        import pandas as pd

        return pd.DataFrame([{"test": self.test, "label": self.label, "statistic": self.statistic,
                              "chisq": self.chisq, "z": self.z, "p": self.p, "direction": self.direction}])

    def to_dict(self) -> dict:
        def clean(v):
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple, np.ndarray)):
                return [clean(x) for x in v]
            if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, bool):
                return _f(v)
            return v

        return {"test": self.test, "label": self.label, "statistic": _f(self.statistic), "chisq": _f(self.chisq),
                "z": _f(self.z), "p": _f(self.p), "direction": self.direction, "details": clean(self.details)}


# =============================================================================== the weighted log-rank core
class _Counts(NamedTuple):
    """Per sorted position (shape (R, n)), read at ``term`` (one True per tie group with events)."""

    term: np.ndarray
    d: np.ndarray
    d1: np.ndarray
    n: np.ndarray
    n1: np.ndarray
    surv_before: np.ndarray  # pooled KM just before the position's time, within its stratum


def _counts(rs: RiskSets, xs: np.ndarray) -> _Counts:
    n = rs.n_risk()
    n1 = rs.running(xs).risk_set()
    d = rs.running(rs.event).tie_group()
    d1 = rs.running(rs.event * xs).tie_group()
    term = rs.last & (d > 0)
    # Pooled KM within each stratum on the log scale: one factor per tie group, at its last position. A step to
    # zero (everyone at risk has the event) can only be a stratum's last time, so no S(t-) ever uses it: 0 keeps
    # the running sum finite across strata.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_factor = np.where(term & (d < n), np.log1p(-d / n), 0.0)
    before = np.zeros((rs.shape[0], rs.shape[1] + 1))
    np.cumsum(log_factor, axis=1, out=before[:, 1:])
    # before[:, k] sums the factors at positions < k: at a tie group's first position, all earlier times
    rows = np.arange(rs.shape[0])[:, None] * (rs.shape[1] + 1)
    flat = before.ravel()
    log_s = flat[rs.first + rows]
    if rs.stratum is not None:  # restart at each stratum's first position
        new = np.zeros(rs.shape, dtype=bool)
        new[:, 0] = True
        new[:, 1:] = rs.stratum_last[:, :-1]
        start = np.maximum.accumulate(np.where(new, np.arange(rs.shape[1]), 0), axis=1)
        log_s = log_s - flat[start + rows]
    return _Counts(term=term, d=d, d1=d1, n=n, n1=n1, surv_before=np.exp(log_s))


def _fh_weight(surv_before: np.ndarray, rho: float, gamma: float) -> np.ndarray:
    w = np.ones_like(surv_before)
    if rho:
        w = w * surv_before ** rho
    if gamma:
        w = w * (1.0 - surv_before) ** gamma
    return w


def _scores(c: _Counts, weights: Sequence[tuple[float, float]], cross: Sequence[tuple[int, int]] = ()):
    """Weighted O - E, O, E per weight (R, k) and variances (R, k); covariances of the ``cross`` pairs (R, len)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        frac1 = np.where(c.term, c.n1 / c.n, 0.0)
        v = np.where(c.term & (c.n > 1), c.d * frac1 * (1 - frac1) * (c.n - c.d) / (c.n - 1), 0.0)
    observed1 = np.where(c.term, c.d1, 0.0)
    expected1 = np.where(c.term, c.d * frac1, 0.0)
    d_all = np.where(c.term, c.d, 0.0)
    w = [_fh_weight(c.surv_before, rho, gamma) for rho, gamma in weights]
    obs = np.stack([(wk * observed1).sum(axis=1) for wk in w], axis=1)
    exp = np.stack([(wk * expected1).sum(axis=1) for wk in w], axis=1)
    obs_all = np.stack([(wk * d_all).sum(axis=1) for wk in w], axis=1)
    var = np.stack([(wk * wk * v).sum(axis=1) for wk in w], axis=1)
    cov = np.stack([(w[i] * w[j] * v).sum(axis=1) for i, j in cross], axis=1) if cross else None
    return obs, exp, obs_all, var, cov


def maxcombo_p(z00, z01, z10, var00, var01, var10, cov01_10) -> np.ndarray:
    """Two-sided p of MaxCombo: P(max |Z| >= observed max) under the estimated normal law (vectorised).

    Uses the exact linear relation Z(0,0) = a Z(1,0) + b Z(0,1) (see the module docstring) and
    piecewise Gauss-Legendre integration; accurate to about 1e-12. Where FH(0,1) has no variance
    (one distinct event time) the statistics coincide and p is the log-rank p.

    Examples
    --------
    >>> maxcombo_p(2.0, 1.0, 2.0, 1.0, 0.0, 1.0, 0.0)  # FH(0,1) without variance: the log-rank p, 2 Phi(-2)
    array([0.04550026])
    >>> maxcombo_p(2.4, 1.5, 2.0, 2.0, 0.5, 1.0, 0.25).round(4)  # max |Z| = 2.4 among three correlated tests
    array([0.036])
    """
    z = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (z00, z01, z10)]
    v00, v01, v10, c = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (var00, var01, var10, cov01_10))
    z00, z01, z10 = np.broadcast_arrays(*z, v00)[:3]
    m = np.fmax(np.fmax(np.abs(z00), np.abs(np.where(v01 > 0, z01, np.nan))), np.abs(z10))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.sqrt(v10 / v00)
        b = np.sqrt(v01 / v00)
        r = np.clip(c / np.sqrt(v01 * v10), -1.0, 1.0)
    s = np.sqrt(np.maximum(1.0 - r * r, 1e-300))
    single = ~(v01 > 0)
    b_safe = np.where(single, 1.0, b)
    a_safe = np.where(a > 0, a, 1.0)
    # The limits switch where (+-m - a x)/b meets +-m: at x = +-m (1 - b) / a
    x0 = np.clip(np.abs(m * (1 - b_safe) / a_safe), 0.0, m)
    edges = np.stack([-m, -x0, x0, m], axis=-1)  # (R, 4): three pieces
    lo_e, hi_e = edges[..., :-1, None], edges[..., 1:, None]  # (R, 3, 1)
    half = (hi_e - lo_e) / 2
    x = lo_e + half * (_NODES + 1.0)  # (R, 3, nodes)
    mm, aa, bb, rr, ss = (q[..., None, None] for q in (m, a, b_safe, r, s))
    with np.errstate(divide="ignore", invalid="ignore"):
        hi = np.minimum(mm, (mm - aa * x) / bb)
        lo = np.maximum(-mm, (-mm - aa * x) / bb)
        inner = np.clip(stats.norm.cdf((hi - rr * x) / ss) - stats.norm.cdf((lo - rr * x) / ss), 0.0, 1.0)
        density = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        inside = np.sum(half[..., 0] * np.sum(_WEIGHTS * density * inner, axis=-1), axis=-1)
    p = np.clip(1.0 - inside, 0.0, 1.0)
    p = np.where(single, 2 * stats.norm.sf(m), p)
    return np.where(np.isfinite(m) & (v00 > 0), p, np.nan)


# =============================================================================== RMST, batched
def _rmst_difference(rs: RiskSets, xs: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """RMST of arm 1 minus arm 0 at ``tau`` and its se, per row (R's ``print(fit, rmean = tau)`` per arm)."""
    t = rs.time
    capped = np.minimum(t, tau)
    step = np.diff(capped, axis=1, prepend=0.0)
    n_all = rs.n_risk()
    n1 = rs.running(xs).risk_set()
    d_all = rs.running(rs.event).tie_group()
    d1 = rs.running(rs.event * xs).tie_group()
    curves = rs.group_survival(xs)
    means, variances = [], []
    for arm, (n_arm, d_arm) in enumerate(((n_all - n1, d_all - d1), (n1, d1))):
        surv = curves[arm]
        surv_prev = np.ones_like(surv)
        surv_prev[:, 1:] = surv[:, :-1]
        area_to = np.cumsum(surv_prev * step, axis=1)  # area on [0, min(t_k, tau)]
        total = area_to[:, -1] + surv[:, -1] * np.maximum(tau - capped[:, -1], 0.0)
        after = total[:, None] - area_to
        keep = rs.last & (d_arm > 0) & (t <= tau) & (d_arm < n_arm)  # R's survmean: a step to zero adds nothing
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(keep, d_arm / (n_arm * (n_arm - d_arm)), 0.0)
        means.append(total)
        variances.append(np.sum(after ** 2 * terms, axis=1))
    return means[1] - means[0], np.sqrt(variances[0] + variances[1])


# =============================================================================== batched tests
class BatchOutcome(NamedTuple):
    """One test over many replicate trials (arrays of shape ``(replicates,)``): signed z, chi-square, p."""

    z: np.ndarray
    chisq: np.ndarray
    p: np.ndarray


def _as_rows(a, dtype) -> np.ndarray:
    a = np.asarray(a, dtype=dtype)
    return a[None, :] if a.ndim == 1 else a


def _plan(tests: Sequence[TestChoice]):
    weights: list[tuple[float, float]] = []
    for test in tests:
        for w in test.weights:
            if w not in weights:
                weights.append(w)
    cross = []
    if any(t.kind == "maxcombo" for t in tests):
        cross = [(weights.index((0.0, 1.0)), weights.index((1.0, 0.0)))]
    return weights, cross


def _chunk_outcomes(rs: RiskSets, xs: np.ndarray, tests: Sequence[TestChoice], weights, cross) -> dict:
    out = {}
    if weights:
        obs, exp, _, var, cov = _scores(_counts(rs, xs), weights, cross)
        with np.errstate(divide="ignore", invalid="ignore"):
            z_all = np.where(var > 0, (obs - exp) / np.sqrt(var), np.nan)
    for test in tests:
        if test.kind in ("logrank", "fh"):
            k = weights.index(test.weights[0])
            z = z_all[:, k]
            out[test.name] = BatchOutcome(z, z * z, stats.chi2.sf(z * z, 1))
        elif test.kind == "maxcombo":
            i00, i01, i10 = (weights.index(w) for w in MAXCOMBO_WEIGHTS)
            zs = z_all[:, [i00, i01, i10]]
            p = maxcombo_p(zs[:, 0], zs[:, 1], zs[:, 2], var[:, i00], var[:, i01], var[:, i10], cov[:, 0])
            pick = np.argmax(np.where(np.isnan(zs), -1.0, np.abs(zs)), axis=1)
            z = np.take_along_axis(zs, pick[:, None], axis=1)[:, 0]
            out[test.name] = BatchOutcome(z, z * z, p)
        else:
            if test.tau is None:
                raise WalkBackInputError("the RMST test of simulated trials needs a horizon tau")
            if rs.stratum is not None:
                raise WalkBackInputError("the RMST difference is not stratified: leave out the strata")
            diff, se = _rmst_difference(rs, xs, test.tau)
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(se > 0, diff / se, np.nan)
            out[test.name] = BatchOutcome(z, z * z, 2 * stats.norm.sf(np.abs(z)))
    return out


def two_arm_tests_batch(time, event, group, tests: Sequence[TestChoice], strata=None) -> dict[str, BatchOutcome]:
    """Every test in ``tests`` for many replicate two-arm trials at once.

    Parameters
    ----------
    time, event, group : array_like, shape (replicates, n) or (n,)
        Follow-up times, 1 = event, 1 = the arm compared with the reference (0).
    tests : sequence of TestChoice
        RMST tests need ``tau``.
    strata : array_like of int, same shape, optional
        Stratum codes (not with RMST).

    Returns
    -------
    dict
        ``{test.name: BatchOutcome}``. Rows are processed in cache-sized chunks, each sorted once for all
        the tests; no Python loop over replicates.

    Examples
    --------
    >>> t = [[1, 2, 3, 4, 5, 6, 7, 8.]]
    >>> out = two_arm_tests_batch(t, [[1, 1, 1, 0, 1, 1, 1, 0]], [[0, 1, 0, 1, 0, 1, 0, 1]],
    ...                           [choose_test("logrank"), choose_test("maxcombo")])
    >>> round(float(out["logrank"].chisq[0]), 4)  # the log-rank kernel's 1.0448
    1.0448
    """
    tests = list(tests)
    if not tests:
        raise WalkBackInputError("give at least one test")
    t = _as_rows(time, float)
    e = _as_rows(event, np.int8)
    x = _as_rows(group, np.int8)
    if not (t.shape == e.shape == x.shape):
        raise ValueError(f"time, event and group must have the same shape, got {t.shape}, {e.shape}, {x.shape}")
    s = None if strata is None else np.broadcast_to(_as_rows(strata, np.int64), t.shape)
    weights, cross = _plan(tests)
    R, n = t.shape
    rows = max(1, _MAX_ELEMENTS // max(n, 1))
    parts = []
    for lo in range(0, R, rows):
        sl = slice(lo, lo + rows)
        rs = build_risk_sets(t[sl], e[sl], None if s is None else s[sl])
        parts.append(_chunk_outcomes(rs, rs.sorted(x[sl]).astype(float), tests, weights, cross))
    return {test.name: BatchOutcome(*(np.concatenate([p[test.name][i] for p in parts]) for i in range(3)))
            for test in tests}


# =============================================================================== one data set
def _strata_codes(clean, strata: Sequence[str]) -> np.ndarray | None:
    if not strata:
        return None
    return clean.groupby(list(strata), sort=True).ngroup().to_numpy(np.int64)


def _direction(z: float, other: str, reference: str) -> str:
    if not math.isfinite(z) or z == 0:
        return "no difference"
    return f"favours {other}" if z > 0 else f"favours {reference}"


def two_arm_test(df: pd.DataFrame, test: str | TestChoice = "logrank", time: str = "time_days",
                 event: str = "recurrence", group: str = "arm", reference: str = "control", *,
                 strata: Sequence[str] = (), rho: float | None = None, gamma: float | None = None,
                 tau: float | None = None) -> TwoArmTest:
    """Run one two-arm test, picked by name, on a cohort.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per participant (checked by :func:`~analysis.stats.validation.validate_two_arm`).
    test : str or TestChoice
        ``"logrank"``, ``"fh"`` (with ``rho``, ``gamma``), ``"fh01"``, ``"fh10"``, ``"maxcombo"`` or
        ``"rmst"`` (with ``tau``), or a :class:`TestChoice`.
    time, event, group, reference : str
        Columns and the reference arm.
    strata : sequence of str
        Stratified log-rank family (sums over strata, the KM weights within each stratum); not for RMST.
    rho, gamma, tau : float, optional
        As in :func:`choose_test`. ``tau`` defaults to the smaller of the arms' longest follow-up, and must
        not exceed it (beyond it one arm's curve is not estimated).

    Returns
    -------
    TwoArmTest

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 1, 1, 0, 1, 1, 1, 0],
    ...                   "arm": ["control", "walking"] * 4})
    >>> r = two_arm_test(d, "fh", "t", "e", rho=1, gamma=0)
    >>> r.test, round(r.chisq, 4), r.direction
    ('fh_1_0', 0.8814, 'favours walking')
    """
    from .validation import validate_two_arm  # pandas: not for the Monte Carlo workers, which never call this

    choice = test if isinstance(test, TestChoice) else choose_test(test, rho=rho, gamma=gamma, tau=tau)
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    if choice.kind == "rmst" and strata:
        raise CohortFileError("the RMST difference is not stratified: leave out the strata")
    clean = validate_two_arm(df, time=time, event=event, group=group, reference=reference, strata=strata)
    reference = str(reference)
    other = next(v for v in clean["group"].unique() if v != reference)
    if choice.kind == "rmst":
        return _rmst_test(clean, choice, reference, other)
    t = clean["time"].to_numpy(float)
    e = clean["event"].to_numpy(np.int64)
    x = (clean["group"].to_numpy() == other).astype(float)
    rs = build_risk_sets(t, e, _strata_codes(clean, strata))
    weights, cross = _plan([choice])
    obs, exp, obs_all, var, cov = _scores(_counts(rs, rs.sorted(x)), weights, cross)
    zs = np.where(var[0] > 0, (obs[0] - exp[0]) / np.sqrt(np.where(var[0] > 0, var[0], 1.0)), np.nan)
    per_weight = [{"rho": rho_, "gamma": gamma_, "z": float(zs[k]), "variance": float(var[0, k]),
                   "observed": [float(obs_all[0, k] - obs[0, k]), float(obs[0, k])],
                   "expected": [float(obs_all[0, k] - exp[0, k]), float(exp[0, k])]}
                  for k, (rho_, gamma_) in enumerate(weights)]
    details: dict[str, Any] = {"levels": [reference, other], "strata": list(strata),
                               "events": int(e.sum())}
    if choice.kind == "maxcombo":
        i00, i01, i10 = (weights.index(w) for w in MAXCOMBO_WEIGHTS)
        p = float(maxcombo_p(zs[i00], zs[i01], zs[i10], var[0, i00], var[0, i01], var[0, i10], cov[0, 0])[0])
        finite = [k for k in (i00, i01, i10) if math.isfinite(zs[k])]
        k_max = max(finite, key=lambda k: abs(zs[k])) if finite else i00
        z = float(zs[k_max])
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.array([[var[0, i] if i == j else 0.0 for j in (i00, i01, i10)] for i in (i00, i01, i10)])
        sd = np.sqrt(var[0, [i00, i01, i10]])
        # covariances from the exact relation U00 = U10 + U01
        c01_10 = float(cov[0, 0])
        c00_01 = var[0, i01] + c01_10
        c00_10 = var[0, i10] + c01_10
        corr[0, 1] = corr[1, 0] = c00_01
        corr[0, 2] = corr[2, 0] = c00_10
        corr[1, 2] = corr[2, 1] = c01_10
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = corr / np.outer(sd, sd)
        details.update(components=per_weight, correlation=corr.tolist(),
                       max_component=TestChoice("fh", *weights[k_max]).name)
        return TwoArmTest(test=choice.name, label=choice.label, statistic=abs(z), chisq=z * z, z=z, p=p,
                          direction=_direction(-z, other, reference), details=details)
    z = float(zs[0])
    chisq = z * z
    details.update(rho=choice.rho, gamma=choice.gamma, observed=per_weight[0]["observed"],
                   expected=per_weight[0]["expected"], variance=per_weight[0]["variance"])
    # negative z: fewer (weighted) recurrences than expected on the other arm, i.e. it favours the other arm
    return TwoArmTest(test=choice.name, label=choice.label, statistic=chisq, chisq=chisq, z=z,
                      p=float(stats.chi2.sf(chisq, 1)) if math.isfinite(chisq) else math.nan,
                      direction=_direction(-z, other, reference), details=details)


def _rmst_test(clean, choice: TestChoice, reference: str, other: str) -> TwoArmTest:
    from .restricted_mean import default_tau, rmst_from_clean

    usable = default_tau(clean, reference, other)
    tau = usable if choice.tau is None else choice.tau
    if tau > usable:
        raise CohortFileError(f"tau = {tau:g} is beyond the follow-up of one arm (usable horizon: up to {usable:g}); "
                              "choose a smaller RMST horizon")
    r = rmst_from_clean(clean, reference, other, tau)
    se = math.hypot(*r.se)
    z = r.difference / se if se > 0 else math.nan
    chosen = TestChoice("rmst", tau=tau)
    details = {"levels": list(r.levels), "tau": tau, "rmst": list(r.rmst), "se": list(r.se), "difference": r.difference,
               "ci": [r.lower, r.upper]}
    return TwoArmTest(test=chosen.name, label=chosen.label, statistic=r.difference, chisq=z * z, z=z, p=r.p,
                      direction=_direction(z, other, reference), details=details)
