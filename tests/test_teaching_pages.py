"""AppTest tier for the teaching pages: the guided lesson and the class set page render, react, and
offer what they promise (another trial on demand; a class-set zip)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from test_app_smoke import EDGE_SCENARIOS

ROOT = Path(__file__).resolve().parent.parent


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page(f"app_pages/{name}")
    at.run()
    assert not at.exception, [str(e.value) for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.slow
def test_lesson_draws_another_trial_and_links_every_step():
    at = _page("lesson.py")
    first = _metric(at, "Hazard ratio, this trial")
    truth = _metric(at, "Hazard ratio, truth")
    at.button(key="lesson_draw").click().run()
    assert not at.exception
    assert _metric(at, "Hazard ratio, truth") == truth
    assert _metric(at, "Hazard ratio, this trial") != first  # a new trial (seed + 1) gives another estimate
    # each step links to the page that explores it further (url paths of app.py)
    assert [el.proto.page for el in at.main.get("page_link")] == ["adherence", "survival", "replicates", "estimands",
                                                            "design", "classroom"]
    # the median lesson reacts to the shape: constant risk gives 112 / 0.72
    at.slider(key="lesson_shape").set_value(1.0).run()
    assert _metric(at, "Median, walking + education") == "156 days"


def test_class_set_page_builds_a_zip():
    at = _page("classroom.py")
    at.number_input[0].set_value(3)
    at.button[0].click().run()
    assert not at.exception
    assert at.get("download_button"), "the class set is offered for download"
    key = at.table[0].value  # the answer-key preview; the zip itself is checked in test_classroom.py
    assert key.student.tolist() == ["1", "2", "3"] and (key.variant == "–").all()


@pytest.mark.slow
@pytest.mark.parametrize("page", ["lesson.py", "classroom.py"])
@pytest.mark.parametrize("edge", sorted(EDGE_SCENARIOS))
def test_teaching_pages_survive_edge_scenarios(page, edge):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params.update(EDGE_SCENARIOS[edge])
    at.switch_page(f"app_pages/{page}")
    at.run()
    assert not at.exception, [str(e.value) for e in at.exception]  # a step that cannot be shown says why instead
