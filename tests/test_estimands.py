"""Estimands: estimators against the truth known from the potential outcomes.

Tolerances come from Monte Carlo error. Over R replicate trials the mean of an estimator has
Monte Carlo SE ``sd / sqrt(R)`` (``bias_mcse``); the truth itself comes from 200,000 simulated
participants and has its own error (``truth_mcse`` for differences; for log hazard ratios about
``sqrt(4 / events) / sqrt(2)`` with ~280,000 paired events, i.e. below 0.003 -- 0.005 is used).
A check fails when the bias exceeds 3.5 combined SEs (two-sided p = 0.0005 per check under the
null, so about 0.3% for the seven estimands together). Coverage over R replicates is binomial:
SE ``sqrt(0.95 * 0.05 / R)``, 0.0109 at R = 400, so coverage must lie within 0.95 +- 3.5 SE
(+-0.038). All runs are seeded, so the tests are deterministic; the tolerances say how far
chance alone could have moved them.
"""

import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

from analysis.model.expectation import expected_trial
from analysis.errors import WalkBackInputError
from analysis.studies.estimands import (
    ESTIMANDS,
    estimand_replicates,
    estimate_estimands,
    km_landmark_rmst,
    true_estimands,
)
from analysis.stats.survival import kaplan_meier, rmst
from analysis.trial.scenario import with_changes
from analysis.simulate.engine import simulate_trial

LOG_HR_TRUTH_ERROR = 0.005
Z = 3.5


def full_adherence(base):
    return with_changes(base, {"adherence.never_start": 0.0, "adherence.mean_adherence": 1.0,
                               "adherence.adherence_spread": 0.0})


def healthy_adherer(base):
    return with_changes(base, {"outcome.baseline_risk_sd": 0.9, "adherence.healthy_adherer_correlation": 0.6,
                               "adherence.never_start": 0.2})


def combined_se(row) -> float:
    truth_error = LOG_HR_TRUTH_ERROR if row.scale == "hr" else row.truth_mcse
    return math.hypot(row.bias_mcse, truth_error)


# --------------------------------------------------------------------------- Kaplan-Meier pieces
def test_km_landmark_and_rmst_match_the_r_checked_estimators(walkback):
    cohort = simulate_trial(walkback, seed=21)
    for arm in ("control", "intervention"):
        sub = cohort[cohort.arm == arm]
        s, psi_s, var_s, r, psi_r, var_r = km_landmark_rmst(sub.time_days.to_numpy(), sub.recurrence.to_numpy(),
                                                            365.25, 730.5)
        ref = rmst(cohort, tau=730.5)
        index = ref.levels.index(arm)
        assert r == pytest.approx(ref.rmst[index], rel=1e-12)
        assert math.sqrt(var_r) == pytest.approx(ref.se[index], rel=1e-10)
        # the influence functions' variance is Greenwood's asymptotically: within 3% at 350 participants
        assert math.sqrt(np.sum(psi_r ** 2)) == pytest.approx(ref.se[index], rel=0.03)
        assert math.sqrt(np.sum(psi_s ** 2)) == pytest.approx(math.sqrt(var_s), rel=0.03)
        landmarks = kaplan_meier(cohort, landmarks=(365.25,)).landmarks.set_index("level")
        assert s == pytest.approx(float(landmarks.loc[arm, "survival"]), rel=1e-12)
        assert abs(np.sum(psi_s)) < 1e-8 and abs(np.sum(psi_r)) < 1e-6  # influence functions sum to zero


def test_km_landmark_against_a_hand_computed_curve():
    time = np.array([2.0, 3, 3, 5, 8, 9, 12])
    event = np.array([1, 1, 0, 1, 0, 1, 0])
    s, psi_s, var_s, r, psi_r, var_r = km_landmark_rmst(time, event, 6.0, 10.0)
    # at risk 7, 6 (one death, one censoring at 3), 4 at 5
    expected = (6 / 7) * (5 / 6) * (3 / 4)
    assert s == pytest.approx(expected)
    area = 2 * 1 + 1 * (6 / 7) + 2 * (5 / 7) + 4 * expected + 1 * expected * (1 / 2)
    assert r == pytest.approx(area)
    greenwood = expected ** 2 * (1 / (7 * 6) + 1 / (6 * 5) + 1 / (4 * 3))
    assert var_s == pytest.approx(greenwood)


# --------------------------------------------------------------------------- truth
def test_never_starters_have_the_same_outcome_in_both_arms(walkback):
    """The exclusion restriction behind the CACE holds in the simulator for 'started' compliers."""
    cohort = simulate_trial(healthy_adherer(walkback), seed=4, potential_outcomes=True)
    never = cohort.would_start == 0
    assert never.sum() > 50
    assert (cohort.recurrence_day_if_control[never] == cohort.recurrence_day_if_intervention[never]).all()


def test_population_truth_agrees_with_the_expected_trial(walkback):
    truth = true_estimands(walkback).set_index("estimand")
    e = expected_trial(walkback)
    assert truth.loc["itt_hr", "truth"] == pytest.approx(e.cox_hr, abs=0.005)
    land = e.survival_at(365.25, "intervention") - e.survival_at(365.25, "control")
    assert abs(truth.loc["itt_landmark_diff", "truth"] - land) < Z * truth.loc["itt_landmark_diff", "truth_mcse"] + 0.002
    rmst_diff = e.rmst(730.5, "intervention") - e.rmst(730.5, "control")
    # + 1 day: expected_trial integrates on a 4- to 10-day grid
    assert abs(truth.loc["itt_rmst_diff", "truth"] - rmst_diff) < Z * truth.loc["itt_rmst_diff", "truth_mcse"] + 1.0


def test_estimate_estimands_table(walkback):
    cohort = simulate_trial(walkback, seed=9, potential_outcomes=True)
    result = estimate_estimands(cohort, walkback)
    table = result.summary
    assert table.estimand.tolist() == list(ESTIMANDS)
    assert {"estimate", "lower", "upper", "se", "truth", "sample_truth", "bias", "covers", "n_used"} <= set(table.columns)
    assert (table.lower <= table.estimate).all() and (table.estimate <= table.upper).all()
    assert table.sample_truth.notna().all()
    assert 0.9 < result.complier_share < 1.0
    json.dumps(result.to_dict())
    observed_only = estimate_estimands(simulate_trial(walkback, seed=9), walkback)
    assert observed_only.summary.sample_truth.isna().all()
    pd.testing.assert_series_equal(observed_only.summary.estimate, table.estimate)


@pytest.mark.parametrize("overrides, message", [
    ({"complier": "everyone"}, "complier"),
    ({"adherence_threshold": 1.5}, "adherence_threshold"),
    ({"landmark_days": 5000.0}, "maximum follow-up"),
    ({"tau_days": float("nan")}, "tau_days"),
    ({"unknown_knob": 1}, "unknown"),
])
def test_bad_settings_are_input_errors(walkback, overrides, message):
    cohort = simulate_trial(walkback, seed=1)
    with pytest.raises(WalkBackInputError, match=message):
        estimate_estimands(cohort, walkback, **overrides)


def test_replicates_do_not_depend_on_the_executor(walkback):
    a = estimand_replicates(walkback, 6, seed=3, chunk_size=6)
    with ThreadPoolExecutor(2) as pool:
        b = estimand_replicates(walkback, 6, seed=3, chunk_size=2, executor=pool)
    pd.testing.assert_frame_equal(a.per_replicate, b.per_replicate, check_exact=True)
    json.dumps(a.to_dict())


# --------------------------------------------------------------------------- the statistical claims
@pytest.mark.slow
def test_without_confounding_and_with_full_adherence_every_estimator_finds_the_truth(walkback):
    scenario = full_adherence(walkback)
    result = estimand_replicates(scenario, 200, seed=11)
    summary = result.summary.set_index("estimand")
    for key, row in summary.iterrows():
        assert abs(row.bias) < Z * combined_se(row), (key, row.bias, combined_se(row))
    # with everyone adherent, per-protocol and CACE are the ITT analysis
    assert summary.loc["per_protocol_hr", "truth"] == summary.loc["itt_hr", "truth"]
    assert summary.loc["cace_rmst_diff", "truth"] == summary.loc["itt_rmst_diff", "truth"]


@pytest.mark.slow
def test_healthy_adherers_bias_per_protocol_while_the_cace_interval_covers(walkback):
    scenario = healthy_adherer(walkback)
    result = estimand_replicates(scenario, 400, seed=12)
    summary = result.summary.set_index("estimand")
    # per-protocol and as-treated exaggerate the benefit: log HR below the truth by far more than chance
    for key in ("per_protocol_hr", "as_treated_hr"):
        row = summary.loc[key]
        assert row.bias + Z * combined_se(row) < 0, (key, row.bias)
        assert row.mean_estimate < row.truth
    # ITT and CACE stay unbiased and their 95% CIs cover about 95% of the time
    coverage_tolerance = Z * math.sqrt(0.95 * 0.05 / 400)
    for key in ("itt_hr", "itt_landmark_diff", "itt_rmst_diff", "cace_landmark_diff", "cace_rmst_diff"):
        row = summary.loc[key]
        assert abs(row.bias) < Z * combined_se(row), (key, row.bias)
        assert abs(row.coverage - 0.95) < coverage_tolerance, (key, row.coverage)


@pytest.mark.slow
def test_adherent_compliers_break_the_exclusion_restriction(walkback):
    """With 'adherent' compliers low adherers still benefit, so ITT / share over-states their effect."""
    scenario = with_changes(walkback, {"adherence.never_start": 0.1, "adherence.mean_adherence": 0.6,
                                       "adherence.adherence_spread": 1.5})
    result = estimand_replicates(scenario, 150, seed=13, complier="adherent", adherence_threshold=0.8)
    row = result.summary.set_index("estimand").loc["cace_rmst_diff"]
    assert row.bias - Z * combined_se(row) > 0, (row.bias, combined_se(row))
