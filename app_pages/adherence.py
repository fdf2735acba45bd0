"""Adherence and walking dose: what if fewer people start, or people walk less (or more)?

Reads the what-if controls, asks the library for the exact expected trial of the what-if and of
the current scenario, and draws them over each other. Recalibration is not done here on purpose.
"""

from __future__ import annotations

import math

import streamlit as st

from analysis.plots import figures as F
from analysis.studies import whatif as W
from analysis.trial.published import published_figures
from analysis.formats import format_days
from analysis.trial.scenario import with_changes
from app_support.tables import show_table
from app_support.shared import (
    cached_calibration,
    cached_expected,
    describe_solved,
    cached_walking,
    current_scenario,
    guarded,
    page_header,
    plot_keyed,
    remember,
    remembered,
    scenario_version,
    set_scenario,
)

page_header(
    "Adherence and walking dose",
    "What if fewer people started the programme, or walked less or more? The dose-response curve stays as "
    "calibrated to the published trial, so changing adherence moves the effect. Curves are exact expectations "
    "(no simulation noise); dashed lines are the current scenario.")

base = current_scenario()
version = scenario_version()
figs = published_figures()
SHAPES = {"log_linear": "Log-linear", "emax": "Saturating (Emax)", "none": "No walking effect"}


def key(name: str) -> str:
    return f"adh_{name}_{version}"


def kept(name: str, default):
    """The value this control had when the page was last shown (Streamlit forgets it when you change page)."""
    return remembered(key(name), default)


def keep_exact(widget_value: float, shown_default: float, exact: float) -> float:
    """Untouched widgets keep the scenario's exact value (the widget shows it rounded)."""
    return exact if math.isclose(widget_value, shown_default, abs_tol=1e-12) else widget_value


# A wrapping row, not st.columns: at 800 px (sidebar open) columns squeezed the controls until slider labels and
# shape names were cut ("Log-li…"); here the results move under the controls when there is no room beside them.
row = st.container(horizontal=True, gap="large")
controls, results = row.container(width=300), row.container(width="stretch")
with controls:
    with st.container(border=True):
        st.markdown("**Adherence** · assumptions, not published")
        never_start = st.slider("Never start the programme", 0.0, 1.0, kept("never_start", float(base.adherence.never_start)),
                                0.01, format="percent", key=key("never_start"),
                                help="Share of the walking + education group who never attend (no walking increase, no education).")
        mean_adherence = st.slider("Mean adherence among starters", 0.0, 1.0, kept("mean_adherence", float(base.adherence.mean_adherence)),
                                   0.01, format="percent", key=key("mean_adherence"),
                                   help="Average share of the weekly walking target reached at the plateau.")
        spread = st.slider("Spread of adherence (logit SD)", 0.0, 3.0, kept("spread", float(base.adherence.adherence_spread)),
                           0.1, key=key("spread"), help="0 means every starter reaches the same share of the target.")
    with st.container(border=True):
        st.markdown("**Walking**")
        target = st.slider("Weekly walking target (min/week)", 0, 300, kept("target", int(round(base.walking.target_minutes))),
                           10, key=key("target"), help="Published target: 150 (30 minutes, 5 times a week).")
        maintained = st.slider("Extra walking kept after the programme", 0.0, 1.0,
                               kept("maintained", float(base.walking.maintained_fraction)), 0.05, format="percent",
                               key=key("maintained"),
                               help="Share of the extra walking still done long after the 6-month programme (assumption).")
        half_life = st.slider("Half-life of the post-programme drop (weeks)", 1, 156,
                              kept("half_life", int(round(base.walking.post_programme_half_life_weeks))), 1,
                              key=key("half_life"))
    with st.container(border=True):
        dose_title = st.empty()
        shape = st.segmented_control("Shape", list(SHAPES), default=kept("shape", base.dose_response.shape), format_func=SHAPES.get,
                                     key=key("shape"), required=True)
        # Another shape is re-solved against the published trial (at the current adherence), so the what-if compares
        # like with like; the sliders then start from that shape's calibrated strength.
        shape_base, recalibrated = base, None
        if shape != base.dose_response.shape:
            recalibrated = guarded(lambda: cached_calibration(with_changes(base, {"dose_response.shape": shape}), False),
                                   "Recalibrating this shape")
            if recalibrated is not None and recalibrated.converged:
                shape_base = recalibrated.scenario
            else:
                shape_base = with_changes(base, {"dose_response.shape": shape})
        dr = shape_base.dose_response
        dose_changes: dict[str, float | str] = {"dose_response.shape": shape}
        if shape == "log_linear":
            shown = min(max(round(math.exp(-dr.log_hr_per_100_min), 2), 0.05), 1.5)
            hr100 = st.slider("Hazard ratio per 100 extra min/week", 0.05, 1.5, shown, 0.01, key=key(f"hr100_{shape}"),
                              help="Below 1 means walking protects; calibrated so the default adherence gives HR 0.72.")
            dose_changes["dose_response.log_hr_per_100_min"] = (
                dr.log_hr_per_100_min if hr100 == shown else -math.log(hr100))
        elif shape == "emax":
            shown = round(dr.emax, 2)
            emax = st.slider("Largest hazard reduction (Emax)", 0.0, 1.0, shown, 0.01, format="percent",
                             key=key(f"emax_{shape}"))
            ed50 = st.slider("Extra minutes for half the reduction (ED50)", 1, 300,
                             int(round(min(dr.ed50_minutes, 300))), 1, key=key(f"ed50_{shape}"))
            dose_changes["dose_response.emax"] = keep_exact(emax, shown, dr.emax)
            dose_changes["dose_response.ed50_minutes"] = keep_exact(
                float(ed50), float(int(round(min(dr.ed50_minutes, 300)))), dr.ed50_minutes)
        else:
            dose_changes["dose_response.education_hr"] = dr.education_hr
            st.caption("Walking has no effect; only the education effect (hazard ratio "
                       f"{dr.education_hr:.2f} for starters) acts.")
        strength_kept = all(getattr(dr, path.split(".")[1]) == value for path, value in dose_changes.items()
                            if path != "dose_response.shape")
        if recalibrated is not None and shape_base is recalibrated.scenario and strength_kept:
            dose_title.markdown("**Dose-response** · assumption, recalibrated for this shape")
            st.caption(f"Re-solved so the current adherence reproduces the published medians and HR: "
                       f"{describe_solved(recalibrated.free_parameters)}.")
        elif recalibrated is not None and shape_base is not recalibrated.scenario:
            dose_title.markdown("**Dose-response** · assumption, **not recalibrated**")
            st.caption("This shape could not be fitted to the published trial; its results are not calibrated.")
        elif strength_kept:
            dose_title.markdown("**Dose-response** · assumption, calibrated")
        else:
            dose_title.markdown("**Dose-response** · assumption, set by you (**not recalibrated**)")
            st.caption("The strength no longer reproduces the published HR at the current adherence.")

for name, value in (("never_start", never_start), ("mean_adherence", mean_adherence), ("spread", spread),
                    ("target", target), ("maintained", maintained), ("half_life", half_life), ("shape", shape)):
    remember(key(name), value)

changes = {
    "adherence.never_start": never_start,
    "adherence.mean_adherence": mean_adherence,
    "adherence.adherence_spread": keep_exact(spread, float(base.adherence.adherence_spread), base.adherence.adherence_spread),
    "walking.target_minutes": keep_exact(float(target), float(int(round(base.walking.target_minutes))), base.walking.target_minutes),
    "walking.maintained_fraction": maintained,
    "walking.post_programme_half_life_weeks": keep_exact(
        float(half_life), float(int(round(base.walking.post_programme_half_life_weeks))),
        base.walking.post_programme_half_life_weeks),
    **dose_changes,
}
whatif = guarded(lambda: with_changes(shape_base, changes), "These settings")
expected_base = guarded(lambda: cached_expected(base), "The current scenario")
expected_new = guarded(lambda: cached_expected(whatif), "The what-if") if whatif is not None else None

with results:
    if expected_base is None or expected_new is None:
        st.stop()
    changed = whatif != base
    m1, m2 = st.columns(2)
    m3, m4 = st.columns(2)
    m1.metric("Median, walking + education", format_days(expected_new.median_intervention),
              delta=(None if not changed or not (math.isfinite(expected_new.median_intervention)
                                                 and math.isfinite(expected_base.median_intervention))
                     else f"{expected_new.median_intervention - expected_base.median_intervention:+.0f} days"),
              help="Expected median days to an activity-limiting recurrence with walking + education (what-if).")
    m2.metric("Median, control", format_days(expected_new.median_control),
              delta=(f"{expected_new.median_control - expected_base.median_control:+.0f} days"
                     if changed and math.isfinite(expected_new.median_control) and math.isfinite(expected_base.median_control)
                     and abs(expected_new.median_control - expected_base.median_control) >= 0.5 else None))
    m3.metric("Hazard ratio", f"{expected_new.cox_hr:.2f}" if math.isfinite(expected_new.cox_hr) else "–",
              delta=(f"{expected_new.cox_hr - expected_base.cox_hr:+.2f}" if changed and math.isfinite(expected_new.cox_hr)
                     else None), delta_color="inverse",
              help="Large-sample limit of the ITT Cox hazard ratio under the trial's follow-up.")
    walk12 = expected_new.walking_week12_intervention
    m4.metric("Walking at week 12 (min/week)", f"{walk12:.0f}",
              delta=f"{walk12 - expected_base.walking_week12_intervention:+.0f}" if changed else None,
              help="Mean with walking + education; published: about 130 min/week.")
    if changed and abs(expected_new.median_control - expected_base.median_control) >= 0.5:
        st.caption("**Why the control median moves.** Control participants also walk a little more over time on their "
                   "own (spontaneous walking, an assumption). Under this dose-response that walking protects them "
                   "too, so changing the dose-response (or the walking it acts on) changes the control arm as well.")

    cumulative = st.toggle("Show % recurred instead of % recurrence-free", key="adh_cumulative")
    lines = [
        ("intervention", "Walking + education, current", expected_base.times, expected_base.survival_intervention, "dash"),
        ("control", "Control, current", expected_base.times, expected_base.survival_control, "dash"),
        ("intervention", "Walking + education, what-if", expected_new.times, expected_new.survival_intervention, "solid"),
        ("control", "Control, what-if", expected_new.times, expected_new.survival_control, "solid"),
    ]
    plot_keyed(("adh_curves", base, whatif), F.expected_curves_figure, lines, cumulative=cumulative,
               landmarks=(365.25,), height=420, title="Expected time to first activity-limiting recurrence",
               key="adh_curves")

    table = W.whatif_table(expected_base, expected_new)
    show_table(table[["quantity", "baseline", "what_if", "change"]], hide_index=True, width="stretch",
                 column_config={"quantity": st.column_config.TextColumn("Quantity", width=320),
                                "baseline": st.column_config.TextColumn("Current", width=68),
                                "what_if": st.column_config.TextColumn("What-if", width=68),
                                "change": st.column_config.TextColumn("Change", width=84)})
    st.caption("Expected values for a trial of the scenario's size and follow-up; NNT = participants offered the "
               "programme per recurrence prevented by 12 months.")

    with st.container(horizontal=True):
        if st.button("Use the what-if everywhere", disabled=not changed, icon=":material/check:",
                     help="Makes the what-if the current scenario: every page (and the link) then uses it. The effect "
                          "is not re-fitted to the published trial; do that on the Scenario page."):
            set_scenario(whatif)
            st.rerun()
        st.page_link("app_pages/scenario_editor.py", label="Recalibrate on the Scenario page", icon=":material/tune:")

bottom = st.container(horizontal=True, gap="large")  # side by side when there is room, stacked at 800 px
left, right = bottom.container(width=420), bottom.container(width=420)
with left:
    grid_max = max(300.0, float(target) * 1.3)
    curves = [("Current", *W.dose_response_curve(base.dose_response, grid_max), "dash")]
    curves.append(("What-if", *W.dose_response_curve(whatif.dose_response, grid_max), "solid"))
    plateau_new = W.plateau_extra_summary(whatif)
    from analysis.model.hazard import relative_hazard  # the model's own curve, evaluated at one dose

    markers = [("average starter at plateau", plateau_new["starters"],
                float(relative_hazard(plateau_new["starters"], whatif.dose_response)), F.ARM_COLOURS["intervention"]),
               ("control (spontaneous)", plateau_new["control_spontaneous"],
                float(relative_hazard(plateau_new["control_spontaneous"], whatif.dose_response)), F.ARM_COLOURS["control"])]
    plot_keyed(("adh_dose", base, whatif, grid_max), F.dose_response_figure, curves, markers=markers,
               title="Dose-response: hazard vs extra walking", key="adh_dose")
    st.caption("Assumed: no dose-response analysis was published. Its strength is calibrated so the default "
               "adherence reproduces HR 0.72.")
with right:
    plot_keyed(("adh_walking", base, whatif), lambda: F.walking_over_time_figure(
        cached_walking(whatif), reference=cached_walking(base), target=whatif.walking.target_minutes,
        programme_weeks=whatif.walking.programme_weeks, published_point=(12, figs["achieved_walking_week12"].value),
        title="Walking over time (mean minutes per week)"), key="adh_walking")
    st.caption(f"Starters progress to their plateau over {whatif.walking.ramp_weeks} weeks; after week "
               f"{whatif.walking.programme_weeks} the extra walking decays towards the share kept.")

st.divider()
if st.toggle(f"Also simulate one trial of the what-if ({whatif.design.n_total} participants, seed {whatif.seed})",
             key="adh_simulate", help="Shows what one trial with chance variation would look like; the expected "
                                      "curves are drawn dashed over it."):
    from app_support.survival_view import simulated_km_panel

    simulated_km_panel(whatif, key_prefix="adh_sim", overlay=expected_new)
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("adherence", base, whatif=whatif)
