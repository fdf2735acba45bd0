"""Property-based tests: for any valid scenario the simulated cohort is internally consistent."""

import datetime as dt
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.errors import ScenarioError
from analysis.trial.scenario import Adherence, Design, DoseResponse, Outcome, Scenario, Walking
from analysis.simulate.engine import simulate_trial

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1))


@st.composite
def scenarios(draw):
    start = draw(dates)
    recruit_days = draw(st.integers(0, 1500))
    end = start + dt.timedelta(days=recruit_days)
    fu_end = end + dt.timedelta(days=draw(st.integers(1, 2000)))
    design = Design(
        n_intervention=draw(st.integers(1, 150)), n_control=draw(st.integers(1, 150)),
        block_sizes=tuple(draw(st.lists(st.sampled_from([2, 4, 6, 8, 10]), min_size=1, max_size=3))),
        recruitment_start=start.isoformat(), recruitment_end=end.isoformat(), followup_end=fu_end.isoformat(),
        max_followup_months=draw(st.floats(1, 60)), annual_loss_to_followup=draw(st.floats(0, 0.9)),
        share_history_gt2=draw(st.floats(0, 1)), share_referred_by_clinician=draw(st.floats(0, 1)),
    )
    outcome = Outcome(
        baseline=draw(st.sampled_from(["weibull", "exponential", "piecewise_exponential"])),
        scale_days=draw(st.floats(5, 5000)), shape=draw(st.floats(0.2, 3)),
        history_hr=draw(st.floats(0.2, 5)), baseline_risk_sd=draw(st.floats(0, 2)),
    )
    adherence = Adherence(
        never_start=draw(st.floats(0, 1)), mean_adherence=draw(st.floats(0, 1)),
        adherence_spread=draw(st.floats(0, 3)), healthy_adherer_correlation=draw(st.floats(-0.9, 0.9)),
    )
    ramp = draw(st.integers(1, 26))
    walking = Walking(
        target_minutes=draw(st.floats(0, 400)), baseline_minutes_mean=draw(st.floats(0, 200)),
        baseline_minutes_sd=draw(st.floats(0, 100)), ramp_weeks=ramp, programme_weeks=draw(st.integers(ramp, 52)),
        maintained_fraction=draw(st.floats(0, 1)), post_programme_half_life_weeks=draw(st.floats(0.5, 200)),
        control_extra_minutes=draw(st.floats(0, 100)),
    )
    dose = DoseResponse(
        shape=draw(st.sampled_from(["log_linear", "emax", "none"])),
        log_hr_per_100_min=draw(st.floats(-2, 5)), emax=draw(st.floats(0, 1)),
        ed50_minutes=draw(st.floats(1, 500)), education_hr=draw(st.floats(0.1, 3)),
    )
    return Scenario(design=design, outcome=outcome, adherence=adherence, walking=walking, dose_response=dose)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32))
def test_any_valid_scenario_gives_a_consistent_cohort(scenario, seed):
    try:
        cohort = simulate_trial(scenario, seed=seed)
    except ScenarioError as exc:  # a hazard so high that episodes would not fit in memory: refused, with one message
        assert "fit in memory" in str(exc), exc
        return
    d = scenario.design
    assert len(cohort) == d.n_total
    assert (cohort.arm == "intervention").sum() == d.n_intervention
    t = cohort.time_days.to_numpy()
    assert np.isfinite(t).all()
    # Whole days from day 1 (the randomisation day) in every time column; the cap is the day 36 months end.
    for column in ("time_days", "time_any_days", "time_care_days", "recovery_days_first", "followup_days"):
        days = cohort[column].dropna().to_numpy()
        assert (days >= 1).all() and np.array_equal(days, np.floor(days)), column
        assert (days <= math.floor(d.max_followup_days) + 1).all(), column
    assert (cohort.time_any_days <= cohort.time_days).all() and (cohort.time_any_days <= cohort.time_care_days).all()
    assert (cohort.time_days <= cohort.followup_days).all() and (cohort.time_care_days <= cohort.followup_days).all()
    end = pd.Timestamp(d.followup_end)
    assert (cohort.enrol_date + pd.to_timedelta(t - 1, unit="D") <= end).all()  # the date of day t
    assert cohort.enrol_date.between(pd.Timestamp(d.recruitment_start), pd.Timestamp(d.recruitment_end)).all()
    assert set(cohort.recurrence.unique()) <= {0, 1}
    assert ((cohort.recurrence == 1) == (cohort.censor_reason == "none")).all()
    assert cohort.adherence[cohort.arm == "intervention"].between(0, 1).all()
    assert (cohort.walking_minutes_week12 >= 0).all()
