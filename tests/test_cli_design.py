"""`walkback design`: boundaries as JSON and as a table, events and participants with --hr, one-line errors with
exit status 2. The numbers themselves are checked against rpact in tests/test_design_boundaries.py; here the
command must carry the library's numbers unchanged."""

import json
import subprocess
import sys

import pytest

from analysis.cli import main
from analysis.design.boundaries import GroupSequentialDesign, compute_boundaries

WALKBACK = [sys.executable, "-m", "analysis.cli"]


def run(*args):
    return subprocess.run([*WALKBACK, "design", *args], capture_output=True, text=True, timeout=120)


def test_json_carries_the_one_sided_efficacy_boundaries():
    out = run("--looks", "4", "--spending", "asKD", "--gamma", "2", "--futility", "asP", "--binding", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    expected = compute_boundaries(GroupSequentialDesign("asKD", (0.25, 0.5, 0.75, 1.0), gamma=2, futility="asP",
                                                        binding_futility=True))
    assert data["efficacy_z"] == pytest.approx(list(expected.efficacy_z), abs=1e-12)
    assert data["futility_z"][:3] == pytest.approx(list(expected.futility_z[:3]), abs=1e-12)
    assert data["futility_z"][3] is None
    assert data["information_rates"] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert data["cumulative_alpha_spent"][-1] == pytest.approx(0.025, abs=1e-9)
    assert data["power"] == pytest.approx(0.8, abs=1e-7)  # the drift is a root found to ~1e-10
    assert "survival" not in data


def test_information_fractions_and_two_sided():
    out = run("--information", "0.3", "0.6", "1", "--spending", "P", "--sided", "2", "--alpha", "0.05", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    z = data["efficacy_z"]
    assert len(z) == 3 and z[0] == pytest.approx(z[2], abs=1e-9)  # Pocock: one constant
    assert data["design"]["sided"] == 2


def test_events_participants_and_look_days_with_hr(capsys):
    args = ["design", "--futility", "z:0,0.5", "--hr", "0.72", "--median-control", "600", "--accrual", "730",
            "--follow-up", "365", "--dropout", "0.05"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    s = data["survival"]
    assert data["events"] == pytest.approx(s["events_per_look"]) and len(data["events"]) == 3
    assert s["events_per_look"][-1] == pytest.approx(s["max_events"])
    assert s["max_events"] > s["events_fixed"] > 0
    assert s["analysis_times"][-1] == pytest.approx(730 + 365)
    assert s["analysis_times"] == sorted(s["analysis_times"])
    assert s["power"] == pytest.approx(0.8, abs=1e-6)
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "efficacy z" in text and "participants" in text and "inflation factor" in text
    assert text.count("\n") >= 8


def test_piecewise_recruitment(capsys):
    base = ["design", "--hr", "0.72", "--median-control", "600", "--follow-up", "365", "--json"]
    assert main([*base, "--accrual", "180", "730", "--accrual-intensity", "1", "3"]) == 0
    piecewise = json.loads(capsys.readouterr().out)["survival"]
    assert main([*base, "--accrual", "730"]) == 0
    uniform = json.loads(capsys.readouterr().out)["survival"]
    # the same events; later recruitment (slow start) leaves less follow-up, so more participants are needed
    assert piecewise["max_events"] == pytest.approx(uniform["max_events"])
    assert piecewise["max_participants"] > uniform["max_participants"]
    assert piecewise["analysis_times"][-1] == pytest.approx(730 + 365)


def test_given_participants_gives_the_follow_up(capsys):
    assert main(["design", "--hr", "0.72", "--median-control", "600", "--n", "701", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)["survival"]
    assert s["max_participants"] == 701 and s["follow_up"] > 0


def test_human_output_is_a_table(capsys):
    assert main(["design", "--spending", "WT", "--delta", "0.2", "--looks", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("WT, Delta 0.2 design, 2 looks")
    assert lines[1].split()[:3] == ["look", "info", "efficacy"]
    assert [line.split()[0] for line in lines[2:4]] == ["1", "2"]


@pytest.mark.parametrize("args, message", [
    (["--information", "0.5", "0.4", "1"], "must increase strictly"),
    (["--alpha", "0.6"], "alpha = 0.6 must be between 0 and 0.5"),
    (["--spending", "asKD", "--gamma", "20"], "gamma = 20.0 for asKD must be from 0.4 to 8"),
    (["--looks", "11"], "a design has 1 to 10"),
    (["--looks", "2", "--futility", "z:3.5"], "is not below the efficacy bound"),
    (["--futility", "z:abc"], "must be none, asOF"),
    (["--looks", "3", "--information", "0.5", "1"], "--looks 3 but --information gives 2"),
    (["--hr", "0.7"], "--hr needs --median-control"),
    (["--median-control", "300"], "--median-control needs --hr"),
    (["--hr", "0.7", "--median-control", "300", "--n", "500", "--follow-up", "100"], "not both"),
    (["--hr", "1", "--median-control", "300"], "hazard ratio 1"),
    (["--spending", "OF", "--futility", "asOF"], "needs an alpha-spending design"),
    (["--binding"], "--binding needs a futility rule"),
    (["--alpha", "nan"], "must be a finite number"),
    (["--hr", "0.7", "--median-control", "300", "--accrual", "200", "100"], "must increase"),
    (["--hr", "0.7", "--median-control", "300", "--accrual", "200", "--accrual-intensity", "1", "2"],
     "2 accrual intensities for 1 accrual pieces"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and message in out.stderr, out.stderr
