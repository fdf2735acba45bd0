"""AppTest tier for the Live class page: an instructor starts a class, students join and submit through the
page, the dashboard counts them; bad links, student links and an unreachable database give one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.io.live_class import ClassStore
from analysis.studies.live_class import LiveClassPlan

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database(tmp_path, monkeypatch):
    """Each test gets its own SQLite file through the environment, as a deployment would configure it."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    monkeypatch.setenv("WALKBACK_DATABASE_URL", url)
    monkeypatch.setenv("WALKBACK_PREPARE_SEATS", "2")  # the dashboard prepares seats in the background: keep it small
    store = ClassStore(url)
    yield store
    store.dispose()


def _open(params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    if params:
        at.query_params.update(params)
    at.run()  # the page's url path differs from its file name: AppTest finds it only after a first run
    at.switch_page("app_pages/live_class.py")
    at.run()
    assert not at.exception, [str(e.value) for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_instructor_starts_a_class_and_students_submit(database):
    at = _open()
    at.selectbox(key="live_vary").set_value("adherence.never_start").run()
    at.text_input(key="live_values_adherence.never_start").set_value("0.0, 0.3")
    at.button[0].click().run()  # the form's "Start the class"
    assert not at.exception, [str(e.value) for e in at.exception]
    code, token = at.query_params["class"], at.query_params["teach"]
    assert len(code) == 16 and token != code
    assert _metric(at, "Submitted") == "0"
    assert _metric(at, "Cover truth") == "hidden"

    # Two students through the page: each gets the next seat and the library's numbers prefilled.
    hrs = []
    for i, name in enumerate(["Ann", "<b>Bo</b> **x**"], start=1):
        student = _open({"class": code})
        assert student.title[0].value == f"Live class: you are student {i}"
        assert student.query_params["seat"], "the seat is kept in the link so a reload keeps the trial"
        student.text_input[0].set_value(name)
        student.text_area[0].set_value("Chance" if i == 1 else "[link](javascript:alert(1))")
        student.button(key="live_submit").click().run()
        assert not student.exception and student.success, _errors(student)
        hrs.append(student.number_input[0].value)
        # Reloading the student's link keeps their seat (and shows they have submitted).
        again = _open({"class": code, "seat": student.query_params["seat"]})
        assert again.title[0].value == f"Live class: you are student {i}" and again.info

    plan = database.instructor_class(code, token).plan
    assert plan.student(2).variant == 0.3
    table = database.submissions(code, token)
    assert table.name.tolist() == ["Ann", "<b>Bo</b> **x**"] and table.hr.tolist() == hrs

    at.run()  # the instructor's view (the fragment refreshes itself in a browser)
    assert _metric(at, "Submitted") == "2"
    answers = at.dataframe[0].value
    assert answers.name.tolist() == ["Ann", "<b>Bo</b> **x**"]  # a data grid: shown as typed, never rendered
    assert not any("<b>Bo</b>" in m.value for m in at.markdown)
    at.button(key="live_reveal").click().run()
    assert not at.exception
    assert _metric(at, "Cover truth").endswith("%")
    assert database.student_class(code).revealed
    at.button(key="live_close").click().run()
    assert database.student_class(code).closed
    late = _open({"class": code})
    assert _errors(late) == ["This class is closed: the instructor no longer takes new students."]


def test_resubmitting_replaces_and_bad_numbers_are_one_message(database, walkback):
    new = database.create_class(LiveClassPlan(walkback, 3))
    student = _open({"class": new.code})
    student.button(key="live_submit").click().run()
    student.number_input[0].set_value(5.0)  # outside its own CI
    student.button(key="live_submit").click().run()
    assert _errors(student) and _errors(student)[0].startswith("Not submitted: the confidence interval")
    student.number_input[0].set_value(student.number_input[1].value * 1.01)
    student.button(key="live_submit").click().run()
    assert "2 submissions" in student.success[0].value
    table = database.submissions(new.code, new.instructor_token)
    assert len(table) == 1 and table.revision.tolist() == [2]


@pytest.mark.parametrize("params, message", [
    ({"class": "nonsense"}, "This class link is not valid"),
    ({"class": "A" * 16}, "No class has this code"),
    ({"class": "A" * 16, "teach": "B" * 32}, "No class has this code"),
])
def test_bad_links_are_one_clear_message(database, params, message):
    at = _open(params)
    assert len(at.error) == 1 and at.error[0].value.startswith(message)


def test_a_student_link_never_reaches_the_dashboard(database, walkback):
    new = database.create_class(LiveClassPlan(walkback, 3))
    seat = database.join(new.code)
    at = _open({"class": new.code, "teach": seat.token})
    assert _errors(at) == ["This instructor link is not valid for this class."]
    assert not at.metric and not at.dataframe


def test_unreachable_database_is_one_message_and_the_app_goes_on(monkeypatch):
    from live_servers import free_port

    monkeypatch.setenv("WALKBACK_DATABASE_URL", f"postgresql+psycopg://walkback:pw@127.0.0.1:{free_port()}/x")
    at = _open()
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "cannot reach its database" in at.error[0].value and "pw" not in at.error[0].value
    at.switch_page("app_pages/trial.py").run()
    assert not at.exception and not at.error
