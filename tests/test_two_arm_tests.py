"""The two-arm test family (analysis.stats.two_arm_tests): equal to R, to a brute-force loop, and to its null law.

- FH(rho, 0) against R's ``survdiff(Surv(time, event) ~ group [+ strata(s)], rho = rho)`` to 1e-8 (chi-square,
  weighted observed and expected, variance): the numbers are in tests/r_reference/fh_reference.json, written by
  ``Rscript tests/r_reference/make_fh_reference.R`` (R 4.2.2, survival 3.5-3); tests/test_r_reference.py reruns the
  script (marker ``r``) and checks R still gives them.
- FH(rho, gamma) and MaxCombo by double programming: a plain loop over strata and event times written here, and
  the MaxCombo p-value by adaptive 2-D quadrature (scipy.integrate.dblquad) of the same normal law.
- Null law: 10,000 simulated null trials, type I error within 4 Monte Carlo SE of alpha (slow).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from analysis.errors import CohortFileError, WalkBackInputError
from analysis.stats.survival import rmst
from analysis.stats.two_arm_tests import (
    TestChoice, choose_test, maxcombo_p, two_arm_test, two_arm_tests_batch,
)

HERE = Path(__file__).parent / "r_reference"
REFERENCE = json.loads((HERE / "fh_reference.json").read_text())


def _data(cfg: dict) -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / cfg["file"])


def _levels(df: pd.DataFrame, group: str) -> list[str]:
    return sorted(df[group].astype(str).unique())  # R's factor levels


# ---------------------------------------------------------------------------------------------- equal to R
R_CASES = [(name, k) for name, cfg in REFERENCE["sets"].items() for k in range(len(cfg["fits"]))]


@pytest.mark.parametrize(("name", "k"), R_CASES)
def test_fh_rho_equals_survdiff(name, k):
    # R: survdiff(Surv(time, event) ~ group [+ strata(s)], rho = rho); see make_fh_reference.R
    cfg = REFERENCE["sets"][name]
    fit = cfg["fits"][k]
    df = _data(cfg)
    reference, other = _levels(df, cfg["group"])
    strata = [cfg["strata"]] if fit["stratified"] else []
    res = two_arm_test(df, "fh", cfg["time"], cfg["event"], cfg["group"], reference, strata=strata,
                       rho=fit["rho"], gamma=0)
    assert res.chisq == pytest.approx(fit["chisq"], rel=1e-8, abs=1e-12)
    assert res.details["variance"] == pytest.approx(fit["variance"], rel=1e-8)
    assert res.details["observed"] == pytest.approx([fit["observed"][reference], fit["observed"][other]], rel=1e-8)
    assert res.details["expected"] == pytest.approx([fit["expected"][reference], fit["expected"][other]], rel=1e-8)
    if fit["rho"] == 0:  # FH(0, 0) is the log-rank test
        lr = two_arm_test(df, "logrank", cfg["time"], cfg["event"], cfg["group"], reference, strata=strata)
        assert lr.chisq == pytest.approx(fit["chisq"], rel=1e-8)


# ---------------------------------------------------------------------------------------------- brute force
def brute_force_scores(t, e, x, s, weights):
    """Plain loops: per stratum, per distinct event time, the pooled KM before it and the weighted terms."""
    k = len(weights)
    u = [0.0] * k
    cov = [[0.0] * k for _ in range(k)]
    for stratum in sorted(set(s)):
        rows = [i for i in range(len(t)) if s[i] == stratum]
        surv = 1.0
        for time in sorted({t[i] for i in rows if e[i] == 1}):
            n = sum(1 for i in rows if t[i] >= time)
            n1 = sum(1 for i in rows if t[i] >= time and x[i] == 1)
            d = sum(1 for i in rows if t[i] == time and e[i] == 1)
            d1 = sum(1 for i in rows if t[i] == time and e[i] == 1 and x[i] == 1)
            w = [surv ** rho * (1 - surv) ** gamma for rho, gamma in weights]
            v = d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1) if n > 1 else 0.0
            for a in range(k):
                u[a] += w[a] * (d1 - d * n1 / n)
                for b in range(k):
                    cov[a][b] += w[a] * w[b] * v
            surv *= 1 - d / n
    return u, cov


def brute_force_maxcombo_p(u, cov):
    """P(max |Z| >= observed) for (Z00, Z01, Z10) = U / sd, by adaptive quadrature over (Z10, Z01)."""
    sd = [math.sqrt(cov[i][i]) for i in range(3)]
    z = [u[i] / sd[i] for i in range(3)]
    m = max(abs(v) for v in z)
    r = cov[1][2] / (sd[1] * sd[2])
    a, b = sd[2] / sd[0], sd[1] / sd[0]  # Z00 = a Z10 + b Z01 because U00 = U10 + U01
    density = lambda y, x: math.exp(-(x * x - 2 * r * x * y + y * y) / (2 * (1 - r * r))) / (
        2 * math.pi * math.sqrt(1 - r * r))
    inside, _ = integrate.dblquad(density, -m, m, lambda x: max(-m, (-m - a * x) / b),
                                  lambda x: min(m, (m - a * x) / b), epsabs=1e-11, epsrel=1e-10)
    return z, 1 - inside


def _datasets():
    out = []
    for name, cfg in REFERENCE["sets"].items():
        df = _data(cfg)
        reference, _ = _levels(df, cfg["group"])
        out.append((name, df, cfg, reference))
    return out


DATASETS = _datasets()


@pytest.mark.parametrize(("name", "df", "cfg", "reference"), DATASETS, ids=[d[0] for d in DATASETS])
@pytest.mark.parametrize(("rho", "gamma"), [(0, 1), (1, 1), (0, 0.5), (2, 3)])
@pytest.mark.parametrize("stratified", [False, True])
def test_fh_equals_brute_force(name, df, cfg, reference, rho, gamma, stratified):
    if stratified and cfg["strata"] is None:
        pytest.skip("no strata in this data set")
    strata = [cfg["strata"]] if stratified else []
    t = df[cfg["time"]].astype(float).tolist()
    e = df[cfg["event"]].astype(int).tolist()
    x = [int(str(v) != reference) for v in df[cfg["group"]]]
    s = df[cfg["strata"]].astype(str).tolist() if stratified else [0] * len(t)
    u, cov = brute_force_scores(t, e, x, s, [(rho, gamma)])
    res = two_arm_test(df, "fh", cfg["time"], cfg["event"], cfg["group"], reference, strata=strata, rho=rho,
                       gamma=gamma)
    assert res.z == pytest.approx(u[0] / math.sqrt(cov[0][0]), rel=1e-9)
    assert res.details["variance"] == pytest.approx(cov[0][0], rel=1e-9)


@pytest.mark.parametrize(("name", "df", "cfg", "reference"), DATASETS, ids=[d[0] for d in DATASETS])
def test_maxcombo_equals_brute_force(name, df, cfg, reference):
    t = df[cfg["time"]].astype(float).tolist()
    e = df[cfg["event"]].astype(int).tolist()
    x = [int(str(v) != reference) for v in df[cfg["group"]]]
    u, cov = brute_force_scores(t, e, x, [0] * len(t), [(0, 0), (0, 1), (1, 0)])
    z, p = brute_force_maxcombo_p(u, cov)
    res = two_arm_test(df, "maxcombo", cfg["time"], cfg["event"], cfg["group"], reference)
    assert [c["z"] for c in res.details["components"]] == pytest.approx(z, rel=1e-9)
    assert abs(res.z) == pytest.approx(max(abs(v) for v in z), rel=1e-9)
    assert res.p == pytest.approx(p, rel=1e-6, abs=1e-10)
    corr = np.array(cov) / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    np.testing.assert_allclose(res.details["correlation"], corr, rtol=1e-9)


@pytest.mark.parametrize(("r", "a_share", "m"), [(0.2, 0.5, 1.0), (0.57, 0.7, 2.2), (0.9, 0.3, 3.1), (-0.3, 0.5, 2.0)])
def test_maxcombo_p_equals_quadrature_across_correlations(r, a_share, m):
    # a law of rank 2 built from V10, V01 and their covariance; Z01 at the maximum m
    v10, v01 = a_share, 1 - a_share
    c = r * math.sqrt(v10 * v01)
    cov = [[v10 + v01 + 2 * c, v01 + c, v10 + c], [v01 + c, v01, c], [v10 + c, c, v10]]
    u = [0.0, m * math.sqrt(v01), 0.0]
    _, p = brute_force_maxcombo_p(u, cov)
    z = [u[i] / math.sqrt(cov[i][i]) for i in range(3)]
    assert float(maxcombo_p(z[0], z[1], z[2], cov[0][0], cov[1][1], cov[2][2], c)[0]) == pytest.approx(p, abs=1e-10)


# ---------------------------------------------------------------------------------------------- batch = one at a time
def _stacked(n_rows=6, n=120, seed=4):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (n_rows, n))
    t = np.ceil(rng.exponential(100 * np.where(x == 1, 1.4, 1.0)))  # whole days: ties
    c = rng.uniform(50, 400, (n_rows, n))
    return np.minimum(t, np.ceil(c)), (t <= c).astype(int), x


def test_batch_equals_one_trial_at_a_time():
    time, event, group = _stacked()
    tau = 200.0
    tests = [choose_test(n) for n in ("logrank", "fh01", "fh10", "maxcombo")] + [choose_test("rmst", tau=tau)]
    out = two_arm_tests_batch(time, event, group, tests)
    for i in range(time.shape[0]):
        df = pd.DataFrame({"t": time[i], "e": event[i], "arm": np.where(group[i] == 1, "walking", "control")})
        for test in tests:
            one = two_arm_test(df, test, "t", "e")
            assert out[test.name].p[i] == pytest.approx(one.p, rel=1e-9)
            assert out[test.name].z[i] == pytest.approx(one.z, rel=1e-9)
        r = rmst(df, "t", "e", tau=tau)  # the RMST of record (checked against R in test_estimate)
        assert out["rmst"].z[i] == pytest.approx(r.difference / math.hypot(*r.se), rel=1e-10)


def test_batch_stratified_equals_one_trial():
    time, event, group = _stacked(n_rows=3)
    strata = np.random.default_rng(9).integers(0, 3, time.shape)
    out = two_arm_tests_batch(time, event, group, [choose_test("fh", rho=1, gamma=1)], strata=strata)
    for i in range(3):
        df = pd.DataFrame({"t": time[i], "e": event[i], "arm": np.where(group[i] == 1, "walking", "control"),
                           "s": strata[i]})
        assert out["fh_1_1"].chisq[i] == pytest.approx(two_arm_test(df, "fh", "t", "e", strata=["s"], rho=1,
                                                                    gamma=1).chisq, rel=1e-10)


# ---------------------------------------------------------------------------------------------- choices and bad input
def test_names_and_results():
    assert [choose_test(n).name for n in ("logrank", "fh01", "fh10", "maxcombo")] == \
        ["logrank", "fh_0_1", "fh_1_0", "maxcombo"]
    assert choose_test("fh", rho=0.5, gamma=2).weights == ((0.5, 2.0),)
    df = _data(REFERENCE["sets"]["walkback_seed1"])
    res = two_arm_test(df, "maxcombo")
    d = res.to_dict()
    assert d["test"] == "maxcombo" and set(d) >= {"chisq", "p", "z", "direction", "details"}
    assert res.summary.loc[0, "test"] == "maxcombo"
    # every test reads its direction the same way: fewer recurrences on walking favour walking
    for name in ("logrank", "fh01", "fh10", "maxcombo"):
        assert two_arm_test(df, name).direction == "favours intervention"
    assert two_arm_test(df, "rmst", tau=365.25).direction == "favours intervention"
    json.dumps(d, allow_nan=False)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"test": "fh", "rho": -1}, "rho = -1"),
    ({"test": "fh", "gamma": float("nan")}, "gamma = nan"),
    ({"test": "fh01", "rho": 1}, "go with the test 'fh'"),
    ({"test": "wilcoxon"}, "not one of"),
    ({"test": "rmst", "tau": 0}, "positive"),
    ({"test": "logrank", "tau": 10}, "tau goes with"),
])
def test_bad_choices_say_what_to_change(kwargs, message):
    with pytest.raises(WalkBackInputError, match=message):
        choose_test(kwargs.pop("test"), **kwargs)


def test_rmst_beyond_follow_up_is_refused():
    df = _data(REFERENCE["sets"]["aml"])
    with pytest.raises(CohortFileError, match="beyond the follow-up"):
        two_arm_test(df, "rmst", "time", "status", "x", "Maintained", tau=1e6)
    with pytest.raises(WalkBackInputError, match="kind"):
        TestChoice("kind")


# ---------------------------------------------------------------------------------------------- null law
@pytest.mark.slow
def test_type_one_error_of_null_trials_is_alpha():
    # 10,000 trials of 300 participants, the same exponential hazard in both arms, uniform censoring.
    # Tolerance: 4 Monte Carlo SE of the rejection rate, 4 sqrt(alpha (1 - alpha) / 10,000) = 0.0087 at alpha 0.05.
    n_sims, n, alpha = 10_000, 300, 0.05
    rng = np.random.default_rng(20)
    group = np.tile(np.arange(n) % 2, (n_sims, 1))
    event_time = rng.exponential(365.0, (n_sims, n))
    censor = rng.uniform(180, 1100, (n_sims, n))
    time, event = np.minimum(event_time, censor), (event_time <= censor).astype(int)
    tests = [choose_test(n) for n in ("fh01", "fh10", "maxcombo", "logrank")] + [choose_test("rmst", tau=365.0)]
    out = two_arm_tests_batch(time, event, group, tests)
    tolerance = 4 * math.sqrt(alpha * (1 - alpha) / n_sims)
    for test in tests:
        rate = float(np.mean(out[test.name].p < alpha))
        assert abs(rate - alpha) < tolerance, (test.name, rate)


@pytest.mark.slow
def test_type_one_error_under_the_calibrated_model_without_its_walking_effect():
    # 10,000 simulated WalkBack trials (701 participants, whole-day times with ties, the trial's censoring) with the
    # walking effect rescaled to an expected HR of 1: every test rejects at alpha within 4 Monte Carlo SE (0.0087).
    from analysis.model.default import default_scenario
    from analysis.studies.power import scenario_with_hr
    from analysis.studies.power_by_test import simulated_power_by_test

    null = scenario_with_hr(default_scenario(), 1.0)
    result = simulated_power_by_test(null, 10_000, seed=2020)
    tolerance = 4 * math.sqrt(0.05 * 0.95 / 10_000)
    for name, rate in zip(result.tests, result.power):
        assert abs(rate - 0.05) < tolerance, (name, rate)
