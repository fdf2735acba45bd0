"""Estimands: what ITT, per-protocol, as-treated and CACE estimate, against the truth the simulator knows."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.errors import WalkBackInputError
from analysis.formats import format_number, format_percent
from analysis.studies.estimands import ESTIMANDS
from analysis.plots.design import coverage_figure, estimands_figure
from analysis.trial.scenario import with_changes

from app_support.tables import show_table
from app_support.studies_cache import ESTIMAND_DEFAULTS, estimand_settings, many_estimand_trials, one_estimand_trial
from app_support.shared import current_scenario, plot_keyed, remember, remembered, seed_input, set_scenario, trial_count


st.title("Estimands")
st.caption("A real trial sees each person in one arm only. The simulator also knows what would have happened in "
           "the other arm, so each analysis can be checked against the effect it claims to estimate.")

base = current_scenario()

with st.expander("Healthy-adherer confounding and definitions", expanded=True, icon=":material/tune:"):
    # A form: every arrow key on a slider would otherwise rerun the page (one trial and its estimands, ~1.2 s each);
    # the keyboard moves the thumb freely and "Apply" (or Enter) commits the values once (issue #23).
    form = st.form("est_settings", border=False, enter_to_submit=True)
    # Wrapping rows: side by side at 1400 px, two or one per line at 800 px (fixed columns squeezed the labels).
    row = form.container(horizontal=True, gap="small")
    c1, c2, c3 = (row.container(width=290) for _ in range(3))
    risk_sd = c1.slider("Spread of baseline risk (log-hazard SD)", 0.0, 3.0,
                        remembered("est_risk_sd", float(base.outcome.baseline_risk_sd)), 0.05, key="est_risk_sd", help="Unobserved differences in recurrence risk between people. "
                                                "Without them adherence cannot be confounded.")
    rho = c2.slider("Healthy-adherer correlation", -0.99, 0.99,
                    remembered("est_rho", float(base.adherence.healthy_adherer_correlation)), 0.01, key="est_rho", help="Above 0, people who adhere would have done better anyway.")
    never = c3.slider("Share who never start", 0.0, 1.0, remembered("est_never", float(base.adherence.never_start)), 0.01,
                      key="est_never", format="percent")
    for name, value in (("est_risk_sd", risk_sd), ("est_rho", rho), ("est_never", never)):
        remember(name, value)
    row = form.container(horizontal=True, gap="small")
    d1, d2, d3, d4 = (row.container(width=210) for _ in range(4))
    threshold = d1.slider("Per-protocol adherence threshold", 0.0, 1.0, ESTIMAND_DEFAULTS["adherence_threshold"], 0.05,
                          key="est_threshold",
                          help="Intervention participants reaching at least this share of the walking target count "
                               "as adherent.")
    dose = d2.slider("As-treated dose threshold (min/week, week 12)", 30, 200,
                     int(ESTIMAND_DEFAULTS["dose_threshold_minutes"]), 10, key="est_dose")
    complier = d3.radio("Complier", ["started", "adherent"], key="est_complier", horizontal=True,
                        help="'started': would start the programme if offered (the IV assumptions hold). "
                             "'adherent': would reach the adherence threshold (starters below it still benefit, "
                             "so the IV estimate is biased; the page shows by how much).")
    max_months = base.design.max_followup_months
    months = [m for m in (6, 12, 18, 24) if m <= max_months] or [float(max_months)]
    landmark_months = d4.select_slider("Landmark and RMST horizon (months)", months, value=12 if 12 in months else months[-1],
                                       key="est_landmark")
    form.form_submit_button("Apply these settings", icon=":material/check:")
    seed = seed_input(st.container(width=210), label="Trial seed")

try:
    scenario = with_changes(base, {"outcome.baseline_risk_sd": float(risk_sd),
                                   "adherence.healthy_adherer_correlation": float(rho),
                                   "adherence.never_start": float(never)})
    settings = estimand_settings(scenario, adherence_threshold=threshold, dose_threshold_minutes=dose,
                                 landmark_months=landmark_months, complier=complier)
    result = one_estimand_trial(scenario, int(seed), settings)
except WalkBackInputError as exc:
    st.error(f"These settings cannot be analysed: {exc}", icon=":material/error:")
    st.stop()

if scenario != base:
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    left_, right_ = row.container(width="stretch"), row.container(width=260)
    left_.info("This page analyses the current scenario with the three settings above changed (spread of baseline "
               "risk, healthy-adherer correlation, share who never start), so its scenario differs from the one named "
               "in the sidebar.", icon=":material/info:")
    if right_.button("Make these settings the current scenario", key="est_make_current", icon=":material/check:"):
        set_scenario(scenario)
        st.rerun()
st.header("One trial")
st.caption(f"Complier share observed with walking + education: {100 * result.complier_share:.1f}%. "
           "Crosses mark the true values (from 200,000 simulated participants' outcomes under both arms).")
plot_keyed(("est_forest", scenario, int(seed), settings), estimands_figure, result.summary, key="est_forest")


def _is_proportion(estimand: str) -> bool:
    """Differences in recurrence-free proportion: shown in percentage points, as on the figure."""
    return "landmark" in str(estimand)


def _fmt(value: float, scale: str, estimand: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if scale == "hr":
        return f"{value:.3f}"
    return f"{100 * value:.1f}" if _is_proportion(estimand) else f"{value:.1f}"


def _label(label: str, estimand: str) -> str:
    if not _is_proportion(estimand):
        return label
    return label.replace("recurrence-free proportion", "% recurrence-free") + " (percentage points)"


s_ = result.summary
table = pd.DataFrame({
    "Estimand": [_label(lab, e) for lab, e in zip(s_["label"], s_["estimand"])],
    "Estimate": [_fmt(v, s, e) for v, s, e in zip(s_["estimate"], s_["scale"], s_["estimand"])],
    "95% CI": [f"{_fmt(lo, s, e)} to {_fmt(hi, s, e)}" for lo, hi, s, e in
               zip(s_["lower"], s_["upper"], s_["scale"], s_["estimand"])],
    "Truth": [_fmt(v, s, e) for v, s, e in zip(s_["truth"], s_["scale"], s_["estimand"])],
    "CI covers truth": result.summary["covers"].map({True: "yes", False: "no"}),
})
show_table(table, hide_index=True)
st.caption("Hazard-ratio truths are the large-sample Cox HR comparing the group's outcomes with and without the "
           "programme under the trial's censoring. Per-protocol compares adherers with all controls; its truth is "
           "the programme's effect among adherers. CACE = ITT difference / share of compliers (delta-method CI).")

st.header("Across many trials")
row = st.container(horizontal=True, gap="small", vertical_alignment="bottom")
r1, r2 = row.container(width=260), row.container(width="content")
n_rep = trial_count(r1, "Replicate trials", [50, 100, 200, 400], 100, key="est_nrep")
if r2.button(f"Run {n_rep} trials", icon=":material/play_arrow:", key="est_run") or \
        st.session_state.get("est_last") == (scenario, n_rep, int(seed), settings):
    st.session_state["est_last"] = (scenario, n_rep, int(seed), settings)
    try:
        reps = many_estimand_trials(scenario, int(n_rep), int(seed), settings)
    except WalkBackInputError as exc:
        st.error(f"The replicate run failed: {exc}", icon=":material/error:")
        st.stop()
    plot_keyed(("est_cov", scenario, n_rep, int(seed), settings), coverage_figure, reps.summary, level=settings.level,
               title="Coverage of the 95% CIs", key="est_cov")
    r = reps.summary
    pp = [100.0 if _is_proportion(e) else 1.0 for e in r["estimand"]]  # proportions in percentage points
    digits = [3 if scale == "hr" else 1 for scale in r["scale"]]  # HRs to 0.001; days and points to 0.1
    show = pd.DataFrame({
        "Estimand": [_label(lab, e) for lab, e in zip(r["label"], r["estimand"])],
        "Coverage (MC SE)": [f"{format_percent(c)} ({format_percent(se)})" for c, se in zip(r["coverage"], r["coverage_mcse"])],
        "Truth": [format_number(k * v, d) for k, d, v in zip(pp, digits, r["truth"])],
        "Mean estimate": [format_number(k * v, d) for k, d, v in zip(pp, digits, r["mean_estimate"])],
        "Bias (MC SE)": [f"{format_number(k * b, d)} ({format_number(k * se, 2)})"
                         for k, d, b, se in zip(pp, digits, r["bias"], r["bias_mcse"])],
        "SE: empirical / model": [f"{format_number(k * a, d)} / {format_number(k * b, d)}"
                                  for k, d, a, b in zip(pp, digits, r["empirical_se"], r["mean_se"])],
    })
    show_table(show, hide_index=True, width="stretch",
                 column_config={"Estimand": st.column_config.TextColumn(width="large")})
    st.caption("Bias is on the log scale for hazard ratios. Coverage: share of trials whose 95% CI contains the "
               "truth; its Monte Carlo SE says how far from 95% chance alone can put it.")
else:
    st.caption("Press Run to see bias and coverage of each estimator over replicate trials "
               f"({', '.join(label for label, _ in ESTIMANDS.values())}).")
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("estimands", scenario, seed=int(seed), settings=settings)
