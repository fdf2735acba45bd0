"""Exports: round trips, ADTTE layout and CNSR coding, determinism, provenance, atomic writes."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.io import export as export
from analysis.errors import WalkBackInputError
from analysis.studies.replicates import replicate_seeds
from analysis.io.export import (
    ADTTE_COLUMNS,
    CNSR_CODES,
    EXPORT_FORMATS,
    cohort_to_adtte,
    cohort_to_bytes,
    export_bundle,
    export_files,
    neutralise_formulas,
    regenerate,
    export_cohorts,
    write_export,
)
from analysis.trial.scenario import Scenario
from analysis.simulate.engine import COHORT_COLUMNS, simulate_trial

SCENARIO = Scenario()  # uncalibrated: cheap to build, and the exports do not care
SEED = 1


@pytest.fixture(scope="module")
def cohort():
    return simulate_trial(SCENARIO, seed=SEED)


def _unzip(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --------------------------------------------------------------------------- round trips
def test_csv_round_trip(cohort):
    files = export_files(cohort, SCENARIO, SEED, "csv")
    back = pd.read_csv(io.BytesIO(files["cohort.csv"]), parse_dates=["enrol_date"], float_precision="round_trip")
    assert list(back.columns) == list(COHORT_COLUMNS)
    expected = cohort.copy()
    for col in ("arm", "referral", "stratum", "sex", "censor_reason", "followup_end"):
        expected[col] = expected[col].astype(str)
    expected["enrol_date"] = expected["enrol_date"].astype("datetime64[ns]")
    back["enrol_date"] = back["enrol_date"].astype("datetime64[ns]")
    # Floats are written in shortest round-trip form, so they come back exactly.
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_exact=True)


def test_parquet_round_trip_with_embedded_dictionary_and_provenance(cohort):
    files = export_files(cohort, SCENARIO, SEED, "parquet")
    table = pq.read_table(pa.BufferReader(files["cohort.parquet"]))
    expected = cohort.assign(enrol_date=cohort.enrol_date.astype("datetime64[ms]"))  # Parquet has no seconds unit
    pd.testing.assert_frame_equal(table.to_pandas(), expected, check_exact=True)
    meta = table.schema.metadata
    dictionary = json.loads(meta[b"walkback.data_dictionary"])
    embedded = json.loads(meta[b"walkback.provenance"])
    assert [c["name"] for c in dictionary["columns"]] == list(COHORT_COLUMNS)
    assert embedded["seed"] == SEED and embedded["scenario"] == SCENARIO.to_dict()
    # The embedded content hash is the hash of the CSV export of the same table.
    csv_bytes = export_files(cohort, SCENARIO, SEED, "csv")["cohort.csv"]
    assert embedded["content_sha256"] == hashlib.sha256(csv_bytes).hexdigest()
    sidecar = json.loads(files["provenance.json"])
    assert sidecar["sha256"] == hashlib.sha256(files["cohort.parquet"]).hexdigest()
    assert b"created_at" not in files["cohort.parquet"] and b"timestamp" not in files["cohort.parquet"].lower()


def test_adtte_round_trip_columns_types_and_cnsr(cohort):
    files = export_files(cohort, SCENARIO, SEED, "adtte")
    adtte = pd.read_csv(io.BytesIO(files["adtte.csv"]), keep_default_na=False, dtype={"SUBJID": str},
                        float_precision="round_trip")
    required = ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVAL", "AVALU", "CNSR", "STARTDT", "ADT", "EVNTDESC",
                "CNSDTDSC", "TRTP", "TRTPN", "ITTFL", "STRAT1R", "STRAT2R"]
    assert set(required) <= set(adtte.columns)
    assert set(adtte.columns) <= set(ADTTE_COLUMNS)
    assert (adtte.AVALU == "DAYS").all() and (adtte.ITTFL == "Y").all() and (adtte.STUDYID == "WALKBACK").all()
    _check_secondary_parameters(adtte, cohort)
    adtte = adtte[adtte.PARAMCD == "TTALREC"].reset_index(drop=True)
    assert len(adtte) == len(cohort)  # one record per participant for the primary parameter
    assert adtte.USUBJID.is_unique
    # Types as read back from the CSV.
    for col, (kind, _) in ADTTE_COLUMNS.items():
        if col not in adtte:
            continue
        if kind == "integer":
            assert pd.api.types.is_integer_dtype(adtte[col]), col
        elif kind == "number":  # whole-valued numbers (AVAL in whole days) are written as integers
            assert pd.api.types.is_numeric_dtype(adtte[col]) and not pd.api.types.is_bool_dtype(adtte[col]), col
        elif kind == "date":
            assert adtte[col].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), col
        else:
            assert adtte[col].map(type).eq(str).all(), col
    # CNSR: 0 = event, positive = censoring reason.
    np.testing.assert_array_equal(adtte.CNSR.to_numpy() == 0, cohort.recurrence.to_numpy() == 1)
    np.testing.assert_array_equal(adtte.CNSR.to_numpy(), cohort.censor_reason.astype(str).map(CNSR_CODES).to_numpy())
    assert set(adtte.CNSR) == {0, 1, 2, 3}
    assert (adtte.loc[adtte.CNSR == 0, "CNSDTDSC"] == "").all()
    assert (adtte.loc[adtte.CNSR > 0, "CNSDTDSC"] != "").all()
    np.testing.assert_array_equal(adtte.AVAL.to_numpy(), cohort.time_days.to_numpy())
    np.testing.assert_array_equal(adtte.TRTPN.to_numpy() == 1, (cohort.arm == "intervention").to_numpy())
    assert set(adtte.TRTP) == {"CONTROL", "WALKING AND EDUCATION"}
    np.testing.assert_array_equal(adtte.STRAT1R.str.startswith(">2").to_numpy(), cohort.history_gt2_episodes == 1)
    assert adtte.SUBJID.iloc[0] == "0001" and adtte.USUBJID.iloc[0] == "WALKBACK-0001"


def _check_secondary_parameters(adtte, cohort):
    """TTANYREC and TTCAREC for everyone, TTRECOV for those with a first recurrence; CNSR 0 exactly at events."""
    assert adtte.PARAMCD.unique().tolist() == ["TTALREC", "TTANYREC", "TTCAREC", "TTRECOV"]
    # Whole days on every record of every parameter: AVAL = ADT - STARTDT + 1 (an event on STARTDT is day 1).
    gap = (pd.to_datetime(adtte.ADT) - pd.to_datetime(adtte.STARTDT)).dt.days.to_numpy()
    np.testing.assert_array_equal(adtte.AVAL.to_numpy(), gap + 1)
    assert (adtte.AVAL >= 1).all()
    # Nothing is dated after the study's end date.
    assert (pd.to_datetime(adtte.ADT) <= pd.Timestamp(SCENARIO.design.followup_end)).all()
    for code, time_col, event_col in (("TTANYREC", "time_any_days", "recurrence_any"),
                                      ("TTCAREC", "time_care_days", "recurrence_care")):
        part = adtte[adtte.PARAMCD == code]
        assert len(part) == len(cohort) and part.USUBJID.is_unique
        np.testing.assert_array_equal(part.AVAL.to_numpy(), cohort[time_col].to_numpy())
        np.testing.assert_array_equal(part.CNSR.to_numpy() == 0, cohort[event_col].to_numpy() == 1)
        censored = part.CNSR.to_numpy() > 0
        codes = cohort.followup_end.astype(str).map(CNSR_CODES).to_numpy()
        np.testing.assert_array_equal(part.CNSR.to_numpy()[censored], codes[censored])
    recov = adtte[adtte.PARAMCD == "TTRECOV"]
    has = cohort.recurrence_any.to_numpy() == 1
    assert len(recov) == has.sum()
    np.testing.assert_array_equal(recov.AVAL.to_numpy(), cohort.recovery_days_first.to_numpy()[has])
    np.testing.assert_array_equal(recov.CNSR.to_numpy() == 0, cohort.recovered_first.to_numpy()[has] == 1)
    onset = (pd.to_datetime(recov.STARTDT) - pd.to_datetime(cohort.enrol_date[has]).to_numpy()).dt.days.to_numpy()
    np.testing.assert_array_equal(onset + 1, cohort.time_any_days.to_numpy()[has])  # STARTDT = the onset date


def test_adtte_replicates_get_unique_subject_ids():
    stacked = export_cohorts(SCENARIO, SEED, replicates=2)
    adtte = cohort_to_adtte(stacked)
    assert adtte.groupby("PARAMCD", observed=True).USUBJID.apply(lambda u: u.is_unique).all()
    assert adtte.REPLICATE.tolist()[:1] == [1]
    assert adtte.USUBJID.iloc[0] == "WALKBACK-R0001-0001"


def _example_adtte() -> pd.DataFrame:
    """ADTTE of the committed data/example_cohort.csv (a fixed file, so the R numbers below stay valid)."""
    cohort = pd.read_csv(export.EXAMPLE_COHORT_PATH, float_precision="round_trip")
    return pd.read_csv(io.BytesIO(cohort_to_bytes(cohort_to_adtte(cohort))), float_precision="round_trip")


def test_adtte_matches_r_survival():
    """lifelines on the exported ADTTE reproduces R's survival 3.5-3 on the same file.

    R code that made the numbers, run on the ADTTE of data/example_cohort.csv (write it with
    ``cohort_to_bytes(cohort_to_adtte(pd.read_csv(EXAMPLE_COHORT_PATH, float_precision="round_trip")))``;
    rerun when the example cohort is regenerated)::

        tte <- read.csv("example_adtte.csv"); tte$EVENT <- as.integer(tte$CNSR == 0)
        tte$TRTP <- factor(tte$TRTP, levels = c("CONTROL", "WALKING AND EDUCATION"))
        tte <- tte[tte$PARAMCD == "TTALREC", ]   # whole days (R 4.x, survival 3.5-x, 4 Dec 2026)
        coxph(Surv(AVAL, EVENT) ~ TRTP, data = tte, ties = "efron")      # coef -0.34160656768, se 0.0907874621737
        coxph(Surv(AVAL, EVENT) ~ TRTP + strata(STRAT1R, STRAT2R), data = tte, ties = "efron")  # -0.355711841201
        survfit(Surv(AVAL, EVENT) ~ TRTP, data = tte, conf.type = "log-log")
        # events 271 / 223; medians 110 / 230
        survdiff(Surv(AVAL, EVENT) ~ TRTP, data = tte)$chisq              # 14.3775306818
    """
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test

    adtte = _example_adtte()
    adtte = adtte[adtte.PARAMCD == "TTALREC"].copy()
    adtte["EVENT"] = (adtte.CNSR == 0).astype(int)
    cph = CoxPHFitter().fit(adtte[["AVAL", "EVENT", "TRTPN"]], "AVAL", "EVENT")
    assert cph.params_["TRTPN"] == pytest.approx(-0.34160656768, abs=1e-6)
    assert cph.standard_errors_["TRTPN"] == pytest.approx(0.0907874621737, abs=1e-6)
    strat = CoxPHFitter().fit(adtte[["AVAL", "EVENT", "TRTPN", "STRAT1R", "STRAT2R"]], "AVAL", "EVENT",
                              strata=["STRAT1R", "STRAT2R"])
    assert strat.params_["TRTPN"] == pytest.approx(-0.355711841201, abs=1e-6)
    with np.errstate():  # lifelines' KaplanMeierFitter calls np.seterr(divide="ignore") for the whole process
        medians = {arm: KaplanMeierFitter().fit(g.AVAL, g.EVENT).median_survival_time_
                   for arm, g in adtte.groupby("TRTPN")}
    assert medians[0] == 110 and medians[1] == 230
    assert adtte.groupby("TRTPN").EVENT.sum().tolist() == [271, 223]
    a, b = adtte[adtte.TRTPN == 0], adtte[adtte.TRTPN == 1]
    assert logrank_test(a.AVAL, b.AVAL, a.EVENT, b.EVENT).test_statistic == pytest.approx(14.3775306818, abs=1e-6)


# --------------------------------------------------------------------------- bundle contents
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_bundle_has_dictionary_provenance_and_scenario(cohort, fmt):
    files = _unzip(export_bundle(cohort, SCENARIO, SEED, fmt))
    data_name = {"csv": "cohort.csv", "parquet": "cohort.parquet", "adtte": "adtte.csv"}[fmt]
    expected = {data_name, "data_dictionary.json", "provenance.json", "scenario.json"}
    if fmt == "adtte":
        expected.add("reanalysis.R")
    assert set(files) == expected
    dictionary = json.loads(files["data_dictionary.json"])
    assert all(entry["description"] for entry in dictionary["columns"])
    assert dictionary["time_unit"].startswith("whole days")  # simulated times, in every format
    record = json.loads(files["provenance.json"])
    assert record["sha256"] == hashlib.sha256(files[data_name]).hexdigest()
    assert record["version"] == export.package_version() != "unknown"
    assert record["seed"] == SEED and record["format"] == fmt
    assert json.loads(files["scenario.json"]) == record["scenario"] == SCENARIO.to_dict()
    if fmt == "adtte":
        script = files["reanalysis.R"].decode()
        assert "library(survival)" in script and 'read.csv("adtte.csv"' in script
        assert "coxph(Surv(AVAL, EVENT)" in script


def test_uploaded_data_exports_without_scenario():
    frame = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0], "group": ["=cmd|' /C calc'!A0", "b"]})
    files = _unzip(export_bundle(frame, None, None, "csv"))
    assert set(files) == {"cohort.csv", "data_dictionary.json", "provenance.json"}
    assert "cannot be regenerated" in json.loads(files["provenance.json"])["source"]
    fractional = _unzip(export_bundle(pd.DataFrame({"time_days": [1.5, 2.0], "recurrence": [1, 0]}), None, None, "csv"))
    assert "time_unit" not in json.loads(fractional["data_dictionary.json"])  # not claimed for an upload in fractions
    assert files["cohort.csv"].decode().splitlines()[1].endswith(",'=cmd|' /C calc'!A0")
    with pytest.raises(WalkBackInputError, match="no scenario"):
        regenerate(json.loads(files["provenance.json"]))
    with pytest.raises(WalkBackInputError, match="missing: participant_id"):
        export_bundle(frame, None, None, "adtte")
    broken = simulate_trial(SCENARIO, seed=SEED).head(3)
    broken.loc[1, "time_days"] = np.nan
    with pytest.raises(WalkBackInputError, match="finite, non-negative time_days"):
        export_bundle(broken, None, None, "adtte")
    fractional = simulate_trial(SCENARIO, seed=SEED).head(3)
    fractional.loc[1, "time_days"] = 1.31  # ADT could not be a date consistent with AVAL
    with pytest.raises(WalkBackInputError, match="whole days from 1"):
        export_bundle(fractional, None, None, "adtte")


# --------------------------------------------------------------------------- determinism and provenance
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_repeat_exports_are_byte_identical(cohort, fmt):
    first = export_bundle(cohort, SCENARIO, SEED, fmt)
    again = export_bundle(simulate_trial(SCENARIO, seed=SEED), SCENARIO, SEED, fmt)
    assert first == again


def test_exports_are_byte_identical_across_processes(cohort):
    code = ("import sys, hashlib; from analysis.io.export import export_bundle; from analysis.trial.scenario import Scenario;"
            "from analysis.simulate.engine import simulate_trial; s = Scenario();"
            "print(*[hashlib.sha256(export_bundle(simulate_trial(s, seed=1), s, 1, f)).hexdigest()"
            " for f in ('csv', 'parquet', 'adtte')])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONHASHSEED": "123"})
    assert run.returncode == 0, run.stderr
    here = [hashlib.sha256(export_bundle(cohort, SCENARIO, SEED, f)).hexdigest() for f in EXPORT_FORMATS]
    assert run.stdout.split() == here


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_provenance_regenerates_the_export(tmp_path, fmt):
    scenario = SCENARIO if fmt != "parquet" else Scenario(seed=99)
    cohort = export_cohorts(scenario, None, replicates=2 if fmt == "adtte" else None)
    files = export_files(cohort, scenario, None, fmt, replicates=2 if fmt == "adtte" else None)
    write_export(tmp_path / "out.zip", files, fmt)
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        record = json.loads(archive.read("provenance.json"))
        data = archive.read(record["data_file"])
    rebuilt = regenerate(record)
    assert hashlib.sha256(rebuilt[record["data_file"]]).hexdigest() == record["sha256"] == \
        hashlib.sha256(data).hexdigest()
    assert rebuilt == files


def test_regenerate_refuses_another_version(cohort):
    record = json.loads(export_files(cohort, SCENARIO, SEED, "csv")["provenance.json"])
    record["version"] = "0.0.0-other"
    with pytest.raises(WalkBackInputError, match="install that version"):
        regenerate(record)


def test_replicates_use_spawned_seed_sequence_children():
    stacked = export_cohorts(SCENARIO, 42, replicates=3)
    children = np.random.SeedSequence(42).spawn(3)
    for i, child in enumerate(children, start=1):
        child_seed = int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
        one = stacked[stacked.replicate == i].drop(columns="replicate").reset_index(drop=True)
        pd.testing.assert_frame_equal(one, simulate_trial(SCENARIO, seed=child_seed))
    # Replicate i does not depend on how many replicates were asked for.
    assert replicate_seeds(42, 3).tolist() == replicate_seeds(42, 10)[:3].tolist()
    assert stacked.columns[0] == "replicate" and stacked.replicate.dtype == np.int32


def test_caps_have_clear_messages():
    with pytest.raises(WalkBackInputError, match="between 1 and 1,000"):
        export.check_export_size(701, 1001)
    with pytest.raises(WalkBackInputError, match="export limit of 1,000,000 per cohort"):
        export.check_export_size(1_000_001)
    with pytest.raises(WalkBackInputError, match="rows is more than"):
        export.check_export_size(400_000, 6)


# --------------------------------------------------------------------------- spreadsheet formulas
_text = st.text(alphabet=st.sampled_from(list("=+-@\t\r'abc 1,\"\n;")), max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(_text, min_size=1, max_size=6), numbers=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=6))
def test_csv_never_starts_a_text_cell_with_a_formula_character(cells, numbers):
    n = min(len(cells), len(numbers))
    frame = pd.DataFrame({"note": cells[:n], "value": numbers[:n], "label": pd.Categorical(cells[:n])})
    back = pd.read_csv(io.BytesIO(cohort_to_bytes(frame, "csv")), keep_default_na=False,
                       dtype={"note": str, "label": str}, float_precision="round_trip")
    assert len(back) == n  # embedded line breaks never split a row
    for col in ("note", "label"):
        for original, written in zip(frame[col].astype(str), back[col]):
            assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert written == ("'" + original if original.startswith(("=", "+", "-", "@", "\t", "\r")) else original)
    # Numeric cells are untouched: negative numbers stay numbers.
    np.testing.assert_array_equal(back["value"].to_numpy(dtype=float), frame["value"].to_numpy())


def test_formula_column_names_are_neutralised_too():
    assert list(neutralise_formulas(pd.DataFrame({"=HYPERLINK()": [1]})).columns) == ["'=HYPERLINK()"]


# --------------------------------------------------------------------------- atomic writes
@pytest.mark.parametrize("out", ["bundle.zip", "bundle", "data.csv"])
def test_failed_write_leaves_nothing_behind(tmp_path, cohort, monkeypatch, out):
    files = export_files(cohort, SCENARIO, SEED, "csv")
    calls = {"n": 0}
    real_replace = os.replace

    def failing(src, dst, *args, **kwargs):
        # The file layout renames four files: let the first through, so the rollback is exercised.
        calls["n"] += 1
        if out != "data.csv" or calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing)
    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(WalkBackInputError, match="No space left on device"):
        write_export(tmp_path / out, files, "csv")
    assert os.listdir(tmp_path) == []


def test_folder_export_refuses_a_non_empty_folder(tmp_path, cohort):
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "keep.txt").write_text("mine")
    with pytest.raises(WalkBackInputError, match="not empty"):
        write_export(tmp_path / "bundle", export_files(cohort, SCENARIO, SEED, "csv"), "csv")
    assert os.listdir(tmp_path / "bundle") == ["keep.txt"]


def test_file_layout_writes_sidecars(tmp_path, cohort):
    written = write_export(tmp_path / "trial.csv", export_files(cohort, SCENARIO, SEED, "adtte"), "adtte")
    names = sorted(os.path.basename(p) for p in written)
    assert names == ["trial.R", "trial.csv", "trial.dictionary.json", "trial.provenance.json", "trial.scenario.json"]
    assert 'read.csv("trial.csv"' in (tmp_path / "trial.R").read_text()
    record = json.loads((tmp_path / "trial.provenance.json").read_text())
    assert record["sha256"] == hashlib.sha256((tmp_path / "trial.csv").read_bytes()).hexdigest()


# --------------------------------------------------------------------------- uploads are never unpickled
def test_parquet_upload_is_read_by_pyarrow_without_pickle(monkeypatch, cohort):
    """Reading a Parquet upload goes through pyarrow only: pickle and pandas' readers are blocked."""
    import pickle

    from analysis.io.cohort_files import read_cohort_file, validate_two_arm

    data = export_files(cohort, SCENARIO, SEED, "parquet")["cohort.parquet"]

    def forbidden(*args, **kwargs):
        raise AssertionError("an upload reached a pickle path")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    monkeypatch.setattr(pd, "read_pickle", forbidden)
    monkeypatch.setattr(pd, "read_parquet", forbidden)
    frame = read_cohort_file(data, "upload.parquet")
    assert len(validate_two_arm(frame)) == len(cohort)


def test_parquet_with_a_pickled_extension_type_is_not_unpickled(tmp_path):
    """A crafted file declaring the legacy pickle-based extension type must not run its payload."""
    from analysis.io.cohort_files import read_cohort_file
    from analysis.errors import CohortFileError

    marker = tmp_path / "pwned"
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."  # pickle protocol 0: os.system(...)
    field = pa.field("time_days", pa.float64(), metadata={
        b"ARROW:extension:name": b"arrow.py_extension_type",
        b"ARROW:extension:metadata": payload,
    })
    table = pa.table({"time_days": [1.0, 2.0], "recurrence": [1, 0], "arm": ["control", "intervention"]})
    table = table.cast(pa.schema([field, table.schema.field("recurrence"), table.schema.field("arm")]))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    try:
        read_cohort_file(buffer.getvalue(), "evil.parquet")
    except CohortFileError:
        pass
    assert not marker.exists()


# --------------------------------------------------------------------------- example data
def test_example_cohort_file_is_current():
    """data/example_cohort.csv is ``example_cohort_csv()``. If calibration changed on purpose, rewrite it with
    python -c "from analysis.io.export import *; write_atomic(EXAMPLE_COHORT_PATH, example_cohort_csv())"
    """
    on_disk = pd.read_csv(export.EXAMPLE_COHORT_PATH)
    fresh = pd.read_csv(io.BytesIO(export.example_cohort_csv()))
    # A tolerance, not bytes: the calibration's last digits may differ between BLAS builds.
    pd.testing.assert_frame_equal(on_disk, fresh, check_exact=False, rtol=1e-9)
    assert len(on_disk) == 701 and not math.isnan(on_disk.time_days.sum())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", on_disk.enrol_date.iloc[0])
