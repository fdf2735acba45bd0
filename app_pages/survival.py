"""Survival curves: the full time-to-event analysis of one simulated trial of the current scenario."""

from __future__ import annotations

import streamlit as st

from app_support.test_view import render_test_result, simulated_test, test_picker
from app_support.shared import cached_expected, current_scenario, guarded, page_header, seed_input
from app_support.survival_view import (
    BASELINE_COVARIATES,
    DEFAULT_COVARIATES,
    STRATIFICATION,
    analysis_options,
    ph_note_for,
    render_analysis,
    simulated_analysis,
    without_models,
)

page_header(
    "Survival curves",
    "One simulated trial of the current scenario, analysed as the trial's statistical analysis plan asks: "
    "Kaplan-Meier curves with a risk table, medians, log-rank and Cox models, a check of proportional hazards "
    "and the restricted mean. Hover over a curve to read it.")

scenario = current_scenario()
seed_col, info_col = st.columns([0.25, 0.75])
seed = seed_input(seed_col, label="Trial seed", help="Another seed gives another trial of the same scenario.")
info_col.caption(f"{scenario.design.n_intervention} walking + education, {scenario.design.n_control} control; "
                 f"follow-up {scenario.design.max_followup_months:.0f} months at most. Stratified analyses use the "
                 "trial's stratification factors; adjusted analyses use baseline covariates only.")
options = analysis_options(key_prefix="surv", strata_choices=STRATIFICATION, covariate_choices=BASELINE_COVARIATES,
                           default_strata=STRATIFICATION, default_covariates=DEFAULT_COVARIATES,
                           max_time=scenario.design.max_followup_days)
# What the page shows first (headline, curves, medians) needs no stratified or adjusted Cox model; those (lifelines,
# the estimator of record, ~0.1 s a fit) are fitted when their tab opens, so a new seed costs one fit, not three.
unadjusted = without_models(options)
result = guarded(lambda: simulated_analysis(scenario, int(seed), **unadjusted), "Analysing the simulated trial")
expected = guarded(lambda: cached_expected(scenario), "The scenario's expected curves")
if result is not None:
    render_analysis(result, key_prefix="surv", overlay=expected,
                    title="Time to first activity-limiting recurrence (simulated trial)", ph_note=ph_note_for(scenario),
                    cache_key=("survival", scenario, int(seed), tuple(sorted(unadjusted.items()))),
                    models=lambda: guarded(lambda: simulated_analysis(scenario, int(seed), **options),
                                           "Analysing the simulated trial"))
    st.header("Test the two arms")
    choice = guarded(lambda: test_picker(key_prefix="surv", max_tau=scenario.design.max_followup_days,
                                         default_tau=options["tau"] or 365.25), "This test")
    tested = None if choice is None else guarded(
        lambda: simulated_test(scenario, int(seed), choice, options["strata"]), "Running the test")
    if tested is not None:
        render_test_result(tested)
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("survival", scenario, seed=int(seed), test=choice, **options)
