"""AppTest: the two-arm test picker (Survival and Data pages) and the Design page's power-by-test panel."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DATA = ROOT / "tests" / "r_reference" / "data" / "walkback_seed1.csv"


def _page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(f"app_pages/{page}")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.slow
def test_survival_page_runs_each_test():
    at = _page("survival.py")
    assert _metrics(at)["Chi-square (1 df)"]  # log-rank by default
    for label, metric in [("MaxCombo", "Largest |z|"), ("RMST difference at a horizon", "RMST difference"),
                          ("Fleming-Harrington FH(ρ, γ)", "Chi-square (1 df)")]:
        at.selectbox(key="surv_test").set_value(label).run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert metric in _metrics(at)
    assert any("Favours walking + education** · Fleming-Harrington FH(0, 1)" in m.value for m in at.markdown)


@pytest.mark.slow
def test_data_page_tests_an_uploaded_file_and_refuses_a_horizon_beyond_follow_up():
    at = _page("data_files.py")
    at.file_uploader[0].set_value(("walkback.csv", DATA.read_bytes(), "text/csv"))
    at.run()
    at.selectbox(key="up_test").set_value("RMST difference at a horizon").run()
    assert "RMST difference" in _metrics(at) and not at.exception
    longest_control = pd.read_csv(DATA).query("arm == 'control'").time_days.max()
    longest = pd.read_csv(DATA).time_days.max()
    assert longest > longest_control  # so the longest time is beyond the control arm's follow-up
    at.number_input(key="up_tau_test").set_value(float(longest)).run()
    assert any("beyond the follow-up" in e.value for e in at.error)


@pytest.mark.slow
def test_design_page_compares_the_tests():
    at = _page("design_trial.py")
    assert any("Which test should" in s.value for s in at.subheader)
    frames = [f.value for f in at.table]
    table = next(f for f in frames if "Scenario" in f.columns)
    assert len(table) == 3 and "MaxCombo" in table.columns and "FH(0,1)" in table.columns
