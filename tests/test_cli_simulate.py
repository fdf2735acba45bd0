"""`walkback simulate`: every format and layout, and every bad input -> one line, exit 2, no file left."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

import numpy as np
import pandas as pd
import pytest

from analysis.io import export as export
from analysis.cli import main


def run(argv, capsys):
    """Run the CLI in-process: (exit status, stdout bytes-as-text, stderr)."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- good input
@pytest.mark.parametrize("fmt", export.EXPORT_FORMATS)
@pytest.mark.parametrize("layout", ["zip", "folder", "file"])
def test_simulate_writes_each_format_and_layout(tmp_path, capsys, fmt, layout):
    data_ext = ".parquet" if fmt == "parquet" else ".csv"
    out = {"zip": "bundle.zip", "folder": "bundle", "file": "trial" + data_ext}[layout]
    code, stdout, stderr = run(["simulate", "--n", "40", "--seed", "3", "--format", fmt, "--out",
                                str(tmp_path / out)], capsys)
    assert (code, stdout, stderr) == (0, "", "")
    if layout == "zip":
        with zipfile.ZipFile(tmp_path / out) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    elif layout == "folder":
        files = {p.name: p.read_bytes() for p in (tmp_path / out).iterdir()}
    else:
        files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
        assert "trial.provenance.json" in files and "trial.dictionary.json" in files
        files["provenance.json"] = files["trial.provenance.json"]
        files[json.loads(files["provenance.json"])["data_file"]] = files[out]
    record = json.loads(files["provenance.json"])
    data = files[record["data_file"]]
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert record["seed"] == 3 and record["n_participants"] == 40
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".walkback-")]


def test_simulate_replicates_one_file_with_replicate_column(tmp_path, capsys):
    code, _, err = run(["simulate", "--n", "20", "--replicates", "3", "--seed", "9", "--out",
                        str(tmp_path / "reps.csv")], capsys)
    assert code == 0, err
    cohort = pd.read_csv(tmp_path / "reps.csv")
    assert cohort.replicate.value_counts().sort_index().to_dict() == {1: 20, 2: 20, 3: 20}
    record = json.loads((tmp_path / "reps.provenance.json").read_text())
    assert record["replicates"] == 3 and "spawn(K)" in record["seed_rule"]


def test_simulate_to_stdout_is_the_data_only(capsys):
    code, out, err = run(["simulate", "--n", "10", "--format", "adtte"], capsys)
    assert code == 0 and err == ""
    adtte = pd.read_csv(io.StringIO(out))
    assert adtte.PARAMCD.eq("TTALREC").sum() == 10 and adtte.PARAMCD.iloc[0] == "TTALREC"
    assert set(adtte.PARAMCD) == {"TTALREC", "TTANYREC", "TTCAREC", "TTRECOV"}


def test_repeat_cli_exports_are_byte_identical_and_regenerable(tmp_path, capsys):
    for name in ("a", "b"):
        assert run(["simulate", "--n", "60", "--seed", "11", "--format", "parquet", "--out", str(tmp_path / name)],
                   capsys)[0] == 0
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert a == b
    # The provenance's own recipe: the scenario file and the seed give the same bytes again.
    record = json.loads(a["provenance.json"])
    assert run(["simulate", "--scenario", str(tmp_path / "a" / "scenario.json"), "--seed", str(record["seed"]),
                "--format", record["format"], "--out", str(tmp_path / "c.zip")], capsys)[0] == 0
    with zipfile.ZipFile(tmp_path / "c.zip") as archive:
        assert hashlib.sha256(archive.read(record["data_file"])).hexdigest() == record["sha256"]
    assert export.regenerate(record) == a


# --------------------------------------------------------------------------- bad input
def _scenario_file(folder, text):
    path = folder / "scenario.json"
    path.write_text(text)
    return str(path)


BAD = [
    # (id, argv after "simulate" with {out} and {scn} placeholders, scenario text, expected message part)
    ("n-zero", ["--n", "0"], None, "must be at least 1"),
    ("n-one", ["--n", "1"], None, "must be between 2 and 1,000,000"),
    ("n-text", ["--n", "ten"], None, "is not a whole number"),
    ("n-over-cap", ["--n", "1000001"], None, "export limit per cohort"),
    ("replicates-zero", ["--replicates", "0"], None, "must be at least 1"),
    ("replicates-over-cap", ["--replicates", "1001"], None, "between 1 and 1,000"),
    ("replicates-text", ["--replicates", "many"], None, "is not a whole number"),
    ("rows-over-cap", ["--n", "700000", "--replicates", "3"], None, "rows is more than the export limit"),
    ("seed-negative", ["--seed", "-1"], None, "between 0 and 2^63 - 1"),
    ("seed-huge", ["--seed", str(2**63)], None, "between 0 and 2^63 - 1"),
    ("seed-text", ["--seed", "abc"], None, "is not a whole number"),
    ("format-unknown", ["--format", "xlsx"], None, "invalid choice"),
    ("option-unknown", ["--colour", "red"], None, "unrecognized arguments"),
    ("scenario-missing", ["--scenario", "{missing}"], None, "does not exist"),
    ("scenario-not-json", ["--scenario", "{scn}"], "{not json", "not valid JSON"),
    ("scenario-unknown-field", ["--scenario", "{scn}"], '{"adherence": {"never_strat": 0.2}}', "unknown field"),
    ("scenario-bad-value", ["--scenario", "{scn}"], '{"adherence": {"never_start": 2}}', "adherence.never_start"),
    ("scenario-nan", ["--scenario", "{scn}"], '{"seed": NaN}', "not a number JSON allows"),
    ("scenario-over-cap", ["--scenario", "{scn}"],
     '{"design": {"n_intervention": 600000, "n_control": 600000}}', "export limit"),
    ("scenario-field-with-line-break", ["--scenario", "{scn}"], '{"adherence": {"a\\nb": 1}}', "unknown field"),
    ("scenario-is-folder", ["--scenario", "{folder}"], None, "is a directory"),
    ("out-missing-folder", ["--out", "{out}/nowhere/x.csv"], None, "does not exist"),
    ("out-wrong-extension", ["--format", "parquet", "--out", "{out}/x.csv"], None, "ends in .csv"),
    ("out-empty", ["--out", " "], None, "--out is empty"),
    ("out-non-empty-folder", ["--out", "{out}/full"], None, "not empty"),
    ("out-is-a-folder", ["--out", "{out}/full.csv"], None, "is a directory"),
    ("out-folder-is-a-file", ["--out", "{out}/plain"], None, "a file of that name exists"),
]


@pytest.mark.parametrize("case_id,argv,scenario_text,message", BAD, ids=[case[0] for case in BAD])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, case_id, argv, scenario_text, message):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "full").mkdir()
    (out_dir / "full" / "keep.txt").write_text("mine")
    (out_dir / "full.csv").mkdir()
    (out_dir / "plain").write_text("a file")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    scn = _scenario_file(inputs, scenario_text) if scenario_text is not None else ""
    argv = [a.format(out=out_dir, scn=scn, missing=inputs / "missing.json", folder=inputs) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(out_dir / "cohort.csv")]
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    code, stdout, stderr = run(["simulate", *argv], capsys)
    assert code == 2
    assert stdout == ""
    # argparse reports an unknown option from the top-level parser ("walkback: error: ...").
    prefix = "walkback: error: " if case_id == "option-unknown" else "walkback simulate: error: "
    assert stderr.startswith(prefix) and stderr.endswith("\n")
    assert stderr.count("\n") == 1, stderr
    assert message in stderr
    after = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert after == before


def test_write_failure_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    code, _, err = run(["simulate", "--n", "10", "--out", str(tmp_path / "c.zip")], capsys)
    assert code == 2 and err == f"walkback simulate: error: cannot write '{tmp_path / 'c.zip'}': No space left on device\n"
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- episodes (issue 10)
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_simulate_episodes_writes_one_row_per_episode_with_dictionary_and_provenance(tmp_path, capsys, fmt):
    from analysis.simulate.engine import EPISODE_COLUMNS

    out = tmp_path / f"ep.{fmt}"
    assert run(["simulate", "--episodes", "--n", "40", "--seed", "5", "--format", fmt, "--out", str(out)], capsys)[0] == 0
    episodes = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
    assert list(episodes.columns) == list(EPISODE_COLUMNS)
    dictionary = json.loads((tmp_path / "ep.dictionary.json").read_text())
    assert dictionary["dataset"] == "episodes"
    assert [c["name"] for c in dictionary["columns"]] == list(EPISODE_COLUMNS)
    assert all(c["description"] for c in dictionary["columns"])
    record = json.loads((tmp_path / "ep.provenance.json").read_text())
    assert record["dataset"] == "episodes" and "--episodes" in record["regenerate"]
    files = export.regenerate(record)
    assert hashlib.sha256(files[f"episodes.{fmt}"]).hexdigest() == record["sha256"]
    # the same participants as the participant file of the same command without --episodes
    code, text, _ = run(["simulate", "--n", "40", "--seed", "5"], capsys)
    cohort = pd.read_csv(io.StringIO(text))
    assert episodes.groupby("participant_id").size().sum() == cohort.n_episodes.sum()


def test_simulate_episodes_refuses_adtte_before_writing(tmp_path, capsys):
    code, out, err = run(["simulate", "--episodes", "--format", "adtte", "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "--episodes" in err
    assert not list(tmp_path.iterdir())


def test_analyze_endpoints_and_episode_file(tmp_path, capsys):
    """`walkback analyze --endpoint` reads each endpoint of a participant file; --episodes adds recurrent events."""
    from analysis.stats.cox import fit_cox
    from analysis.stats.recurrent import andersen_gill

    people, episodes = tmp_path / "p.csv", tmp_path / "e.csv"
    assert run(["simulate", "--seed", "4", "--out", str(people)], capsys)[0] == 0
    assert run(["simulate", "--seed", "4", "--episodes", "--out", str(episodes)], capsys)[0] == 0
    cohort = pd.read_csv(people, float_precision="round_trip")
    for endpoint, time, event in (("any", "time_any_days", "recurrence_any"), ("care", "time_care_days", "recurrence_care"),
                                  ("recovery", "recovery_days_first", "recovered_first")):
        code, out, err = run(["analyze", str(people), "--endpoint", endpoint, "--json"], capsys)
        assert code == 0, err
        got = json.loads(out)
        d = cohort[cohort.recurrence_any == 1] if endpoint == "recovery" else cohort
        fit = fit_cox(d[time], d[event], (d.arm == "intervention").to_numpy().astype(float))
        assert got["cox"]["hr"] == pytest.approx(float(np.exp(fit.coef[0])), rel=1e-6)
        assert sum(g["events"] for g in got["groups"]) == int(d[event].sum())
    code, out, err = run(["analyze", str(people), "--episodes", str(episodes), "--json"], capsys)
    assert code == 0, err
    got = json.loads(out)["recurrent"]
    ag = andersen_gill(pd.read_csv(episodes, float_precision="round_trip"), cohort)
    assert got["andersen_gill"]["hazard_ratio"] == pytest.approx(ag.hazard_ratio, rel=1e-12)
    code, out, err = run(["analyze", str(people), "--episodes", str(episodes)], capsys)
    assert code == 0 and "Andersen-Gill" in out and "Fisher's exact test" in out
    code, out, err = run(["analyze", str(people), "--endpoint", "care", "--time", "time_any_days"], capsys)
    assert code == 2 and err.count("\n") == 1
    code, out, err = run(["analyze", str(people), "--episodes", str(people)], capsys)
    assert code == 2 and "onset_day" in err and err.count("\n") == 1
