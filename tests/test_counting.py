"""The counting-process primitive (analysis.stats.counting) against brute-force definitions.

The estimators built on it are checked against R and lifelines elsewhere (test_estimate.py,
test_kernels.py, test_replicates.py); here the pieces themselves: risk sets per stratum and per
replicate row, tie groups, the product limit, R's median rule, log-rank terms, RMST, and the one
Cox-limit solver. Every comparison is exact (integer counts) or at float rounding (1e-12).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.model.expectation import cox_limit_hr
from analysis.stats.counting import (
    build_risk_sets,
    km_from_counts,
    logrank_from_counts,
    median_survival,
    rmst_from_km,
)


def _data(seed, n=60, R=None, n_strata=1):
    rng = np.random.default_rng(seed)
    shape = (n,) if R is None else (R, n)
    t = np.ceil(rng.exponential(5.0, shape))  # whole days: many ties, also event vs censoring
    e = rng.integers(0, 2, shape)
    x = rng.integers(0, 2, shape)
    s = rng.integers(0, n_strata, shape)
    return t, e, x, s


@pytest.mark.parametrize("n_strata", [1, 3])
def test_risk_sets_match_brute_force(n_strata):
    t, e, x, s = _data(1, n_strata=n_strata)
    rs = build_risk_sets(t, e, s if n_strata > 1 else None)
    order = rs.order[0]
    ts, es, ss, xs = t[order], e[order], s[order], x[order]
    n_risk = rs.n_risk()[0]
    at_risk_x = rs.running(rs.sorted(x)).risk_set()[0]
    ties = rs.running(rs.event).tie_group()[0]
    earlier = rs.running(rs.event).earlier_in_tie()[0]
    for i in range(len(t)):
        same = (ss == ss[i]) if n_strata > 1 else np.ones(len(t), bool)
        assert n_risk[i] == np.sum(same & (ts >= ts[i]))
        assert at_risk_x[i] == np.sum(xs[same & (ts >= ts[i])])
        tie = same & (ts == ts[i])
        assert ties[i] == np.sum(es[tie])
        assert earlier[i] == np.sum(es[:i][tie[:i]])
        assert rs.last[0, i] == (i == np.flatnonzero(tie)[-1])
    assert np.all(np.diff(ts[ss == ss[0]]) >= 0)


def test_tie_groups_match_unique_times_per_stratum():
    t, e, _, s = _data(2, n=80, n_strata=2)
    g = build_risk_sets(t, e, s).tie_groups()
    expected = []
    for stratum in (0, 1):
        ts, es = t[s == stratum], e[s == stratum]
        for u in np.unique(ts):
            at = ts == u
            expected.append((stratum, u, np.sum(ts >= u), es[at].sum(), np.sum(at) - es[at].sum()))
    got = list(zip(g.stratum, g.time, g.n_risk, g.n_event, g.n_censor))
    assert got == expected


def test_a_batch_is_its_rows():
    T, E, X, S = _data(3, n=50, R=7, n_strata=2)
    batch = build_risk_sets(T, E, S)
    n_risk = batch.n_risk()
    d1 = batch.running(batch.event * batch.sorted(X)).tie_group()
    groups = batch.tie_groups()
    for r in range(len(T)):
        one = build_risk_sets(T[r], E[r], S[r])
        np.testing.assert_array_equal(n_risk[r], one.n_risk()[0])
        np.testing.assert_array_equal(d1[r], one.running(one.event * one.sorted(X[r])).tie_group()[0])
        mine = groups.row == r
        single = one.tie_groups()
        for field in ("time", "stratum", "n_risk", "n_event", "n_censor"):
            np.testing.assert_array_equal(getattr(groups, field)[mine], getattr(single, field))


def test_group_curves_from_one_pooled_sort_equal_each_arms_own_curve():
    T, E, X, _ = _data(4, n=70, R=5)
    rs = build_risk_sets(T, E)
    curves = rs.group_survival(rs.sorted(X))
    days = np.array([0.0, 1.0, 2.5, 7.0, 40.0])
    on_grid = rs.survival_at(curves, days)
    for r in range(len(T)):
        for arm in (0, 1):
            own = build_risk_sets(T[r][X[r] == arm], E[r][X[r] == arm]).tie_groups()
            surv = km_from_counts(own.n_risk, own.n_event)
            at_last = rs.last[r]
            # the pooled curve at each pooled distinct time equals the arm's own step function there
            k = np.searchsorted(own.time, rs.time[r][at_last], side="right") - 1
            np.testing.assert_allclose(curves[arm][r][at_last], np.where(k >= 0, surv[np.maximum(k, 0)], 1.0),
                                       rtol=0, atol=1e-12)
            k = np.searchsorted(own.time, days, side="right") - 1
            np.testing.assert_allclose(on_grid[r, arm], np.where(k >= 0, surv[np.maximum(k, 0)], 1.0), atol=1e-12)


def test_product_limit_and_greenwood_by_hand():
    surv, se = km_from_counts([5.0, 3.0, 2.0, 1.0], [1.0, 0.0, 1.0, 1.0], std_err=True)
    np.testing.assert_allclose(surv, [0.8, 0.8, 0.4, 0.0], rtol=1e-15)
    np.testing.assert_allclose(se[:3], np.sqrt(np.cumsum([1 / 20, 0.0, 1 / 2])), rtol=1e-15)
    assert math.isinf(se[3])  # R's std.err is infinite once the curve reaches 0


@pytest.mark.parametrize(("times", "surv", "median"), [
    ([1.0, 2.0, 3.0], [0.9, 0.4, 0.1], 2.0),
    ([2.0, 4.0], [0.5, 0.0], 3.0),  # R: print(survfit(Surv(c(2, 4), c(1, 1)) ~ 1)) median 3
    ([2.0, 4.0, 6.0], [0.5, 0.5, 0.5], 2.0),  # a plateau at 0.5 that never drops: its first time
    ([1.0, 2.0], [0.8, 0.6], math.nan),
    ([1.0, 2.0, 3.0], [math.nan, 0.45, 0.3], 2.0),  # NA entries (a CI limit) are skipped
])
def test_median_rule(times, surv, median):
    got = median_survival(times, surv)
    assert (math.isnan(got) and math.isnan(median)) or got == median
    # the batched call gives the same per row
    batch = median_survival(np.array([times, times]), np.array([surv, surv]))
    np.testing.assert_array_equal(batch, [got, got])


def test_stratified_logrank_terms_are_sums_over_strata():
    t, e, x, s = _data(5, n=120, n_strata=3)

    def terms(tt, ee, xx, ss=None):
        rs = build_risk_sets(tt, ee, ss)
        xs = rs.sorted(xx)
        return logrank_from_counts(rs.n_risk(), rs.running(xs).risk_set(), rs.running(rs.event).tie_group(),
                                   rs.running(rs.event * xs).tie_group(), rs.last)

    whole = terms(t, e, x, s)
    parts = [terms(t[s == k], e[s == k], x[s == k]) for k in range(3)]
    for field in ("observed", "expected", "variance", "events"):
        assert getattr(whole, field)[0] == pytest.approx(sum(getattr(p, field)[0] for p in parts), rel=1e-12)
    assert whole.observed[0] == np.sum(e * x)


def test_rmst_is_the_area_under_the_step_curve():
    times = np.array([1.0, 2.0, 4.0, 7.0])
    surv = np.array([0.9, 0.7, 0.4, 0.2])
    n_risk = np.array([10.0, 9.0, 7.0, 4.0])
    n_event = np.array([1.0, 2.0, 3.0, 2.0])
    mean, var, after = rmst_from_km(times, surv, n_risk, n_event, 5.0)
    assert mean == pytest.approx(1 * 1 + 1 * 0.9 + 2 * 0.7 + 1 * 0.4, rel=1e-15)
    assert after.tolist() == pytest.approx([0.9 + 1.4 + 0.4, 1.4 + 0.4, 0.4, 0.0], rel=1e-15)
    green = n_event / (n_risk * (n_risk - n_event))
    assert var == pytest.approx(np.sum(after[:3] ** 2 * green[:3]), rel=1e-15)


def test_cox_limit_recovers_a_proportional_hazard_under_censoring():
    t = np.arange(0.0, 801.0)
    s0 = np.exp(-(t / 150.0) ** 0.6)
    s1 = s0 ** 0.65  # proportional hazards, HR 0.65
    censoring = np.clip(1 - t / 800.0, 0, 1)
    for at_risk in ("midpoint", "start"):
        # the grid's discretisation error only: a one-day step against a ~150-day scale
        assert cox_limit_hr(s0, s1, censoring, at_risk=at_risk) == pytest.approx(0.65, rel=2e-3)
    # unequal allocation does not change a proportional hazard ratio (up to the same grid error)
    assert cox_limit_hr(s0, s1, censoring, n0=1.0, n1=3.0) == pytest.approx(0.65, rel=2e-3)
    # non-proportional hazards: the limit depends on follow-up (here: an effect that wanes)
    h0 = -np.log(s0)
    s1_waning = np.exp(-np.where(t <= 200, 0.5 * h0, h0 - 0.5 * h0[200]))  # HR 0.5 to day 200, then 1
    early = cox_limit_hr(s0[:201], s1_waning[:201], np.ones(201))
    assert early == pytest.approx(0.5, rel=2e-3)
    assert early < cox_limit_hr(s0, s1_waning, censoring) < 1.0
    with pytest.raises(ValueError, match="at_risk"):
        cox_limit_hr(s0, s1, censoring, at_risk="end")
    with pytest.raises(ValueError, match="ties"):
        cox_limit_hr(s0, s1, censoring, ties="breslow")


def test_grouped_efron_limit_equals_efron_on_an_expected_count_table():
    """Efron's score with D tied deaths at a day tends to D * int_0^1 (A1 - s E1)/(A0 - s E0) ds.

    Checked against the finite Efron sum on a table of expected counts scaled to many participants
    (the k/D steps become the integral): relative difference of the solved HRs below 1e-4.
    """
    days = np.arange(0.0, 15.0)
    s0, s1 = np.exp(-(days / 3.0) ** 1.3), np.exp(-(days / 1.8) ** 0.9)  # heavy daily ties, non-PH, HR about 1.45
    limit = cox_limit_hr(s0, s1, np.ones_like(days), ties="efron")
    n = 200_000.0
    y0, y1, d0, d1 = n * s0[:-1], n * s1[:-1], n * (s0[:-1] - s0[1:]), n * (s1[:-1] - s1[1:])

    def efron_score(beta):
        total = 0.0
        for a0, a1, e0, e1 in zip(y0, y1, d0, d1):
            deaths = int(round(e0 + e1))
            k = np.arange(deaths) / deaths
            num = a1 * np.exp(beta) - k * e1 * np.exp(beta)
            den = a0 + a1 * np.exp(beta) - k * (e0 + e1 * np.exp(beta))
            total += e1 - (e0 + e1) / deaths * np.sum(num / den)
        return total

    from scipy import optimize
    finite = math.exp(optimize.brentq(efron_score, -3, 3, xtol=1e-12))
    assert limit == pytest.approx(finite, rel=1e-4)
    # and it is not the untied (Breslow-type) limit on the same grouped curves
    assert abs(cox_limit_hr(s0, s1, np.ones_like(days), at_risk="start") / limit - 1) > 1e-2


@pytest.mark.parametrize("strata", [False, True])
@pytest.mark.parametrize("kind", ["whole_days", "fractional", "large_days", "with_zero"])
def test_sort_order_is_the_stable_stratum_time_order(kind, strata):
    """The radix path for whole days gives exactly the permutation of the general stable sort (ties included)."""
    from analysis.stats.counting import _sort_order

    rng = np.random.default_rng(7)
    shape = (4, 3000)
    t = {"whole_days": np.floor(rng.weibull(0.55, shape) * 300) + 1,
         "fractional": rng.weibull(0.55, shape) * 300,
         "large_days": np.floor(rng.random(shape) * 40_000) + 1,  # too many days for the 16-bit key
         "with_zero": np.floor(rng.random(shape) * 20)}[kind]
    s = rng.integers(0, 4, shape) if strata else None
    expected = np.lexsort((t, s), axis=-1) if strata else np.argsort(t, axis=1, kind="stable")
    assert np.array_equal(_sort_order(t, s), expected)
