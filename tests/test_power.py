"""Power and sample size: formulas, the scenario's expected events, dilution, and Monte Carlo agreement.

Monte Carlo tolerances: with n_sims trials the simulated power has SE sqrt(p (1 - p) / n_sims)
(about 0.011 at p = 0.65 and 2000 trials). A check fails beyond 3.5 SE (two-sided p = 0.0005
under the null). Schoenfeld's formula is itself an approximation (local alternatives); at
HR 0.75 and ~270 events its error is well below 0.005, which is added to the tolerance.
"""

import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy import integrate, stats

from analysis.model.expectation import expected_trial
from analysis.errors import WalkBackInputError
from analysis.studies.power import (
    analytic_power,
    dilution_table,
    event_probability,
    event_probability_exponential,
    freedman_events,
    freedman_power,
    power_curve,
    sample_size,
    scenario_with_hr,
    schoenfeld_events,
    schoenfeld_power,
    simulated_power,
)
from analysis.plots.design import dilution_figure, power_curve_figure
from analysis.trial.scenario import with_changes
from analysis.simulate.engine import scenario_for_size

Z = 3.5
FORMULA_ERROR = 0.005


def exponential_ph(base, hr=0.75):
    """Exactly proportional hazards: constant hazard, no frailty, no prognostic factor, everyone starts."""
    return with_changes(base, {"outcome.baseline": "exponential", "outcome.scale_days": 400.0,
                               "outcome.history_hr": 1.0, "outcome.baseline_risk_sd": 0.0,
                               "dose_response.shape": "none", "dose_response.education_hr": hr,
                               "adherence.never_start": 0.0})


# --------------------------------------------------------------------------- formulas
def test_schoenfeld_and_freedman_by_hand():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.9)
    assert schoenfeld_events(0.72) == pytest.approx(z ** 2 / (0.25 * math.log(0.72) ** 2))
    assert freedman_events(0.72) == pytest.approx(z ** 2 * (1.72 / 0.28) ** 2)
    # 2:1 allocation
    assert schoenfeld_events(0.8, allocation=2 / 3) == pytest.approx(z ** 2 / ((2 / 9) * math.log(0.8) ** 2))
    assert freedman_events(0.8, allocation=2 / 3) == pytest.approx(z ** 2 * (1 + 2 * 0.8) ** 2 / (2 * 0.2 ** 2))


@pytest.mark.parametrize("hr", [0.5, 0.72, 0.9, 1.25])
def test_power_inverts_events(hr):
    for power in (0.8, 0.9):
        assert schoenfeld_power(schoenfeld_events(hr, 0.05, power), hr) == pytest.approx(power, abs=1e-4)
        assert freedman_power(freedman_events(hr, 0.05, power), hr) == pytest.approx(power, abs=1e-4)


def test_event_probability_closed_form_against_numerical_integration():
    lam, accrual, follow, loss = 0.003, 900.0, 380.0, 0.2
    eta = -math.log1p(-loss) / 365.25

    def p_event_given_entry(entry):
        horizon = accrual + follow - entry
        return lam / (lam + eta) * (1 - math.exp(-(lam + eta) * horizon))

    numeric = integrate.quad(p_event_given_entry, 0, accrual)[0] / accrual
    assert event_probability_exponential(lam, accrual, follow, loss) == pytest.approx(numeric, rel=1e-10)
    assert event_probability_exponential(lam, 0.0, follow) == pytest.approx(1 - math.exp(-lam * follow))


def test_scenario_event_probability_matches_the_closed_form(walkback):
    scenario = with_changes(exponential_ph(walkback), {"design.max_followup_months": 240.0})
    d = scenario.design
    window = d.recruitment_days + 1.0
    follow = d.study_days - window
    closed = (d.n_control * event_probability_exponential(1 / 400.0, window, follow, d.annual_loss_to_followup)
              + d.n_intervention * event_probability_exponential(0.75 / 400.0, window, follow, d.annual_loss_to_followup)
              ) / d.n_total
    # expected_trial integrates on a 4- to 10-day grid
    assert event_probability(scenario) == pytest.approx(closed, rel=2e-3)


def test_analytic_power_of_the_walkback_design(walkback):
    table = analytic_power(walkback, [350, 701])
    row = table.set_index("n").loc[701]
    assert row.events_expected == pytest.approx(506, abs=0.5)
    assert row.hr == pytest.approx(0.72, abs=1e-6)
    assert row.power_schoenfeld == pytest.approx(schoenfeld_power(row.events_expected, row.hr, 0.05, 351 / 701))
    assert table.power_schoenfeld.is_monotonic_increasing


def test_sample_size_reaches_the_target(walkback):
    ss = sample_size(walkback, power=0.9).summary.set_index("method")
    for method in ("schoenfeld", "freedman"):
        n = int(ss.loc[method, "n_total"])
        assert n % 2 == 0
        e = expected_trial(scenario_for_size(walkback, n))
        assert e.events_total >= ss.loc[method, "events"] - 1
        powers = analytic_power(walkback, [n - 2, n])
        column = f"power_{method}"
        assert powers[column].iloc[1] >= 0.9 - 1e-3 and powers[column].iloc[0] < 0.9 + 1e-3
    json.dumps(sample_size(walkback).to_dict())


def test_dilution_table_shows_attenuation_and_inflation(walkback):
    table = dilution_table(walkback, [0.0, 0.1, 0.2, 0.3, 0.5])
    first = table.iloc[0]
    assert first.inflation_model == pytest.approx(1.0) and first.inflation_simple == 1.0
    assert first.hr_model == pytest.approx(first.hr_log_dilution) == pytest.approx(first.hr_hazard_mix)
    assert table.hr_model.is_monotonic_increasing and table.inflation_model.is_monotonic_increasing
    np.testing.assert_allclose(table.inflation_simple, 1 / (1 - table.never_start) ** 2)
    # in this model the textbook 1/(1-p)^2 is close to the model-based inflation
    np.testing.assert_allclose(table.inflation_model, table.inflation_simple, rtol=0.05)
    assert len(dilution_figure(table).data) == 5


def test_scenario_with_hr(walkback):
    for hr in (0.6, 0.85):
        assert expected_trial(scenario_with_hr(walkback, hr)).cox_hr == pytest.approx(hr, abs=1e-6)
    with pytest.raises(WalkBackInputError, match="cannot be reached"):
        scenario_with_hr(walkback, 0.01)


@pytest.mark.parametrize("call, message", [
    (lambda s: schoenfeld_events(1.0), "no effect"),
    (lambda s: schoenfeld_events(-0.5), "hazard ratio"),
    (lambda s: schoenfeld_events(0.7, alpha=1.2), "alpha"),
    (lambda s: analytic_power(s, [2]), "sample size"),
    (lambda s: power_curve(s, "colour", [1], 0, 1), "parameter"),
    (lambda s: power_curve(s, "n", [300], -1, 1), "n_sims"),
    (lambda s: simulated_power(s, 0, 1), "n_sims"),
    (lambda s: dilution_table(s, [1.0]), "never_start"),
])
def test_bad_input_is_an_input_error(walkback, call, message):
    with pytest.raises(WalkBackInputError, match=message):
        call(walkback)


# --------------------------------------------------------------------------- Monte Carlo
def test_simulated_power_is_reproducible_across_executors(walkback):
    small = scenario_for_size(walkback, 200)
    a = simulated_power(small, 30, seed=4, chunk_size=30)
    with ThreadPoolExecutor(2) as pool:
        b = simulated_power(small, 30, seed=4, chunk_size=7, executor=pool)
    assert (a.power, a.events_mean, a.hr_geometric_mean) == (b.power, b.events_mean, b.hr_geometric_mean)
    assert a.mc_se == pytest.approx(math.sqrt(a.power * (1 - a.power) / 30))
    json.dumps(a.to_dict())


def test_power_curve_analytic_and_simulated_columns(walkback):
    calls = []
    curve = power_curve(walkback, "never_start", [0.0, 0.4], n_sims=20, seed=2, n_total=300,
                        progress=lambda done, total: calls.append((done, total)))
    table = curve.summary
    assert table.n_total.tolist() == [300, 300]
    assert table.hr.is_monotonic_increasing
    assert table.power_simulated.notna().all() and (table.mc_se >= 0).all()
    assert calls[-1] == (40, 40)
    analytic_only = power_curve(walkback, "n", [300, 700], n_sims=0, seed=2).summary
    assert analytic_only.power_simulated.isna().all()
    assert len(power_curve_figure(table).data) == 3 and len(power_curve_figure(analytic_only).data) == 2
    json.dumps(curve.to_dict())


@pytest.mark.slow
def test_simulated_power_agrees_with_schoenfeld_under_exact_proportional_hazards(walkback):
    scenario = scenario_for_size(exponential_ph(walkback), 400)
    analytic = analytic_power(scenario, [400]).iloc[0]
    assert analytic.hr == pytest.approx(0.75, abs=1e-3)
    sim = simulated_power(scenario, 2000, seed=5)
    assert abs(sim.events_mean - analytic.events_expected) < 2.0  # events: sd ~ 9 per trial, /sqrt(2000)
    assert abs(sim.power - analytic.power_schoenfeld) < Z * sim.mc_se + FORMULA_ERROR, (sim.power, analytic.power_schoenfeld)


@pytest.mark.slow
def test_default_walkback_simulated_power_next_to_the_analytic_figure(walkback):
    analytic = analytic_power(walkback, [701]).iloc[0]
    sim = simulated_power(walkback, 2000, seed=walkback.seed)
    # Hazards are not proportional in the WalkBack scenario (the walking effect ramps up and
    # fades), so Schoenfeld with the Cox-limit HR is an approximation of the log-rank power;
    # measured: 0.954 (MC SE 0.005) simulated vs 0.959 Schoenfeld.
    assert abs(sim.power - analytic.power_schoenfeld) < Z * sim.mc_se + 0.01
    assert sim.events_mean == pytest.approx(506, abs=2.0)


# --------------------------------------------------------------------------- every endpoint (issue 10)
def test_expected_endpoints_come_from_the_episode_model(walkback):
    from analysis.model.episodes import expected_episodes
    from analysis.studies.power import endpoint_expectation

    ee = expected_episodes(walkback)
    assert endpoint_expectation(walkback, "any") == (ee.any_hr, ee.any_events_control + ee.any_events_intervention)
    assert endpoint_expectation(walkback, "care")[0] == pytest.approx(0.57, abs=0.01)
    with pytest.raises(WalkBackInputError, match="endpoint"):
        endpoint_expectation(walkback, "death")


def test_simulated_power_of_any_recurrence_matches_its_expectation(walkback):
    """Events per trial are a sum of 701 Bernoulli indicators, so their SD is at most sqrt(n p (1 - p))
    (about 9.4 for 596 of 701): the mean over 400 trials is within 4 of those SEs of the expectation."""
    from analysis.studies.power import endpoint_expectation

    sp = simulated_power(walkback, 400, seed=5, endpoint="any")
    hr, events = endpoint_expectation(walkback, "any")
    se = math.sqrt(events * (1 - events / 701) / 400)
    assert sp.endpoint == "any" and abs(sp.events_mean - events) < 4 * se
    primary = simulated_power(walkback, 400, seed=5)
    assert primary.events_mean < sp.events_mean  # any recurrence includes the activity-limiting ones


def test_replicates_of_an_endpoint_are_the_simulated_trials_of_that_endpoint(walkback):
    from analysis.simulate.engine import simulate_trial
    from analysis.studies.replicates import replicate_seed, run_replicates

    result = run_replicates(walkback, 3, seed=9, endpoint="care")
    cohort = simulate_trial(walkback, seed=replicate_seed(9, 1))
    assert int(result.per_trial.events[1]) == int(cohort.recurrence_care.sum())
