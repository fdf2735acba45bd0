"""The trial: what WalkBack did and found, beside one simulated trial of the current scenario."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.trial.published import not_published, published_figures
from app_support.shared import (
    cached_expected, current_scenario, guarded, is_default, page_header, plot_cached, plot_keyed, set_scenario,
)

page_header(
    "The WalkBack trial",
    "Does a walking programme with education keep low back pain from coming back? What the trial found "
    "(Pocovi et al., Lancet 2024), beside a simulated trial built to reproduce it.")

figs = published_figures()
scenario = current_scenario()
med_i, med_c, hr = figs["median_days_intervention"], figs["median_days_control"], figs["hazard_ratio"]

st.markdown(
    f"""
**The question.** Most people who recover from an episode of low back pain have another one, often within a year.
WalkBack asked whether walking regularly, with some education about back pain, delays the next episode.

**What was done.** {figs['n_randomised'].value} adults who had recently recovered from low back pain were randomly
allocated: {figs['n_intervention'].value} to an individually progressed walking programme (goal: 30 minutes, 5 times a
week) with 6 physiotherapist sessions over 6 months, and {figs['n_control'].value} to no treatment. Each month they
reported whether their back pain had come back badly enough to limit their activities, for 1 to 3 years.

**What was found.** Half of the control group had such a recurrence within **{med_c.value} days** (about
{med_c.value / 30.4:.0f} months); in the walking + education group this took **{med_i.value} days** (about {med_i.value / 30.4:.0f}
months). At any moment, the walking + education group had about **{100 * (1 - hr.value):.0f}% lower risk** of a recurrence
(hazard ratio {hr.value}, 95% CI {hr.ci[0]:.2f} to {hr.ci[1]:.2f}).
""")



CARD_WIDTH = 420  # px: two fit beside each other on a laptop screen, one per row on a narrow one


def card_table(rows: list[tuple[str, str, str]]) -> str:
    """A small Markdown table (quantity, value, 95% CI): it wraps on narrow screens where metrics would be cut."""
    return "| Quantity | Estimate | 95% CI |\n|---|---|---|\n" + "\n".join(f"| {q} | **{v}** | {ci} |" for q, v, ci in rows)


# Two cards side by side that wrap onto one column on narrow screens (fixed columns squeeze their tables).
cards = st.container(horizontal=True, gap="medium")
published_col = cards.container(border=True, width=CARD_WIDTH, key="card_published")
simulated_col = cards.container(border=True, width=CARD_WIDTH, key="card_expected")
with published_col:
    with st.container():
        st.markdown("## Published · Lancet 2024")
        st.markdown(card_table([
            ("Median days to recurrence, walking + education", f"{med_i.value}", f"{med_i.ci[0]} to {med_i.ci[1]}"),
            ("Median days to recurrence, control", f"{med_c.value}", f"{med_c.ci[0]} to {med_c.ci[1]}"),
            ("Hazard ratio", f"{hr.value:.2f}", f"{hr.ci[0]:.2f} to {hr.ci[1]:.2f} · p = {hr.p}"),
        ]))
        st.caption(f"Recurrences: about {figs['events_total'].value} in total — **derived**, not published "
                   f"({figs['events_total'].method}).")

# Imported here, after the published figures are on screen: the analysis stack is slow to import cold.
from analysis.plots import figures as F  # noqa: E402
from analysis.formats import format_ci, format_p  # noqa: E402
from analysis.studies.whatif import share_of_trials_further  # noqa: E402
from analysis.trial.scenario import with_changes  # noqa: E402
from app_support.survival_view import simulated_headline, trial_km_figure_args  # noqa: E402


def draw_another() -> None:
    now = current_scenario()
    set_scenario(with_changes(now, {"seed": (now.seed + 1) % (1 << 63)}))



result = guarded(lambda: simulated_headline(scenario, scenario.seed), "Simulating the trial")
expected = guarded(lambda: cached_expected(scenario), "The scenario's expected results")

with simulated_col:
    with st.container():
        # What the model reproduces leads: the expectation (no chance) beside the published figures. One simulated
        # trial follows below as what it is, one draw.
        label = "calibrated WalkBack model" if is_default(scenario) else "your modified model"
        st.markdown(f"## Expected · the {label}")
        if expected is not None:
            st.markdown(card_table([
                ("Median days to recurrence, walking + education", f"{expected.median_intervention:.0f}", "exact: none"),
                ("Median days to recurrence, control", f"{expected.median_control:.0f}", "exact: none"),
                ("Hazard ratio", f"{expected.cox_hr:.2f}", "exact: none"),
            ]))
            st.caption(f"The average over many trials of this model (exact, no simulation noise): recurrences about "
                       f"{expected.events_total:.0f}. The calibration makes these match the published figures.")

if result is not None:
    curves = {c.level: c for c in result.km.curves}
    ci_i = format_ci(curves["intervention"].median_lower, curves["intervention"].median_upper, 0)
    ci_c = format_ci(curves["control"].median_lower, curves["control"].median_upper, 0)
    events = sum(cv.events for cv in result.km.curves)

    def median(level: str) -> str:
        value = curves[level].median
        return f"{value:.0f}" if math.isfinite(value) else "not reached"

    with cards.container(border=True, width=CARD_WIDTH, key="card_simulated"):
        st.markdown(f"## One simulated trial · one draw (seed {scenario.seed})")
        st.markdown(card_table([
            ("Median days to recurrence, walking + education", median("intervention"), ci_i),
            ("Median days to recurrence, control", median("control"), ci_c),
            ("Hazard ratio", f"{result.cox.hr:.2f}",
             f"{format_ci(result.cox.lower, result.cox.upper, 2)} · {format_p(result.cox.p)}"),
        ]))
        if expected is not None:
            further = share_of_trials_further(result.cox.hr, result.cox.lower, result.cox.upper, expected.cox_hr)
            if math.isfinite(further):
                st.markdown(f"One trial varies by chance: this one's hazard ratio lies further from the expected "
                            f"{expected.cox_hr:.2f} than about **{100 * (1 - further):.0f}%** of trials of the same "
                            "model would (the Replicates page shows the spread).")
        st.caption(f"Recurrences: {events} ({curves['intervention'].events} walking + education, "
                   f"{curves['control'].events} control).")
        st.button("Draw another trial", icon=":material/casino:", key="trial_redraw", on_click=draw_another,
                  help="Moves the app's one seed on by one: every page then shows the new trial, and the link "
                       "carries the seed.")

if result is not None and expected is not None:
    rows = [
        ("Median days, walking + education", f"{med_i.value} ({med_i.ci[0]} to {med_i.ci[1]})",
         f"{curves['intervention'].median:.0f} ({ci_i})", f"{expected.median_intervention:.0f}", "published"),
        ("Median days, control", f"{med_c.value} ({med_c.ci[0]} to {med_c.ci[1]})",
         f"{curves['control'].median:.0f} ({ci_c})", f"{expected.median_control:.0f}", "published"),
        ("Hazard ratio (Cox, ITT)", f"{hr.value:.2f} ({hr.ci[0]:.2f} to {hr.ci[1]:.2f})",
         f"{result.cox.hr:.2f} ({format_ci(result.cox.lower, result.cox.upper, 2)})", f"{expected.cox_hr:.2f}", "published"),
        ("Recurrences, both arms", f"about {figs['events_total'].value} (derived)", f"{events}", f"{expected.events_total:.0f}",
         "derived"),
        ("Walking at week 12, walking + education (min/week)", f"about {figs['achieved_walking_week12'].value}",
         "", f"{expected.walking_week12_intervention:.0f}", "published"),
    ]
    # A Markdown table, not st.dataframe: five rows need no grid, and the grid's 1.3 MB of JavaScript would
    # otherwise hold back the first paint of this landing page.
    header = ["Quantity", "Published (95% CI)", "One simulated trial (95% CI)", "Expected"]
    st.markdown("\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                          + ["| " + " | ".join(cell or "–" for cell in row[:4]) + " |" for row in rows]))
    st.caption("Published: reported in the Lancet paper, except the recurrences (derived here from published figures). "
               "Expected: what the model gives on average over many trials (no chance variation).")

    # The curves take the full width; the two estimate plots sit side by side in a wrapping row, so on a narrow
    # screen (800 px with the sidebar open) they stack instead of being squeezed until their labels are cut.
    cumulative = st.toggle("Show % recurred instead of % recurrence-free", key="trial_cumulative")
    cache_key, builder, args, options = trial_km_figure_args(scenario, result, cumulative)
    plot_keyed(cache_key, builder, *args, key="trial_km", **options)
    estimates = st.container(horizontal=True, gap="large")
    with estimates.container(width=420):
        forest = pd.DataFrame([
            {"label": "Published (Lancet 2024)", "estimate": hr.value, "lower": hr.ci[0], "upper": hr.ci[1],
             "kind": "published"},
            {"label": "Simulated trial", "estimate": result.cox.hr, "lower": result.cox.lower, "upper": result.cox.upper,
             "kind": "simulated"},
            {"label": "Scenario, expected", "estimate": expected.cox_hr, "lower": math.nan, "upper": math.nan,
             "kind": "expected"},
        ])
        plot_cached(F.estimate_forest_figure, forest, x_title="Hazard ratio (log scale)", title="Hazard ratio (95% CI)",
                    key="trial_forest")
    with estimates.container(width=420):
        medians = pd.DataFrame([
            {"label": "Walking + education, published", "estimate": med_i.value, "lower": med_i.ci[0], "upper": med_i.ci[1],
             "kind": "published"},
            {"label": "Walking + education, simulated", "estimate": curves["intervention"].median,
             "lower": min(curves["intervention"].median_lower, curves["intervention"].median_upper),
             "upper": max(curves["intervention"].median_lower, curves["intervention"].median_upper), "kind": "simulated",
             "arm": "intervention"},
            {"label": "Control, published", "estimate": med_c.value, "lower": med_c.ci[0], "upper": med_c.ci[1],
             "kind": "published"},
            {"label": "Control, simulated", "estimate": curves["control"].median,
             "lower": min(curves["control"].median_lower, curves["control"].median_upper),
             "upper": max(curves["control"].median_lower, curves["control"].median_upper), "kind": "simulated",
             "arm": "control"},
        ])
        plot_cached(F.estimate_forest_figure, medians, reference_line=None, log_x=False,
                    x_title="Days", title="Median days to recurrence (95% CI)", key="trial_medians")

with st.expander("What was not published, and what the simulation assumes instead"):
    st.markdown("The trial did not publish these, so the simulator treats them as adjustable **assumptions** "
                "(Scenario page):\n" + "\n".join(f"- {item}" for item in not_published()))
    derived = [f for f in figs.values() if f.derived]
    st.markdown("**Derived figures** (computed here from published ones, never published themselves):\n" +
                "\n".join(f"- {f.label}: **{f.value}** — {f.method}" for f in derived))
    st.caption("Sources: " + " · ".join(sorted({f.citation for f in figs.values() if not f.derived and f.source == 'lancet2024'})))
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("trial", scenario, seed=scenario.seed)
