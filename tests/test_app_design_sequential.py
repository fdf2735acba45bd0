"""The Design page's group-sequential section: the library's study, shown; a bad design is one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.design.boundaries import GroupSequentialDesign
from analysis.studies.sequential import group_sequential_study
from app_support.shared import SCENARIO_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def app_on_design(query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page("app_pages/design_trial.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def section_tables(at):
    ops = next(d.value for d in at.dataframe if "Under the scenario" in d.value.columns)
    looks = next(d.value for d in at.dataframe if "At the look" in d.value.columns).set_index("At the look")
    return ops, looks


@pytest.mark.slow
def test_the_section_shows_the_librarys_study():
    at = app_on_design()
    scenario = at.session_state[SCENARIO_KEY]
    study = group_sequential_study(scenario, GroupSequentialDesign("asOF", (1 / 3, 2 / 3, 1.0), alpha=0.025, beta=0.2),
                                   200, scenario.seed)
    ops, looks = section_tables(at)
    assert looks.loc["Recurrences"].tolist() == [str(v) for v in study.looks.recurrences]
    assert looks.loc["Efficacy z ≥"].tolist() == [f"{v:.3f}" for v in study.looks.efficacy_z]
    power = ops.loc[ops["Under the scenario"] == "power (rejects H0)"].iloc[0]
    assert power["Simulated"] == f"{100 * study.simulation.value('power'):.1f}%"
    assert not at.error
    # Calendar looks with the wrong number of days: one clear message, the rest of the page intact.
    at.radio(key="gsd_timing").set_value("on calendar days").run()
    at.text_input(key="gsd_days_3").set_value("200, 400").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["This design cannot be computed: 2 look days given for 3 looks: give one "
                                           "day per look"]


@pytest.mark.slow
@pytest.mark.parametrize("query, start", [({"ns": "1"}, "No sample size"),  # the page stops before the section
                                          ({"n1": "4", "n0": "3", "blocks": "2"}, "This design cannot be computed")])
def test_a_scenario_the_design_cannot_serve_is_one_message(query, start):
    at = app_on_design(query)
    mine = [e.value for e in at.error if e.value.startswith(start)]  # other sections of the page speak for themselves
    assert len(mine) == 1, [e.value for e in at.error]
