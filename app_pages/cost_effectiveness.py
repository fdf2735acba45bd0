"""Cost-effectiveness: one simulated trial costed and analysed, with what-ifs, beside the published figures."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import streamlit as st

from analysis.model.costs import COST_TABLE_COLUMNS, ECONOMICS_ASSUMPTIONS, ECONOMICS_SHORT_LABELS, Economics
from analysis.plots.economics import acceptability_figure, ce_plane_figure, net_benefit_figure, tornado_figure
from analysis.studies.economics import describe_increments
from analysis.trial.published import published_value
from analysis.trial.scenario import with_changes

from analysis.formats import format_for_measure, readable_summary
from app_support.tables import show_table
from app_support.shared import current_scenario, guarded, page_header, plot_keyed, seed_input
from app_support.studies_cache import CEA_DEFAULTS, CEA_EXPECTED_TRIALS, CEA_THRESHOLDS, cached_cea_study
from app_support.url_state import in_range, linked, one_of, show_linked_errors
from app_support.cea_view import SHORT_QUADRANT, cea_comparison_rows

page_header(
    "Cost-effectiveness",
    "The trial's economic evaluation redone on a simulated trial: societal costs and QALYs per participant, "
    "incremental costs and QALYs, the ICER, a stratified bootstrap, the cost-effectiveness plane, the acceptability "
    "and net-benefit curves and a one-way sensitivity analysis. Unit costs and utilities were not found in the "
    "published sources: they are labelled assumptions, two of them calibrated to the published ICER and probability.")

scenario = current_scenario()
base = Economics()
# Wrapping rows (side by side at 1400 px, two per line at 800 px, where fixed columns cut labels and values).
# Every input travels in the share link (linked), so a recipient sees the sender's numbers.
controls = st.container(horizontal=True, gap="small")
c1, c2, c3, c4 = (controls.container(width=215) for _ in range(4))
sessions = linked(c1.slider, "sess", base.sessions, "Physiotherapist sessions", 0, 12, key="cea_sessions", parse=int,
                  allowed=in_range(0, 12))
price = linked(c2.slider, "price", int(base.session_price), "Session price (AU$)", 0, 250, step=5, key="cea_price",
               parse=int, allowed=in_range(0, 250))
never_start = linked(c3.slider, "cns", float(scenario.adherence.never_start), "Never start the programme", 0.0, 1.0,
                     step=0.05, key="cea_never_start", allowed=in_range(0.0, 1.0))
threshold = linked(c4.select_slider, "wtp", int(CEA_DEFAULTS["threshold"]), "Willingness to pay (AU$/QALY)",
                   [int(w) for w in CEA_THRESHOLDS], key="cea_threshold", parse=int,
                   allowed=one_of(int(w) for w in CEA_THRESHOLDS), format_func=lambda w: f"AU${w:,}")
d1, d2, d3 = (controls.container(width=215) for _ in range(3))
adherence = linked(d1.slider, "cma", float(scenario.adherence.mean_adherence), "Mean adherence of starters", 0.0, 1.0,
                   step=0.01, key="cea_adherence", allowed=in_range(0.0, 1.0))
seed = seed_input(d2, label="Trial seed")
bootstrap = linked(d3.select_slider, "boot", CEA_DEFAULTS["bootstrap"], "Bootstrap replicates", [1000, 2000, 5000, 10000],
                   key="cea_bootstrap", parse=int, allowed=one_of([1000, 2000, 5000, 10000]), format_func="{:,}".format)
show_linked_errors()

economics = replace(base, sessions=int(sessions), session_price=float(price))
what_if = with_changes(scenario, {"adherence.never_start": float(never_start),
                                  "adherence.mean_adherence": float(adherence)})
study = guarded(lambda: cached_cea_study(what_if, economics, int(seed), int(bootstrap)), "Cost-effectiveness")
built = (what_if, economics, int(seed), int(bootstrap))  # what the study and its figures come from
if study is None:
    st.stop()
result = study.result
at = result.thresholds.set_index("wtp")
published_icer = published_value("icer_aud_per_qaly")
published_p = published_value("prob_cost_effective")
published_wtp = published_value("cea_wtp_threshold")

metrics = st.container(horizontal=True, gap="small")
m1, m2, m3, m4 = (metrics.container(width=215) for _ in range(4))
# A ratio only where it means something (NE, SW); in the other quadrants the word, not the quadrant's code.
m1.metric("ICER, this trial", f"AU${result.icer:,.0f}" if result.quadrant in ("NE", "SW") else
          SHORT_QUADRANT.get(result.quadrant, "Undefined"), help=result.statement)
m2.metric(f"P(cost-effective) at AU${threshold / 1000:,.0f}k", f"{at.loc[float(threshold), 'probability']:.0%}",
          help=f"Probability that walking + education is cost-effective at AU${threshold:,.0f} per QALY "
               "(share of bootstrap replicates with positive net monetary benefit).")
m3.metric("Incremental cost", f"{'-' if result.delta_cost < 0 else ''}AU${abs(result.delta_cost):,.0f}",
          help=f"{result.settings.confidence:.0%} CI AU${result.delta_cost_ci[0]:,.0f} to AU${result.delta_cost_ci[1]:,.0f}")
m4.metric("Incremental QALYs", f"{result.delta_qaly:.4f}",
          help=f"{result.settings.confidence:.0%} CI {result.delta_qaly_ci[0]:.4f} to {result.delta_qaly_ci[1]:.4f}")
st.markdown(f"**{result.statement[0].upper() + result.statement[1:]}.** Counted in recurrences prevented instead of "
            f"QALYs, walking + education is {result.recurrence_statement}.")

expected = study.expected_at(published_wtp)  # the row is labelled at the published threshold: read it there
expected_quadrant, expected_icer, expected_text = describe_increments(expected.delta_cost, expected.delta_qaly)
comparison = cea_comparison_rows(study, published_icer=published_icer, published_p=published_p,
                                 published_wtp=published_wtp)
show_table(comparison, hide_index=True, column_config={  # short headers fit at 800 px; the full names on hover
    "Published": st.column_config.Column("Published", help="Lancet 2024"),
    "This trial": st.column_config.Column("This trial", help="The simulated trial above"),
    "Expected": st.column_config.Column("Expected", help=f"{CEA_EXPECTED_TRIALS} simulated trials pooled; ± its "
                                                          "Monte Carlo standard error")})
st.caption(f"Expected: {CEA_EXPECTED_TRIALS} simulated trials pooled, {expected_text}. Pooling finitely many trials "
           f"leaves a Monte Carlo error: the expected ICER is "
           f"{format_for_measure('AU$', expected_icer)} ± {format_for_measure('AU$', study.expected_icer_se)} (one "
           f"standard error), so the published AU${published_icer:,} is within "
           f"{abs(expected_icer - published_icer) / study.expected_icer_se:.1f} standard errors of it: the "
           "calibration matches the published ICER up to that error. "
           f"The probability row is read at the published AU${published_wtp:,.0f}, whatever the slider says "
           f"(at the slider's AU${threshold:,.0f}: this trial {at.loc[float(threshold), 'probability']:.0%}, "
           f"expected {study.expected_at(float(threshold)).probability:.0%}). "
           "Work absence ratio: activity-limiting days with walking + education divided by those with control. "
           "Costs and QALYs come from the simulated episodes over 12 months: care-seeking episodes (healthcare), "
           "activity-limiting days (work absence), utility decrements during episodes and after the first "
           "recurrence; overlapping episodes count once, and the part of the year lost to follow-up is filled in at "
           "the arm's rates. One trial's probability varies a lot from seed to seed; the expected probability is "
           "Φ(E[INMB] / SE) for a trial of the published size, the median over trials of each trial's own "
           "probability; that is what the calibration matches.")

# The four charts in tabs that render lazily (only the open one runs): a new seed or a new threshold builds, sends and
# draws one chart, not four (the browser's drawing of four Plotly charts was most of a click's time).
tabs = st.tabs(["Cost-effectiveness plane", "Acceptability", "Net benefit", "One-way sensitivity"], key="cea_tabs",
               on_change="rerun")
charts = {
    "cea_plane": lambda: plot_keyed((built, threshold), ce_plane_figure, result, wtp=float(threshold),
                                    title="Cost-effectiveness plane", key="cea_plane"),
    "cea_ceac": lambda: plot_keyed((built, threshold), acceptability_figure, result.acceptability,
                                   published=(published_wtp, published_p), thresholds=(float(threshold),),
                                   title="Cost-effectiveness acceptability curve", key="cea_ceac"),
    "cea_inmb": lambda: plot_keyed(built, net_benefit_figure, result.acceptability,
                                   confidence=result.settings.confidence, title="Incremental net monetary benefit",
                                   key="cea_inmb"),
    "cea_tornado": lambda: plot_keyed((built, threshold), tornado_figure, study.tornado_at(float(threshold)),
                                      labels=ECONOMICS_SHORT_LABELS, wtp=float(threshold),
                                      title="One-way sensitivity (each assumption -50% / +50%)", key="cea_tornado"),
}
for tab, draw in zip(tabs, charts.values()):
    if tab.open:
        with tab, st.container(width=720):  # a readable width at 1920 px; the full width at 800 px
            draw()

with st.expander("Assumptions: unit costs and utilities", icon=":material/tune:"):
    show_table(pd.DataFrame([{"Assumption": label, "Value": getattr(economics, name), "Source": source}
                               for name, (label, source) in ECONOMICS_ASSUMPTIONS.items()]), hide_index=True)
with st.expander("Summary table and per-participant costs", icon=":material/table_view:"):
    show_table(readable_summary(result.summary), hide_index=True)
    # Files are written when asked for (deferred), not on every run of the page.
    st.download_button("Cost/QALY table (CSV)", data=lambda: study.table.to_csv(index=False),
                       file_name="walkback_costs.csv", mime="text/csv", on_click="ignore", key="cea_csv")
    st.download_button("Data dictionary (JSON)",
                       data=lambda: json.dumps({"columns": COST_TABLE_COLUMNS, "economics": economics.to_dict()},
                                               indent=2),
                       file_name="walkback_costs.dictionary.json", mime="application/json", on_click="ignore",
                       key="cea_dict")

from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("cost_effectiveness", what_if, seed=int(seed), economics=economics, bootstrap=int(bootstrap),
              threshold=float(threshold), thresholds=CEA_THRESHOLDS, expected_trials=CEA_EXPECTED_TRIALS)
