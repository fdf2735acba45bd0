"""Outcomes: every published outcome beside one simulated trial (with its episodes) and the scenario's expectation."""

from __future__ import annotations

import streamlit as st

from analysis.plots.outcomes import forest_figure, km_endpoint_figure, mcf_figure
from app_support.tables import show_table
from app_support.shared import current_scenario, guarded, page_header, plot_keyed, seed_input
from app_support.studies_cache import cached_outcomes

page_header(
    "Outcomes",
    "The whole trial: the primary outcome, any and care-seeking recurrences, recovery from the first recurrence, "
    "worst pain, all episodes over follow-up and harms. Published figures (Lancet 2024; JOSPT 2025) beside one "
    "simulated trial and the scenario's exact expectation. Not published: the any-recurrence HR and the "
    "care-seeking CI (the episode model's assumptions, on the Methods page).")


scenario = current_scenario()
seed = seed_input(st.container(width=220), label="Trial seed")
result = guarded(lambda: cached_outcomes(scenario, seed), "Simulating the outcomes")
if result is not None:
    built = (scenario, seed)  # every figure below is drawn from this (scenario, seed)'s outcomes: built once, shared
    plot_keyed(built, forest_figure, result.forest, key="outcomes_forest")
    secondary = result.secondary.assign(outcome=result.secondary["outcome"].str.replace(
        "intervention", "walking + education", regex=False))  # the arm's name on screen, as on every page
    shares = secondary["outcome"].str.startswith("At least one adverse event")  # shares in percent, as elsewhere
    secondary.loc[shares, ["published", "simulated", "expected"]] *= 100
    secondary.loc[shares, "outcome"] = secondary.loc[shares, "outcome"].str.replace(
        "At least one adverse event", "At least one adverse event (% of participants)", regex=False)
    pain = secondary["outcome"].str.startswith("Worst pain")
    secondary.loc[pain, "outcome"] = "Worst pain, first recurrence: difference in points (0-10 scale)"
    # One precision per row (the same in every column), numbers right-aligned: whole days and
    # participants, percent to one decimal, pain points to two.
    digits = [2 if is_pain else 1 if "%" in o else 0 for o, is_pain in zip(secondary["outcome"], pain)]
    secondary = secondary.rename(columns={"outcome": "Outcome", "published": "Published",
                                          "simulated": "Simulated trial", "expected": "Expected"})
    numbers = ["Published", "Simulated trial", "Expected"]
    styled = secondary.style
    for d in sorted(set(digits)):
        rows = [i for i, k in zip(secondary.index, digits) if k == d]
        styled = styled.format(f"{{:.{d}f}}", subset=(rows, numbers), na_rep="–")
    # A static table: its outcome names wrap, so it fits at 800 px without scrolling sideways.
    st.table(styled, hide_index=True)
    st.caption("Worst pain: walking + education minus control, on the 0-10 numeric rating scale (below 0: less pain "
               "with walking + education). Counts of participants and events are for a trial of the simulated size.")
    # Tabs render lazily: only the open one runs, so a new seed builds and sends one curve, not five hidden ones.
    tabs = st.tabs(["Activity-limiting (primary)", "Any recurrence", "Care-seeking", "Recovery", "All episodes"],
                   key="outcomes_tabs", on_change="rerun")
    titles = {"primary": "First activity-limiting recurrence", "any": "First recurrence of any kind",
              "care": "First care-seeking recurrence", "recovery": "Recovery from the first recurrence"}
    for tab, endpoint in zip(tabs, titles):
        if tab.open:
            with tab:
                plot_keyed((built, endpoint), km_endpoint_figure, result.km[endpoint], titles[endpoint],
                           "days since onset" if endpoint == "recovery" else "days since randomisation",
                           key=f"outcomes_km_{endpoint}")
    if tabs[-1].open:
        with tabs[-1]:
            plot_keyed(built, mcf_figure, result.recurrent.mcf.curves, key="outcomes_mcf")
            show_table(result.recurrent.summary, hide_index=True)
            if result.recurrent.adverse_events is not None:
                show_table(result.recurrent.adverse_events.summary, hide_index=True)
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("outcomes", scenario, seed=int(seed))
