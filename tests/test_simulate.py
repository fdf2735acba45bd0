"""The simulator: determinism, randomisation, censoring, exact event times, and agreement with
the published results and with the model's exact expectations.

Statistical tolerances are derived from Monte Carlo error (stated beside each assertion); seeds
are fixed so a failure is reproducible, not flaky.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.model.expectation import expected_trial
from analysis.model.hazard import (
    BaselineHazard,
    cumulative_hazard_on_grid,
    dose_pieces,
    event_times_piecewise,
)
from analysis.trial.scenario import DoseResponse, Outcome, Walking, with_changes
from analysis.simulate.engine import COHORT_COLUMNS, scenario_for_size, simulate_episodes, simulate_trial


def _cox_hr(cohort):
    from lifelines import CoxPHFitter

    frame = pd.DataFrame({"T": cohort.time_days, "E": cohort.recurrence,
                          "intervention": (cohort.arm == "intervention").astype(float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = CoxPHFitter().fit(frame, "T", "E")
    return float(np.exp(fit.params_["intervention"])), float(fit.standard_errors_["intervention"])


def _km_median(cohort, arm):
    from lifelines import KaplanMeierFitter

    sub = cohort[cohort.arm == arm]
    return float(KaplanMeierFitter().fit(sub.time_days, sub.recurrence).median_survival_time_)


# --------------------------------------------------------------------------- structure
def test_columns_are_documented(walkback):
    cohort = simulate_trial(walkback, seed=3)
    assert list(cohort.columns) == list(COHORT_COLUMNS)
    assert cohort.participant_id.is_unique


def test_same_seed_same_data_and_different_seed_different(walkback):
    a = simulate_trial(walkback, seed=11)
    pd.testing.assert_frame_equal(a, simulate_trial(walkback, seed=11))
    assert not a.time_days.equals(simulate_trial(walkback, seed=12).time_days)
    # The scenario's own seed is the default.
    pd.testing.assert_frame_equal(simulate_trial(walkback), simulate_trial(walkback, seed=walkback.seed))


@pytest.mark.parametrize("n1, n0", [(351, 350), (350, 351), (5, 5), (1, 1), (400, 301), (1000, 10)])
def test_arms_have_the_requested_sizes(walkback, n1, n0):
    s = with_changes(walkback, {"design.n_intervention": n1, "design.n_control": n0})
    counts = simulate_trial(s, seed=5).arm.value_counts()
    assert (counts["intervention"], counts["control"]) == (n1, n0)


def test_complete_blocks_are_balanced_within_each_stratum(walkback):
    cohort = simulate_trial(scenario_for_size(walkback, 5000), seed=2)
    blocks = cohort.groupby("block_id").agg(size=("arm", "size"), planned=("block_size", "first"),
                                            n_int=("arm", lambda a: int((a == "intervention").sum())),
                                            strata=("stratum", "nunique"))
    assert (blocks.strata == 1).all(), "a block spans two strata"
    complete = blocks[blocks["size"] == blocks.planned]
    assert len(complete) >= len(blocks) - 4  # at most one incomplete block per stratum
    assert (complete.n_int * 2 == complete.planned).all()
    assert set(cohort.block_size.unique()) <= {4, 6, 8}


#: The whole-day cap: 36 months are 1095.75 days, completed on day floor(1095.75) + 1 = 1096 (day 1 = randomisation).
MAX_FOLLOWUP_DAY = math.floor(36 * 365.25 / 12) + 1


def test_follow_up_never_exceeds_36_months_or_the_end_date(walkback):
    cohort = simulate_trial(scenario_for_size(walkback, 20000), seed=4)
    assert cohort.time_days.max() == MAX_FOLLOWUP_DAY
    end = pd.Timestamp(walkback.design.followup_end)
    # The date of the last day of follow-up (randomisation date + time_days - 1) is never after the end date.
    assert (cohort.enrol_date + pd.to_timedelta(cohort.time_days - 1, unit="D") <= end).all()
    assert (cohort.enrol_date + pd.to_timedelta(cohort.followup_days - 1, unit="D") <= end).all()
    assert cohort.enrol_date.min() >= pd.Timestamp(walkback.design.recruitment_start)
    assert cohort.enrol_date.max() <= pd.Timestamp(walkback.design.recruitment_end)
    # Minimum possible follow-up is about 12 months (last enrolment to end of follow-up).
    assert (end - pd.Timestamp(walkback.design.recruitment_end)).days >= 365


def test_censor_reasons_are_consistent(walkback):
    cohort = simulate_trial(scenario_for_size(walkback, 20000), seed=6)
    events = cohort.recurrence == 1
    assert (cohort.censor_reason[events] == "none").all()
    assert (cohort.censor_reason[~events] != "none").all()
    end = pd.Timestamp(walkback.design.followup_end)
    # Whole days counted from day 1: follow-up to the end date inclusive is (end - randomisation) + 1 days.
    allowed = ((end - cohort.enrol_date).dt.days + 1).astype(float).clip(upper=MAX_FOLLOWUP_DAY)
    eos = cohort.censor_reason == "end_of_study"
    np.testing.assert_array_equal(cohort.time_days[eos], (end - cohort.enrol_date[eos]).dt.days.astype(float) + 1)
    mx = cohort.censor_reason == "max_followup"
    np.testing.assert_array_equal(cohort.time_days[mx], MAX_FOLLOWUP_DAY)
    lost = cohort.censor_reason == "lost_to_follow_up"
    assert (cohort.time_days[lost] <= allowed[lost]).all()  # lost earlier in time, possibly on the last day
    assert lost.sum() > 0 and eos.sum() > 0 and mx.sum() > 0


def test_adherence_and_walking_columns(walkback):
    cohort = simulate_trial(scenario_for_size(walkback, 20000), seed=7)
    control = cohort.arm == "control"
    assert cohort.adherence[control].isna().all()
    assert cohort.adherence[~control].between(0, 1).all()
    assert (cohort.started_programme[control] == 0).all()
    never = (~control) & (cohort.started_programme == 0)
    assert (cohort.adherence[never] == 0).all()
    # never_start = 5%: binomial SE sqrt(.05*.95/10000) = 0.0022; 4 SE = 0.009.
    assert abs(never.sum() / (~control).sum() - walkback.adherence.never_start) < 0.009
    # Published: mean about 130 min/week at 12 weeks in the intervention arm.
    assert 120 < cohort.walking_minutes_week12[~control].mean() < 140


# --------------------------------------------------------------------------- exactness
def test_piecewise_inversion_hits_the_target_cumulative_hazard():
    """Independent path: the grid cumulative hazard evaluated at the drawn times equals the Exp(1) draws."""
    rng = np.random.default_rng(1)
    n = 300
    target = rng.standard_exponential(n)
    risk = np.exp(0.5 * rng.standard_normal(n))
    plateau = rng.uniform(0, 150, n)
    for dose in (DoseResponse(shape="log_linear", log_hr_per_100_min=0.8), DoseResponse(shape="emax", emax=0.7)):
        for outcome in (Outcome(), Outcome(baseline="piecewise_exponential"), Outcome(baseline="exponential")):
            pieces = dose_pieces(Walking())
            base = BaselineHazard.from_outcome(outcome)
            times = event_times_piecewise(target, risk, plateau, 0.9, dose, pieces, base)
            h = cumulative_hazard_on_grid(times, risk, plateau, 0.9, dose, pieces, base)
            np.testing.assert_allclose(np.diag(h), target, rtol=1e-9)


@pytest.mark.slow
def test_large_cohort_km_matches_the_exact_expected_curves(walkback):
    """400,000 participants: KM of each arm within 4 Greenwood SEs of the exact mixture curve."""
    from lifelines import KaplanMeierFitter

    cohort = simulate_trial(scenario_for_size(walkback, 400_000), seed=8)
    expected = expected_trial(walkback)
    for arm in ("control", "intervention"):
        sub = cohort[cohort.arm == arm]
        km = KaplanMeierFitter().fit(sub.time_days, sub.recurrence)
        for day in (30, 91, 182, 365, 730):
            s_hat = float(km.survival_function_at_times(day).iloc[0])
            at_risk = float((sub.time_days >= day).sum())
            se = math.sqrt(s_hat * (1 - s_hat) / len(sub)) * max(1.0, math.sqrt(len(sub) / max(at_risk, 1.0)))
            assert abs(s_hat - expected.survival_at(day, arm)) < 4 * se + 1e-4, (arm, day)


# --------------------------------------------------------------------------- published results
@pytest.mark.slow
def test_default_scenario_reproduces_the_published_trial_over_200_replicates(walkback):
    """Issue 2's acceptance criteria over 200 seeded replicates of the default 701-participant trial.

    Fixed ranges from the issue: mean KM medians within 5% of 112 and 208 days, mean Cox HR in
    [0.70, 0.745], mean events in [470, 560]. Tighter checks against the model's exact expectation
    use the Monte Carlo SE of the mean over the replicates (4 SE).
    """
    reps = 200
    med0, med1, hrs, loghrs, events = [], [], [], [], []
    for i in range(reps):
        cohort = simulate_trial(walkback, seed=1000 + i)
        med0.append(_km_median(cohort, "control"))
        med1.append(_km_median(cohort, "intervention"))
        hr, _ = _cox_hr(cohort)
        hrs.append(hr)
        loghrs.append(math.log(hr))
        events.append(int(cohort.recurrence.sum()))
    med0, med1, hrs, loghrs, events = map(np.asarray, (med0, med1, hrs, loghrs, events))
    # Shown with `pytest -s`: the figures quoted in the issue note.
    print(f"\n200 replicates: mean KM median control {med0.mean():.1f}, intervention {med1.mean():.1f}; "
          f"mean Cox HR {hrs.mean():.4f}; SD log HR {loghrs.std(ddof=1):.4f}; mean events {events.mean():.1f}")
    assert np.isfinite(med1).all()
    assert abs(med0.mean() / 112 - 1) < 0.05
    assert abs(med1.mean() / 208 - 1) < 0.05
    assert 0.70 <= hrs.mean() <= 0.745
    assert 470 <= events.mean() <= 560
    expected = expected_trial(walkback)
    mc_se = lambda x: x.std(ddof=1) / math.sqrt(reps)  # noqa: E731
    assert abs(loghrs.mean() - math.log(expected.cox_hr)) < 4 * mc_se(loghrs)
    assert abs(events.mean() - expected.events_total) < 4 * mc_se(events)
    # The SD of log HR across trials should be close to the published CI's SE (0.0889):
    # the calibrated event count reproduces the trial's precision.
    assert 0.07 < loghrs.std(ddof=1) < 0.11


# --------------------------------------------------------------------------- monotonicity
@pytest.mark.parametrize("path, low, high", [
    ("adherence.mean_adherence", 0.5, 0.95),
    ("adherence.never_start", 0.4, 0.0),
    ("walking.target_minutes", 100.0, 200.0),
])
def test_more_walking_lengthens_the_intervention_median_and_lowers_the_hr(walkback, path, low, high):
    lo = expected_trial(with_changes(walkback, {path: low}))
    hi = expected_trial(with_changes(walkback, {path: high}))
    assert hi.median_intervention > lo.median_intervention
    assert hi.cox_hr < lo.cox_hr
    assert hi.median_control == pytest.approx(lo.median_control)
    # The same holds in simulated data, with common random numbers at large n.
    big = 60_000
    sim_lo = simulate_trial(scenario_for_size(with_changes(walkback, {path: low}), big), seed=21)
    sim_hi = simulate_trial(scenario_for_size(with_changes(walkback, {path: high}), big), seed=21)
    assert _km_median(sim_hi, "intervention") > _km_median(sim_lo, "intervention")
    assert _cox_hr(sim_hi)[0] < _cox_hr(sim_lo)[0]


def test_no_adherence_and_no_education_gives_hr_one(walkback):
    s = scenario_for_size(with_changes(walkback, {"adherence.never_start": 1.0, "dose_response.education_hr": 1.0}), 40_000)
    assert expected_trial(s).cox_hr == pytest.approx(1.0, abs=1e-9)
    hr, se = _cox_hr(simulate_trial(s, seed=31))
    assert abs(math.log(hr)) < 4 * se  # Monte Carlo error of one large trial
    assert not simulate_trial(s, seed=31).started_programme.any()


def test_zero_adherence_among_starters_without_education_also_gives_hr_one(walkback):
    s = scenario_for_size(with_changes(walkback, {"adherence.mean_adherence": 0.0, "dose_response.education_hr": 1.0}), 40_000)
    hr, se = _cox_hr(simulate_trial(s, seed=32))
    # Starters with zero adherence lose their spontaneous walking (10 min/week), so the expected HR
    # is slightly above 1; compare with the exact expectation rather than 1.
    assert abs(math.log(hr) - math.log(expected_trial(s).cox_hr)) < 4 * se


# --------------------------------------------------------------------------- sizes
def test_scenario_for_size_keeps_one_to_one(walkback):
    for n, expected in [(2, (1, 1)), (701, (351, 350)), (1000, (500, 500)), (1_000_001, (500_001, 500_000))]:
        d = scenario_for_size(walkback, n).design
        assert (d.n_intervention, d.n_control) == expected


def test_every_simulated_time_is_a_whole_day_from_day_1(walkback):
    """Times are recorded as the trial did: whole days, the randomisation day being day 1 (no zero times)."""
    cohort, episodes = simulate_episodes(scenario_for_size(walkback, 5000), seed=12)
    po = simulate_trial(scenario_for_size(walkback, 5000), seed=12, potential_outcomes=True)
    columns = {"cohort": (cohort, ["time_days", "time_any_days", "time_care_days", "recovery_days_first",
                                   "followup_days"]),
               "episodes": (episodes, ["onset_day", "recovery_day"]),
               "potential outcomes": (po, ["recurrence_day_if_control", "recurrence_day_if_intervention",
                                           "admin_censor_days"])}
    for name, (frame, cols) in columns.items():
        for col in cols:
            days = frame[col].to_numpy(dtype=float)
            days = days[np.isfinite(days)]  # NaN without an event; inf for a potential outcome that never happens
            assert len(days) and (days >= 1).all() and np.array_equal(days, np.floor(days)), (name, col)
    # a recurrence on the randomisation day is day 1 (the hazard is steepest then: some always are)
    assert (cohort.time_any_days == 1).any()
    # the same whole-day map on the potential outcomes: the realised arm's one is the observed time when observed
    seen = po.recurrence == 1
    own = np.where(po.arm == "intervention", po.recurrence_day_if_intervention, po.recurrence_day_if_control)
    np.testing.assert_array_equal(own[seen], po.time_days[seen])
    assert (po.followup_days <= po.admin_censor_days).all()
