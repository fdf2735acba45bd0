"""Data cuts against a brute-force per-trial, per-participant implementation, and enrolment days."""

import datetime as dt

import numpy as np
import pytest

from analysis.errors import WalkBackInputError
from analysis.model.default import default_scenario
from analysis.simulate.cuts import (
    cut_at_day,
    cut_at_events,
    day_of_recurrence,
    last_data_day,
)
from analysis.simulate.engine import simulate_trial, simulate_trials
from analysis.trial.scenario import with_changes


@pytest.fixture(scope="module")
def batch():
    # A smaller trial keeps the brute force quick; 40 trials cover early, mid and late cuts.
    s = with_changes(default_scenario(), {"design.n_intervention": 60, "design.n_control": 60})
    return s, simulate_trials(s, np.arange(100, 140))


def _brute_cut(enrol, time, rec, day):
    """One trial, participant by participant, straight from the definition."""
    out_t, out_e, out_in = [], [], []
    for e, t, r in zip(enrol.tolist(), time.tolist(), rec.tolist()):
        if e > day:
            out_t.append(0.0), out_e.append(False), out_in.append(False)
            continue
        last_followup_day = day - e + 1  # randomisation day is follow-up day 1
        seen = bool(r) and t <= last_followup_day
        out_t.append(t if t <= last_followup_day else last_followup_day)
        out_e.append(seen)
        out_in.append(True)
    return np.array(out_t), np.array(out_e), np.array(out_in)


def _brute_kth_day(enrol, time, rec, k):
    days = sorted(e + t - 1 for e, t, r in zip(enrol.tolist(), time.tolist(), rec.tolist()) if r)
    return days[k - 1] if k <= len(days) else np.inf


def test_enrolment_days_are_the_cohorts_enrolment_dates():
    s = default_scenario()
    b = simulate_trials(s, [7, 8])
    start = np.datetime64(dt.date.fromisoformat(s.design.recruitment_start), "D")
    for r, seed in enumerate([7, 8]):
        cohort = simulate_trial(s, seed=seed)
        days = (cohort.enrol_date.to_numpy().astype("datetime64[D]") - start).astype(np.int64)
        assert np.array_equal(b.enrol_day[r], days)


def test_cut_at_day_equals_brute_force(batch):
    _, b = batch
    rng = np.random.default_rng(5)
    days = rng.integers(0, 1800, size=b.n_replicates)  # one cut day per trial, before and after recruitment ends
    cut = cut_at_day(b, days)
    for r in range(b.n_replicates):
        t, e, enrolled = _brute_cut(b.enrol_day[r], b.time_days[r], b.recurrence[r], int(days[r]))
        assert np.array_equal(cut.time_days[r], t)
        assert np.array_equal(cut.recurrence[r], e)
        assert np.array_equal(cut.enrolled[r], enrolled)
    assert np.array_equal(cut.recurrences, cut.recurrence.sum(axis=1))


def test_cut_at_events_equals_brute_force(batch):
    _, b = batch
    for k in (1, 20, 60):
        cut = cut_at_events(b, k)
        for r in range(b.n_replicates):
            day = _brute_kth_day(b.enrol_day[r], b.time_days[r], b.recurrence[r], k)
            if not np.isfinite(day):
                day = max(e + t - 1 for e, t in zip(b.enrol_day[r].tolist(), b.time_days[r].tolist()))
            assert cut.day[r] == day
            t, e, _ = _brute_cut(b.enrol_day[r], b.time_days[r], b.recurrence[r], day)
            assert np.array_equal(cut.time_days[r], t) and np.array_equal(cut.recurrence[r], e)
            if np.isfinite(_brute_kth_day(b.enrol_day[r], b.time_days[r], b.recurrence[r], k)):
                assert cut.recurrences[r] >= k  # ties on the day can add a few


def test_kth_recurrence_days_for_many_k_at_once(batch):
    _, b = batch
    ks = [1, 5, 30, 10_000]
    d = day_of_recurrence(b, ks)
    for r in range(b.n_replicates):
        for j, k in enumerate(ks):
            assert d[r, j] == _brute_kth_day(b.enrol_day[r], b.time_days[r], b.recurrence[r], k)


def test_cut_after_the_last_data_day_is_the_whole_trial(batch):
    _, b = batch
    cut = cut_at_day(b, last_data_day(b))
    assert np.array_equal(cut.time_days, b.time_days) and np.array_equal(cut.recurrence, b.recurrence)
    assert cut.enrolled.all()


def test_bad_cuts_are_one_clear_error(batch):
    _, b = batch
    with pytest.raises(WalkBackInputError, match="at least 1"):
        cut_at_events(b, 0)
    with pytest.raises(WalkBackInputError, match="0 or later"):
        cut_at_day(b, -3)
    with pytest.raises(WalkBackInputError, match="one day per trial"):
        cut_at_day(b, [1, 2])
