"""analysis.stats.survival against R's survival package (tests/r_reference/reference.json).

The reference is made by ``Rscript tests/r_reference/make_reference.R`` (R 4.2.2, survival
3.5-3) from the CSV files in tests/r_reference/data/, which Python reads here too. Every
assertion is at 1e-6 relative (stricter than the 1e-4 required); the residual differences are
R's own convergence tolerance in coxph (eps = 1e-9 on the log-likelihood).
"""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test

from analysis import CohortFileError, Scenario, simulate_trial
from analysis.io.cohort_files import read_cohort_file
from analysis.stats.survival import (
    analyze_two_arm,
    cox,
    kaplan_meier,
    logrank,
    median_followup,
    ph_check,
    risk_table,
    rmst,
)

HERE = Path(__file__).parent / "r_reference"
with open(HERE / "reference.json", encoding="utf-8") as _fh:
    REF = json.load(_fh)
NAMES = [k for k in REF if k != "meta"]
REL = 1e-6


def arr(values):
    """R JSON -> float array (null -> NaN, "Inf" -> inf)."""
    return np.array([math.nan if v is None else math.inf if v == "Inf" else v for v in np.atleast_1d(values)],
                    dtype=float)


def close(ours, r, rel=REL):
    """Equal within ``rel`` relative; NaN (R NA) and inf must be in the same places."""
    a, b = np.atleast_1d(np.asarray(ours, dtype=float)), arr(r)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.isinf(a), np.isinf(b))
    fin = np.isfinite(b)
    np.testing.assert_allclose(a[fin], b[fin], rtol=rel, atol=0)


@pytest.fixture(scope="module", params=NAMES)
def case(request):
    name = request.param
    r = REF[name]
    c = r["config"]
    df = read_cohort_file(HERE / "data" / f"{name}.csv")
    kw = dict(time=c["time"], event=c["event"], group=c["group"], reference=c["reference"])
    return name, r, c, df, kw


def test_km_curves(case):
    name, r, c, df, kw = case
    km = kaplan_meier(df, **kw, landmarks=c["landmarks"])
    assert [cu.level for cu in km.curves] == c["levels"]
    for lv in c["levels"]:
        cu, rk = km.curve(lv), r["km"][lv]
        # fit <- survfit(Surv(time, event) ~ group, conf.type = "log-log"); fit[i]$time, ...
        close(cu.timeline, rk["time"])
        close(cu.n_risk, rk["n_risk"])
        close(cu.n_event, rk["n_event"])
        close(cu.n_censor, rk["n_censor"])
        close(cu.survival, rk["surv"])
        close(cu.std_err, rk["std_err"])
        close(cu.lower, rk["lower"])
        close(cu.upper, rk["upper"])


def test_km_matches_lifelines(case):
    name, r, c, df, kw = case
    km = kaplan_meier(df, **kw)
    for cu in km.curves:
        sel = df[c["group"]].astype(str) == cu.level
        kmf = KaplanMeierFitter().fit(df.loc[sel, c["time"]], df.loc[sel, c["event"]])
        sf = kmf.survival_function_.iloc[:, 0]
        np.testing.assert_allclose(sf.loc[cu.timeline].to_numpy(), cu.survival, rtol=1e-12)


def test_median_and_ci(case):
    name, r, c, df, kw = case
    km = kaplan_meier(df, **kw)
    t = r["table"]
    # summary(fit, rmean = tau)$table[, c("median", "0.95LCL", "0.95UCL")]  (as print(fit))
    close([cu.median for cu in km.curves], t["median"])
    close([cu.median_lower for cu in km.curves], t["lcl"])
    close([cu.median_upper for cu in km.curves], t["ucl"])
    # summary(fit)$table[, "records"], [, "events"]
    assert [cu.n for cu in km.curves] == t["records"]
    assert [cu.events for cu in km.curves] == t["events"]


def test_landmarks(case):
    name, r, c, df, kw = case
    km = kaplan_meier(df, **kw, landmarks=c["landmarks"])
    for lv in c["levels"]:
        rl = r["landmarks"][lv]
        lm = km.landmarks[km.landmarks.level == lv]
        # R drops landmarks after the last follow-up time (extend = FALSE); we give NaN there
        assert lm.survival.isna().sum() == len(c["landmarks"]) - len(rl["time"])
        lm = lm[lm.time.isin(rl["time"])]
        # summary(fit[i], times = landmarks, extend = FALSE)$surv / $lower / $upper / $n.risk
        close(lm.survival, rl["surv"])
        close(lm.lower, rl["lower"])
        close(lm.upper, rl["upper"])
        close(lm.n_risk, rl["n_risk"])


def test_rmst(case):
    name, r, c, df, kw = case
    res = rmst(df, **kw)
    t = r["table"]
    # tau <- min(tapply(d$time, d$group, max))
    close(res.tau, r["tau"])
    # summary(fit, rmean = tau)$table[, "rmean"]  and  [, "se(rmean)"]
    close(res.rmst, t["rmean"])
    close(res.se, t["se_rmean"])
    close(res.difference, t["rmean"][1] - t["rmean"][0])
    se = math.hypot(*t["se_rmean"])
    close([res.lower, res.upper], [res.difference - 1.959963984540054 * se, res.difference + 1.959963984540054 * se])


def test_logrank(case):
    name, r, c, df, kw = case
    res = logrank(df, **kw)
    # survdiff(Surv(time, event) ~ group)$chisq, pchisq(chisq, 1, lower.tail = FALSE)
    close(res.chisq, r["logrank"]["chisq"])
    close(res.p, r["logrank"]["p"])
    # survdiff(...)$obs, $exp
    close(res.observed, r["logrank"]["obs"])
    close(res.expected, r["logrank"]["exp"])


def test_logrank_stratified(case):
    name, r, c, df, kw = case
    if not c["strata"]:
        pytest.skip("no strata in this data set")
    res = logrank(df, **kw, strata=[c["strata"]])
    # survdiff(Surv(time, event) ~ group + strata(s))$chisq
    close(res.chisq, r["logrank_strat"]["chisq"])
    close(res.p, r["logrank_strat"]["p"])


def _check_cox(res, rc):
    close(res.coef, rc["coef"])
    close(res.se, rc["se"])
    close(res.hr, rc["hr"])
    close([res.lower, res.upper], [rc["lower"], rc["upper"]])
    close(res.p, rc["p"])


def test_cox_unadjusted(case):
    name, r, c, df, kw = case
    # coxph(Surv(time, event) ~ group, ties = "efron"): summary(fit)$coefficients / $conf.int
    res = cox(df, **kw)
    _check_cox(res, r["cox"])
    # fit$loglik[2]
    close(res.loglik, r["cox"]["loglik"][1])


def test_cox_stratified(case):
    name, r, c, df, kw = case
    if not c["strata"]:
        pytest.skip("no strata in this data set")
    # coxph(Surv(time, event) ~ group + strata(s), ties = "efron")
    _check_cox(cox(df, **kw, strata=[c["strata"]]), r["cox_strat"])


def test_cox_adjusted(case):
    name, r, c, df, kw = case
    if not c["covariates"]:
        pytest.skip("no covariates in this data set")
    # coxph(Surv(time, event) ~ group + covariates, ties = "efron")
    res = cox(df, **kw, covariates=c["covariates"])
    _check_cox(res, r["cox_adj"])
    # coef(fit) for every term (character covariates coded as R factor indicators)
    close(res.summary.coef, list(r["cox_adj"]["all_coef"].values()))


@pytest.mark.parametrize("transform", ["km", "identity"])
def test_cox_zph(case, transform):
    name, r, c, df, kw = case
    # cox.zph(coxph(Surv(time, event) ~ group), transform = transform)$table  (survival >= 3.0)
    res = ph_check(df, **kw, transform=transform)
    z = r[f"zph_cox_{transform}"]
    assert res.summary.term.tolist() == z["terms"]
    close(res.summary.chisq, z["chisq"])
    close(res.summary.p, z["p"])
    assert res.summary.df.tolist() == z["df"]
    if c["covariates"]:
        # cox.zph(coxph(Surv(time, event) ~ group + covariates), transform = transform)$table
        res = ph_check(df, **kw, covariates=c["covariates"], transform=transform)
        z = r[f"zph_adj_{transform}"]
        assert [t if t == "GLOBAL" or t == "group" else t for t in res.summary.term] == z["terms"]
        close(res.summary.chisq, z["chisq"])
        close(res.summary.p, z["p"])


def test_median_followup(case):
    name, r, c, df, kw = case
    res = median_followup(df, **kw).summary
    f = r["followup"]
    # summary(survfit(Surv(time, 1 - event) ~ group))$table[, c("median", "0.95LCL", "0.95UCL")]
    close(res["median"][:2], f["median"])
    close(res["lower"][:2], f["lcl"])
    close(res["upper"][:2], f["ucl"])
    # summary(survfit(Surv(time, 1 - event) ~ 1))$table["median"]
    close(res["median"][2], f["overall"])


def test_risk_table_counts():
    d = pd.DataFrame({"t": [1, 2, 2, 3, 5, 8], "e": [1, 0, 1, 1, 0, 1], "arm": ["control"] * 3 + ["intervention"] * 3})
    tab = risk_table(d, "t", "e", times=[0, 2, 10]).summary
    assert tab.at_risk.tolist() == [3, 2, 0, 3, 3, 0]
    assert tab.events.tolist() == [0, 2, 2, 0, 0, 2]
    assert tab.censored.tolist() == [0, 1, 1, 0, 0, 1]


def test_analyze_two_arm_shape_and_json():
    df = read_cohort_file(HERE / "data" / "walkback_seed1.csv")
    res = analyze_two_arm(df, strata=["stratum"], covariates=["age_years", "sex"])
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert {"groups", "logrank", "cox", "rmst"} <= set(d)
    assert set(d["groups"][0]) >= {"level", "n", "events", "median", "median_ci"}
    assert set(d["logrank"]) == {"chisq", "p"}
    assert set(d["cox"]) == {"hr", "ci", "p"}
    assert set(d["rmst"]) == {"tau", "difference", "ci", "p"}
    # same numbers as R on the same file
    r = REF["walkback_seed1"]
    close(d["logrank"]["chisq"], r["logrank"]["chisq"])
    close(d["cox"]["hr"], r["cox"]["hr"])
    close(d["rmst"]["difference"], r["table"]["rmean"][1] - r["table"]["rmean"][0])
    close(d["cox_stratified"]["hr"], r["cox_strat"]["hr"])
    close(d["cox_adjusted"]["hr"], r["cox_adj"]["hr"])
    assert isinstance(res.summary, pd.DataFrame) and {"analysis", "estimate", "p"} <= set(res.summary.columns)
    ll = res.km.loglog()
    assert set(ll.level) == {"control", "intervention"} and np.isfinite(ll.log_minus_log_survival).all()


def test_medians_not_reached_are_none():
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 0, 0, 0, 0, 0], "arm": ["control", "intervention"] * 3})
    out = analyze_two_arm(d, "t", "e", landmarks=[2]).to_dict()
    # S = 2/3 after the only event: median and upper limit not reached; the lower limit is (R: 1)
    assert out["groups"][0]["median"] is None and out["groups"][0]["median_ci"] == [1.0, None]
    assert out["groups"][1]["median"] is None and out["groups"][1]["median_ci"] == [None, None]


def test_lifelines_logrank_and_own_sums_both_give_rs_survdiff():
    """At 701 rows logrank() reports lifelines' statistic; the own sums (the default from 5,000 rows) are
    checked here at the same size. Both against R, not against each other:
    survdiff(Surv(time_days, recurrence) ~ arm, data = walkback_seed1) (reference.json)."""
    from analysis.stats.logrank_test import logrank_parts

    df = read_cohort_file(HERE / "data" / "walkback_seed1.csv")
    r = REF["walkback_seed1"]["logrank"]
    x = df.arm == "intervention"
    ll = logrank_test(df.time_days[~x], df.time_days[x], df.recurrence[~x], df.recurrence[x])
    assert ll.test_statistic == pytest.approx(r["chisq"], rel=1e-10)
    assert logrank(df).chisq == pytest.approx(r["chisq"], rel=1e-10)
    oe, v, _, _ = logrank_parts(df.time_days.to_numpy(float), df.recurrence.to_numpy(np.int64),
                                x.to_numpy(np.int64), np.zeros(len(df), np.int64))
    assert oe * oe / v == pytest.approx(r["chisq"], rel=1e-10)


def test_bad_input_raises_cohort_file_error():
    d = pd.DataFrame({"t": [1, 2], "e": [1, 0], "arm": ["a", "a"]})
    with pytest.raises(CohortFileError, match="only one group"):
        analyze_two_arm(d, "t", "e", reference="a")
    d = pd.DataFrame({"t": [1, 2], "e": [0, 0], "arm": ["control", "intervention"]})
    with pytest.raises(CohortFileError, match="no events"):
        cox(d, "t", "e")
