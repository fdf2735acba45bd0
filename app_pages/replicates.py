"""Replicates: hundreds of trials of the current scenario, to see what chance does to one trial."""

from __future__ import annotations

import math

import streamlit as st

from analysis.plots import figures as F
from analysis.studies import whatif as W
from analysis.io.export import cohort_to_bytes
from analysis.trial.published import published_figures
from app_support.jobs import Cancelled, registry
from app_support.shared import current_scenario, page_header, plot

page_header(
    "Replicates",
    "The same trial run many times, each with fresh chance. The spread shows how far one trial of 701 people can "
    "land from the truth, and how often it would reach p < 0.05. Runs continue in the background: you can change "
    "page and come back.")

scenario = current_scenario()
figs = published_figures()
hr = figs["hazard_ratio"]

c1, c2, c3 = st.columns([0.3, 0.3, 0.4])
n_replicates = c1.select_slider("Number of trials", options=[50, 100, 200, 500, 1000, 2000], value=200,
                                key="rep_n", help="About 1 second per 100 trials of 701 participants.")
seed = c2.number_input("Seed of the run", min_value=0, max_value=(1 << 53) - 1,
                       value=min(int(scenario.seed), (1 << 53) - 1), step=1, key=f"rep_seed_{scenario.seed}",
                       help="Trial i uses child i of this seed, so the same seed gives the same trials.")
key = (scenario, int(n_replicates), int(seed))
jobs = registry()
run = jobs.get(key)
# A first, modest run starts by itself so the page is never empty.
if run is None and n_replicates <= 200 and st.session_state.get("rep_autostarted") != key:
    st.session_state["rep_autostarted"] = key
    run = jobs.start(scenario, n_replicates, int(seed))
with c3:
    st.write("")
    if run is None:
        if st.button(f"Run {n_replicates} trials", type="primary", icon=":material/play_arrow:", key="rep_start"):
            run = jobs.start(scenario, n_replicates, int(seed))
            st.rerun()
    elif run.running:
        if st.button("Stop", icon=":material/stop:", key="rep_stop"):
            run.cancel_requested = True
    else:
        st.caption(f"Finished {run.total} trials in {run.elapsed:.1f} s.")


if run is None:
    st.info("Choose the number of trials and press Run.", icon=":material/play_arrow:")
    st.stop()


@st.fragment(run_every=0.5)
def progress_panel() -> None:
    current = jobs.get(key)
    if current is None:
        return
    if current.running:
        st.progress(current.done / max(current.total, 1),
                    text=f"Simulated and analysed {current.done} of {current.total} trials "
                         f"({current.elapsed:.0f} s)...")
    else:
        st.rerun()  # full rerun: draw the results


if run.running:
    progress_panel()
    st.stop()

try:
    result = run.result()
except Cancelled:
    jobs.forget(key)
    st.warning("The run was stopped. Press Run to start again.", icon=":material/stop_circle:")
    st.stop()
except Exception as exc:  # the run failed in its worker thread: report it, never a traceback
    jobs.forget(key)
    st.error(f"The replicate run failed for this scenario: {exc}", icon=":material/error:")
    st.stop()

readout = W.replicate_readout(result.per_trial, published_ci=tuple(hr.ci), alpha=result.alpha)
summary = result.summary.set_index("quantity")
expected_hr = float(summary.loc["hazard ratio, geometric mean", "expected"])
m1, m2, m3, m4 = st.columns(4)
m1.metric("Trials with p < 0.05", f"{100 * readout['share_significant']:.0f}%",
          help="Share of trials whose log-rank test reaches p < 0.05: the power of a trial like this.")
m1.caption(f"of {result.n_replicates} trials (log-rank, two-sided)")
m2.metric("Hazard ratio, middle trial", f"{readout['hr_q50']:.2f}")
m2.caption(f"95% of trials between {readout['hr_q025']:.2f} and {readout['hr_q975']:.2f}")
m3.metric("Inside the published CI", f"{100 * readout['share_in_published_ci']:.0f}%",
          help=f"Share of trials whose HR falls within the published 95% CI ({hr.ci[0]:.2f} to {hr.ci[1]:.2f}).")
m3.caption(f"published HR {hr.value:.2f} ({hr.ci[0]:.2f} to {hr.ci[1]:.2f})")
cover = float(summary.loc["95% CI of the HR covers the expected HR", "value"])
m4.metric("CIs covering the scenario's HR", f"{100 * cover:.0f}%" if math.isfinite(cover) else "–",
          help="Share of trials whose 95% CI contains the scenario's expected HR; close to 95% when the analysis "
               "is well calibrated.")
m4.caption(f"scenario's expected HR {expected_hr:.2f}")

left, right = st.columns([0.58, 0.42], gap="large")
with left:
    cumulative = st.toggle("Show % recurred instead of % recurrence-free", key="rep_cumulative")
    plot(F.replicate_band_figure(result.km_band, cumulative=cumulative,
                                 published_medians={"intervention": figs["median_days_intervention"].value,
                                                    "control": figs["median_days_control"].value},
                                 title=f"Kaplan-Meier curves of {result.n_replicates} simulated trials"), key="rep_band")
with right:
    st.write("")
    st.write("")
    plot(F.hr_spread_figure(result.per_trial["hr"].to_numpy(), published=hr.value, published_ci=tuple(hr.ci),
                            true_hr=expected_hr, title="Hazard ratio in each simulated trial"), key="rep_hr")

table = result.summary.copy()
table["value"] = table["value"].map(lambda v: f"{v:.3g}" if math.isfinite(v) else "–")
table["mc_se"] = table["mc_se"].map(lambda v: f"{v:.2g}" if math.isfinite(v) else "")
table["expected"] = table["expected"].map(lambda v: f"{v:.3g}" if math.isfinite(v) else "")
st.dataframe(table, hide_index=True, column_config={
    "quantity": st.column_config.TextColumn("Quantity", width="large"), "value": "Over the trials",
    "mc_se": "Monte Carlo SE", "expected": "Scenario, expected"})
with st.expander("Every trial"):
    st.dataframe(result.per_trial, hide_index=True, height=320)
    st.download_button("Download (CSV)", data=lambda: cohort_to_bytes(result.per_trial, "csv"),
                       file_name=f"replicates-{result.n_replicates}-seed{result.seed}.csv", mime="text/csv",
                       on_click="ignore", key="rep_download", icon=":material/download:")
    st.caption("simulate_trial(scenario, seed=trial_seed) rebuilds any one trial exactly.")
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("replicates", scenario, n_replicates=int(n_replicates), seed=int(seed))
