"""Cost-effectiveness: costs and QALYs, the bootstrap, quadrants, Fieller, calibration, the R cross-check.

Tolerances are Monte Carlo errors, derived where they are used (``k`` standard errors, k stated).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from analysis.model.costs import (
    Economics,
    EconomicsError,
    calibrate_economics,
    expected_cost_effectiveness,
    participant_costs,
    resource_use,
)
from analysis.simulate.engine import scenario_for_size, simulate_episodes
from analysis.studies.economics import (
    CEAError,
    CEASettings,
    bootstrap_increments,
    cost_effectiveness,
    describe_increments,
    fieller_interval,
    one_way_sensitivity,
    stacked_trials,
)
from analysis.cli.cea import CALIBRATION_TRIALS
from analysis.trial.published import published_value

REFERENCE = Path(__file__).parent / "r_reference"
K = 4.0  # standard errors allowed for every Monte Carlo comparison below


def _table(d_cost: float, d_qaly: float, n: int = 400, sd_cost: float = 300.0, sd_qaly: float = 0.05,
           seed: int = 0) -> pd.DataFrame:
    """Two arms whose sample means differ by exactly (d_cost, d_qaly)."""
    rng = np.random.default_rng(seed)
    parts = []
    for arm, shift_c, shift_q in (("intervention", d_cost, d_qaly), ("control", 0.0, 0.0)):
        cost = rng.normal(0, sd_cost, n)
        qaly = rng.normal(0, sd_qaly, n)
        parts.append(pd.DataFrame({"arm": arm, "cost": cost - cost.mean() + 1000 + shift_c,
                                   "qaly": qaly - qaly.mean() + 0.7 + shift_q}))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- quadrants and statements
@pytest.mark.parametrize("d_cost, d_qaly, quadrant, start", [
    (400.0, 0.05, "NE", "more costly and more effective: AU$8,000 per QALY gained"),
    (-400.0, 0.05, "SE", "dominant"),
    (-400.0, -0.05, "SW", "less costly and less effective: AU$8,000 saved per QALY lost"),
    (400.0, -0.05, "NW", "dominated"),
])
def test_each_quadrant_gets_its_statement_and_never_a_negative_icer(d_cost, d_qaly, quadrant, start):
    result = cost_effectiveness(_table(d_cost, d_qaly), CEASettings(bootstrap=2000, seed=3))
    assert result.quadrant == quadrant
    assert result.statement.startswith(start)
    assert math.isnan(result.icer) or result.icer > 0
    assert "-" not in result.statement.split(":")[1].split("(")[0]  # no negative ratio in the headline
    # increments this large (z = 8 for the QALYs) put (nearly) every replicate in the same quadrant
    assert result.quadrant_shares[quadrant] > 0.99
    assert sum(result.quadrant_shares.values()) == pytest.approx(1.0)


def test_dominant_intervention_is_cost_effective_at_every_threshold_and_dominated_at_none():
    dominant = cost_effectiveness(_table(-400.0, 0.05), CEASettings(bootstrap=1000, seed=1))
    dominated = cost_effectiveness(_table(400.0, -0.05), CEASettings(bootstrap=1000, seed=1))
    assert (dominant.acceptability["probability"] > 0.99).all()
    assert (dominated.acceptability["probability"] < 0.01).all()
    assert math.isnan(dominant.icer) and math.isnan(dominated.icer)


def test_replicates_spread_over_all_four_quadrants_when_both_increments_are_zero():
    result = cost_effectiveness(_table(0.0, 0.0, n=300), CEASettings(bootstrap=8000, seed=5))
    # Independent, centred increments: each quadrant holds 1/4 of the replicates; binomial MC error.
    se = math.sqrt(0.25 * 0.75 / 8000)
    for q in ("NE", "SE", "SW", "NW"):
        assert abs(result.quadrant_shares[q] - 0.25) < K * se + 0.02, q  # + 0.02: bootstrap vs population
    assert "undefined" in result.statement


def test_near_zero_qaly_difference_gives_no_ratio():
    quadrant, ratio, text = describe_increments(250.0, 1e-12, tolerance=1e-9)
    assert math.isnan(ratio) and "undefined" in text and "AU$250" in text
    assert describe_increments(-250.0, 0.0, tolerance=1e-9)[2].endswith("-AU$250")


def test_settings_and_tables_are_validated_with_one_line():
    with pytest.raises(CEAError, match="bootstrap"):
        CEASettings(bootstrap=-5)
    with pytest.raises(CEAError, match="thresholds"):
        CEASettings(thresholds=(float("nan"),))
    with pytest.raises(CEAError, match="control"):
        cost_effectiveness(pd.DataFrame({"arm": ["intervention"] * 3, "cost": [1.0] * 3, "qaly": [1.0] * 3}))
    with pytest.raises(CEAError, match="finite"):
        cost_effectiveness(pd.DataFrame({"arm": ["intervention", "control"] * 2, "cost": [1.0, np.nan, 1, 1],
                                         "qaly": [1.0] * 4}))
    with pytest.raises(CEAError, match="lacks"):
        cost_effectiveness(pd.DataFrame({"arm": ["intervention", "control"] * 2, "cost": [1.0] * 4}))


# --------------------------------------------------------------------------- bootstrap vs normal approximation
def test_bootstrap_acceptability_agrees_with_normal_approximation_on_a_large_trial():
    rng = np.random.default_rng(42)
    n = 5000
    arm = np.repeat(["intervention", "control"], n)
    # skewed costs (gamma), as trial costs are; QALYs correlated negatively with costs
    cost = rng.gamma(2.0, np.where(arm == "intervention", 330.0, 300.0))
    qaly = 0.75 + np.where(arm == "intervention", 0.004, 0.0) - 0.00005 * (cost - 600) / 10 + rng.normal(0, 0.1, 2 * n)
    table = pd.DataFrame({"arm": arm, "cost": cost, "qaly": qaly})
    B = 20000
    result = cost_effectiveness(table, CEASettings(bootstrap=B, seed=7, wtp_points=41))
    curve = result.acceptability
    p = curve["probability_normal"].to_numpy()
    # MC error of a bootstrap proportion is sqrt(p(1-p)/B); the normal curve has none. With n = 5000 per
    # arm the bootstrap law of the increments is normal to within ~0.003 (cost skewness 1.4 / sqrt(5000)
    # times phi(z)(z^2 - 1)/6 <= 0.002), which the tolerance's +0.003 allows.
    tol = K * np.sqrt(p * (1 - p) / B) + 0.003
    assert (np.abs(curve["probability"].to_numpy() - p) <= tol).all()
    # bootstrap INMB percentile limits vs normal limits: the quantile's MC error is
    # sqrt(q(1-q)/B) / phi(z_q) standard errors of INMB, plus the same small non-normality allowance
    se_inmb = (curve["inmb_upper_normal"] - curve["inmb_lower_normal"]) / (2 * norm.ppf(0.975))
    q_se = math.sqrt(0.025 * 0.975 / B) / norm.pdf(norm.ppf(0.975))
    for side in ("lower", "upper"):
        gap = (curve[f"inmb_{side}"] - curve[f"inmb_{side}_normal"]).abs()
        assert (gap <= (K * q_se + 0.03) * se_inmb).all(), side


def test_fieller_limits_are_where_the_normal_acceptability_curve_crosses_the_tails():
    result = cost_effectiveness(_table(300.0, 0.03, n=500, seed=9), CEASettings(bootstrap=200, seed=1))
    lo, hi, kind = result.fieller
    assert kind == "bounded" and lo < result.icer < hi
    from analysis.studies.economics import acceptability_normal

    at = acceptability_normal([lo, hi], result.delta_cost, result.delta_qaly, result.var_cost, result.var_qaly, result.cov)
    assert at == pytest.approx([0.025, 0.975], abs=1e-9)


def test_fieller_kinds():
    assert fieller_interval(100.0, 0.0001, 50.0**2, 0.01**2, 0.0)[2] == "exclusive"
    assert fieller_interval(0.0, 0.0, 50.0**2, 0.01**2, 0.0)[2] == "unbounded"


def test_bootstrap_is_seeded_and_stratified():
    table = _table(100.0, 0.01, n=50)
    a = bootstrap_increments(table, 300, seed=11)
    b = bootstrap_increments(table, 300, seed=11)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, bootstrap_increments(table, 300, seed=12))
    # stratified: a table whose arms are constant gives the exact difference in every replicate
    const = pd.DataFrame({"arm": ["intervention"] * 5 + ["control"] * 9, "cost": [7.0] * 5 + [2.0] * 9,
                          "qaly": [1.0] * 14})
    assert (bootstrap_increments(const, 100, seed=1)[:, 0] == 5.0).all()


# --------------------------------------------------------------------------- R boot cross-check
def test_agrees_with_r_boot_on_the_same_table():
    ref = json.loads((REFERENCE / "economics.json").read_text())
    table = pd.read_csv(REFERENCE / "data" / "cea_table.csv")
    B = 20000
    result = cost_effectiveness(table, CEASettings(bootstrap=B, seed=2, thresholds=tuple(ref["wtp"])))
    # statistics: exact
    assert result.mean_cost == pytest.approx(ref["mean_cost"], rel=1e-12)
    assert result.mean_qaly == pytest.approx(ref["mean_qaly"], rel=1e-12)
    for key in ("delta_cost", "delta_qaly", "icer", "var_cost", "var_qaly", "cov", "recurrences_prevented"):
        assert getattr(result, key) == pytest.approx(ref[key], rel=1e-9), key
    assert result.fieller[:2] == pytest.approx(ref["fieller"], rel=1e-9)
    rows = result.thresholds.set_index("wtp").loc[ref["wtp"]]
    assert rows["inmb"].to_numpy() == pytest.approx(ref["inmb"], rel=1e-9, abs=1e-9)
    assert rows["probability_normal"].to_numpy() == pytest.approx(ref["ceac_normal"], abs=1e-12)
    # bootstrap: two independent runs of B replicates each (R's RNG and numpy's). The SD of an SD
    # estimate is about SD / sqrt(2B); the difference of two runs has sqrt(2) times that.
    sds = [np.std(result.bootstrap_cost, ddof=1), np.std(result.bootstrap_qaly, ddof=1)]
    for mine, theirs in zip(sds, ref["boot_sd"][:2]):
        assert abs(mine - theirs) <= K * math.sqrt(2) * theirs / math.sqrt(2 * B)
    # percentile limits: quantile MC error sqrt(q(1-q)/B) / phi(z_q) boot SDs, times sqrt(2) for two runs
    q_se = math.sqrt(2) * math.sqrt(0.025 * 0.975 / B) / norm.pdf(norm.ppf(0.975))
    for (lo, hi), theirs, sd in ((result.delta_cost_ci, ref["boot_perc_cost"], ref["boot_sd"][0]),
                                 (result.delta_qaly_ci, ref["boot_perc_qaly"], ref["boot_sd"][1]),
                                 (result.recurrences_prevented_ci, ref["boot_perc_recurrence"], ref["boot_sd"][2])):
        assert abs(lo - theirs[0]) <= K * q_se * sd and abs(hi - theirs[1]) <= K * q_se * sd
    p_r = np.asarray(ref["ceac_boot"])
    tol = K * np.sqrt(2 * np.maximum(p_r * (1 - p_r), 1 / B) / B)
    assert (np.abs(rows["probability"].to_numpy() - p_r) <= tol).all()
    for q, share in ref["quadrant_shares"].items():
        assert abs(result.quadrant_shares[q] - share) <= K * math.sqrt(2 * max(share * (1 - share), 1 / B) / B)


# --------------------------------------------------------------------------- costs and QALYs
def test_costs_add_up_and_follow_the_unit_costs(walkback):
    people, episodes = simulate_episodes(scenario_for_size(walkback, 200), seed=3)
    e = Economics()
    table = participant_costs(people, episodes, e)
    parts = table[["intervention_cost", "healthcare_cost", "medication_cost", "productivity_cost"]].sum(axis=1)
    assert np.allclose(table["cost"], parts)
    assert (table.loc[table["arm"] == "control", "intervention_cost"] == 0).all()
    doubled = participant_costs(people, episodes, replace(e, session_price=2 * e.session_price))
    assert np.allclose(doubled["intervention_cost"] - table["intervention_cost"], table["sessions_attended"] * e.session_price)
    assert (table["qaly"] <= e.baseline_utility * e.horizon_days / 365.25 + 1e-12).all()
    # recurrence within the horizon <=> the primary endpoint observed before it (same history)
    expected = ((people["recurrence"] == 1) & (people["time_days"] < e.horizon_days)).astype(int)
    assert (table["recurrence"].to_numpy() == expected.to_numpy()).all()
    # followed for the whole horizon: nothing filled in, and the days are bounded by it
    full = people["followup_days"].to_numpy() >= e.horizon_days
    assert np.allclose(table["observed_days"][full], e.horizon_days)
    assert (table["activity_limiting_days"] <= table["episode_days"] + 1e-9).all()
    assert (table["episode_days"] <= e.horizon_days + 1e-9).all()


def test_overlaps_merged_episodes_cut_and_loss_to_follow_up_filled_in_at_the_arm_rates():
    """Hand-worked table: overlaps count once, episodes are cut at the horizon and at the end of
    follow-up, an open episode runs to the cut, and the rest of a short follow-up is filled in."""
    people = pd.DataFrame({"participant_id": [1, 2, 3, 4], "arm": ["control", "intervention", "control", "intervention"],
                           "started_programme": [0, 1, 0, 0], "followup_days": [400.0, 400.0, 200.0, 100.0]})
    eps = pd.DataFrame({"participant_id": [1, 1, 1, 1, 2, 3],
                        "onset_day": [10.0, 15.0, 18.0, 360.0, 50.0, 100.0],
                        "recovery_day": [20.0, 30.0, 25.0, np.nan, 60.0, 110.0],
                        "activity_limiting": [1, 0, 1, 1, 1, 1], "care_seeking": [1, 0, 0, 0, 0, 1]})
    use = resource_use(people, eps, 365.0)
    # participant 1: union 10-30 and 360-365 -> 25 episode days; limiting 10-25 and 360-365 -> 20
    assert use.episode_days[0] == pytest.approx(25.0) and use.activity_limiting_days[0] == pytest.approx(20.0)
    assert use.days_after_recurrence[0] == pytest.approx(355.0) and use.care_seeking_episodes[0] == 1
    # participant 3 (control, followed 200 days): 165 days filled in at the control rates per observed day
    assert use.observed_days.tolist() == [365.0, 365.0, 200.0, 100.0]
    assert use.episode_days[2] == pytest.approx(10 + 165 * 35 / 565)
    assert use.activity_limiting_days[2] == pytest.approx(10 + 165 * 30 / 565)
    assert use.care_seeking_episodes[2] == pytest.approx(1 + 165 * 2 / 565)
    assert use.days_after_recurrence[2] == pytest.approx(265.0)  # recurrence observed: known to the horizon
    # participant 4 (intervention, followed 100 days, no recurrence): expected days after a first
    # recurrence in the remaining 265 days at the intervention rate 1 / (50 + 100) per day at risk
    lam, rest = 1 / 150, 265.0
    assert use.days_after_recurrence[3] == pytest.approx(rest - (1 - math.exp(-lam * rest)) / lam)
    assert use.episode_days[3] == pytest.approx(rest * 10 / 465) and use.recurrence.tolist() == [1, 1, 1, 0]


def test_merged_episode_days_match_a_participant_by_participant_loop(walkback):
    people, eps = simulate_episodes(scenario_for_size(walkback, 300), seed=11)
    horizon = 365.0
    use = resource_use(people, eps, horizon)
    full = people["followup_days"].to_numpy() >= horizon
    for idx in np.flatnonzero(full):  # followed for the whole horizon: plain union lengths, nothing filled in
        pid = people["participant_id"].iloc[idx]
        mine = eps[eps["participant_id"] == pid]
        for kind, got in (("any", use.episode_days[idx]), ("limiting", use.activity_limiting_days[idx])):
            rows = mine if kind == "any" else mine[mine["activity_limiting"] == 1]
            covered, reach = 0.0, 0.0
            for s, e in sorted(zip(rows["onset_day"], rows["recovery_day"].fillna(np.inf))):
                s, e = min(s, horizon), min(e, horizon)
                covered += max(0.0, e - max(s, reach))
                reach = max(reach, e)
            assert got == pytest.approx(covered, abs=1e-9)
    overlapping = (eps.groupby("participant_id")["recovery_day"].shift() > eps["onset_day"]).sum()
    assert overlapping > 0  # the check above met overlapping episodes


def test_sessions_default_is_the_published_programme():
    assert Economics().sessions == published_value("sessions")


def test_episode_table_must_match_the_participants():
    people = pd.DataFrame({"participant_id": [1, 2], "arm": ["control", "intervention"], "started_programme": [0, 1]})
    bad = pd.DataFrame({"participant_id": [9], "onset_day": [1.0], "recovery_day": [2.0], "activity_limiting": [1],
                        "care_seeking": [0]})
    with pytest.raises(EconomicsError, match="not in the participant table"):
        participant_costs(people, bad)
    with pytest.raises(EconomicsError, match="recovery_day"):
        participant_costs(people, bad.assign(participant_id=1, recovery_day=0.5))


def test_tornado_moves_each_assumption_alone(walkback):
    people, eps = simulate_episodes(walkback, seed=2)
    tornado = one_way_sensitivity(people, eps, Economics())
    assert (tornado["swing"].diff().dropna() <= 1e-9).all()
    row = tornado.set_index("parameter").loc["session_price"]
    share = people.loc[people["arm"] == "intervention", "started_programme"].mean()
    # INMB falls by (price change) x sessions x share of starters
    assert row["inmb_low"] - row["inmb_high"] == pytest.approx(Economics().session_price * 6 * share, rel=1e-9)


# --------------------------------------------------------------------------- calibration
def test_calibration_solves_its_two_parameters_exactly(walkback):
    big, episodes = stacked_trials(walkback, 10, seed=5)
    report = calibrate_economics(big, episodes, Economics())
    assert report.summary["relative_residual"].abs().max() < 1e-6
    assert "episode engine" in report.message and "interim" not in report.to_dict()
    with pytest.raises(EconomicsError, match="free"):
        calibrate_economics(big, episodes, free=("sessions", "materials"))


@pytest.mark.slow
def test_default_economics_reproduce_the_published_icer_and_probability_over_seeded_trials(walkback):
    """The default Economics (calibrated on the episode engine) against ICER 7,802 and P = 0.94 at AU$28,000.

    ``P`` is calibrated as Phi(E[INMB] / SE) for a 351 + 350 trial, which is the MEDIAN over trials of a
    trial's own probability (that is monotone in the trial's INMB); the mean over trials is lower.
    The defaults were solved by ``walkback cea --calibrate`` on CALIBRATION_TRIALS replicates of seed 0,
    so each tolerance adds that run's Monte Carlo error to this one's: SE x sqrt(1 + trials / calibration trials).
    """
    trials = 3000
    people, episodes = stacked_trials(walkback, trials, seed=100_000)  # a seed the calibration did not use
    table = participant_costs(people, episodes, Economics())
    table["replicate"] = people["replicate"].to_numpy()
    wtp = published_value("cea_wtp_threshold")
    inflate = math.sqrt(1 + trials / CALIBRATION_TRIALS)
    pooled = expected_cost_effectiveness(table, wtp, 351, 350)
    # ICER of the pooled table: delta-method SE of dC/dE from the trial-to-trial spread
    per = table.groupby(["replicate", "arm"])[["cost", "qaly"]].mean().unstack("arm")
    d_c = (per[("cost", "intervention")] - per[("cost", "control")]).to_numpy()
    d_e = (per[("qaly", "intervention")] - per[("qaly", "control")]).to_numpy()
    icer = d_c.mean() / d_e.mean()
    grad = np.array([1 / d_e.mean(), -icer / d_e.mean()])
    se_icer = math.sqrt(grad @ np.cov(np.vstack([d_c, d_e])) @ grad / trials) * inflate
    assert icer == pytest.approx(pooled.icer, rel=1e-9)
    assert abs(icer - published_value("icer_aud_per_qaly")) <= K * se_icer, (icer, se_icer)
    # each trial's normal-approximation probability; its median over trials vs 0.94
    var = table.assign(nmb=wtp * table["qaly"] - table["cost"]).groupby(["replicate", "arm"])["nmb"].var().unstack("arm")
    se = np.sqrt(var["intervention"] / 351 + var["control"] / 350).to_numpy()
    p = norm.cdf((wtp * d_e - d_c) / se)
    median = float(np.median(p))
    # SE of a sample median: 1.2533 sd / sqrt(R) on the z scale, mapped back through the normal density
    z = norm.ppf(p)
    se_median = norm.pdf(np.median(z)) * 1.2533 * np.std(z) / math.sqrt(trials) * inflate
    assert abs(median - published_value("prob_cost_effective")) <= K * se_median, (median, se_median)
    assert K * se_median <= 0.02  # the derived tolerance is within the 0.02
