"""AppTest interaction tier: widgets change what is shown, uploads fail politely, links reproduce views."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.model.expectation import expected_trial
from analysis.io.export import cohort_to_bytes
from analysis.trial.scenario import with_changes
from analysis.trial.sharing import decode_scenario, encode_scenario
from analysis.simulate.engine import simulate_trial

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SCENARIO_KEY = "walkback_scenario"


def app_on(page: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(f"app_pages/{page}")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def days(text: str) -> float:
    return float(re.match(r"([\d.]+) days", text).group(1))


def slider(at: AppTest, label: str):
    return next(s for s in at.slider if s.label == label)


# --------------------------------------------------------------------------- adherence what-if
def test_raising_adherence_lengthens_the_displayed_intervention_median(walkback):
    at = app_on("adherence.py")
    before = days(metric(at, "Median, walking + education"))
    assert before == pytest.approx(208, abs=1)
    slider(at, "Mean adherence among starters").set_value(1.0)
    slider(at, "Never start the programme").set_value(0.0)
    at.run()
    assert not at.exception
    after = days(metric(at, "Median, walking + education"))
    assert after > before + 10
    expected = expected_trial(with_changes(walkback, {"adherence.mean_adherence": 1.0, "adherence.never_start": 0.0}))
    assert after == pytest.approx(expected.median_intervention, abs=1)
    # The control arm is untouched by adherence.
    assert days(metric(at, "Median, control")) == pytest.approx(112, abs=1)


def test_lowering_adherence_shortens_it_and_can_be_made_current(walkback):
    at = app_on("adherence.py")
    slider(at, "Mean adherence among starters").set_value(0.3)
    at.run()
    assert days(metric(at, "Median, walking + education")) < 200
    next(b for b in at.button if b.label == "Use the what-if everywhere").click()
    at.run()
    assert not at.exception
    current = at.session_state[SCENARIO_KEY]
    assert current.adherence.mean_adherence == 0.3
    assert at.query_params.get("ma") in ("0.3", ["0.3"])


def test_untouched_whatif_equals_current_scenario():
    at = app_on("adherence.py")
    table = at.table[0].value
    assert (table["Change"].isin(["±0", ""])).all(), table


def test_display_toggle_does_not_resimulate(monkeypatch):
    import app_support.caches as shared

    at = app_on("survival.py")
    calls = []
    original = shared.simulate_trial
    monkeypatch.setattr(shared, "simulate_trial", lambda *a, **k: calls.append(1) or original(*a, **k))
    next(t for t in at.toggle if t.label == "% recurred").set_value(True)
    at.run()
    next(t for t in at.toggle if t.label == "95% bands").set_value(False)
    at.run()
    assert not at.exception
    assert calls == []


# --------------------------------------------------------------------------- uploads
@pytest.mark.parametrize("name, content, fragment", [
    ("binary.csv", b"\x00\x01\x02garbage\x00", "binary content"),
    ("empty.csv", b"", "empty"),
    ("ragged.csv", b"time,event,arm\n1,1,a\n2,0,b,extra,cells\n", "well-formed CSV"),
    ("broken.parquet", b"PAR1 not parquet", "Parquet"),
])
def test_unreadable_upload_shows_an_error_not_a_traceback(name, content, fragment):
    at = app_on("data_files.py")
    at.file_uploader[0].set_value((name, content, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert errors and fragment.lower() in errors[0].lower(), errors


def test_upload_with_unusable_columns_explains_what_is_wrong():
    at = app_on("data_files.py")
    csv = b"time_days,recurrence,arm\n10,1,control\n20,2,intervention\n30,0,control\n"
    at.file_uploader[0].set_value(("bad_event.csv", csv, "text/csv"))
    at.run()
    assert not at.exception
    assert any("must be 0/1" in e.value for e in at.error), [e.value for e in at.error]
    three_arms = b"time,event,group\n1,1,a\n2,0,b\n3,1,c\n"
    at.file_uploader[0].set_value(("three.csv", three_arms, "text/csv"))
    at.run()
    assert not at.exception
    # Three groups are no longer refused (issue #23, finding 8): the page offers to compare two of them.
    assert any("3 groups" in m.label for m in at.multiselect), [m.label for m in at.multiselect]


def test_valid_upload_gets_the_same_analyses(walkback):
    cohort = simulate_trial(walkback, seed=11)
    at = app_on("data_files.py")
    at.file_uploader[0].set_value(("mine.parquet", cohort_to_bytes(cohort, "parquet"), "application/octet-stream"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.selectbox][:4] == ["time_days", "recurrence", "arm", "control"]
    labels = [m.label for m in at.metric]
    assert "Hazard ratio (Cox)" in labels and "Median, walking + education" in labels
    renamed = cohort.rename(columns={"time_days": "weeks", "recurrence": "status", "arm": "trt"})
    renamed["weeks"] = renamed["weeks"] / 7
    at.file_uploader[0].set_value(("renamed.csv", renamed.to_csv(index=False).encode(), "text/csv"))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.selectbox][:3] == ["weeks", "status", "trt"]


# --------------------------------------------------------------------------- links
def test_url_query_params_reproduce_a_scenario(walkback):
    wanted = with_changes(walkback, {"adherence.never_start": 0.3, "walking.target_minutes": 120.0, "seed": 7})
    at = app_on("adherence.py", encode_scenario(wanted, walkback))
    assert at.session_state[SCENARIO_KEY] == wanted
    assert slider(at, "Never start the programme").value == pytest.approx(0.3)
    assert slider(at, "Weekly walking target (min/week)").value == 120
    assert not any("link" in e.value for e in at.error)
    # The view's own URL reproduces it again in a new session.
    params = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert decode_scenario(params, base=walkback) == wanted
    again = app_on("trial.py", params)
    assert again.session_state[SCENARIO_KEY] == wanted
    expected = expected_trial(wanted)
    # The comparison table (the cards' tables also start with "| Quantity |").
    row = next(line for m in again.markdown if m.value.startswith("| Quantity |")
               for line in m.value.splitlines() if line.startswith("| Median days, walking + education |"))
    shown = row.strip("| ").split(" | ")[3]  # the "Scenario, expected" column
    assert float(shown) == pytest.approx(expected.median_intervention, abs=1)


def test_scenario_survives_page_changes(walkback):
    at = app_on("scenario_editor.py", {"ns": "0.4", "seed": "5"})
    for page in ("survival.py", "methods.py", "adherence.py"):
        at.switch_page(f"app_pages/{page}")
        at.query_params.clear()  # navigation may drop the query string; the session keeps the scenario
        at.run()
        assert at.session_state[SCENARIO_KEY].adherence.never_start == 0.4
        assert at.query_params.get("ns") in ("0.4", ["0.4"])


@pytest.mark.parametrize("query", [{"ns": "2"}, {"ns": "abc"}, {"n1": "1.5"}])
def test_bad_link_shows_an_error_and_the_default_scenario(walkback, query):
    at = app_on("trial.py", query)
    assert not at.exception
    assert any("link" in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state[SCENARIO_KEY] == walkback
    assert at.query_params.get("ns") is None


def test_unknown_parameters_are_harmless(walkback):
    """Finding 3 of issue #23: `?foo=bar` (and every utm_* a mail adds) reset the shared scenario and its seed."""
    at = app_on("trial.py", {"ns": "0.4", "seed": "7", "foo": "bar", "utm_source": "newsletter"})
    assert not at.error, [e.value for e in at.error]
    scenario = at.session_state[SCENARIO_KEY]
    assert scenario.adherence.never_start == 0.4 and scenario.seed == 7
    assert at.query_params.get("utm_source") in ("newsletter", ["newsletter"])  # left where the sender's mail put it


def test_a_new_seed_is_not_a_modified_scenario(walkback):
    """Finding 3 of issue #23: changing only the seed marked the scenario "modified" with a reset button."""
    at = app_on("trial.py", {"seed": "12345"})
    assert at.session_state[SCENARIO_KEY].seed == 12345
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "calibrated WalkBack default" in sidebar and "modified" not in sidebar
    assert not any(b.label.startswith("Reset") for b in at.sidebar.button)


# --------------------------------------------------------------------------- scenario page
def test_scenario_form_applies_changes_and_reset_restores_default(walkback):
    at = app_on("scenario_editor.py")
    field = next(n for n in at.number_input if n.label.startswith("Never start (share)"))
    field.set_value(0.5)
    next(b for b in at.button if b.label == "Apply changes").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[SCENARIO_KEY].adherence.never_start == 0.5
    assert at.query_params.get("ns") in ("0.5", ["0.5"])
    assert any("no longer reproduces" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "Reset to default").click()
    at.run()
    assert at.session_state[SCENARIO_KEY] == walkback
    assert "ns" not in at.query_params


def test_bad_form_input_is_refused_with_a_message(walkback):
    at = app_on("scenario_editor.py")
    next(t for t in at.text_input if t.label.startswith("Permuted block sizes")).set_value("4, five")
    next(b for b in at.button if b.label == "Apply changes").click()
    at.run()
    assert not at.exception
    assert any("Not applied" in e.value for e in at.error)
    assert at.session_state[SCENARIO_KEY] == walkback


@pytest.mark.slow
def test_recalibrate_button_restores_the_published_targets(walkback):
    at = app_on("scenario_editor.py", {"ns": "0.3"})
    next(b for b in at.button if b.label == "Recalibrate to the published trial").click()
    at.run()
    assert not at.exception
    solved = at.session_state[SCENARIO_KEY]
    assert solved.adherence.never_start == 0.3
    assert solved.dose_response.log_hr_per_100_min > walkback.dose_response.log_hr_per_100_min
    e = expected_trial(solved)
    assert e.median_intervention == pytest.approx(208, rel=0.01) and e.cox_hr == pytest.approx(0.72, rel=0.01)
    assert any("Recalibrated" in s.value for s in at.success)
    report = at.table[0].value
    assert (report.loc[report["Role"] == "target", "Met"] == "yes").all()
    # The link carries what the user set and cal=1, not the solved 17-digit values; it reopens to the same scenario.
    params = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert params["ns"] == "0.3" and params["cal"] == "1" and "beta" not in params and "scale" not in params, params
    again = app_on("trial.py", params)
    assert again.session_state[SCENARIO_KEY] == solved


def test_exponential_baseline_recalibration_does_not_loop():
    at = app_on("scenario_editor.py", {"bl": "exponential"})
    next(b for b in at.button if b.label == "Recalibrate to the published trial").click()
    at.run()
    assert not at.exception
    assert not any("Press" in w.value and "Recalibrate" in w.value for w in at.warning), [w.value for w in at.warning]


def test_exponential_baseline_recalibration_explains_why_it_fails():
    at = app_on("scenario_editor.py", {"bl": "exponential"})
    next(b for b in at.button if b.label == "Recalibrate to the published trial").click()
    at.run()
    assert not at.exception
    assert any("hazard falls over time" in w.value or "constant hazard" in w.value for w in at.warning), \
        [w.value for w in at.warning]


def test_downloads_are_offered(walkback):
    at = app_on("data_files.py")
    labels = [b.label for b in at.get("download_button")]
    assert {"Cohort (CSV)", "Cohort (Parquet)", "Scenario (JSON)"} <= set(labels)
    frame = at.dataframe[0].value
    assert len(frame) == 50 and "time_days" in frame.columns
    expected = simulate_trial(walkback, seed=walkback.seed).head(50)
    pd.testing.assert_series_equal(frame["time_days"].reset_index(drop=True), expected["time_days"], check_names=False)


def test_semicolon_csv_never_shows_a_traceback(walkback):
    """Whatever the reader makes of it (parsed, or a library error), the user sees no traceback."""
    cohort = simulate_trial(walkback, seed=2)[["time_days", "recurrence", "arm"]]
    at = app_on("data_files.py")
    at.file_uploader[0].set_value(("semi.csv", cohort.to_csv(index=False, sep=";").encode(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error or any(m.label == "Hazard ratio (Cox)" for m in at.metric)


def test_pathological_scenario_json_is_refused_politely(walkback):
    at = app_on("scenario_editor.py")
    next(t for t in at.text_area if t.label.startswith("Paste a scenario")).set_value("[" * 100_000)
    at.run()
    next(b for b in at.button if b.label == "Load").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Not loaded" in e.value for e in at.error)
    assert at.session_state[SCENARIO_KEY] == walkback


def test_what_if_settings_survive_a_page_change():
    at = app_on("adherence.py")
    slider(at, "Never start the programme").set_value(0.4)
    at.run()
    at.switch_page("app_pages/methods.py")
    at.run()
    at.switch_page("app_pages/adherence.py")
    at.run()
    assert not at.exception
    assert slider(at, "Never start the programme").value == pytest.approx(0.4)


def test_one_seed_serves_every_page(walkback):
    at = app_on("survival.py")
    next(n for n in at.number_input if n.label == "Trial seed").set_value(12345)
    at.run()
    assert at.session_state[SCENARIO_KEY].seed == 12345
    assert at.query_params.get("seed") in ("12345", ["12345"])
    at.switch_page("app_pages/replicates.py")
    at.run()
    assert next(n for n in at.number_input if n.label == "Seed of the run").value == 12345
    for page in ("outcomes.py", "cost_effectiveness.py"):  # pages added later use the same seed
        at.switch_page(f"app_pages/{page}")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert next(n for n in at.number_input if n.label == "Trial seed").value == 12345


def test_ph_tab_says_the_non_proportional_hazards_are_built_in():
    at = app_on("survival.py")
    at.session_state["surv_tabs"] = "Proportional hazards"
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "built in on purpose" in text and "average" in text
    assert "compatible with proportional hazards" not in text


def test_adherence_shape_change_is_recalibrated_or_labelled():
    at = app_on("adherence.py")
    next(s for s in at.get("button_group")).set_value("emax")
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "recalibrated for this shape" in text or "not recalibrated" in text
    assert days(metric(at, "Median, walking + education")) == pytest.approx(208, abs=3)


def test_long_design_run_goes_point_by_point_and_equals_the_whole_curve():
    """1,000-ish trials per point: the Design page shows progress point by point; the table is the library's curve."""
    from analysis.studies.power import power_curve
    from app_support.studies_cache import POWER_GRIDS

    at = app_on("design_trial.py")
    slider = at.button_group(key="design_nsims")  # a row of buttons: one committed value, no run per arrow key
    slider.set_value(500).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    scenario = at.session_state[SCENARIO_KEY]
    whole = power_curve(scenario, "n", list(POWER_GRIDS["n"]), 500, scenario.seed).summary
    shown = at.table[0].value
    assert shown["Participants"].tolist() == [f"{v:,}" for v in whole["n_total"]]
    # same seed per point: exact (the page shows power in percent, one decimal)
    assert shown["Power, simulated"].tolist() == [f"{100 * v:.1f}%" for v in whole["power_simulated"]]
    assert shown["Monte Carlo SE"].tolist() == [f"{100 * v:.1f}%" for v in whole["mc_se"]]


def test_survival_fits_its_stratified_and_adjusted_models_when_their_tabs_open():
    """The page's first view needs only the unadjusted analysis (a new seed costs one Cox fit); the models' tab and
    the PH tab show the full analysis's numbers, exactly those of analyze_two_arm with the page's default options."""
    from analysis.stats.survival import analyze_two_arm
    from analysis.stats.time_units import risk_times
    from app_support.survival_view import survival_defaults

    at = app_on("survival.py")
    seed = next(n for n in at.number_input if n.label == "Trial seed").value
    scenario = at.session_state[SCENARIO_KEY]
    cohort = simulate_trial(scenario, seed=int(seed))
    full = analyze_two_arm(cohort, **survival_defaults(scenario.design.max_followup_days),
                           risk_times=risk_times(float(cohort["time_days"].max()), "days"))
    at.session_state["surv_tabs"] = "Log-rank and Cox"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    models = next(t.value for t in at.table if "Analysis" in t.value.columns)
    shown = dict(zip(models["Analysis"].str.split(" [(f]").str[0], models["Hazard ratio"]))
    for name, model in (("Cox, unadjusted", full.cox), ("Cox, stratified", full.cox_stratified),
                        ("Cox, adjusted", full.cox_adjusted)):
        assert shown[name] == f"{model.hr:.3f}", (name, shown)
    at.session_state["surv_tabs"] = "Proportional hazards"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    zph = next(t.value for t in at.table if "Term" in t.value.columns)
    assert len(zph) == len(full.ph.summary)  # the adjusted model's terms and the global test, not the arm's alone


def test_outcomes_tabs_render_lazily_each_with_its_chart():
    """Only the open tab runs (a new seed builds one curve, not five): each tab, opened, shows its own chart."""
    at = app_on("outcomes.py")
    assert len(at.get("plotly_chart")) == 2  # the forest plot and the open tab's curve
    seen = set()
    for tab in ["Any recurrence", "Care-seeking", "Recovery", "All episodes", "Activity-limiting (primary)"]:
        at.session_state["outcomes_tabs"] = tab
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        charts = at.get("plotly_chart")
        assert len(charts) == 2, tab
        seen.add(charts[1].proto.spec)
    assert len(seen) == 5  # five different charts
