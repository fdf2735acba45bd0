"""How sure are we that walking works, and how likely is a follow-up trial to confirm it?"""

from __future__ import annotations

import streamlit as st

from app_support.how_sure import (
    DEFAULT_SIMS, SIM_CHOICES, cached_assurance, cached_reading, prior_controls, render_assurance, render_reading,
    script_priors,
)
from app_support.shared import current_scenario, guarded, page_header, seed_input, trial_count

page_header(
    "How sure are we?",
    "The published result, HR 0.72 (95% CI 0.60 to 0.85), read as evidence about the walking programme's effect "
    "and combined with three starting beliefs: none (flat), doubt (sceptical: no effect expected) and optimism "
    "(enthusiastic). Then: how likely is a follow-up trial to confirm the benefit, given what we now believe?")

scenario = current_scenario()
mid, priors = prior_controls()
reading = guarded(lambda: cached_reading(priors, mid), "The Bayesian reading")
if reading is not None:
    render_reading(reading)
    st.caption("Normal approximation on the log hazard ratio: the likelihood has mean log 0.72 and the standard error "
               "of the published CI's width. The flat prior returns the published result (0.605 to 0.857: the published "
               "bounds are rounded). Priors are assumptions; change them above. MID: the minimal important hazard ratio; hover over a curve to read it.")

st.header("Assurance of a follow-up trial")
st.caption("Assurance is the probability that a follow-up trial finds a significant benefit (two-sided log-rank "
           "p < alpha, hazard ratio below 1), averaged over what we believe about the effect: the power at each "
           "hazard ratio weighted by the posterior. Closed form: Schoenfeld's formula with the scenario's expected "
           "recurrences. Simulated: whole trials of the current scenario with the walking effect drawn from the "
           "posterior.")
controls = st.container(horizontal=True, gap="small")
c1, c2, c3, c4 = (controls.container(width=w) for w in (200, 200, 250, 200))  # the trial counts on one line
n_total = c1.number_input("Participants in the follow-up", 100, 5000, min(max(scenario.design.n_total, 100), 5000), 50,
                          key="sure_n")
alpha = c2.select_slider("Two-sided alpha", [0.01, 0.025, 0.05, 0.1], value=0.05, key="sure_alpha")
n_sims = trial_count(c3, "Simulated trials per prior", SIM_CHOICES, DEFAULT_SIMS, key="sure_sims",
                          help="0 shows the closed form only. Each prior's trials are spread over 20 equal-probability "
                               "slices of its posterior.")
seed = seed_input(c4, label="Seed")
gsd = st.checkbox("Also a group-sequential follow-up (O'Brien-Fleming-type alpha spending, looks at a third, two "
                  "thirds and all of the recurrences; closed form)", key="sure_gsd")
result = None
if reading is not None:
    result = guarded(lambda: cached_assurance(scenario, priors, mid, int(n_total), int(n_sims), int(seed),
                                              float(alpha), bool(gsd)), "Assurance")
if result is not None:
    render_assurance(result)
from app_support.scripts import script_button  # noqa: E402 - the code behind this view
script_button("assurance", scenario, priors=script_priors(priors), mid=mid, n_total=int(n_total), n_sims=int(n_sims),
              seed=int(seed), alpha=float(alpha))
