"""AppTest: the Cost-effectiveness page renders by default, after what-ifs and on edge scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"


def run_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    if query:
        at.query_params.update(query)
    at.run()  # st.navigation registers the pages on the first run
    at.switch_page("app_pages/cost_effectiveness.py")
    at.run()
    return at


def _metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


@pytest.mark.slow
def test_page_renders_and_a_cheaper_programme_costs_less():
    at = run_page()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert "Published (Lancet 2024)" in table.columns
    assert not any("nterim" in w.value for w in at.warning)  # costed from the episode engine, no interim banner
    absence = table.set_index("").loc["Work absence ratio"]
    assert absence["Published (Lancet 2024)"] == "about half" and 0 < float(absence["This simulated trial"]) < 1
    before = float(_metric(at, "Incremental cost").replace("AU$", "").replace(",", ""))
    at.slider(key="cea_price").set_value(50).run()
    assert not at.exception
    after = float(_metric(at, "Incremental cost").replace("AU$", "").replace(",", ""))
    assert after < before
    at.select_slider(key="cea_threshold").set_value(50_000).run()
    assert not at.exception and _metric(at, "P(cost-effective) at AU$50k")


@pytest.mark.slow
@pytest.mark.parametrize("query", [{"ns": "1"}, {"ma": "0"}, {"n1": "4", "n0": "3", "blocks": "2"}])
def test_edge_scenarios_render_without_exception(query):
    at = run_page(query)
    assert not at.exception, [e.value for e in at.exception]
