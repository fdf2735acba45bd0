"""`walkback power`: analytic and simulated power side by side; one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from analysis.cli import main

WALKBACK = [sys.executable, "-m", "analysis.cli"]


def run(*args):
    return subprocess.run([*WALKBACK, *args], capture_output=True, text=True, timeout=300)


def test_json_output_has_analytic_and_simulated_power_per_size():
    out = run("power", "--n-sims", "40", "--n", "300", "701", "--seed", "9", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["n_sims"] == 40 and data["seed"] == 9 and data["alpha"] == 0.05
    rows = {row["n"]: row for row in data["rows"]}
    assert set(rows) == {300, 701}
    for row in rows.values():
        assert 0 <= row["power_simulated"] <= 1 and row["mc_se"] >= 0
        assert 0 < row["power_schoenfeld"] < 1 and 0 < row["power_freedman"] < 1
        assert row["seconds"] > 0
    assert rows[701]["events_expected"] == pytest.approx(506, abs=0.5)
    assert data["wall_seconds"] > 0


def test_text_output_and_reproducibility(capsys):
    assert main(["power", "--n-sims", "30", "--n", "400", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert "Schoenfeld" in first and "MC SE" in first and "wall time" in first
    assert main(["power", "--n-sims", "30", "--n", "400", "--seed", "3", "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["power", "--n-sims", "30", "--n", "400", "--seed", "3", "--json", "--workers", "2"]) == 0
    b = json.loads(capsys.readouterr().out)
    for key in ("power_simulated", "events_simulated", "power_schoenfeld"):
        assert a["rows"][0][key] == b["rows"][0][key]


def test_analytic_only(capsys):
    assert main(["power", "--n-sims", "0", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["n"] == 701 and row["power_simulated"] is None


def test_scenario_file(tmp_path, capsys):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"adherence": {"never_start": 0.3}}))
    assert main(["power", "--scenario", str(path), "--n-sims", "0", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["hr_expected"] > 0.72  # more never-starters dilute the effect


@pytest.mark.parametrize("args, message", [
    (["--n-sims", "0", "--n", "2"], "--n 2"),
    (["--n-sims", "-1"], "--n-sims"),
    (["--n-sims", "0", "--seed", "-4"], "--seed"),
    (["--n", "100000", "--n-sims", "5000"], "limit"),
    (["--n-sims", "0", "--workers", "0"], "--workers"),
    (["--n-sims", "0", "--scenario", "/nonexistent/file.json"], "does not exist"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(["power", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("walkback power: error:")


@pytest.mark.parametrize("args", [["--n-sims", "many"], ["--alpha", "2"], ["--n"]])
def test_unparseable_arguments_exit_2(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(["power", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_bad_scenario_file_through_the_console_script_is_one_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"adherence": {"never_start": 7}}')
    out = run("power", "--scenario", str(path), "--n-sims", "0")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "never_start" in out.stderr


def test_results_are_identical_whatever_the_worker_count():
    """Whole processes: one worker (in-process), two and three processes (different chunkings too)."""
    from analysis.studies.replicates import chunk_size_for

    assert len({chunk_size_for(300, w) for w in (1, 2, 3)}) > 1  # the chunking differs as well
    outs = []
    for workers in ("1", "2", "3"):
        out = run("power", "--n-sims", "300", "--n", "200", "701", "--seed", "5", "--json", "--workers", workers)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        data.pop("wall_seconds")
        for row in data["rows"]:
            row.pop("seconds")
        outs.append(data)
    assert outs[0] == outs[1] == outs[2]
    assert outs[0]["rows"][1]["power_simulated"] is not None


def test_default_runs_on_every_core(monkeypatch):
    """No --workers: a process pool as large as this machine's cores (here made 3)."""
    import argparse

    from analysis.cli import common

    monkeypatch.setattr(common, "default_workers", lambda: 3)
    args = argparse.Namespace(workers=None, scheduler=None)
    with common.executor_for(args) as executor:
        assert executor is not None and args.parallel_workers == 3
    args = argparse.Namespace(workers=1, scheduler=None)
    with common.executor_for(args) as executor:
        assert executor is None and args.parallel_workers == 1
