"""The "How sure are we" page's widgets, bounded caches and rendering (not a page).

The page reads the priors and the follow-up design here, makes one library call each
(:func:`analysis.studies.assurance.bayes_reading`, :func:`analysis.studies.assurance.assurance`)
through the caches below, and renders with :func:`render_reading` / :func:`render_assurance`.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.design.boundaries import GroupSequentialDesign
from analysis.plots.assurance import bayes_figure
from analysis.studies.assurance import DEFAULT_MID_HR, Prior, assurance, bayes_reading
from analysis.trial.scenario import Scenario
from app_support.shared import memo, plot_keyed

#: The preset priors as the page first shows them: (name, median HR, P(HR < MID)).
PRESETS = (("sceptical", 1.0, 0.05), ("enthusiastic", 0.70, 0.80))
#: Simulated trials per prior the page offers (0 = closed form only).
SIM_CHOICES = (0, 200, 500, 1000)
DEFAULT_SIMS = 200


@memo(64)
def cached_reading(priors: tuple[Prior, ...], mid_hr: float):
    return bayes_reading(priors, mid_hr=mid_hr)


#: The group-sequential follow-up the page can add: O'Brien-Fleming-type alpha spending, looks at thirds.
GSD_LOOKS = (1 / 3, 2 / 3, 1.0)


@memo(32, show_spinner="Simulating follow-up trials with the walking effect drawn from each posterior...")
def cached_assurance(scenario: Scenario, priors: tuple[Prior, ...], mid_hr: float, n_total: int, n_sims: int,
                     seed: int, alpha: float, group_sequential: bool = False):
    gsd = GroupSequentialDesign("asOF", GSD_LOOKS, alpha=alpha / 2) if group_sequential else None
    return assurance(scenario, cached_reading(priors, mid_hr).posteriors, n_total, n_sims=n_sims, seed=seed,
                     alpha=alpha, group_sequential=gsd)


def prior_controls() -> tuple[float, tuple[Prior, ...]]:
    """The minimal important HR and the priors (flat, then the two presets as the user set them)."""
    mid = st.container(width=450).select_slider("Minimal important hazard ratio", [0.70, 0.75, 0.80, 0.85, 0.90, 0.95],
                           value=DEFAULT_MID_HR, key="sure_mid",
                           help="The smallest benefit that would change practice (an assumption; WalkBack published "
                                "none). Priors are set by the probability they give to a benefit beyond it.")
    priors = [Prior("flat")]
    row = st.container(horizontal=True, gap="medium")
    for name, median, prob in PRESETS:
        box = row.container(border=True, width=330)
        box.markdown(f"**{name.capitalize()} prior**")
        m = box.number_input("Median hazard ratio", 0.3, 1.5, median, 0.05, key=f"sure_{name}_median",
                             format="%.2f")
        p = box.slider(f"P(HR < {mid:g}) under the prior", 0.01, 0.99, prob, 0.01, key=f"sure_{name}_prob",
                       format="%.2f")
        try:
            priors.append(Prior.from_benefit(name, float(m), float(p), float(mid)))
        except ValueError as exc:  # WalkBackInputError: the median and the probability disagree
            box.error(str(exc), icon=":material/error:")
        else:
            box.caption(f"SD of the log HR = (log {mid:g} − log {m:g}) / Φ⁻¹({p:g}) = {priors[-1].sd:.3f}")
    return float(mid), tuple(priors)


def render_reading(reading) -> None:
    plot_keyed(("sure_bayes", tuple(p.prior for p in reading.posteriors), reading.mid_hr), bayes_figure,
               reading.densities(), mid_hr=reading.mid_hr, key="sure_bayes")
    s = reading.summary
    mid = reading.mid_hr

    def prob(p: float) -> str:
        return "> 0.9999" if p >= 0.99995 else f"{p:.4f}"

    shown = pd.DataFrame({
        "Prior": s["prior"], "Prior median HR": [
            "none (flat)" if sd == math.inf else f"{m:.2f}" for m, sd in zip(s["prior_median_hr"], s["prior_sd"])],
        f"Prior P(HR < {mid:g})": ["–" if sd == math.inf else f"{100 * q:.0f}%"
                                   for q, sd in zip(s["prior_p_beyond_mid"], s["prior_sd"])],
        "Posterior median HR": s["median_hr"], "95% credible interval": [
            f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(s["lower"], s["upper"])],
        "P(HR < 1)": [prob(p) for p in s["p_hr_below_1"]], f"P(HR < {mid:g})": 100 * s["p_hr_below_mid"]})
    st.dataframe(shown, hide_index=True, column_config={
        "Posterior median HR": st.column_config.NumberColumn(format="%.3f"),
        f"P(HR < {mid:g})": st.column_config.NumberColumn(format="%.1f%%"),
    })


def render_assurance(result) -> None:
    s = result.summary
    shown = pd.DataFrame({
        "Prior": s["prior"], "Posterior median HR": s["posterior_median_hr"],
        "Power at the posterior median": s["power_at_median"], "Assurance (closed form)": s["assurance_closed_form"],
        "Assurance (simulated)": s["assurance_simulated"], "Monte Carlo SE": s["mc_se"]})
    percent = ["Power at the posterior median", "Assurance (closed form)", "Assurance (simulated)", "Monte Carlo SE"]
    if "assurance_group_sequential" in s:
        shown["Assurance, group-sequential"] = s["assurance_group_sequential"]
        percent.append("Assurance, group-sequential")
    shown[list(percent)] = 100 * shown[list(percent)]
    st.dataframe(shown, hide_index=True, column_config={
        "Posterior median HR": st.column_config.NumberColumn(format="%.3f"),
        **{name: st.column_config.NumberColumn(format="%.1f%%") for name in percent}})


def script_priors(priors: tuple[Prior, ...]) -> list[tuple[str, float, float]]:
    """The priors as the view script takes them: (name, median HR, SD; inf for flat)."""
    return [(p.name, p.median_hr, math.inf if p.flat else p.sd) for p in priors]
