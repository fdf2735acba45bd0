"""walkback analyze: output, JSON shape, and one-line errors with exit status 2."""

import argparse
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pandas as pd
import pytest

from analysis.cli import analyze as cli_analyze

DATA = Path(__file__).parent / "r_reference" / "data"
with open(Path(__file__).parent / "r_reference" / "reference.json", encoding="utf-8") as _fh:
    REF = json.load(_fh)


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="walkback")
    cli_analyze.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["analyze", *map(str, argv)])
    rc = cli_analyze.run(args)
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_output_matches_r(capsys):
    rc, out, err = _run([DATA / "walkback_seed1.csv", "--strata", "stratum", "--json"], capsys)
    assert rc == 0 and err == ""
    d = json.loads(out)
    r = REF["walkback_seed1"]
    assert [g["level"] for g in d["groups"]] == ["control", "intervention"]
    # survdiff(Surv(time, event) ~ group)$chisq
    assert d["logrank"]["chisq"] == pytest.approx(r["logrank"]["chisq"], rel=1e-6)
    # coxph(Surv(time, event) ~ group, ties = "efron"): exp(coef), lower .95, upper .95
    assert d["cox"]["hr"] == pytest.approx(r["cox"]["hr"], rel=1e-6)
    assert d["cox"]["ci"] == pytest.approx([r["cox"]["lower"], r["cox"]["upper"]], rel=1e-6)
    # print(survfit(...), rmean = tau): rmean difference
    assert d["rmst"]["difference"] == pytest.approx(r["table"]["rmean"][1] - r["table"]["rmean"][0], rel=1e-6)
    assert d["logrank_stratified"]["chisq"] == pytest.approx(r["logrank_strat"]["chisq"], rel=1e-6)


def test_json_nulls_for_not_reached(capsys):
    rc, out, _ = _run([DATA / "aml.csv", "--time", "time", "--event", "status", "--group", "x",
                       "--reference", "Maintained", "--json", "--tau", "40"], capsys)
    d = json.loads(out)
    assert rc == 0 and d["groups"][0]["median_ci"] == [13.0, None] and d["rmst"]["tau"] == 40.0


def test_table_output_and_parquet(tmp_path, capsys):
    df = pd.read_csv(DATA / "rossi.csv")
    path = tmp_path / "rossi.parquet"
    pq.write_table(pa.Table.from_pandas(df), path)
    rc, out, err = _run([path, "--time", "week", "--event", "arrest", "--group", "fin", "--reference", "0"], capsys)
    assert rc == 0 and err == ""
    assert "Log-rank test" in out and "Cox HR (1 vs 0)" in out and "NR" in out


BAD_CASES = {
    "missing column": ("time_days,recurrence,arm\n1,1,control\n2,0,intervention\n", ["--time", "days"],
                       "time column 'days' not found"),
    "non-numeric time": ("time_days,recurrence,arm\n1,1,control\nx,0,intervention\n", [], "row 3"),
    "negative time": ("time_days,recurrence,arm\n1,1,control\n-1,0,intervention\n", [], "negative"),
    "bad event": ("time_days,recurrence,arm\n1,1,control\n2,7,intervention\n", [], "0/1 or true/false"),
    "missing value": ("time_days,recurrence,arm\n1,,control\n2,0,intervention\n", [], "missing"),
    "one group": ("time_days,recurrence,arm\n1,1,control\n2,0,control\n", [], "only one group"),
    "three groups": ("time_days,recurrence,arm\n1,1,control\n2,0,a\n3,1,b\n", [], "3 groups"),
    "no reference": ("time_days,recurrence,arm\n1,1,a\n2,0,b\n", [], "reference level 'control' not found"),
    "empty": ("", [], "empty"),
    "header only": ("time_days,recurrence,arm\n", [], "no data rows"),
    "no events": ("time_days,recurrence,arm\n1,0,control\n2,0,intervention\n", [], "no events"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_one_line_exit_2(case, tmp_path, capsys):
    text, extra, needle = BAD_CASES[case]
    path = tmp_path / "cohort.csv"
    path.write_text(text, encoding="utf-8")
    rc, out, err = _run([path, *extra], capsys)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("walkback analyze: error: ")
    assert needle in err


@pytest.mark.parametrize("name,data,needle", [
    ("cohort.xlsx", b"PK\x03\x04", "Excel"),
    ("cohort.bin", b"\x00\x01\x02\x03", "not a CSV or Parquet"),
    ("cohort.csv", "t,e\n1,caf\u00e9\n".encode("latin-1"), "UTF-8"),
    ("cohort.parquet", b"not parquet", "Parquet"),
])
def test_bad_file_types_one_line(name, data, needle, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(data)
    rc, out, err = _run([path], capsys)
    assert rc == 2 and err.count("\n") == 1 and needle in err


def test_missing_file(tmp_path, capsys):
    rc, _, err = _run([tmp_path / "nope.csv"], capsys)
    assert rc == 2 and "does not exist" in err


def test_json_says_which_cox_engine_ran_and_both_agree(tmp_path, capsys):
    """701 rows: lifelines (the estimator of record) by default; --cox-engine exact-vectorised gives the
    same numbers to 1e-8; a gzip-compressed copy of the file gives the same output."""
    import gzip

    src = DATA / "walkback_seed1.csv"
    rc, out, _ = _run([src, "--strata", "stratum", "--json"], capsys)
    default = json.loads(out)
    assert rc == 0 and default["cox_engine"] == "lifelines"
    assert default["cox_stratified"]["cox_engine"] == "lifelines"
    rc, out, _ = _run([src, "--strata", "stratum", "--json", "--cox-engine", "exact-vectorised"], capsys)
    exact = json.loads(out)
    assert rc == 0 and exact["cox_engine"] == "exact-vectorised"
    for key in ("cox", "cox_stratified"):
        assert exact[key]["hr"] == pytest.approx(default[key]["hr"], rel=1e-8)
        assert exact[key]["ci"] == pytest.approx(default[key]["ci"], rel=1e-8)
    gz = tmp_path / "walkback_seed1.csv.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    rc, out, _ = _run([gz, "--strata", "stratum", "--json"], capsys)
    assert rc == 0 and json.loads(out) == default
