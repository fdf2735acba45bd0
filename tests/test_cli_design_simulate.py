"""`walkback design --simulate`: the library's simulated operating characteristics, unchanged, whatever the
executor; one-line errors with exit status 2. The numbers are checked against rpact in tests/test_sequential.py."""

import json
import subprocess
import sys

import pytest

from analysis.design.boundaries import GroupSequentialDesign, compute_boundaries
from analysis.design.events import events_for
from analysis.model.default import default_scenario
from analysis.model.expectation import expected_trial
from analysis.simulate.engine import scenario_for_size
from analysis.studies.sequential import simulate_design

WALKBACK = [sys.executable, "-m", "analysis.cli", "design"]


def run(*args):
    return subprocess.run([*WALKBACK, *args], capture_output=True, text=True, timeout=300)


def test_json_carries_the_librarys_simulation_and_the_executor_changes_nothing():
    args = ("--simulate", "40", "--n", "600", "--seed", "5", "--futility", "z:0,0", "--json")
    one = run(*args, "--workers", "1")
    two = run(*args, "--workers", "2")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    a, b = json.loads(one.stdout)["simulation"], json.loads(two.stdout)["simulation"]
    for d in (a, b):
        d.pop("elapsed_seconds")
    assert a == b
    # The looks: information rates x the maximum recurrences for the scenario's expected HR, rounded up.
    s = scenario_for_size(default_scenario(), 600)
    bounds = compute_boundaries(GroupSequentialDesign("asOF", (1 / 3, 2 / 3, 1.0), futility=(0.0, 0.0)))
    max_events = events_for(bounds.drift, expected_trial(s).cox_hr, 1.0)
    assert a["max_events"] == pytest.approx(max_events, rel=1e-12)
    assert a["look_events"] == [int(-(-t * max_events // 1)) for t in (1 / 3, 2 / 3, 1.0)]
    direct = simulate_design(s, bounds, 40, 5, look_events=a["look_events"]).to_dict()
    direct.pop("elapsed_seconds")
    assert json.loads(json.dumps(direct)) == {k: a[k] for k in direct}


def test_calendar_looks_and_the_text_table():
    out = run("--simulate", "20", "--n", "200", "--look-days", "400", "800", "1200", "--workers", "1")
    assert out.returncode == 0, out.stderr
    assert "looks on days 400, 800, 1200" in out.stdout and "type I error" in out.stdout
    data = json.loads(run("--simulate", "20", "--n", "200", "--look-days", "400", "800", "1200", "--workers", "1",
                          "--json").stdout)["simulation"]
    assert data["look_days"] == [400, 800, 1200] and [r["planned_day"] for r in data["looks"]] == [400, 800, 1200]


@pytest.mark.parametrize("args, message", [
    (("--seed", "3"), "--seed is for the simulation: add --simulate N"),
    (("--look-days", "100", "200", "300"), "--look-days is for the simulation"),
    (("--simulate", "10", "--look-days", "300", "600"), "--look-days gives 2 days but the design has 3 looks"),
    (("--simulate", "10", "--look-days", "600", "300", "900"), "strictly increasing"),
    (("--simulate", "200000"), "--simulate 200000 must be between 1 and 100,000"),
    (("--simulate", "10", "--n", "20"), "cannot give"),
    (("--simulate", "10", "--n", "70.5"), "whole number of participants"),
])
def test_bad_simulation_input_is_one_line_and_exit_2(args, message):
    out = run(*args)
    assert out.returncode == 2 and out.stdout == ""
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_two_sided_design_is_not_simulated_silently():
    out = run("--simulate", "10", "--sided", "2", "--alpha", "0.05")
    assert out.returncode == 2 and "one-sided designs" in out.stderr
