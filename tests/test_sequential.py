"""Group-sequential designs simulated on the model (analysis.studies.sequential).

Agreement with rpact on an exponential proportional-hazards trial (numbers made by
``Rscript tests/r_reference/group_sequential_simulation.R``, rpact 3.3.4, committed in
``group_sequential_simulation.json``; tests/test_r_reference.py reruns the script): simulated power and
stopping probabilities equal rpact's ``getSimulationSurvival`` and its analytic ``getPowerSurvival`` within
4 Monte Carlo SEs.
"""

import datetime as dt
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from analysis.design.boundaries import GroupSequentialDesign, compute_boundaries
from analysis.errors import WalkBackInputError
from analysis.model.default import default_scenario
from analysis.model.expectation import expected_trial
from analysis.studies.sequential import (
    expected_look_days,
    expected_recurrences_by_day,
    scenario_without_effect,
    simulate_design,
    simulate_design_chunk,
)
from analysis.trial.scenario import Scenario, with_changes

REFERENCE = Path(__file__).parent / "r_reference" / "group_sequential_simulation.json"
N_TRIALS = 4000  # per design and hypothesis: SE of a power near 0.85 is sqrt(.85 * .15 / 4000) = 0.0056


@pytest.fixture(scope="module")
def reference():
    return json.loads(REFERENCE.read_text())


def exponential_trial(trial: dict) -> Scenario:
    """The R script's trial as a Scenario: exponential control hazard, a constant HR for everyone randomised.

    Everyone allocated to the intervention starts (never_start 0), walking does nothing (dose shape
    "none") and the programme's education HR is the trial's HR, so hazards are proportional; no
    prognostic strata (history_hr 1); follow-up long enough that every trial reaches its looks.
    """
    start = dt.date(2020, 1, 1)
    n = trial["n"]
    return with_changes(Scenario(), {
        "design.n_intervention": n - n // 2, "design.n_control": n // 2,
        "design.recruitment_start": start.isoformat(),
        # enrolment days 0..719, evenly: rpact's accrual over [0, 720) days
        "design.recruitment_end": (start + dt.timedelta(days=trial["accrual_days"] - 1)).isoformat(),
        "design.followup_end": (start + dt.timedelta(days=7300)).isoformat(), "design.max_followup_months": 240.0,
        "design.annual_loss_to_followup": trial["annual_loss"],
        "outcome.baseline": "exponential", "outcome.scale_days": 1.0 / trial["lambda_control"],
        "outcome.history_hr": 1.0, "outcome.baseline_risk_sd": 0.0,
        "adherence.never_start": 0.0, "dose_response.shape": "none", "dose_response.education_hr": 0.7})


def _bounds(entry):
    return SimpleNamespace(efficacy_z=entry["efficacy_z"],
                           futility_z=[math.nan if v is None else v for v in entry["futility_z"]])


def test_the_exponential_trial_has_a_constant_hazard_ratio(reference):
    s = exponential_trial(reference["trial"])
    e = expected_trial(s)
    assert e.cox_hr == pytest.approx(0.7, abs=1e-4)
    assert e.survival_at(600.0, "control") == pytest.approx(math.exp(-1.0), rel=1e-9)
    assert e.survival_at(600.0, "intervention") == pytest.approx(math.exp(-0.7), rel=1e-9)
    assert expected_trial(scenario_without_effect(s)).cox_hr == pytest.approx(1.0, abs=1e-12)


def test_expected_look_days_are_rpacts_analysis_times(reference):
    # rpact's continuous clock: day c of ours (0-based, the whole day included) ends at time c + 1,
    # so the first whole day reaching the expected events is floor(rpact's time) (within one day).
    s = exponential_trial(reference["trial"])
    analytic = reference["designs"]["asOF_futility0"]["hypotheses"]["hr_0.7"]["analytic"]["analysis_time"]
    ours = expected_look_days(s, reference["trial"]["events"])
    assert np.all(np.abs(ours - np.floor(analytic)) <= 1)


def test_expected_recurrences_at_study_end_are_the_expected_trials():
    s = default_scenario()
    assert expected_recurrences_by_day(s, [s.design.study_days])[0] == pytest.approx(
        expected_trial(s).events_total, rel=2e-3)  # the two integrate the same curves on different grids
    by_day = expected_recurrences_by_day(s, np.arange(0, s.design.study_days + 1, 50))
    assert np.all(np.diff(by_day) >= 0) and by_day[0] < 1


def test_stopping_follows_the_rule_trial_by_trial():
    s = with_changes(default_scenario(), {"design.n_intervention": 150, "design.n_control": 150})
    bounds = SimpleNamespace(efficacy_z=[2.8, 2.2, 1.9], futility_z=[-0.2, 0.4, math.nan])
    looks = (40, 80, 120)
    sim = simulate_design(s, bounds, 60, seed=9, look_events=looks, chunk_size=25)
    raw = simulate_design_chunk(s, 9, np.array(bounds.efficacy_z), np.array(bounds.futility_z), looks, None, 0, 60)
    mine = sim.per_trial[sim.per_trial.hypothesis == "scenario"].reset_index(drop=True)
    for i in range(60):
        look, decision = 2, "none"
        for j in range(3):
            if raw["z"][i, j] >= bounds.efficacy_z[j]:
                look, decision = j, "efficacy"
                break
            if j < 2 and raw["z"][i, j] <= bounds.futility_z[j]:
                look, decision = j, "futility"
                break
        assert (mine.stop_look[i], mine.decision[i]) == (look + 1, decision)
        assert mine.recurrences[i] == raw["events"][i, look] >= looks[look]
    # The hazard ratio at stopping is the Cox fit of the data cut at the stopping look.
    from analysis.simulate.cuts import cut_at_day
    from analysis.stats.kernels import logrank_cox
    from analysis.studies.replicates import simulate_replicates

    batch = simulate_replicates(s, 3, 9, 0)
    for i in range(3):
        cut = cut_at_day(batch, raw["day"][i, mine.stop_look[i] - 1])
        fit = logrank_cox(cut.time_days[i], cut.recurrence[i], cut.intervention[i])
        assert mine.hr[i] == pytest.approx(fit["hr"], rel=1e-9)
    # Calendar looks: the same trials cut on fixed days.
    by_day = simulate_design(s, bounds, 20, seed=9, look_days=[300, 600, 900])
    assert list(by_day.looks.planned_day) == [300, 600, 900] and "expected_recurrences" in by_day.looks


def test_bad_designs_are_one_clear_error():
    s = default_scenario()
    ok = SimpleNamespace(efficacy_z=[3.0, 2.0], futility_z=[math.nan, math.nan])
    with pytest.raises(WalkBackInputError, match="not both"):
        simulate_design(s, ok, 10, 1, look_events=[100, 200], look_days=[100, 200])
    with pytest.raises(WalkBackInputError, match="3 looks given"):
        simulate_design(s, ok, 10, 1, look_events=[100, 200, 300])
    with pytest.raises(WalkBackInputError, match="strictly increasing"):
        simulate_design(s, ok, 10, 1, look_events=[200, 100])
    with pytest.raises(WalkBackInputError, match="futility boundary lies above"):
        simulate_design(s, SimpleNamespace(efficacy_z=[2.0, 2.0], futility_z=[2.5, math.nan]), 10, 1,
                        look_events=[100, 200])
    with pytest.raises(WalkBackInputError, match="study end"):
        simulate_design(s, ok, 10, 1, look_days=[100, 99_999])


def _within(ours, theirs, se, what):
    assert abs(ours - theirs) <= 4 * se, f"{what}: ours {ours:.4f}, reference {theirs:.4f}, 4 SE = {4 * se:.4f}"


@pytest.mark.slow
@pytest.mark.parametrize("design", ["asOF_futility0", "asP"])
def test_simulated_design_equals_rpact(reference, design):
    """Power, type I error and per-look stopping probabilities within 4 MC SE of rpact.

    Against rpact's simulation (20,000 trials) the SE is that of the difference,
    ``sqrt(p (1 - p) / 4000 + p (1 - p) / 20000)``; against the analytic values ``sqrt(p (1 - p) / 4000)``
    (p the larger of the two estimates, so a zero never makes the tolerance vanish). Mean recurrences and
    participants at stopping: 4 SEs of the difference (ours, scaled for rpact's 20,000 trials); duration
    compared on rpact's continuous clock (our calendar day c ends at time c + 1).
    """
    entry = reference["designs"][design]
    events = reference["trial"]["events"]
    s = exponential_trial(reference["trial"])
    futility = (0.0, 0.0) if design == "asOF_futility0" else None
    bounds = compute_boundaries(GroupSequentialDesign(design.split("_")[0], (1 / 3, 2 / 3, 1.0), futility=futility))
    assert np.allclose(bounds.efficacy_z, entry["efficacy_z"], atol=1e-6)  # the same design as rpact's
    sim = simulate_design(s, bounds, N_TRIALS, seed=20261205, look_events=events)
    n_r = reference["iterations"]
    for tag, key in (("", "hr_0.7"), ("_null", "hr_1")):
        h = entry["hypotheses"][key]
        references = [("rpact simulation", h["simulated"], lambda p: math.sqrt(p * (1 - p) * (1 / N_TRIALS + 1 / n_r)))]
        if "analytic" in h:
            references.append(("rpact analytic", h["analytic"], lambda p: math.sqrt(p * (1 - p) / N_TRIALS)))
        # our own proportional-hazards promise (boundaries at the scenario's expected HR), shown beside the simulation
        looks = sim.looks
        ours = {"overall_reject": sim.summary.set_index("key").analytic["power" if not tag else "type_i_error"],
                "reject_per_stage": list(looks[f"p_efficacy_analytic{tag}"]),
                "futility_per_stage": list(looks[f"p_futility_analytic{tag}"])[:-1]}
        references.append(("analytic (analysis.design)", ours, lambda p: math.sqrt(p * (1 - p) / N_TRIALS)))
        if "analytic" in h:  # and it is rpact's analytic value (HR 0.700005 from the whole-day model vs 0.7)
            assert ours["overall_reject"] == pytest.approx(h["analytic"]["overall_reject"], abs=1e-4)
        reject = sim.value("power" if not tag else "type_i_error")
        for name, ref, se in references:
            _within(reject, ref["overall_reject"], se(max(reject, ref["overall_reject"])), f"{design} {key} {name} reject")
            for j, p_ref in enumerate(ref["reject_per_stage"]):
                p = float(sim.looks[f"p_efficacy{tag}"][j])
                _within(p, p_ref, se(max(p, p_ref, 1 / N_TRIALS)), f"{design} {key} {name} efficacy look {j + 1}")
            for j, p_ref in enumerate(ref["futility_per_stage"]):
                p = float(sim.looks[f"p_futility{tag}"][j])
                _within(p, p_ref, se(max(p, p_ref, 1 / N_TRIALS)), f"{design} {key} {name} futility look {j + 1}")
        scale = math.sqrt(1 + N_TRIALS / n_r)
        row = sim.summary.set_index("key")
        for ours, theirs, shift in (("recurrences_at_stop", "expected_events", 0.0),
                                    ("participants_at_stop", "expected_subjects", 0.0),
                                    ("day_at_stop", "study_duration", 1.0)):
            _within(row.value[ours + tag] + shift, h["simulated"][theirs], row.mc_se[ours + tag] * scale,
                    f"{design} {key} {ours}")
