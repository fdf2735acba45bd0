"""AppTest smoke tier: every page renders without an exception, by default and on edge scenarios.

The app is driven through its real entry point (``app.py`` with ``st.navigation``); edge scenarios
arrive the way a user's link brings them, as URL query parameters.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support.pages import PAGES as REGISTERED

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PAGES = [spec.file for spec in REGISTERED]  # every registered page, including pages added later

EDGE_SCENARIOS = {
    "nobody_starts": {"ns": "1"},
    "zero_adherence": {"ma": "0"},
    "full_adherence_no_spread": {"ma": "1", "as": "0", "ns": "0"},
    "exponential_baseline": {"bl": "exponential"},
    "piecewise_baseline": {"bl": "piecewise_exponential"},
    "emax_dose": {"dr": "emax"},
    "no_walking_effect": {"dr": "none"},
    "tiny_trial": {"n1": "4", "n0": "3", "blocks": "2"},
    "frailty_and_healthy_adherers": {"rsd": "0.8", "ha": "0.6"},
    "short_followup": {"fu": "2"},
}


def new_app(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    if query:
        at.query_params.update(query)
    return at


def problems(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception]


def run_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}")
    at.run()
    return at


def wait_for_replicates(at: AppTest, timeout: float = 90.0) -> AppTest:
    """Re-run the replicates page until its background run has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        if not at.get("progress"):
            return at
        time.sleep(0.5)
    raise AssertionError("the replicate run did not finish in time")


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    at = new_app()
    at.run()
    assert not problems(at)
    return at


def test_router_registers_every_page(default_app):
    assert default_app.title[0].value == "The WalkBack trial"
    assert any("WalkBack Explorer" in m.value for m in default_app.sidebar.markdown)
    for page in PAGES:
        default_app.switch_page(f"app_pages/{page}")  # raises if st.navigation did not register it


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_with_defaults(default_app, page):
    at = run_page(default_app, page)
    assert not problems(at), problems(at)
    assert at.title, f"{page} has no title"
    if page != "data_files.py":
        assert not at.error, [e.value for e in at.error]


def test_replicates_page_shows_results_when_the_run_finishes(default_app):
    at = wait_for_replicates(run_page(default_app, "replicates.py"))
    assert not problems(at)
    labels = [m.label for m in at.metric]
    assert "Trials with p < 0.05" in labels and "Inside the published CI" in labels


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EDGE_SCENARIOS))
def test_every_page_survives_edge_scenarios(name):
    at = new_app(EDGE_SCENARIOS[name])
    at.run()
    assert not problems(at), problems(at)
    assert not [e for e in at.error if "link" in str(e.value)], "edge scenario rejected as a bad link"
    for page in PAGES:
        run_page(at, page)
        if page == "replicates.py":
            wait_for_replicates(at)
        assert not problems(at), (name, page, problems(at))


TABS = ["Medians and landmarks", "Log-rank and Cox", "Proportional hazards", "Restricted mean", "Follow-up"]


def test_every_analysis_tab_renders(default_app):
    """Tabs render lazily (only the open one runs), so open each in turn."""
    at = run_page(default_app, "survival.py")
    charts = {}
    for tab in TABS:
        at.session_state["surv_tabs"] = tab
        at.run()
        assert not problems(at), (tab, problems(at))
        charts[tab] = len(at.get("plotly_chart"))
    assert charts["Log-rank and Cox"] == charts["Proportional hazards"] == charts["Medians and landmarks"] + 1
    at.session_state["surv_tabs"] = TABS[0]
    at.run()


def test_the_first_screen_leads_with_what_the_model_reproduces(default_app):
    """Finding 4 of issue #23: the landing page showed one simulated trial's HR 0.81 and medians 173/128 first.
    Now the published card comes first, the model's expectation (which reproduces it) second, and the simulated trial
    after both, labelled as one draw."""
    at = run_page(default_app, "trial.py")
    texts = [m.value for m in at.markdown]
    heading = {name: next(i for i, t in enumerate(texts) if t.startswith(name))
               for name in ("## Published · Lancet 2024", "## Expected · the calibrated WalkBack model",
                            "## One simulated trial · one draw")}
    assert heading["## Published · Lancet 2024"] < heading["## Expected · the calibrated WalkBack model"] \
        < heading["## One simulated trial · one draw"]
    expected_card = texts[heading["## Expected · the calibrated WalkBack model"] + 1]
    for published in ("**208**", "**112**", "**0.72**"):  # the expectation reproduces the published figures
        assert published in expected_card, expected_card
