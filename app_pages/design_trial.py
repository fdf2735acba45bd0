"""Design a trial: power and sample size, analytic against simulated, and the cost of lower adherence."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from analysis.errors import WalkBackInputError
from analysis.studies.power import CURVE_PARAMETERS, CURVE_SHARES, PowerCurve
from analysis.plots.design import dilution_figure, power_curve_figure

from app_support.tables import show_table
from app_support.design_tests import render_test_choice_panel
from app_support.shared import current_scenario, plot, plot_keyed, seed_input, trial_count
from app_support.studies_cache import (
    DESIGN_DEFAULTS, DILUTION_SHARES, POWER_GRIDS, cached_curve, cached_curve_point, cached_dilution, cached_sample_size,
)

GRIDS = POWER_GRIDS
#: From this many simulated trials per point the curve is computed point by point, with progress.
LONG_RUN_SIMS = 500


st.title("Design a trial")
st.caption("How many participants would a WalkBack-like trial need? Schoenfeld's and Freedman's formulas use the "
           "scenario's expected hazard ratio and recurrences (follow-up window, loss to follow-up); the simulation "
           "runs whole trials and counts how often the log-rank test reaches significance.")

scenario = current_scenario()

controls = st.container(horizontal=True, gap="small")  # wrapping rows: side by side at 1400 px, stacked at 800 px
c1, c2 = controls.container(width=215), controls.container(width=215)
target = c1.select_slider("Target power", [0.8, 0.85, 0.9, 0.95], value=DESIGN_DEFAULTS["power"], key="design_power",
                          format_func=lambda v: f"{100 * v:g}%")
alpha = c2.select_slider("Two-sided alpha", [0.01, 0.025, 0.05, 0.1], value=DESIGN_DEFAULTS["alpha"], key="design_alpha")

try:
    ss = cached_sample_size(scenario, float(target), float(alpha)).summary.set_index("method")
except WalkBackInputError as exc:
    st.error(f"No sample size for this scenario: {exc}", icon=":material/error:")
    st.stop()
metrics = st.container(horizontal=True, gap="small")
m1, m2, m3 = (metrics.container(width=215) for _ in range(3))
m1.metric("Expected hazard ratio", f"{ss.loc['schoenfeld', 'hr']:.3f}",
          help="The scenario's expected intention-to-treat Cox hazard ratio, walking + education vs control.")
m2.metric("Recurrences needed", f"{int(ss.loc['schoenfeld', 'events'])}",
          help=f"Schoenfeld's formula. Freedman's: {int(ss.loc['freedman', 'events'])}")
m3.metric("Participants needed", f"{int(ss.loc['schoenfeld', 'n_total'])}",
          help=f"Schoenfeld's formula, at {100 * ss.loc['schoenfeld', 'p_event']:.1f}% of participants with an observed recurrence. "
               f"Freedman: {int(ss.loc['freedman', 'n_total'])}.")

st.header("Power curve")
controls = st.container(horizontal=True, gap="small")
p1, p2, p3 = (controls.container(width=w) for w in (215, 290, 215))  # the trial counts on one line
parameter = p1.selectbox("Vary", list(CURVE_PARAMETERS), format_func=CURVE_PARAMETERS.get, key="design_param")
n_sims = trial_count(p2, "Simulated trials per point", [0, 100, 200, 500, 1000], DESIGN_DEFAULTS["n_sims"], key="design_nsims",
                     help="0 shows the analytic curves only. Monte Carlo SE is at most 0.5/sqrt(trials).")
seed = seed_input(p3, label="Seed")
chart = st.empty()
try:
    if n_sims < LONG_RUN_SIMS:
        curve = cached_curve(scenario, parameter, tuple(GRIDS[parameter]), int(n_sims), int(seed), float(alpha))
    else:  # long runs go point by point: the analytic curve first, then each simulated point as it arrives
        values = GRIDS[parameter]
        shown_so_far = cached_curve(scenario, parameter, tuple(values), 0, int(seed), float(alpha)).summary.copy()
        bar = st.progress(0.0)
        for k, value in enumerate(values):
            bar.progress(k / len(values), text=f"Simulating {int(n_sims):,} trials at point {k + 1} of {len(values)} "
                                               f"({CURVE_PARAMETERS[parameter].lower()} = {value:g}); the formulas "
                                               "are drawn already, simulated points appear as they finish...")
            began = time.perf_counter()
            point = cached_curve_point(scenario, parameter, value, int(n_sims), int(seed), float(alpha))
            shown_so_far.iloc[k] = point.summary.iloc[0]
            if time.perf_counter() - began > 0.25:  # computed now, not from the cache: show the point at once
                with chart.container():
                    plot(power_curve_figure(shown_so_far, x_title=CURVE_PARAMETERS[parameter],
                                            target_power=float(target), x_is_share=parameter in CURVE_SHARES))
        bar.empty()
        curve = PowerCurve(shown_so_far, parameter, int(n_sims), int(seed), float(alpha))
except WalkBackInputError as exc:
    st.error(f"Power curve not available: {exc}", icon=":material/error:")
    st.stop()
with chart.container():
    plot_keyed(("design_curve", scenario, parameter, int(n_sims), int(seed), float(alpha)), power_curve_figure,
               curve.summary, x_title=CURVE_PARAMETERS[parameter], target_power=float(target),
               x_is_share=parameter in CURVE_SHARES, key="design_curve")
columns = ["n_total", "hr", "events_expected", "power_schoenfeld", "power_freedman", "power_simulated", "mc_se"]
if parameter != "n":  # the varied value is its own column only when it is not the sample size
    columns = ["value", *columns]
shown = curve.summary[columns].rename(columns={
    "value": CURVE_PARAMETERS[parameter], "n_total": "Participants", "hr": "Expected HR",
    "events_expected": "Expected recurrences", "power_schoenfeld": "Schoenfeld", "power_freedman": "Freedman",
    "power_simulated": "Simulated", "mc_se": "MC SE"})
shown = shown.rename(columns={"Schoenfeld": "Power, Schoenfeld", "Freedman": "Power, Freedman",
                              "Simulated": "Power, simulated", "MC SE": "Monte Carlo SE"})
percent_columns = ("Power, Schoenfeld", "Power, Freedman", "Power, simulated", "Monte Carlo SE")
shown[list(percent_columns)] = 100 * shown[list(percent_columns)]  # power in percent, as on the chart
show_table(shown, hide_index=True, column_config={
    "Expected HR": st.column_config.NumberColumn(format="%.3f"),
    "Expected recurrences": st.column_config.NumberColumn(format="%.0f"),
    **{name: st.column_config.NumberColumn(format="%.1f%%") for name in percent_columns},
})

tests_panel = render_test_choice_panel(scenario, alpha=float(alpha), seed=int(seed))

st.header("What lower adherence costs")
st.caption("Never-starters get no benefit, so the ITT hazard ratio moves towards 1 and more recurrences are "
           "needed. With p the share who never start and HR<sub>s</sub> the hazard ratio if everyone started, the "
           "textbook rules dilute the log hazard ratio (HR<sub>s</sub><sup>1−p</sup>) or mix the hazards "
           "((1−p)·HR<sub>s</sub> + p) and inflate the events needed by 1/(1−p)²; the model recomputes the expected "
           "Cox HR with the walking effect per minute held fixed.", unsafe_allow_html=True)
shares = DILUTION_SHARES
table = cached_dilution(scenario, shares, float(alpha), float(target))
plot_keyed(("design_dilution", scenario, shares, float(alpha), float(target)), dilution_figure, table,
           key="design_dilution")
show = pd.DataFrame({"Never start": table["never_start"], "HR (model)": table["hr_model"],
                     "HR, textbook (HRₛ^(1−p))": table["hr_log_dilution"], "Events (model)": table["events_model"],
                     "Inflation (model)": table["inflation_model"], "Inflation, textbook 1/(1−p)²": table["inflation_simple"],
                     "Participants (model)": table["n_model"]})
show_table(show, hide_index=True, height="content", column_config={  # every row: no inner scroll
    "Never start": st.column_config.NumberColumn(format="percent"),
    **{name: st.column_config.NumberColumn(format="%.3f") for name in ("HR (model)", "HR, textbook (HRₛ^(1−p))")},
    **{name: st.column_config.NumberColumn(format="%.2f") for name in ("Inflation (model)", "Inflation, textbook 1/(1−p)²")},
    **{name: st.column_config.NumberColumn(format="%.0f") for name in ("Events (model)", "Participants (model)")},
})
from app_support.design_clinics import clinics_panel  # noqa: E402
clinics_panel(scenario, alpha=float(alpha), seed=int(seed))
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("design", scenario, power=float(target), alpha=float(alpha), parameter=parameter, values=GRIDS[parameter],
              n_sims=int(n_sims), seed=int(seed), shares=shares, power_by_test=tests_panel)

from app_support.design_sequential import render_group_sequential  # noqa: E402 - its own section, its own module

render_group_sequential(scenario, int(seed))
