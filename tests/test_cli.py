"""The `walkback` command: scenario and calibrate subcommands, and the simulate round trip.

Runs the console script in a subprocess, as a user would (exit codes and stderr included).
"""

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

WALKBACK = [sys.executable, "-m", "analysis.cli"]


def run(*args, cwd=None):
    return subprocess.run([*WALKBACK, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_scenario_default_round_trips_through_simulate(tmp_path):
    out = run("scenario", "--default")
    assert out.returncode == 0, out.stderr
    scenario = json.loads(out.stdout)
    scenario["adherence"]["never_start"] = 0.5
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(scenario))
    sim = run("simulate", "--scenario", str(path), "--seed", "3", "--n", "200")
    assert sim.returncode == 0, sim.stderr
    cohort = pd.read_csv(io.StringIO(sim.stdout))
    assert len(cohort) == 200 and set(cohort.arm) == {"control", "intervention"}
    checked = run("scenario", "--check", str(path))
    assert json.loads(checked.stdout)["adherence"]["never_start"] == 0.5


def test_default_simulate_is_the_walkback_trial_and_reproducible():
    a, b = run("simulate", "--seed", "7"), run("simulate", "--seed", "7")
    assert a.returncode == 0 and a.stdout == b.stdout
    cohort = pd.read_csv(io.StringIO(a.stdout))
    assert (cohort.arm == "intervention").sum() == 351 and (cohort.arm == "control").sum() == 350


def test_parquet_to_a_file(tmp_path):
    path = tmp_path / "c.parquet"
    out = run("simulate", "--format", "parquet", "--out", str(path), "--n", "50")
    assert out.returncode == 0, out.stderr
    assert len(pd.read_parquet(path)) == 50


def test_calibrate_reports_targets_and_the_exponential_failure(tmp_path):
    out = run("calibrate", "--json")
    report = json.loads(out.stdout)
    assert report["converged"] is True
    path = tmp_path / "expo.json"
    path.write_text(json.dumps({"outcome": {"baseline": "exponential"}}))
    text = run("calibrate", "--scenario", str(path))
    assert text.returncode == 0
    assert "exponential" in text.stdout.lower() and "0.54" in text.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["simulate", "--n", "abc"], "argument --n: 'abc' is not a whole number"),
        (["simulate", "--seed", "-4"], "argument --seed"),
        (["simulate", "--format", "xlsx"], "invalid choice: 'xlsx'"),
        (["simulate", "--scenario", "/does/not/exist.json"], "does not exist"),
        (["simulate", "--out", "/does/not/exist/out.csv"], "folder '/does/not/exist' does not exist"),
        (["scenario"], "one of the arguments --default --check is required"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message):
    out = run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert message in lines[0]
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"design": {"n_control": -5}}', "design.n_control = -5 is out of range"),
        ('{"dose_response": {"shape": "cubic"}}', "dose_response.shape = 'cubic' is not allowed"),
        ('{"walkng": {}}', "unknown field 'walkng'"),
        ("[]", "must be a JSON object"),
    ],
)
def test_bad_scenario_files_exit_2_and_write_nothing(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    target = tmp_path / "out.csv"
    out = run("simulate", "--scenario", str(path), "--out", str(target))
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not target.exists()
    assert os.listdir(tmp_path) == ["bad.json"]


def test_analyze_is_wired_into_the_walkback_command(tmp_path):
    cohort = tmp_path / "cohort.csv"
    assert run("simulate", "--seed", "1", "--out", str(cohort)).returncode == 0
    out = run("analyze", str(cohort), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [g["level"] for g in result["groups"]] == ["control", "intervention"]
    assert 0 < result["cox"]["hr"] < 1.5
    bad = run("analyze", str(tmp_path / "missing.csv"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
