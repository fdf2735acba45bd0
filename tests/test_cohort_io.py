"""analysis.io.cohort_files: reading CSV/Parquet and checking a two-arm file; one-line messages."""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.io.cohort_files import read_cohort_file, validate_two_arm
from analysis.errors import CohortFileError

GOOD = "time_days,recurrence,arm,stratum\n5,1,control,a\n7.5,0,intervention,b\n3,1,control,a\n"


def _csv(text):
    return read_cohort_file(text.encode(), "cohort.csv")


def _err(fn, *args, **kwargs) -> str:
    with pytest.raises(CohortFileError) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg and msg
    return msg


def test_reads_csv_and_parquet_the_same(tmp_path):
    df = _csv(GOOD)
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df), buf)
    pq_df = read_cohort_file(buf.getvalue())  # detected by the PAR1 magic bytes, no name
    pd.testing.assert_frame_equal(df, pq_df)
    path = tmp_path / "c.parquet"
    path.write_bytes(buf.getvalue())
    pd.testing.assert_frame_equal(df, read_cohort_file(path))
    clean = validate_two_arm(df, strata=["stratum"])
    assert clean.columns.tolist() == ["time", "event", "group", "stratum"]
    assert clean.dtypes.time == float and clean.event.tolist() == [1, 0, 1]


def test_event_true_false_case_insensitive():
    df = _csv("t,e,arm\n1,TRUE,control\n2,false,intervention\n3,True,intervention\n")
    assert validate_two_arm(df, "t", "e").event.tolist() == [1, 0, 1]


def test_missing_column_lists_available():
    msg = _err(validate_two_arm, _csv(GOOD), time="days")
    assert "'days' not found" in msg and "available columns: 'time_days', 'recurrence', 'arm', 'stratum'" in msg


def test_misnamed_column_suggests_case():
    msg = _err(validate_two_arm, _csv(GOOD), group="Arm")
    assert "did you mean 'arm'" in msg


def test_non_numeric_time_gives_row():
    msg = _err(validate_two_arm, _csv("time_days,recurrence,arm\n5,1,control\nabc,0,intervention\n"))
    assert "not numeric" in msg and "row 3" in msg and "'abc'" in msg


def test_negative_time():
    msg = _err(validate_two_arm, _csv("time_days,recurrence,arm\n5,1,control\n-2,0,intervention\n"))
    assert "negative" in msg and "row 3" in msg


@pytest.mark.parametrize("value", ["2", "yes please", "0.5"])
def test_bad_event_values(value):
    msg = _err(validate_two_arm, _csv(f"time_days,recurrence,arm\n5,1,control\n6,{value},intervention\n"))
    assert "0/1 or true/false" in msg and "row 3" in msg


def test_missing_values_column_and_row():
    msg = _err(validate_two_arm, _csv("time_days,recurrence,arm\n5,1,control\n6,0,\n7,1,intervention\n"))
    assert "'arm'" in msg and "missing" in msg and "row 3" in msg
    msg = _err(validate_two_arm, _csv("time_days,recurrence,arm\n5,1,control\n,0,intervention\n"))
    assert "'time_days'" in msg and "row 3" in msg


def test_one_group_two_many_groups_and_reference():
    assert "only one group" in _err(validate_two_arm, _csv("time_days,recurrence,arm\n5,1,control\n6,0,control\n"))
    msg = _err(validate_two_arm, _csv("time_days,recurrence,arm\n5,1,a\n6,0,b\n7,1,c\n"), reference="a")
    assert "3 groups" in msg and "exactly two" in msg
    msg = _err(validate_two_arm, _csv(GOOD), reference="placebo")
    assert "reference level 'placebo' not found" in msg and "'control'" in msg


def test_numeric_group_levels_compare_as_text():
    df = _csv("t,e,fin\n1,1,0\n2,0,1\n")
    assert validate_two_arm(df, "t", "e", "fin", reference=0).group.tolist() == ["0", "1"]


def test_empty_file_and_header_only():
    assert "empty" in _err(read_cohort_file, b"", "x.csv")
    assert "empty" in _err(read_cohort_file, b"  \n", "x.csv")
    assert "no data rows" in _err(read_cohort_file, b"time_days,recurrence,arm\n", "x.csv")


def test_not_csv_or_parquet():
    assert "Excel" in _err(read_cohort_file, b"PK\x03\x04 junk", "trial.xlsx")
    assert "not a CSV or Parquet" in _err(read_cohort_file, b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image.png")
    assert "not a valid Parquet" in _err(read_cohort_file, b"time,event\n1,2\n", "x.parquet")
    assert "Parquet" in _err(read_cohort_file, b"PAR1 this is not really parquet PAR1", "x.parquet")


def test_undecodable_bytes():
    msg = _err(read_cohort_file, "time,event,arm\n1,1,contr\u00f4l\n".encode("latin-1"), "x.csv")
    assert "line 2" in msg and "UTF-8" in msg


def test_missing_file(tmp_path):
    assert "does not exist" in _err(read_cohort_file, tmp_path / "nope.csv")


def test_max_rows_guard():
    text = "time_days,recurrence,arm\n" + "1,1,control\n2,0,intervention\n" * 3
    assert "more than the limit of 5" in _err(read_cohort_file, text.encode(), "x.csv", max_rows=5)
    assert "more than the limit" in _err(validate_two_arm, _csv(text), max_rows=5)


def test_simulated_cohort_validates():
    from analysis import Scenario, simulate_trial

    df = simulate_trial(Scenario(), seed=4)
    clean = validate_two_arm(df, strata=["stratum"], covariates=["age_years", "sex"])
    assert len(clean) == len(df) and set(clean.group) == {"control", "intervention"}
    assert np.array_equal(clean.time.to_numpy(), df.time_days.to_numpy())


def test_semicolon_files_with_decimal_commas_are_read():
    from analysis.io.cohort_files import read_cohort_file, validate_two_arm

    raw = b"time_days;recurrence;arm\n5,5;1;control\n7;0;intervention\n9;1;control\n3;1;intervention\n"
    clean = validate_two_arm(read_cohort_file(raw, filename="eu.csv"))
    assert clean.time.tolist() == [5.5, 7.0, 9.0, 3.0]


# --------------------------------------------------------------------------- the fast reader (pyarrow) and read_two_arm_file
def _reference_files():
    import json
    from pathlib import Path

    here = Path(__file__).parent / "r_reference"
    configs = {k: v["config"] for k, v in json.loads((here / "reference.json").read_text()).items() if k != "meta"}
    return [(here / "data" / f"{name}.csv", c) for name, c in sorted(configs.items())]


@pytest.mark.parametrize("path, c", _reference_files(), ids=lambda v: getattr(v, "stem", ""))
def test_read_two_arm_file_equals_read_then_validate(path, c):
    from analysis.io.cohort_files import read_two_arm_file

    kw = dict(time=c["time"], event=c["event"], group=c["group"], reference=c["reference"],
              strata=[c["strata"]] if c["strata"] else [], covariates=c["covariates"] or [])
    expected = validate_two_arm(read_cohort_file(path), **kw)
    pd.testing.assert_frame_equal(read_two_arm_file(path, **kw), expected)
    # the same through pandas' reader (the fallback) and through Parquet
    pd.testing.assert_frame_equal(validate_two_arm(pd.read_csv(path), **kw), expected)
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(read_cohort_file(path)), buf)
    pd.testing.assert_frame_equal(read_two_arm_file(buf.getvalue(), "x.parquet", **kw), expected)


def test_gzip_csv_is_read(tmp_path):
    import gzip

    from analysis.io.cohort_files import read_two_arm_file

    raw = GOOD.encode()
    path = tmp_path / "cohort.csv.gz"
    path.write_bytes(gzip.compress(raw))
    pd.testing.assert_frame_equal(read_cohort_file(path), _csv(GOOD))
    pd.testing.assert_frame_equal(read_cohort_file(gzip.compress(raw)), _csv(GOOD))  # by its magic bytes
    pd.testing.assert_frame_equal(read_two_arm_file(path), validate_two_arm(_csv(GOOD)))
    assert "not a readable gzip" in _err(read_cohort_file, b"\x1f\x8b not gzip", "x.csv.gz")


def test_read_two_arm_file_messages_are_validate_two_arms():
    from analysis.io.cohort_files import read_two_arm_file

    msg = _err(read_two_arm_file, GOOD.encode(), "c.csv", time="days")
    assert msg == _err(validate_two_arm, _csv(GOOD), time="days")
    assert "available columns: 'time_days', 'recurrence', 'arm', 'stratum'" in msg
    assert "did you mean 'arm'" in _err(read_two_arm_file, GOOD.encode(), "c.csv", group="Arm")
    bad = b"time_days,recurrence,arm\n5,1,control\nabc,0,intervention\n"
    assert _err(read_two_arm_file, bad, "c.csv") == _err(validate_two_arm, _csv(bad.decode()))


def test_a_bad_value_after_the_first_block_is_found_with_its_row():
    """pyarrow infers types from the first block; a late non-number falls back to pandas, same message."""
    from analysis.io.cohort_files import read_two_arm_file

    n = 400_000  # about 8 MB: the bad value is well past the first 4 MB block
    times = np.arange(n).astype(str)
    times[n - 10] = "abc"
    text = "id,time_days,recurrence,arm\n" + "".join(
        f"{i},{t},{i % 2},{'control' if i % 3 else 'intervention'}\n" for i, t in enumerate(times))
    msg = _err(read_two_arm_file, text.encode(), "big.csv")
    assert "not numeric" in msg and f"row {n - 10 + 2}" in msg and "'abc'" in msg


def test_quotes_blanks_and_text_markers_read_as_pandas_did():
    from analysis.io.cohort_files import read_two_arm_file

    quoted = b'"time_days","recurrence","arm"\n"5","1","control"\n"7.5","0","intervention"\n'
    assert read_two_arm_file(quoted, "q.csv").time.tolist() == [5.0, 7.5]
    blanks = b"time_days, recurrence, arm\n5, 1, control\n7.5, 0, intervention\n"
    assert read_two_arm_file(blanks, "b.csv").group.tolist() == ["control", "intervention"]
    text_events = b"t,e,arm\n1, TRUE,control\n2,false ,intervention\n3,True,intervention\n"
    assert read_two_arm_file(text_events, "e.csv", time="t", event="e").event.tolist() == [1, 0, 1]
    missing = b"time_days,recurrence,arm\n5,1,control\n6,0,None\n7,1,intervention\n"
    assert "row 3" in _err(read_two_arm_file, missing, "m.csv")


def test_whole_days_first_and_fractions_later_read_as_numbers():
    """pyarrow infers types from the first 4 MB; the time column is read as numbers throughout."""
    from analysis.io.cohort_files import read_two_arm_file

    n = 400_000
    rows = [f"{i},{'control' if i % 2 else 'intervention'},{i % 2},{i if i < n - 5 else i + 0.5}\n" for i in range(n)]
    clean = read_two_arm_file(("id,arm,recurrence,time_days\n" + "".join(rows)).encode(), "days.csv")
    assert clean.time.iloc[-1] == n - 1 + 0.5 and clean.time.iloc[0] == 0.0
