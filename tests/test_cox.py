"""analysis.stats.cox against R's coxph (tests/r_reference/cox_exact.json, written by
tests/r_reference/make_reference.R) and lifelines' CoxPHFitter; degenerate inputs.

The R references are fitted with coxph.control(eps = 1e-12) and compared at 1e-8 relative
(the observed differences are below 1e-9: see the report of the commit that added them).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.stats.cox import CoxFit, fit_cox

HERE = Path(__file__).parent / "r_reference"
with open(HERE / "cox_exact.json", encoding="utf-8") as _fh:
    REF = json.load(_fh)["cox_exact"]

REL = 1e-8


def close(ours, ref, rel=REL):
    np.testing.assert_allclose(np.atleast_1d(np.asarray(ours, float)),
                               np.atleast_1d(np.asarray(ref, float)), rtol=rel, atol=0)


def design(d: pd.DataFrame, terms) -> np.ndarray:
    """Numeric design as the R script builds it: a column, or ``column==level`` indicators."""
    cols = []
    for tm in ([terms] if isinstance(terms, str) else terms):
        if "==" in tm:
            c, lev = tm.split("==", 1)
            cols.append((d[c].astype(str) == lev).to_numpy(float))
        else:
            cols.append(d[tm].to_numpy(float))
    return np.column_stack(cols)


def fit_case(name) -> tuple[CoxFit, dict]:
    r = REF[name]
    d = pd.read_csv(HERE / "data" / r["file"], dtype=str)
    s = None if r["strata"] is None else d[r["strata"]].to_numpy()
    w = None if r["weights"] is None else d[r["weights"]].to_numpy(float)
    fit = fit_cox(d[r["time"]].to_numpy(float), d[r["event"]].to_numpy(float),
                  design(d, r["terms"]), strata=s, ties=r["ties"], weights=w)
    return fit, r


@pytest.mark.parametrize("name", sorted(REF))
def test_matches_r(name):
    fit, r = fit_case(name)
    assert fit.converged and not fit.infinite.any() and fit.messages == ()
    assert fit.ties == r["ties"] and fit.n == r["n"] and fit.n_events == r["nevent"]
    close(fit.coef, r["coef"])
    close(fit.se, r["se"])
    close(fit.var, r["var"])
    close(fit.loglik, r["loglik"])
    close(fit.score_test.statistic, r["score"])
    close(fit.wald_test.statistic, r["wald"])
    close(fit.lr_test.statistic, r["lr"])
    assert fit.lr_test.df == fit.coef.size
    # what R users see with the default control (eps = 1e-9) agrees as closely
    close(fit.coef, r["default"]["coef"])
    close(fit.loglik, r["default"]["loglik"])


def test_r_summary_numbers_aml():
    """The figures R's summary(coxph(Surv(time, status) ~ x, aml)) prints."""
    fit, _ = fit_case("aml_x")
    assert fit.hr[0] == pytest.approx(2.4981, abs=1e-4)
    lo, hi = fit.ci()
    assert (lo[0], hi[0]) == (pytest.approx(0.9159, abs=1e-4), pytest.approx(6.813, abs=1e-3))
    assert fit.z[0] == pytest.approx(1.788, abs=1e-3)
    assert fit.p[0] == pytest.approx(0.0737, abs=1e-4)
    assert fit.iterations == 3


# ------------------------------------------------------------------------------ lifelines
def simulate(n, seed, n_strata=3):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, n_strata, n)
    X = np.column_stack([rng.integers(0, 2, n), rng.normal(0, 1, n), rng.poisson(2, n)]).astype(float)
    lp = X @ np.array([-0.4, 0.3, 0.1]) + 0.4 * s
    te = -np.log(rng.random(n)) / (0.002 * np.exp(lp))
    tc = rng.uniform(30, 1500, n)
    return np.ceil(np.minimum(te, tc)), (te <= tc).astype(int), X, s  # whole days: ties


def lifelines_fit(t, e, X, s):
    from lifelines import CoxPHFitter

    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    df["T"], df["E"] = t, e
    kw = {}
    if s is not None:
        df["S"] = s
        kw["strata"] = ["S"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' ConvergenceWarning at max_steps
        # precision 1e-20: lifelines otherwise stops on a Newton decrement < precision, which
        # leaves ~1e-7 relative error in the coefficients
        return CoxPHFitter().fit(df, "T", "E", fit_options={"precision": 1e-20, "r_precision": 0.0,
                                                            "max_steps": 40}, **kw)


@pytest.mark.parametrize("n,seed,strata,p", [(2_000, 1, True, 3), (2_000, 2, False, 2),
                                            (20_000, 3, True, 3)])
def test_matches_lifelines(n, seed, strata, p):
    t, e, X, s = simulate(n, seed)
    X = X[:, :p]
    s = s if strata else None
    fit = fit_cox(t, e, X, strata=s)
    ll = lifelines_fit(t, e, X, s)
    close(fit.coef, ll.params_.to_numpy())
    close(fit.se, ll.standard_errors_.to_numpy())
    close(fit.var, ll.variance_matrix_.to_numpy())
    close(fit.loglik[1], ll.log_likelihood_)
    close(fit.loglik[0], ll._ll_null_)
    assert len(np.unique(t)) < n / 2  # heavily tied


# ------------------------------------------------------------------------------ properties
def test_breslow_equals_efron_without_ties():
    t, e, X, s = simulate(500, 4)
    t = t + np.random.default_rng(0).random(t.size)  # distinct times
    a = fit_cox(t, e, X, strata=s)
    b = fit_cox(t, e, X, strata=s, ties="breslow")
    close(a.coef, b.coef, 1e-12)
    close(a.loglik, b.loglik, 1e-12)


def test_invariances():
    """Row order, stratum labels, covariate shifts within strata and unit weights do not matter."""
    t, e, X, s = simulate(3_000, 5)
    ref = fit_cox(t, e, X, strata=s)
    perm = np.random.default_rng(1).permutation(t.size)
    close(fit_cox(t[perm], e[perm], X[perm], strata=s[perm]).coef, ref.coef, 1e-10)
    labels = np.array(["b", "a", "zz"])[s]
    close(fit_cox(t, e, X, strata=labels).coef, ref.coef, 1e-12)
    close(fit_cox(t, e, X + 100.0 * s[:, None], strata=s).coef, ref.coef, 1e-9)
    w1 = fit_cox(t, e, X, strata=s, weights=np.ones(t.size))
    close(w1.coef, ref.coef, 1e-12)
    close(w1.var, ref.var, 1e-12)


def test_integer_weights_equal_replicated_rows_breslow():
    """Breslow only: Efron's correction counts tied rows, so weights are not replicates there
    (R's coxph behaves the same; its weighted Efron uses the mean event weight per tie)."""
    t, e, X, s = simulate(800, 6)
    w = np.random.default_rng(2).integers(1, 4, t.size)
    rep = np.repeat(np.arange(t.size), w)
    a = fit_cox(t, e, X, strata=s, weights=w, ties="breslow")
    b = fit_cox(t[rep], e[rep], X[rep], strata=s[rep], ties="breslow")
    close(a.coef, b.coef, 1e-9)
    close(a.var, b.var, 1e-9)
    close(a.loglik, b.loglik, 1e-12)


def test_single_row_stratum_contributes_nothing():
    t, e, X, s = simulate(400, 7)
    ref = fit_cox(t, e, X, strata=s)
    for event in (0, 1):
        fit = fit_cox(np.r_[t, 10.0], np.r_[e, event], np.vstack([X, [1.0, 5.0, 9.0]]),
                      strata=np.r_[s, 99])
        assert fit.n_strata == 4 and fit.n == 401
        close(fit.coef, ref.coef, 1e-10)
        close(fit.loglik, ref.loglik, 1e-12)


def test_result_is_frozen():
    fit = fit_cox([1, 2, 3, 4], [1, 1, 0, 1], [0, 1, 0, 1])
    with pytest.raises(AttributeError):
        fit.coef = np.zeros(1)
    with pytest.raises(ValueError):
        fit.coef[0] = 0.0


# ------------------------------------------------------------------------------ degenerate
def test_no_events():
    with pytest.raises(ValueError, match="no events"):
        fit_cox([1, 2, 3], [0, 0, 0], [0.0, 1.0, 0.0])


def test_separated_covariate_flags_infinite_coefficient():
    """All events in one arm: the loglik converges while the coefficient runs off (R warns
    "Loglik converged before variable 1; coefficient may be infinite")."""
    t = np.arange(1.0, 21.0)
    x = (np.arange(20) % 2).astype(float)
    e = x.copy()  # only x == 1 has events
    fit = fit_cox(t, e, x)
    assert fit.infinite.tolist() == [True]
    assert fit.coef[0] > 10
    assert fit.messages == ("Loglik converged before variable 1; coefficient may be infinite.",)
    assert np.isfinite(fit.loglik).all() and fit.loglik[1] > fit.loglik[0]
    # x2 ordinary, x separated: only variable 2 is flagged
    x2 = np.random.default_rng(3).normal(size=20)
    fit2 = fit_cox(t, e, np.column_stack([x2, x]))
    assert fit2.infinite.tolist() == [False, True]


def test_max_iter_not_converged():
    t, e, X, s = simulate(300, 8)
    fit = fit_cox(t, e, X, strata=s, max_iter=1)
    assert not fit.converged and fit.iterations == 1
    assert fit.messages == ("Ran out of iterations and did not converge",)


@pytest.mark.parametrize("kwargs,match", [
    (dict(time=[1.0], event=[1], X=[0.5]), "singular"),  # one row: no comparison
    (dict(time=[1, 2, 3], event=[1, 0, 1], X=[2.0, 2.0, 2.0]), "singular"),  # constant
    (dict(time=[1, 2, 3, 4], event=[1, 1, 0, 1], X=[[0, 0], [1, 2], [0, 0], [1, 2]]), "singular"),
    (dict(time=[1, 2, 3], event=[1, 1, 0], X=[0, 1, 0], strata=[0, 1, 2]), "singular"),
    (dict(time=[1, np.nan, 3], event=[1, 1, 0], X=[0, 1, 0]), "time"),
    (dict(time=[1, 2, 3], event=[1, 2, 0], X=[0, 1, 0]), "event"),
    (dict(time=[1, 2, 3], event=[1, 1, 0], X=[0, np.inf, 0]), "X"),
    (dict(time=[1, 2, 3], event=[1, 1, 0], X=[0, 1]), "X must have shape"),
    (dict(time=[1, 2, 3], event=[1, 1, 0], X=[0, 1, 0], weights=[1, 0, 1]), "weights"),
    (dict(time=[1, 2, 3], event=[1, 1, 0], X=[0, 1, 0], ties="exact"), "ties"),
    (dict(time=[], event=[], X=np.zeros((0, 1))), "no rows"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_cox(**kwargs)
