"""AppTest over awkward uploads (issue 15): each gets a clear message or a correct analysis, never Streamlit's error box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def _cohort(n: int, max_time: float, seed: int, arms=("control", "intervention")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.resize(np.array(arms), n)
    time = np.round(rng.uniform(1, max_time, n), 1)
    time[0] = max_time  # the longest time is exactly max_time
    event = rng.integers(0, 2, n)
    return pd.DataFrame({"time_days": time, "recurrence": event, "arm": arm})


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _upload(name: str, content: bytes) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/data_files.py")
    at.run()
    at.file_uploader[0].set_value((name, content, "text/csv"))
    at.run()
    return at


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("longest", [60.0, 60.5, 61.0, 30.0, 2.0])
def test_short_follow_up_is_analysed(longest):
    """The crash of issue 15: a 60 to 61 day file made the RMST slider's min equal its max."""
    at = _upload(f"short{longest}.csv", _csv(_cohort(40, longest, seed=int(longest))))
    assert not at.exception, [e.value for e in at.exception]
    assert not _errors(at), _errors(at)
    assert "Hazard ratio (Cox)" in [m.label for m in at.metric]


def test_tiny_file_gets_a_clear_message_or_an_analysis():
    at = _upload("tiny.csv", b"time_days,recurrence,arm\n5,1,control\n7,0,intervention\n")
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert _errors(at) or "Hazard ratio (Cox)" in labels


def test_one_arm_is_explained():
    frame = _cohort(30, 400, seed=1, arms=("control",))
    at = _upload("one_arm.csv", _csv(frame))
    assert not at.exception, [e.value for e in at.exception]
    errors = _errors(at)
    assert errors and any("arm" in e.lower() or "level" in e.lower() for e in errors), errors


def test_three_arms_let_the_user_choose_two():
    """Finding 8 of issue #23: a file with three groups was refused without a way on."""
    frame = _cohort(30, 400, seed=2, arms=("a", "b", "c"))
    at = _upload("three_arms.csv", _csv(frame))
    assert not at.exception, [e.value for e in at.exception]
    assert not _errors(at), _errors(at)
    pick = at.multiselect(key="map_arms_arm")
    assert pick.value == ["a", "b"] and "Hazard ratio (Cox)" in [m.label for m in at.metric]
    events = [m for m in at.metric if m.label.startswith("Median")]
    pick.set_value(["a", "c"]).run()
    assert not at.exception and not _errors(at), _errors(at)
    assert [m.value for m in at.metric if m.label.startswith("Median")] != [m.value for m in events]


def test_weeks_as_the_unit_are_labelled_weeks():
    frame = _cohort(60, 400, seed=3).rename(columns={"time_days": "weeks"})
    frame["weeks"] = (frame["weeks"] / 7).round(2)
    at = _upload("weeks.csv", _csv(frame))
    assert not at.exception, [e.value for e in at.exception]
    assert not _errors(at), _errors(at)
    assert [s.value for s in at.selectbox][:3] == ["weeks", "recurrence", "arm"]
    medians = [m.value for m in at.metric if m.label.startswith("Median")]
    assert medians and all(v.endswith("weeks") or v == "not reached" for v in medians), medians


def test_missing_values_are_all_reported_and_incomplete_rows_can_go():
    """Finding 8 of issue #23: only the first problem was named, and nothing offered a way on."""
    frame = _cohort(30, 400, seed=4)
    frame.loc[5, "time_days"] = np.nan
    frame.loc[[8, 9], "recurrence"] = np.nan
    at = _upload("missing.csv", _csv(frame))
    assert not at.exception, [e.value for e in at.exception]
    warning = " ".join(w.value for w in at.warning)
    assert "**time_days** 1 (first at row 7)" in warning and "**recurrence** 2 (first at row 10)" in warning, warning
    errors = _errors(at)
    assert errors and "row 7" in " ".join(errors), errors  # still not analysed until the user says so
    box = at.checkbox(key="upload_drop_incomplete")
    assert box.label == "Drop incomplete rows (3 of 30)"
    box.check().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert "Hazard ratio (Cox)" in [m.label for m in at.metric]
    # finding 6: the analysis of an upload ends with its script (the file and the page's choices in the zip)
    assert "Download as script" in [b.proto.label for b in at.get("download_button")]


def test_clinic_column_gives_cluster_robust_cox():
    """An uploaded file with a clinic column: the cluster selector guesses it and the Cox table gains the
    cluster-robust model (R's numbers: tests/test_cox_cluster.py)."""
    data = (ROOT / "tests" / "r_reference" / "data" / "clinics_cox.csv").read_bytes()
    at = _upload("clinics.csv", data.replace(b"time,status,", b"time_days,recurrence,"))
    assert not at.exception, [e.value for e in at.exception]
    assert not _errors(at), _errors(at)
    assert at.selectbox(key="up_cluster").value == "clinic"
    at.session_state["up_tabs"] = "Log-rank and Cox"  # tabs render lazily: open the models' tab
    at.run()
    tables = [str(df.value) for df in at.table]
    assert any("robust SE by" in t and "(23 clusters)" in t for t in tables), tables
