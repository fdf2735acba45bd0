"""The Design page's group-sequential section (not a page): widgets -> one cached library call -> render.

Kept out of ``app_pages/design_trial.py`` so the page gains one call; the cache lives here so the server's
warm-up can fill it. Nothing here computes a statistic: :func:`analysis.studies.sequential.group_sequential_study`
does, the figures come from :mod:`analysis.plots.sequential`.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.design.boundaries import GroupSequentialDesign
from analysis.errors import WalkBackInputError
from analysis.formats import format_number
from analysis.plots.sequential import boundaries_figure, stopping_figure
from analysis.studies.sequential import group_sequential_study
from analysis.trial.scenario import Scenario
from app_support.shared import CACHE_TTL, HASH_FUNCS, plot_keyed

__all__ = ["SEQUENTIAL_DEFAULTS", "cached_group_sequential", "render_group_sequential"]

#: The section's defaults (also what the warm-up computes).
SEQUENTIAL_DEFAULTS = {"looks": 3, "kind": "asOF", "alpha": 0.025, "power": 0.8, "futility": "none", "n_trials": 200}
KINDS = {"asOF": "O'Brien-Fleming-type spending", "asP": "Pocock-type spending", "OF": "O'Brien-Fleming (classical)",
         "P": "Pocock (classical)", "asKD": "Kim-DeMets spending (γ = 3)", "asHSD": "Hwang-Shih-DeCani spending (γ = −4)"}
GAMMAS = {"asKD": 3.0, "asHSD": -4.0}
FUTILITY = {"none": "None", "asOF": "Beta spending, O'Brien-Fleming-type (non-binding)",
            "z0": "z = 0 at interim looks (non-binding)"}
TRIALS = (0, 200, 500, 1000, 2000)


@st.cache_resource(max_entries=16, ttl=CACHE_TTL, show_spinner="Simulating the design on the model...",
                   hash_funcs={**HASH_FUNCS, GroupSequentialDesign: repr})
def cached_group_sequential(scenario: Scenario, design: GroupSequentialDesign, n_trials: int, seed: int,
                            look_days: tuple | None):
    return group_sequential_study(scenario, design, n_trials, seed, look_days=look_days)


def _design(looks: int, kind: str, alpha: float, power: float, futility: str) -> GroupSequentialDesign:
    rule = {"none": None, "asOF": "asOF", "z0": (0.0,) * (looks - 1)}[futility]
    return GroupSequentialDesign(kind, tuple(k / looks for k in range(1, looks + 1)), alpha=alpha, beta=1 - power,
                                 gamma=GAMMAS.get(kind), futility=rule)


def _look_days(text: str, looks: int) -> tuple:
    try:
        days = tuple(float(v) for v in text.replace(";", ",").split(",") if v.strip())
    except ValueError:
        raise WalkBackInputError(f"look days {text!r}: write {looks} numbers of days separated by commas") from None
    if len(days) != looks:
        raise WalkBackInputError(f"{len(days)} look days given for {looks} looks: give one day per look")
    return days


def _cell(key: str, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if key.startswith(("power", "type_i", "p_")):
        return f"{100 * value:.1f}%"
    if key.startswith(("hr_", "log_hr")):
        return format_number(value, 3)
    return format_number(value, 0)


def render_group_sequential(scenario: Scenario, seed: int) -> None:
    """The section: design widgets, boundaries figure, operating characteristics, stopping probabilities, script."""
    st.subheader("Group-sequential design: interim analyses")
    st.caption("Plan looks at fixed numbers of recurrences (or on calendar days), with efficacy boundaries from an "
               "alpha-spending function and optional futility boundaries, as rpact or gsDesign do. The analytic "
               "column is what the design promises if hazards were proportional, at the scenario's expected hazard "
               "ratio; the simulated column runs whole trials of the calibrated model (falling hazard, adherence, "
               "a walking effect that fades after the programme), cut at each look, and under H0 (no walking or "
               "education effect) for the type I error.")
    row = st.container(horizontal=True, gap="small")
    c = [row.container(width=215) for _ in range(6)]
    looks = c[0].select_slider("Looks (interim + final)", [2, 3, 4, 5], value=SEQUENTIAL_DEFAULTS["looks"],
                               key="gsd_looks")
    kind = c[1].selectbox("Efficacy boundary", list(KINDS), format_func=KINDS.get, key="gsd_kind")
    alpha = c[2].select_slider("One-sided alpha", [0.005, 0.01, 0.025, 0.05], value=SEQUENTIAL_DEFAULTS["alpha"],
                               key="gsd_alpha")
    power = c[3].select_slider("Power", [0.8, 0.85, 0.9, 0.95], value=SEQUENTIAL_DEFAULTS["power"], key="gsd_power",
                               format_func=lambda v: f"{100 * v:g}%")
    futility = c[4].selectbox("Futility boundary", list(FUTILITY), format_func=FUTILITY.get, key="gsd_futility")
    n_trials = c[5].select_slider("Trials to simulate", TRIALS, value=SEQUENTIAL_DEFAULTS["n_trials"], key="gsd_trials",
                                  help="Trials under the scenario and as many under H0; 0 shows the analytic design "
                                       "only. Monte Carlo SE of a probability is at most 0.5/sqrt(trials).")
    timing = st.radio("Looks happen", ["at numbers of recurrences", "on calendar days"], horizontal=True,
                      key="gsd_timing")
    look_days_text = None
    if timing == "on calendar days":
        default = ", ".join(f"{round(scenario.design.study_days * k / (looks + 1))}" for k in range(2, looks + 2))
        look_days_text = st.text_input("Look days (days since the first randomisation, comma-separated)",
                                       value=default, key=f"gsd_days_{looks}")
    try:
        design = _design(looks, kind, float(alpha), float(power), futility)
        look_days = None if look_days_text is None else _look_days(look_days_text, looks)
        study = cached_group_sequential(scenario, design, int(n_trials), int(seed), look_days)
    except WalkBackInputError as exc:
        st.error(f"This design cannot be computed: {exc}", icon=":material/error:")
        return
    _render(study, scenario, design, int(n_trials), int(seed), look_days)


def _render(study, scenario, design, n_trials: int, seed: int, look_days) -> None:
    looks = study.looks
    metrics = st.container(horizontal=True, gap="small")
    m = [metrics.container(width=215) for _ in range(3)]
    if study.max_events is not None:
        m[0].metric("Maximum recurrences", f"{math.ceil(study.max_events - 1e-9)}",
                    help="Schoenfeld's events for the design's power at the scenario's expected hazard ratio, "
                         "times the design's inflation factor; look k at its information rate times this.")
    else:
        m[0].metric("Recurrences expected by the last look", format_number(looks.recurrences.iloc[-1], 0))
    m[1].metric("Inflation factor", f"{study.boundaries.inflation_factor:.3f}",
                help="Maximum information relative to a single final analysis with the same alpha and power.")
    m[2].metric("Expected HR (scenario)", f"{study.hazard_ratio:.3f}")
    key = ("gsd", scenario, design, n_trials, seed, look_days)
    plot_keyed(key + ("boundaries",), boundaries_figure, looks, hazard_ratio=study.hazard_ratio, key="gsd_boundaries")

    st.markdown("**Operating characteristics: the analytic design beside the trial simulated on the model**")
    ops = study.operating
    table = pd.DataFrame({
        "Quantity": ops.quantity, "Under": ops.hypothesis.map({"scenario": "scenario", "H0": "H0 (no effect)"}),
        "Analytic (PH)": [_cell(k, v) for k, v in zip(ops.key, ops.analytic)],
        "Simulated": [_cell(k, v) for k, v in zip(ops.key, ops.simulated)],
        "Monte Carlo SE": [_cell(k, v) for k, v in zip(ops.key, ops.mc_se)]})
    st.dataframe(table, hide_index=True, height="content")

    st.markdown("**Stopping at each look**")
    plot_keyed(key + ("stopping",), stopping_figure, looks, key="gsd_stopping")
    per_look = pd.DataFrame({
        "Look": looks.look, "Recurrences": looks.recurrences.round(0),
        "Day (expected)" if look_days is None else "Day": looks.day,
        "Participants (expected)": looks.participants.round(0),
        "Efficacy z": looks.efficacy_z, "Efficacy HR ≤": looks.efficacy_hr,
        "Futility z": looks.futility_z, "Futility HR ≥": looks.futility_hr,
        "P(efficacy), analytic": looks.p_efficacy_analytic, "P(futility), analytic": looks.p_futility_analytic})
    if "p_efficacy" in looks:
        per_look["P(efficacy), simulated"] = looks.p_efficacy
        per_look["P(futility), simulated"] = looks.p_futility
    percent = [c for c in per_look if c.startswith("P(")]
    per_look[percent] = 100 * per_look[percent]
    st.dataframe(per_look, hide_index=True, height="content", column_config={
        **{c: st.column_config.NumberColumn(format="%.0f") for c in ("Recurrences", "Participants (expected)",
                                                                       "Day (expected)", "Day")},
        **{c: st.column_config.NumberColumn(format="%.3f") for c in ("Efficacy z", "Futility z", "Efficacy HR ≤",
                                                                       "Futility HR ≥")},
        **{c: st.column_config.NumberColumn(format="%.1f%%") for c in percent}})
    if look_days is not None:
        st.caption("Calendar looks: the boundaries keep the design's planned information rates; the recurrences "
                   "expected by each day give other fractions, so the analytic column is only a guide.")
    from app_support.scripts import script_button

    script_button("group_sequential", scenario, design=design, n_trials=n_trials, seed=seed, look_days=look_days)
