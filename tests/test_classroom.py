"""Class sets: the answer key equals `walkback analyze --json` on every student's file, seeds follow
the replicate rule, variants go round robin, and bad input is one line with exit status 2."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analysis.cli.main import main
from analysis.model.default import default_scenario
from analysis.model.expectation import expected_trial
from analysis.io.export import cohort_to_bytes
from analysis.simulate.engine import simulate_trial
from analysis.io.class_set import build_class_set
from analysis.studies.classroom import parse_vary
from analysis.studies.replicates import replicate_seed
from analysis.errors import WalkBackInputError
from analysis.trial.scenario import with_changes

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def class_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("class") / "class.zip"
    rc = main(["classroom", "--students", "4", "--seed", "99", "--out", str(out),
               "--vary", "adherence.mean_adherence=0.4,0.87"])
    assert rc == 0
    return out


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_answer_key_is_walkback_analyze_on_every_student_file(class_zip, tmp_path, capsys):
    files = _members(class_zip)
    key = json.loads(files["instructor/answer_key.json"])
    assert [row["student"] for row in key] == [1, 2, 3, 4]
    capsys.readouterr()
    for row in key:
        data = tmp_path / f"s{row['student']}.csv"
        data.write_bytes(files[f"student_{row['student']:02d}/trial.csv"])
        assert main(["analyze", str(data), "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed == row["analysis"]  # every number, to the last bit
        groups = {g["level"]: g for g in printed["groups"]}
        assert row["cox_hr"] == printed["cox"]["hr"] and row["logrank_p"] == printed["logrank"]["p"]
        assert row["median_control"] == groups["control"]["median"]
        assert row["events_intervention"] == groups["intervention"]["events"]


def test_seeds_variants_and_true_values(class_zip):
    files = _members(class_zip)
    key = json.loads(files["instructor/answer_key.json"])
    base = default_scenario()
    for row in key:
        i = row["student"]
        assert row["seed"] == replicate_seed(99, i - 1)
        assert row["variant"] == (0.4, 0.87)[(i - 1) % 2]
        student_scenario = with_changes(base, {"adherence.mean_adherence": row["variant"]})
        assert student_scenario.adherence.mean_adherence == row["variant"]
        # the student's file is exactly that trial
        assert files[f"student_{i:02d}/trial.csv"] == cohort_to_bytes(simulate_trial(student_scenario, seed=row["seed"]))
        truth = expected_trial(student_scenario)
        assert row["true_cox_hr"] == truth.cox_hr and row["true_median_intervention"] == truth.median_intervention
    # the worksheet names the setting in words (never the raw field name) with the student's value
    sheet = files["student_02/worksheet.md"].decode()
    assert "mean adherence among starters (share of target) is **0.87**" in sheet.lower()
    assert "adherence.mean_adherence" not in sheet
    key = files["instructor/answer_key.md"].decode()
    assert "| Mean adherence among starters (share of target) |" in key and "log-rank chi-square" in key
    assert ".0 (" not in key  # whole-day medians as whole numbers: '102 (89 to 124)', not '102.0 (89.0 to 124.0)'
    assert files["student_01/worksheet.html"].startswith(b"<!DOCTYPE html>")


def test_class_set_is_reproducible_and_student_data_do_not_depend_on_class_size():
    s = default_scenario()
    small, large = build_class_set(s, 2, seed=3), build_class_set(s, 3, seed=3)
    assert small.to_zip() == build_class_set(s, 2, seed=3).to_zip()
    assert small.files["student_02/trial.csv"] == large.files["student_02/trial.csv"]
    assert small.files["student_01/trial.csv"] != small.files["student_02/trial.csv"]


@pytest.mark.parametrize("argv, message", [
    (["--students", "0"], "must be at least 1"),
    (["--students", "501"], "between 1 and 500"),
    (["--students", "2", "--vary", "adherence.nope=1,2"], "unknown field"),
    (["--students", "2", "--vary", "adherence.mean_adherence"], "FIELD=V1,V2"),
    (["--students", "2", "--vary", "adherence.mean_adherence=0.2,0.3,0.4"], "only 2 students"),
    (["--students", "2", "--vary", "adherence.mean_adherence=2"], "out of range"),
    (["--students", "2", "--vary", "adherence.mean_adherence=nan"], "finite"),
    (["--students", "2", "--out", "class.txt"], "must end in .zip"),
    (["--students", "2", "--out", "/no/such/folder/c.zip"], "does not exist"),
    (["--students", "2", "--seed", "-1"], "between 0 and 2^63 - 1"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, argv, message):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "analysis", "classroom", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert os.listdir(tmp_path) == []


def test_parse_vary_rejects_duplicates():
    with pytest.raises(WalkBackInputError, match="only once"):
        parse_vary("adherence.never_start=0.1,0.1")


def test_zip_holds_every_students_folder(class_zip):
    names = set(zipfile.ZipFile(io.BytesIO(class_zip.read_bytes())).namelist())
    for i in range(1, 5):
        assert {f"student_{i:02d}/{f}" for f in ("trial.csv", "data_dictionary.json", "worksheet.md",
                                                   "worksheet.html")} <= names
    assert {"README.md", "instructor/answer_key.md", "instructor/answer_key.csv", "instructor/class.json"} <= names
