"""Scenario: edit every assumption, see how well it reproduces the trial, recalibrate, share the link."""

from __future__ import annotations

from dataclasses import fields
from urllib.parse import urlencode

import streamlit as st

from analysis.model.calibration import EVENTS_TOLERANCE, TOLERANCE, CalibrationReport, calibrated_fields
from analysis.errors import ScenarioError
from analysis.formats import format_number, is_finite
from analysis.trial.scenario import ASSUMPTIONS, Scenario, scenario_from_json, with_changes
from analysis.trial.sharing import CHOICE_LABELS, field_label, format_field, parse_field_text
from app_support.tables import show_table
from app_support.calibration_view import event_range_section
from app_support.shared import (
    baseline_scenario,
    cached_calibration,
    current_scenario,
    describe_changes,
    describe_solved,
    fit_report,
    is_default,
    page_header,
    reset_scenario,
    scenario_version,
    set_scenario,
)

page_header(
    "Scenario",
    "Every number the simulator uses. Published figures are fixed by the trial; the rest are assumptions you can "
    "change. The address bar always holds the current scenario, so a copied link reproduces it.")

scenario = current_scenario()
version = scenario_version()
base = baseline_scenario()
REPORT_KEY = "walkback_last_calibration"
#: Above this a solved annual loss to follow-up is flagged (an assumption: trials with monthly contact rarely lose
#: more than a fifth of participants a year).
from analysis.studies.event_range import PLAUSIBLE_ANNUAL_LOSS as IMPLAUSIBLE_ANNUAL_LOSS  # noqa: E402 - one threshold

SECTIONS = {
    "design": "Design",
    "outcome": "Recurrence hazard",
    "adherence": "Adherence",
    "walking": "Walking",
    "dose_response": "Dose-response",
    "clinics": "Clinics",
}
CHOICES = {
    "outcome.baseline": ("weibull", "exponential", "piecewise_exponential"),
    "dose_response.shape": ("log_linear", "emax", "none"),
    "clinics.size_distribution": ("equal", "gamma"),
    "clinics.randomise": ("participant", "cluster"),
}
CALIBRATED = set(calibrated_fields(scenario))


def _value(s: Scenario, path: str):
    section, name = path.split(".")
    return getattr(getattr(s, section), name)


# --------------------------------------------------------------------------- status and actions
if is_default(scenario):
    st.success("Current scenario: the calibrated WalkBack default.", icon=":material/verified:")
else:
    st.info("Current scenario differs from the default in: " + "; ".join(describe_changes(scenario)),
            icon=":material/edit_note:")
with st.container(horizontal=True):
    recalibrate = st.button("Recalibrate to the published trial", type="primary", icon=":material/auto_fix_high:",
                            key="scenario_recalibrate",
                            help="Solve the baseline hazard, the strength of the walking effect and the loss to "
                                 "follow-up so this scenario reproduces the published medians, HR and events.")
    st.button("Reset to default", on_click=reset_scenario, icon=":material/restart_alt:", disabled=is_default(scenario),
              key="scenario_reset")

if recalibrate:
    report = None
    try:
        report = cached_calibration(scenario)
    except (ScenarioError, ValueError, ArithmeticError) as exc:
        st.error(f"Calibration failed for this scenario: {exc}")
    if report is not None:
        st.session_state[REPORT_KEY] = report
        set_scenario(report.scenario, calibrated_from=scenario)
        st.rerun()

last: CalibrationReport | None = st.session_state.get(REPORT_KEY)
if last is not None and last.scenario == scenario:
    (st.success if last.converged else st.warning)(f"Recalibrated. {last.message}")
    st.caption("Solved: " + describe_solved(last.free_parameters) + ".")
    loss = last.scenario.design.annual_loss_to_followup
    if loss > IMPLAUSIBLE_ANNUAL_LOSS:
        st.warning(f"The solved loss to follow-up, {100 * loss:.0f}% of participants a year, is implausibly high for a "
                   "trial with monthly contact: the targets are reproduced only because the loss removes enough "
                   "recurrences. The count it aims at (about 506) is derived from a rounded CI; below, how the loss "
                   "needed moves across the counts the rounding allows.", icon=":material/warning:")

# --------------------------------------------------------------------------- calibration report
st.subheader("How this scenario reproduces the published trial")
report = fit_report(scenario)
if report is None:
    st.warning("The calibration report is not available for this scenario.")
else:
    table = report.copy()
    table["relative_residual"] = [format_number(round(100 * v, 2) + 0.0, 2) if is_finite(v) else "–"  # no "-0.00"
                                  for v in table["relative_residual"]]
    table["tolerance"] = (100 * table["tolerance"]).round(1)
    table["met"] = table["met"].map({True: "yes", False: "no"})
    table["target"] = table["target"].str.replace("intervention", "walking + education", regex=False)
    # Right-aligned, two decimals below 10 and one above; a dash where nothing was published (not "None").
    for name in ("published", "achieved"):
        table[name] = [format_number(v, 2 if is_finite(v) and abs(float(v)) < 10 else 1) for v in table[name]]
    show_table(table.drop(columns=["tolerance"]), hide_index=True, height="content", column_config={  # every target: no inner scroll
        "target": st.column_config.TextColumn("Target"),
        "published": st.column_config.TextColumn("Published", alignment="right"),
        "achieved": st.column_config.TextColumn("Scenario (expected)", alignment="right"),
        "relative_residual": st.column_config.TextColumn("Off by (%)", alignment="right"),
        "met": "Met", "kind": st.column_config.TextColumn("Source", help="Published, derived from published figures, "
                                                          "or not published"), "role": "Role"})
    missed = table[(table.role == "target") & (table.met == "no")]
    already_tried = last is not None and last.scenario == scenario and not last.converged
    if len(missed) and already_tried:
        st.warning("Recalibration cannot reproduce " + "; ".join(missed.target) + " with these assumptions (see the "
                   "message above); change the assumptions rather than recalibrate again.", icon=":material/warning:")
    elif len(missed):
        st.warning("This scenario no longer reproduces: " + "; ".join(missed.target) + ". Press "
                   "**Recalibrate to the published trial** to re-solve the free parameters.",
                   icon=":material/warning:")
    else:
        st.caption(f"Targets are matched on expectation (exact calculation, no simulation noise): medians and HR "
                   f"within {100 * TOLERANCE:g}%, events within {100 * EVENTS_TOLERANCE:g}%. Targets are solved for; "
                   "checks are reported only.")
    event_range_section(scenario)  # where a researcher reads about calibration: what it rests on

# --------------------------------------------------------------------------- the editor
st.subheader("Edit the scenario")
st.caption("Fields marked · assumption were not published. Fields marked · calibrated are solved by recalibration; "
           "edit them only to explore.")
with st.form(f"scenario_form_{version}", border=True):
    tabs = st.tabs([*SECTIONS.values(), "Seed and name"])
    raw: dict[str, object] = {}
    for tab, section in zip(tabs, SECTIONS):
        with tab:
            names = [f.name for f in fields(type(getattr(scenario, section)))]
            cols = st.columns(3)
            for i, name in enumerate(names):
                path = f"{section}.{name}"
                value = _value(scenario, path)
                label = field_label(path)
                tags = []
                if path in ASSUMPTIONS:
                    tags.append("assumption")
                if path in CALIBRATED:
                    tags.append("calibrated")
                if tags:
                    label += f" · {', '.join(tags)}"  # plain text: Markdown marks would be read out
                help_text = ASSUMPTIONS.get(path, "Published (Lancet 2024)." if path not in CALIBRATED else None)
                key = f"sc_{path}_{version}"
                col = cols[i % 3]
                if path in CHOICES:
                    raw[path] = col.selectbox(label, CHOICES[path], index=CHOICES[path].index(value), key=key, help=help_text,
                                              format_func=CHOICE_LABELS[path].get)
                elif isinstance(value, tuple) or isinstance(value, str):
                    raw[path] = col.text_input(label, format_field(value), key=key, help=help_text)
                elif isinstance(value, int):
                    raw[path] = col.number_input(label, value=value, step=1, key=key, help=help_text)
                else:
                    step = 0.01 if abs(value) <= 1.0 else 1.0
                    raw[path] = col.number_input(label, value=float(value), step=step, format="%g", key=key,
                                                 help=help_text)
    with tabs[-1]:
        c1, c2 = st.columns(2)
        raw["seed"] = c1.text_input("Seed (same seed, same simulated trial)", str(scenario.seed), key=f"sc_seed_{version}",
                                    help="A whole number from 0 to 2^63 - 1.")
        raw["name"] = c2.text_input("Scenario name", scenario.name, max_chars=200, key=f"sc_name_{version}")
    also_recalibrate = st.checkbox("Recalibrate to the published trial after applying", key=f"sc_recal_{version}")
    submitted = st.form_submit_button("Apply changes", type="primary", icon=":material/check:")

if submitted:
    try:
        changes = {}
        for path, entered in raw.items():
            current = scenario.seed if path == "seed" else scenario.name if path == "name" else _value(scenario, path)
            if path == "seed":
                entered = parse_field_text("seed", entered, scenario)
            elif isinstance(entered, str) and path not in CHOICES and path != "name":
                entered = parse_field_text(path, entered, scenario)
            if entered != current:
                changes[path] = entered
        new = with_changes(scenario, changes) if changes else scenario
        user_set = None
        if also_recalibrate:
            report_new = cached_calibration(new)
            st.session_state[REPORT_KEY] = report_new
            new, user_set = report_new.scenario, new
    except ScenarioError as exc:
        st.error(f"Not applied: {exc}", icon=":material/error:")
    except (ValueError, ArithmeticError) as exc:
        st.error(f"Not applied: calibration failed ({exc})", icon=":material/error:")
    else:
        set_scenario(new, calibrated_from=user_set)
        st.rerun()

# --------------------------------------------------------------------------- share and JSON
st.subheader("Share or save")
params = dict(st.query_params.to_dict())  # what the router wrote: the user's settings (and cal=1 after a calibration)
try:
    page_url = str(st.context.url or "").split("?")[0]
except Exception:  # st.context.url is unavailable in some test harnesses
    page_url = ""
st.markdown("Link to this scenario (the address bar holds the same):")
st.code((page_url or "") + "?" + urlencode(params), language=None, wrap_lines=True)
left, right = st.columns(2, gap="large")
with left:
    with st.expander("Scenario as JSON"):
        st.code(scenario.to_json(), language="json")
with right:
    with st.expander("Load a scenario from JSON"):
        text = st.text_area("Paste a scenario (fields left out keep the default)", height=160, key="sc_json_text",
                            placeholder='{"adherence": {"never_start": 0.2}}')
        if st.button("Load", key="sc_json_load", disabled=not text.strip()):
            try:
                set_scenario(scenario_from_json(text, base=base))
            except ScenarioError as exc:
                st.error(f"Not loaded: {exc}", icon=":material/error:")
            except (RecursionError, ValueError) as exc:  # pathological JSON the parser itself chokes on
                st.error(f"Not loaded: the text is not a usable scenario ({type(exc).__name__}).", icon=":material/error:")
            else:
                st.rerun()
