"""Clinics in the scenario and the simulator: labels, frailty, clinic randomisation, validation."""

import math

import numpy as np
import pytest

from analysis import Scenario, simulate_trial
from analysis.errors import ScenarioError
from analysis.simulate.engine import simulate_trials
from analysis.trial.scenario import Clinics, icc_to_sigma, scenario_from_dict, with_changes
from analysis.trial.sharing import ShareError, decode_scenario, encode_scenario

BASE = Scenario()


def test_default_has_25_clinics_no_clustering_and_round_trips():
    c = BASE.clinics
    assert (c.n_clinics, c.icc, c.randomise) == (25, 0.0, "participant")
    changed = with_changes(BASE, {"clinics.icc": 0.05, "clinics.size_distribution": "gamma"})
    assert scenario_from_dict(changed.to_dict()) == changed
    assert decode_scenario(encode_scenario(changed, base=BASE), base=BASE) == changed


@pytest.mark.parametrize("changes, text", [
    ({"icc": 1.0}, "in [0, 1)"), ({"icc": -0.1}, "in [0, 1)"), ({"n_clinics": 1}, "at least 2 clinics"),
    ({"randomise": "ward"}, "participant, cluster"), ({"size_distribution": "zipf"}, "equal, gamma"),
])
def test_bad_settings_give_one_message(changes, text):
    with pytest.raises(ScenarioError, match=text.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        Clinics(**changes)


def test_bad_link_parameter_names_it():
    with pytest.raises(ShareError, match="link parameter icc"):
        decode_scenario({"icc": "1"}, base=BASE)


def test_icc_definition():
    s = icc_to_sigma(0.05)
    assert s * s / (s * s + math.pi ** 2 / 6) == pytest.approx(0.05, rel=1e-12)


def test_clinic_settings_leave_every_other_column_unchanged():
    plain = simulate_trial(BASE, seed=3)
    gamma = simulate_trial(with_changes(BASE, {"clinics.size_distribution": "gamma", "clinics.n_clinics": 40}), seed=3)
    assert plain.drop(columns="clinic").equals(gamma.drop(columns="clinic"))
    assert sorted(plain.clinic.unique()) == list(range(1, 26))
    assert plain.clinic.value_counts().max() - plain.clinic.value_counts().min() <= 1
    # the ICC changes outcomes only: labels and allocation stay
    icc = simulate_trial(with_changes(BASE, {"clinics.icc": 0.2}), seed=3)
    assert icc.clinic.equals(plain.clinic) and icc.arm.equals(plain.arm)
    assert not icc.time_days.equals(plain.time_days)


def test_cluster_randomisation_gives_whole_clinics_one_arm():
    s = with_changes(BASE, {"clinics.randomise": "cluster"})
    c = simulate_trial(s, seed=5)
    assert c.groupby("clinic").arm.nunique().max() == 1
    assert (c.groupby("clinic").arm.first() == "intervention").sum() == 13  # rint(25 * 351 / 701)
    assert (c.block_id == 0).all()
    batch = simulate_trials(s, [5], with_clinic=True)
    np.testing.assert_array_equal(batch.intervention[0], (c.arm == "intervention").to_numpy())
    np.testing.assert_array_equal(batch.clinic[0] + 1, c.clinic.to_numpy())
    with pytest.raises(ScenarioError, match="at least one participant per clinic"):
        with_changes(s, {"design.n_intervention": 5, "design.n_control": 5})


def test_frailty_reaches_the_icc_it_states():
    """Between-clinic variance of log frailty: sigma^2 (chi-square, 2000 trials x 25 clinics; 4 SE)."""
    from analysis.simulate.engine import _clinic_draws

    s = with_changes(BASE, {"clinics.icc": 0.05})
    _, frailty, _ = _clinic_draws(s, np.arange(2000), 701, np.arange(2000 * 701).reshape(2000, 701) % 2 == 0)
    logf = np.log(frailty)
    sigma2 = icc_to_sigma(0.05) ** 2
    se = sigma2 * math.sqrt(2 / logf.size)
    assert abs(logf.var() - sigma2) < 4 * se
    assert abs(frailty.mean() - 1) < 4 * frailty.std() / math.sqrt(frailty.size)


# --------------------------------------------------------------------------- design effect
def test_analytic_design_effect():
    from analysis.studies.clinics import analytic_design_effect

    assert analytic_design_effect(700, 25, 0.0) == 1.0
    assert analytic_design_effect(700, 25, 0.05) == pytest.approx(1 + 27 * 0.05)
    assert analytic_design_effect(700, 25, 0.05, size_cv=0.5) == pytest.approx(1 + (1.25 * 28 - 1) * 0.05)


@pytest.mark.slow
def test_no_clustering_means_no_design_effect():
    """ICC 0: randomising clinics costs (almost) nothing; the simulated design effect is 1 within 4 MC SE
    (600 paired trials; the SE is the delta-method one of the variance ratio)."""
    from analysis.model.default import default_scenario
    from analysis.studies.clinics import clinic_design_effect

    d = clinic_design_effect(default_scenario(), 25, 0.0, n_sims=600, seed=2)
    assert abs(d.design_effect_simulated - 1) < 4 * d.design_effect_mc_se
    assert d.design_effect_analytic == 1.0


@pytest.mark.slow
def test_simulated_design_effect_near_the_analytic_one():
    """ICC 0.05, 25 equal clinics of 28: analytic 2.35. The formula is for continuous outcomes (an
    approximation here); the simulation agrees within 4 MC SE (600 trials), and the cluster design's
    power is far below the individual design's."""
    from analysis.model.default import default_scenario
    from analysis.studies.clinics import clinic_design_effect

    d = clinic_design_effect(default_scenario(), 25, 0.05, n_sims=600, seed=3)
    assert abs(d.design_effect_simulated - d.design_effect_analytic) < 4 * d.design_effect_mc_se
    power = d.summary.set_index("design").power_simulated
    assert power["clinic"] < power["participant"] - 0.1


def test_cli_power_clinics(capsys):
    import json

    from analysis.cli.main import main

    assert main(["power", "--clinics", "10", "--icc", "0.02", "--n-sims", "30", "--n", "200", "--workers", "1",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_clinics"] == 10 and out["icc"] == 0.02 and len(out["rows"]) == 2
    assert out["design_effect_analytic"] == pytest.approx(1 + 19 * 0.02)
    assert main(["power", "--clinics", "1", "--n-sims", "30"]) == 2
    assert "at least 2 clinics" in capsys.readouterr().err


def test_participant_randomisation_balances_the_arms_within_every_clinic():
    for changes in ({}, {"clinics.size_distribution": "gamma", "clinics.n_clinics": 40}):
        c = simulate_trial(with_changes(BASE, changes), seed=8)
        counts = c.groupby(["clinic", "arm"], observed=True).size().unstack(fill_value=0)
        share = 351 / 701  # the design's ratio; each clinic is within one participant of it
        assert (counts.intervention - counts.sum(axis=1) * share).abs().max() < 1
        assert (c.arm == "intervention").sum() == 351  # the published strata's blocks still fix the totals


def test_expected_curves_average_over_the_clinic_frailty():
    """With a clinic effect the expected curves are the frailty mixture an unadjusted analysis sees: the mean KM of
    200 simulated trials at day 182 is within 4 Monte Carlo SE of them, and far from the curves without frailty."""
    from analysis.model.default import default_scenario
    from analysis.model.expectation import clinic_frailty_nodes, expected_trial
    from analysis.stats.km import km_curve

    s = with_changes(default_scenario(), {"clinics.icc": 0.2, "clinics.n_clinics": 100,
                                          "design.n_control": 2000, "design.n_intervention": 2000})
    e, plain = expected_trial(s), expected_trial(with_changes(s, {"clinics.icc": 0.0}))
    batch = simulate_trials(s, list(range(1, 201)))
    for arm, flag in (("control", False), ("intervention", True)):
        at_182 = []
        for r in range(batch.n_replicates):
            m = batch.intervention[r] == flag
            c = km_curve(arm, batch.time_days[r][m], batch.recurrence[r][m])
            at_182.append(c.survival[np.searchsorted(c.timeline, 182, side="right") - 1])
        mean, se = np.mean(at_182), np.std(at_182, ddof=1) / np.sqrt(len(at_182))
        assert abs(mean - e.survival_at(182, arm)) < 4 * se
        assert abs(mean - plain.survival_at(182, arm)) > 20 * se
    # 20 nodes integrate the mixture as 60 do, to 1e-6, up to ICC 0.3
    sigma = with_changes(s, {"clinics.icc": 0.3}).clinics.sigma
    risk = np.geomspace(1e-3, 30, 50)
    for nodes in (20, 60):
        f, w = clinic_frailty_nodes(sigma, nodes)
        mix = (w[:, None] * np.exp(-np.outer(f, risk))).sum(axis=0)
        if nodes == 20:
            twenty = mix
    assert np.max(np.abs(twenty - mix)) < 1e-6
