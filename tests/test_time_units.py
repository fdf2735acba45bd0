"""One policy for time units (analysis.stats.time_units): the trial's day-based numbers are unchanged, and a
file recorded in weeks (or months, years) gets landmarks, risk-table times and axis ticks in its own unit
from every entry point (walkback analyze, the class set, the figures)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli.main import main
from analysis.plots import figures as F
from analysis.simulate.engine import simulate_trial
from analysis.stats.survival import DEFAULT_LANDMARKS, DEFAULT_RISK_TIMES, analyze_two_arm, kaplan_meier
from analysis.stats.time_units import (analysis_defaults, axis_ticks, horizon, landmarks, risk_times, time_unit_of,
                                       unit_or_days)
from analysis.trial.scenario import Scenario


@pytest.mark.parametrize("max_days", [365.0, 400.0, 731.0, 1095.75, 1096.0, 1278.0])
def test_days_keep_the_trials_six_monthly_risk_times_and_landmarks(max_days):
    """What the app used before the policy moved to the library: DEFAULT_RISK_TIMES up to the last time."""
    assert risk_times(max_days, "days") == tuple(t for t in DEFAULT_RISK_TIMES if t <= max_days + 1e-9)
    assert landmarks(max_days, "days") == tuple(t for t in DEFAULT_LANDMARKS if t <= max_days)


def test_short_or_unknown_follow_up_gets_six_equal_steps():
    assert risk_times(300.0, "days") == tuple(round(50.0 * k, 6) for k in range(7))
    assert risk_times(9.0, "time units") == tuple(round(1.5 * k, 6) for k in range(7))
    assert risk_times(float("nan")) == (0.0,) and landmarks(float("nan")) == () and horizon(0.0) is None


@pytest.mark.parametrize("unit, max_time, marks, step, ticks", [
    ("weeks", 156.0, (26.0, 52.0, 104.0), 26.0, [0, 26, 52, 78, 104, 130, 156]),
    ("months", 36.0, (6.0, 12.0, 24.0), 6.0, [0, 6, 12, 18, 24, 30, 36]),
    ("years", 3.0, (0.5, 1.0, 2.0), 0.5, [0, 1, 2, 3]),
])
def test_other_units_get_the_same_calendar_in_their_own_unit(unit, max_time, marks, step, ticks):
    assert landmarks(max_time, unit) == marks
    assert risk_times(max_time, unit) == tuple(step * k for k in range(7))
    assert axis_ticks(max_time, unit) == ticks
    assert all(float(t).is_integer() for t in axis_ticks(max_time, unit))  # ticks on whole units
    assert horizon(max_time, unit) == pytest.approx(marks[1])  # 12 months


def test_long_follow_up_keeps_the_risk_table_narrow():
    times = risk_times(10 * 365.25, "days")
    assert len(times) <= 7 and times[1] == 2 * 365.25 and times[-1] <= 10 * 365.25


def test_unit_names():
    assert [time_unit_of(c) for c in ("time_days", "Weeks", "fu_months", "years", "futime")] == \
        ["days", "weeks", "months", "years", "time units"]
    assert unit_or_days("futime") == "days" and unit_or_days("weeks") == "weeks"


@pytest.fixture(scope="module")
def cohort():
    return simulate_trial(Scenario(), seed=4)


def _analyze(tmp_path, frame, *args):
    path = tmp_path / "trial.csv"
    frame.to_csv(path, index=False)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(path), "--json", *args]) == 0
    return json.loads(out.getvalue())


def test_walkback_analyze_on_days_is_what_it_always_was(tmp_path, cohort):
    """A simulator file (days, 36 months): the trial's landmarks and risk table, as analyze_two_arm's defaults."""
    got = _analyze(tmp_path, cohort)
    assert got == json.loads(json.dumps(analyze_two_arm(cohort).to_dict()))


def test_walkback_analyze_on_a_file_in_weeks_uses_week_landmarks(tmp_path, cohort):
    weeks = cohort.assign(weeks=np.ceil(cohort.time_days / 7)).drop(columns="time_days")
    got = _analyze(tmp_path, weeks, "--time", "weeks")
    assert sorted({row["time"] for row in got["landmarks"]}) == [26.0, 52.0, 104.0]
    assert sorted({row["time"] for row in got["risk_table"]}) == [26.0 * k for k in range(7)]
    # the same numbers as the library called with the policy's defaults
    expected = analyze_two_arm(weeks, time="weeks", **analysis_defaults(float(weeks.weeks.max()), "weeks"))
    assert got["landmarks"] == json.loads(json.dumps(expected.to_dict()["landmarks"]))
    # the survival at 26 weeks is the KM curve read at week 26
    km = kaplan_meier(weeks, time="weeks", landmarks=[26.0])
    control = [r for r in got["landmarks"] if r["level"] == "control" and r["time"] == 26.0][0]
    assert control["survival"] == pytest.approx(float(km.landmarks.query("level == 'control'").survival.iloc[0]))


def test_walkback_analyze_time_unit_overrides_the_column_name(tmp_path, cohort):
    months = cohort.assign(t=cohort.time_days / (365.25 / 12)).drop(columns="time_days")
    got = _analyze(tmp_path, months, "--time", "t", "--time-unit", "months")
    assert sorted({row["time"] for row in got["landmarks"]}) == [6.0, 12.0, 24.0]


def test_the_km_figure_ticks_a_weeks_axis_on_whole_weeks(cohort):
    weeks = cohort.assign(weeks=np.ceil(cohort.time_days / 7))
    km = kaplan_meier(weeks, time="weeks", landmarks=())
    fig = F.km_figure(F.arm_curves_from_km(km), time_unit="weeks")
    assert list(fig.layout.xaxis.tickvals) == axis_ticks(float(weeks.weeks.max()), "weeks")
    assert pd.Series(fig.layout.xaxis.tickvals).mod(26).eq(0).all()
