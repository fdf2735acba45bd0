"""analysis.stats.kernels against lifelines (estimator of record) at 1e-6 relative, incl. ties and strata."""

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test

from analysis.stats.survival import kaplan_meier, logrank
from analysis.stats.kernels import km_median_batch, logrank_cox, logrank_cox_batch

REL = 1e-6


def _data(seed, n=400, tie_unit=None, n_strata=1):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    s = rng.integers(0, n_strata, n)
    t = rng.exponential(100 * np.where(x == 1, 1.4, 1.0) * (1 + 0.3 * s))
    c = rng.uniform(0, 300, n)
    e = (t <= c).astype(int)
    t = np.minimum(t, c)
    if tie_unit:
        t = np.ceil(t / tie_unit) * tie_unit  # heavy ties, also between events and censorings
    return t, e, x, s


def _lifelines(t, e, x, s=None):
    df = pd.DataFrame({"T": t, "E": e, "x": x})
    kw = {}
    if s is not None:
        df["s"] = s
        kw["strata"] = ["s"]
    cph = CoxPHFitter().fit(df, "T", "E", fit_options={"precision": 1e-18, "r_precision": 0.0}, **kw)
    return float(cph.params_["x"]), float(cph.standard_errors_["x"])


@pytest.mark.parametrize("tie_unit", [None, 30.0, 100.0])
@pytest.mark.parametrize("n_strata", [1, 4])
def test_single_trial_matches_lifelines(tie_unit, n_strata):
    t, e, x, s = _data(1, tie_unit=tie_unit, n_strata=n_strata)
    strata = s if n_strata > 1 else None
    r = logrank_cox(t, e, x, strata)
    b, se = _lifelines(t, e, x, strata)
    assert r["log_hr"] == pytest.approx(b, rel=REL)
    assert r["se"] == pytest.approx(se, rel=REL)
    if strata is None:
        lr = logrank_test(t[x == 0], t[x == 1], e[x == 0], e[x == 1]).test_statistic
    else:  # lifelines has no stratified log-rank; analysis.stats.survival's is checked against R survdiff
        df = pd.DataFrame({"t": t, "e": e, "arm": np.where(x == 1, "intervention", "control"), "s": s})
        lr = logrank(df, "t", "e", strata=["s"]).chisq
    assert r["logrank_chisq"] == pytest.approx(lr, rel=REL)


def test_batch_equals_loop_of_singles_and_lifelines():
    reps = [_data(seed, n=150, tie_unit=20.0 if seed % 2 else None, n_strata=3) for seed in range(12)]
    T, E, X, S = (np.vstack([r[i] for r in reps]) for i in range(4))
    res = logrank_cox_batch(T, E, X, S)
    assert res.converged.all()
    for i in range(len(reps)):
        b, se = _lifelines(T[i], E[i], X[i], S[i])
        assert res.log_hr[i] == pytest.approx(b, rel=REL)
        assert res.se[i] == pytest.approx(se, rel=REL)
    plain = logrank_cox_batch(T, E, X)
    for i in range(len(reps)):
        lr = logrank_test(T[i][X[i] == 0], T[i][X[i] == 1], E[i][X[i] == 0], E[i][X[i] == 1]).test_statistic
        assert plain.logrank_chisq[i] == pytest.approx(lr, rel=REL)


def test_chunking_does_not_change_results(monkeypatch):
    import analysis.stats.kernels as k

    reps = [_data(seed, n=120, tie_unit=10.0) for seed in range(9)]
    T, E, X = (np.vstack([r[i] for r in reps]) for i in range(3))
    whole = logrank_cox_batch(T, E, X)
    monkeypatch.setattr(k, "_MAX_ELEMENTS", 250)  # 2 replicates per chunk
    parts = logrank_cox_batch(T, E, X)
    np.testing.assert_array_equal(whole.log_hr, parts.log_hr)
    np.testing.assert_array_equal(whole.logrank_chisq, parts.logrank_chisq)


@pytest.mark.parametrize("tie_unit", [None, 30.0])
def test_km_medians_match_estimate(tie_unit):
    reps = [_data(seed, n=200, tie_unit=tie_unit) for seed in range(10)]
    T, E, X = (np.vstack([r[i] for r in reps]) for i in range(3))
    med = km_median_batch(T, E, X)
    for i in range(len(reps)):
        df = pd.DataFrame({"t": T[i], "e": E[i], "arm": np.where(X[i] == 1, "intervention", "control")})
        km = kaplan_meier(df, "t", "e", landmarks=())
        np.testing.assert_allclose(med[i], [c.median for c in km.curves], rtol=1e-12)


def test_km_median_exact_half_plateau_and_not_reached():
    # control: S = 0.5 exactly after t=2, next drop at t=4 -> median (2 + 4) / 2 = 3, as R's
    # print(survfit(Surv(c(2, 4), c(1, 1)) ~ 1)) gives median 3; intervention: no events -> NaN
    t = np.array([2.0, 4.0, 1.0, 2.0])
    e = np.array([1, 1, 0, 0])
    x = np.array([0, 0, 1, 1])
    med = km_median_batch(t, e, x)
    assert med[0, 0] == 3.0
    assert np.isnan(med[0, 1])


def test_no_events_in_one_arm_is_flagged():
    t = np.arange(1.0, 11.0)
    e = np.array([1, 0] * 5)
    x = np.array([0, 1] * 5)
    res = logrank_cox_batch(t[None], e[None], x[None])
    assert not res.converged[0]
    assert res.log_hr[0] < -5


@pytest.mark.parametrize("tie_unit", [None, 30.0])
def test_signed_logrank_z_is_observed_minus_expected_over_its_sd(tie_unit):
    # Plain loop over distinct event times (survdiff's definition): O1 - E1 and the hypergeometric variance.
    rows = [_data(seed, n=300, tie_unit=tie_unit) for seed in (3, 4)]
    res = logrank_cox_batch(np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]),
                            np.stack([r[2] for r in rows]))
    for i, (t, e, x, _) in enumerate(rows):
        o_minus_e, var = 0.0, 0.0
        for u in np.unique(t[e == 1]):
            at_risk = t >= u
            n, n1 = at_risk.sum(), (at_risk & (x == 1)).sum()
            d, d1 = ((t == u) & (e == 1)).sum(), ((t == u) & (e == 1) & (x == 1)).sum()
            o_minus_e += d1 - d * n1 / n
            var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1) if n > 1 else 0.0
        assert res.logrank_z[i] == pytest.approx(o_minus_e / np.sqrt(var), rel=REL)
        assert res.logrank_z[i] ** 2 == pytest.approx(res.logrank_chisq[i], rel=REL)


def test_logrank_z_alone_equals_the_full_kernels():
    from analysis.stats.kernels import logrank_z_batch

    rows = [_data(seed, n=250, tie_unit=10.0, n_strata=3) for seed in (5, 6, 7)]
    t, e, x, s = (np.stack([r[i] for r in rows]) for i in range(4))
    for strata in (None, s):
        full = logrank_cox_batch(t, e, x, strata)
        assert np.array_equal(logrank_z_batch(t, e, x, strata), full.logrank_z)
