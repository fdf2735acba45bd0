"""The trial: what WalkBack did and found, beside one simulated trial of the current scenario."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.trial.published import not_published, published_figures
from app_support.shared import cached_expected, current_scenario, guarded, is_default, page_header, plot_cached, plot_keyed

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
{med_c.value / 30.4:.0f} months); in the walking group this took **{med_i.value} days** (about {med_i.value / 30.4:.0f}
months). At any moment, walkers had about **{100 * (1 - hr.value):.0f}% lower risk** of a recurrence
(hazard ratio {hr.value}, 95% CI {hr.ci[0]:.2f} to {hr.ci[1]:.2f}).
""")

published_col, simulated_col = st.columns(2, gap="large")
with published_col:
    with st.container(border=True):
        st.markdown("#### Published · Lancet 2024")
        st.caption("Median days to an activity-limiting recurrence, and the hazard ratio")
        a, b, c = st.columns(3)
        a.metric("Walking", f"{med_i.value}")
        a.caption(f"95% CI {med_i.ci[0]} to {med_i.ci[1]}")
        b.metric("Control", f"{med_c.value}")
        b.caption(f"95% CI {med_c.ci[0]} to {med_c.ci[1]}")
        c.metric("Hazard ratio", f"{hr.value:.2f}")
        c.caption(f"95% CI {hr.ci[0]:.2f} to {hr.ci[1]:.2f} · p = {hr.p}")
        st.caption(f"Recurrences: about {figs['events_total'].value} in total — **derived**, not published "
                   f"({figs['events_total'].method}).")

# Imported here, after the published figures are on screen: the analysis stack is slow to import cold.
from analysis.plots import figures as F  # noqa: E402
from analysis.formats import format_ci, format_p  # noqa: E402
from app_support.survival_view import km_result_figure, simulated_headline  # noqa: E402

result = guarded(lambda: simulated_headline(scenario, scenario.seed), "Simulating the trial")
expected = guarded(lambda: cached_expected(scenario), "The scenario's expected results")

with simulated_col:
    with st.container(border=True):
        label = "calibrated WalkBack scenario" if is_default(scenario) else "your modified scenario"
        st.markdown(f"#### Simulated · one trial of the {label}")
        if result is not None:
            curves = {c.level: c for c in result.km.curves}
            st.caption("Median days to an activity-limiting recurrence, and the hazard ratio")
            a, b, c = st.columns(3)
            ci_i = format_ci(curves["intervention"].median_lower, curves["intervention"].median_upper, 0)
            ci_c = format_ci(curves["control"].median_lower, curves["control"].median_upper, 0)
            # Short labels, numbers only: anything longer is cut off in a third of a half-width column.
            a.metric("Walking", f"{curves['intervention'].median:.0f}"
                     if math.isfinite(curves["intervention"].median) else "NR", help="NR: not reached in follow-up")
            a.caption(f"95% CI {ci_i}")
            b.metric("Control", f"{curves['control'].median:.0f}" if math.isfinite(curves["control"].median)
                     else "NR", help="NR: not reached in follow-up")
            b.caption(f"95% CI {ci_c}")
            c.metric("Hazard ratio", f"{result.cox.hr:.2f}")
            c.caption(f"95% CI {format_ci(result.cox.lower, result.cox.upper, 2)} · {format_p(result.cox.p)}")
            events = sum(cv.events for cv in result.km.curves)
            st.caption(f"Recurrences: {events} ({curves['intervention'].events} walking, {curves['control'].events} "
                       f"control) · seed {scenario.seed}. One trial varies by chance around the scenario's expected "
                       "values; the Replicates page shows how much.")

if result is not None and expected is not None:
    rows = [
        ("Median days, walking + education", f"{med_i.value} ({med_i.ci[0]} to {med_i.ci[1]})",
         f"{curves['intervention'].median:.0f} ({ci_i})", f"{expected.median_intervention:.0f}", "published"),
        ("Median days, control", f"{med_c.value} ({med_c.ci[0]} to {med_c.ci[1]})",
         f"{curves['control'].median:.0f} ({ci_c})", f"{expected.median_control:.0f}", "published"),
        ("Hazard ratio (Cox, ITT)", f"{hr.value:.2f} ({hr.ci[0]:.2f} to {hr.ci[1]:.2f})",
         f"{result.cox.hr:.2f} ({format_ci(result.cox.lower, result.cox.upper, 2)})", f"{expected.cox_hr:.2f}", "published"),
        ("Recurrences, both arms", f"about {figs['events_total'].value}", f"{events}", f"{expected.events_total:.0f}",
         "derived"),
        ("Walking at week 12, walking arm (min/week)", f"about {figs['achieved_walking_week12'].value}",
         "", f"{expected.walking_week12_intervention:.0f}", "published"),
    ]
    table = pd.DataFrame(rows, columns=["Quantity", "Published (95% CI)", "Simulated trial (95% CI)",
                                        "Scenario, expected", "Kind"])
    st.dataframe(table, hide_index=True)
    st.caption("Published: reported in the Lancet paper. Derived: computed here from published figures. "
               "Expected: what the scenario gives on average over many trials (no chance variation).")

    left, right = st.columns([0.64, 0.36], gap="large")
    with left:
        cumulative = st.toggle("Show % recurred instead of % recurrence-free", key="trial_cumulative")
        plot_keyed(("trial", scenario, scenario.seed), km_result_figure, result.km, result.risk_table, [],
                   cumulative=cumulative, height=600, title="Simulated trial: time to first activity-limiting recurrence",
                   key="trial_km")
    with right:
        forest = pd.DataFrame([
            {"label": "Published (Lancet 2024)", "estimate": hr.value, "lower": hr.ci[0], "upper": hr.ci[1],
             "kind": "published"},
            {"label": "Simulated trial", "estimate": result.cox.hr, "lower": result.cox.lower, "upper": result.cox.upper,
             "kind": "simulated"},
            {"label": "Scenario, expected", "estimate": expected.cox_hr, "lower": math.nan, "upper": math.nan,
             "kind": "expected"},
        ])
        plot_cached(F.estimate_forest_figure, forest, x_title="HR (log scale)", title="Hazard ratio", key="trial_forest")
        medians = pd.DataFrame([
            {"label": "Walking, published", "estimate": med_i.value, "lower": med_i.ci[0], "upper": med_i.ci[1],
             "kind": "published"},
            {"label": "Walking, simulated", "estimate": curves["intervention"].median,
             "lower": min(curves["intervention"].median_lower, curves["intervention"].median_upper),
             "upper": max(curves["intervention"].median_lower, curves["intervention"].median_upper), "kind": "simulated"},
            {"label": "Control, published", "estimate": med_c.value, "lower": med_c.ci[0], "upper": med_c.ci[1],
             "kind": "published"},
            {"label": "Control, simulated", "estimate": curves["control"].median,
             "lower": min(curves["control"].median_lower, curves["control"].median_upper),
             "upper": max(curves["control"].median_lower, curves["control"].median_upper), "kind": "simulated"},
        ])
        plot_cached(F.estimate_forest_figure, medians, reference_line=None, log_x=False,
                    x_title="Median days to recurrence", title="Medians (95% CI)", key="trial_medians")

with st.expander("What was not published, and what the simulation assumes instead"):
    st.markdown("The trial did not publish these, so the simulator treats them as adjustable **assumptions** "
                "(Scenario page):\n" + "\n".join(f"- {item}" for item in not_published()))
    derived = [f for f in figs.values() if f.derived]
    st.markdown("**Derived figures** (computed here from published ones, never published themselves):\n" +
                "\n".join(f"- {f.label}: **{f.value}** — {f.method}" for f in derived))
    st.caption("Sources: " + " · ".join(sorted({f.citation for f in figs.values() if not f.derived and f.source == 'lancet2024'})))
