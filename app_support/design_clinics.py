"""The Design page's clinics panel: what randomising whole clinics costs (not a page).

One call from the page, :func:`clinics_panel`; it reads its widgets, makes one library call
(:func:`analysis.studies.clinics.clinic_design_effect`, through a bounded cache) and renders.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_support.tables import show_table  # static tables: headers for screen readers, cells wrap at 800 px

from analysis.studies.clinics import clinic_design_effect
from analysis.trial.scenario import Scenario
from app_support.shared import guarded, memo, trial_count

#: Simulated trials per design the panel offers.
SIM_CHOICES = (100, 200, 500, 1000)
ICC_CHOICES = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)


@memo(16, show_spinner="Simulating clinic-randomised and participant-randomised trials...")
def cached_clinic_design(scenario: Scenario, n_clinics: int, icc: float, n_sims: int, seed: int, alpha: float):
    return clinic_design_effect(scenario, n_clinics, icc, n_sims, seed, alpha=alpha)


def clinics_panel(scenario: Scenario, *, alpha: float, seed: int) -> None:
    """Power and design effect of a clinic-randomised follow-up against the individually randomised design."""
    st.header("Randomising clinics instead of participants")
    st.caption("WalkBack recruited through 25 physiotherapy clinics and randomised participants. A follow-up that "
               "brings the programme into regular care might randomise whole clinics. Outcomes within a clinic are "
               "alike (a shared clinic frailty; the intraclass correlation, ICC, is on the log-hazard scale and is an "
               "assumption: the trial published none), so each clinic carries less information than its size "
               "suggests. Clinic-randomised trials are analysed with a Cox model with cluster-robust standard errors.")
    controls = st.container(horizontal=True, gap="small")
    c1, c2, c3 = (controls.container(width=w) for w in (215, 215, 250))  # the trial counts on one line
    n_clinics = c1.number_input("Clinics", 4, 200, min(max(scenario.clinics.n_clinics, 4), 200), 1,
                                key="design_clinics_k")
    # the scenario's ICC when it has one (nearest offered value), else 0.05 to show what clustering costs
    wanted = scenario.clinics.icc or 0.05
    icc = c2.select_slider("ICC (log-hazard scale)", ICC_CHOICES, value=min(ICC_CHOICES, key=lambda v: abs(v - wanted)),
                           key="design_clinics_icc", help="ICC = σ² / (σ² + π²/6), σ the SD of the clinic log-frailty.")
    n_sims = trial_count(c3, "Simulated trials per design", SIM_CHOICES, 200, key="design_clinics_sims")
    result = guarded(lambda: cached_clinic_design(scenario, int(n_clinics), float(icc), int(n_sims), int(seed),
                                                  float(alpha)), "Clinic randomisation")
    if result is None:
        return
    metrics = st.container(horizontal=True, gap="small")
    m1, m2 = metrics.container(width=260), metrics.container(width=260)
    m1.metric("Design effect, simulated", f"{result.design_effect_simulated:.2f} ± {result.design_effect_mc_se:.2f}",
              help="Variance of the log HR estimate when clinics are randomised over its variance when participants "
                   "are (the same clinics and ICC), with its Monte Carlo SE.")
    m2.metric("Design effect, analytic", f"{result.design_effect_analytic:.2f}",
              help="1 + ((1 + CV²) m − 1) ICC, m the mean clinic size and CV the spread of clinic sizes (Eldridge, "
                   "Ashby and Kerry 2006); a formula for continuous outcomes, used here as an approximation.")
    s = result.summary
    shown = pd.DataFrame({"Randomised by": s["design"], "Participants": s["n_total"], "Clinics": s["n_clinics"],
                          "Power, simulated": 100 * s["power_simulated"], "Monte Carlo SE": 100 * s["mc_se"],
                          "Power, analytic": 100 * s["power_analytic"], "Test": s["test"]})
    show_table(shown, hide_index=True, column_config={
        name: st.column_config.NumberColumn(format="%.1f%%")
        for name in ("Power, simulated", "Monte Carlo SE", "Power, analytic")})
    st.caption(f"Analytic power: Schoenfeld's with the expected recurrences divided by the analytic design effect. "
               "With few clinics, robust standard errors tend to be too small (a known small-sample bias), so the "
               "clinic-randomised test can reject a little too often. The same numbers from the command line: "
               f"`walkback power --clinics {int(n_clinics)} --icc {icc:g} --n-sims {int(n_sims)} --seed {int(seed)}`")
