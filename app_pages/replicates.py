"""Replicates: hundreds of trials of the current scenario, to see what chance does to one trial."""

from __future__ import annotations

import math

import streamlit as st

from analysis.plots import figures as F
from analysis.studies import whatif as W
from analysis.io.export import cohort_to_bytes
from analysis.trial.published import published_figures
from app_support.tables import show_table, wide_grid
from app_support.jobs import Cancelled, registry
from app_support.shared import current_scenario, page_header, plot_keyed, seed_input

page_header(
    "Replicates",
    "The same trial run many times, each with fresh chance. The spread shows how far one trial of 701 people can "
    "land from the truth, and how often it would reach p < 0.05. Runs continue in the background: you can change "
    "page and come back.")

scenario = current_scenario()
figs = published_figures()
hr = figs["hazard_ratio"]

controls = st.container(horizontal=True, gap="small", vertical_alignment="bottom")  # wraps at 800 px
c1, c2, c3 = controls.container(width=280), controls.container(width=220), controls.container(width="content")
n_replicates = c1.select_slider("Number of trials", options=[50, 100, 200, 500, 1000, 2000], value=200, format_func="{:,}".format,
                                key="rep_n", help="About 1 second per 100 trials of 701 participants.")
seed = seed_input(c2, label="Seed of the run", help="Trial i uses child i of this seed, so the same seed gives the "
                                                   "same trials.")
key = (scenario, int(n_replicates), int(seed))
jobs = registry()
run = jobs.get(key)
# A first, modest run starts by itself so the page is never empty.
if run is None and n_replicates <= 200 and st.session_state.get("rep_autostarted") != key:
    st.session_state["rep_autostarted"] = key
    run = jobs.start(scenario, n_replicates, int(seed))
with c3:
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
def progress_panel(watched: tuple = key) -> None:  # bound now: the page may show an earlier run below
    current = jobs.get(watched)
    if current is None:
        return
    if current.running:
        st.progress(current.done / max(current.total, 1),
                    text=f"Simulated and analysed {current.done} of {current.total} trials "
                         f"({current.elapsed:.0f} s)...")
    else:
        st.rerun()  # full rerun: draw the results


LAST_KEY = "rep_last_finished"
if run.running:
    progress_panel()
    previous = st.session_state.get(LAST_KEY)
    earlier = jobs.get(previous) if previous is not None else None
    if earlier is None or earlier.running:
        st.stop()
    # Keep the last finished run on screen while the new one works.
    st.caption(f"Shown below until the new run finishes: the previous run ({earlier.total} trials, seed "
               f"{previous[2]}{'' if previous[0] == scenario else ', earlier scenario'}).")
    run, key = earlier, previous

try:
    result = run.result()
    st.session_state[LAST_KEY] = key
except Cancelled:
    jobs.forget(key)
    st.warning("The run was stopped. Press Run to start again.", icon=":material/stop_circle:")
    st.stop()
except Exception as exc:  # the run failed in its worker thread: report it, never a traceback
    jobs.forget(key)
    st.error(f"The replicate run failed for this scenario: {exc}", icon=":material/error:")
    st.stop()

readout = W.replicate_readout(result.per_trial, published_ci=tuple(hr.ci), alpha=result.alpha)
summary = result.summary.set_index("key")
expected_hr = float(summary.loc["hr_geometric_mean", "expected"])
# A wrapping row of cards: four side by side at 1400 px, two per line at 800 px (not four cut to "Trials with …").
metrics = st.container(horizontal=True, gap="small")
m1, m2, m3, m4 = (metrics.container(width=215) for _ in range(4))
m1.metric("Trials with p < 0.05", f"{100 * readout['share_significant']:.0f}%",
          help="Share of trials whose log-rank test reaches p < 0.05: the power of a trial like this.")
m1.caption(f"of {result.n_replicates} trials (log-rank, two-sided)")
m2.metric("Hazard ratio, middle trial", f"{readout['hr_q50']:.2f}")
m2.caption(f"95% of trials between {readout['hr_q025']:.2f} and {readout['hr_q975']:.2f}")
m3.metric("Inside the published CI", f"{100 * readout['share_in_published_ci']:.0f}%",
          help=f"Share of trials whose HR falls within the published 95% CI ({hr.ci[0]:.2f} to {hr.ci[1]:.2f}).")
m3.caption(f"published HR {hr.value:.2f} ({hr.ci[0]:.2f} to {hr.ci[1]:.2f})")
cover = float(summary.loc["hr_ci_covers_expected", "value"])
cover_se = float(summary.loc["hr_ci_covers_expected", "mc_se"])
m4.metric("CIs covering the scenario's HR", f"{100 * cover:.1f}%" if math.isfinite(cover) else "–",
          help="Share of trials whose 95% CI contains the scenario's expected HR. See the note below the table "
               "for why this can fall a little short of 95%.")
m4.caption(f"Monte Carlo SE {100 * cover_se:.1f} points · scenario's expected HR {expected_hr:.2f}")

charts = st.container(horizontal=True, gap="small")  # side by side at 1400 px, stacked at 800 px
left, right = charts.container(width=510), charts.container(width=400)
with left:
    cumulative = st.toggle("Show % recurred instead of % recurrence-free", key="rep_cumulative")
    plot_keyed(("rep_band", key), F.replicate_band_figure, result.km_band, cumulative=cumulative,
               published_medians={"intervention": figs["median_days_intervention"].value,
                                  "control": figs["median_days_control"].value},
               title=f"Kaplan-Meier curves of {result.n_replicates} simulated trials", key="rep_band")
with right:
    plot_keyed(("rep_hr", key), F.hr_spread_figure, result.per_trial["hr"].to_numpy(), published=hr.value,
               published_ci=tuple(hr.ci), true_hr=expected_hr, title="Hazard ratio in each simulated trial",
               key="rep_hr")

SHOWN = {  # display labels by the library's stable keys
    "replicates": ("Simulated trials", "{:,.0f}"),
    "power": (f"Trials with log-rank p < {result.alpha:g} (power)", "{:.1%}"),
    "hr_geometric_mean": ("Hazard ratio, geometric mean over trials", "{:.3f}"),
    "hr_ci_covers_expected": ("Trials whose 95% CI covers the scenario's expected HR", "{:.1%}"),
    "recurrences_mean": ("Recurrences per trial, mean", "{:.1f}"),
    "median_control": ("Median days to recurrence, control (middle trial)", "{:.0f}"),
    "median_intervention": ("Median days to recurrence, walking + education (middle trial)", "{:.0f}"),
}


def _shown(key_: str, value: float, fmt_index: int = 1) -> str:
    fmt = SHOWN.get(key_, (key_, "{:.3g}"))[fmt_index]
    return fmt.format(value) if math.isfinite(value) else ""


table = result.summary.copy()
table["label"] = [SHOWN.get(k, (q,))[0] for k, q in zip(table["key"], table["quantity"])]
table["value_text"] = [_shown(k, v) or "–" for k, v in zip(table["key"], table["value"])]
table["mc_se_text"] = [("{:.1%}".format(v) if k in ("power", "hr_ci_covers_expected") else f"{v:.2g}")
                       if math.isfinite(v) else "" for k, v in zip(table["key"], table["mc_se"])]
table["expected_text"] = [_shown(k, v) for k, v in zip(table["key"], table["expected"])]
show_table(table[["label", "value_text", "mc_se_text", "expected_text"]], hide_index=True, column_config={
    "label": st.column_config.TextColumn("Quantity", width="large"), "value_text": "Over the trials",
    "mc_se_text": "Monte Carlo SE", "expected_text": "Scenario, expected"})
shortfall = (0.95 - cover) / cover_se if cover_se > 0 else math.nan
st.caption(
    f"**Coverage of what.** The scenario's expected HR ({expected_hr:.3f}) is the large-sample value of the unadjusted "
    "Cox hazard ratio under this scenario's follow-up: an average of a hazard ratio that changes over time (the walking "
    "effect ramps up over the first weeks and fades after the programme). Each trial's 95% CI is the Cox model's, "
    "which assumes one constant ratio. Here the log HR varied between trials with SD "
    f"{readout['log_hr_empirical_sd']:.4f} against an average model SE of {readout['log_hr_mean_model_se']:.4f}, "
    f"so the intervals are about as wide as they should be, and {100 * cover:.1f}% coverage is "
    + (f"{abs(shortfall):.1f} Monte Carlo SEs {'below' if shortfall > 0 else 'above'} 95%"
       if math.isfinite(shortfall) else "not comparable")
    + ": within about two SEs, that is chance, not a miscalibrated analysis.")
with st.expander("Every trial"):
    wide_grid(result.per_trial, hide_index=True, height=320, key="per_trial")
    st.download_button("Download (CSV)", data=lambda: cohort_to_bytes(result.per_trial, "csv"),
                       file_name=f"replicates-{result.n_replicates}-seed{result.seed}.csv", mime="text/csv",
                       on_click="ignore", key="rep_download", icon=":material/download:")
    st.caption("Each row's trial seed rebuilds that trial exactly (the same scenario and seed always give the same "
               "participants).")
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("replicates", scenario, n_replicates=int(n_replicates), seed=int(seed))
