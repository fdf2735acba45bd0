"""The Design page's group-sequential section (not a page): widgets -> one cached library call -> render.

Kept out of ``app_pages/design_trial.py`` so the page gains one call; the cache lives here so the server's
warm-up can fill it. Nothing here computes a statistic: :func:`analysis.studies.sequential.group_sequential_study`
does, the figures come from :mod:`analysis.plots.sequential`.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app_support.tables import show_table  # static tables: headers for screen readers, cells wrap at 800 px

from analysis.design.boundaries import GroupSequentialDesign
from analysis.errors import WalkBackInputError
from analysis.formats import format_number
from analysis.plots.sequential import boundaries_figure, stopping_figure
from analysis.studies.sequential import group_sequential_study
from analysis.trial.scenario import Scenario
from app_support.shared import CACHE_TTL, HASH_FUNCS, plot_keyed, trial_count

__all__ = ["SEQUENTIAL_DEFAULTS", "cached_group_sequential", "default_sequential_design", "render_group_sequential"]

#: The section's defaults (also what the warm-up computes).
SEQUENTIAL_DEFAULTS = {"looks": 3, "kind": "asOF", "alpha": 0.025, "power": 0.8, "futility": "none", "n_trials": 200}
KINDS = {"asOF": "O'Brien-Fleming-type spending", "asP": "Pocock-type spending", "OF": "O'Brien-Fleming (classical)",
         "P": "Pocock (classical)", "asKD": "Kim-DeMets spending (γ = 3)", "asHSD": "Hwang-Shih-DeCani spending (γ = −4)"}
GAMMAS = {"asKD": 3.0, "asHSD": -4.0}
FUTILITY = {"none": "None", "asOF": "Beta spending, OBF-type", "z0": "z = 0 at interim looks"}
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


def default_sequential_design() -> GroupSequentialDesign:
    """The design the section opens with (the server's warm-up computes it)."""
    d = SEQUENTIAL_DEFAULTS
    return _design(d["looks"], d["kind"], float(d["alpha"]), float(d["power"]), d["futility"])


def _look_days(text: str, looks: int) -> tuple:
    try:
        days = tuple(float(v) for v in text.replace(";", ",").split(",") if v.strip())
    except ValueError:
        raise WalkBackInputError(f"look days {text!r}: write {looks} numbers of days separated by commas") from None
    if len(days) != looks:
        raise WalkBackInputError(f"{len(days)} look days given for {looks} looks: give one day per look")
    return days


def _cell(key: str, value, se: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if key.startswith(("power", "type_i", "p_")):
        return f"{100 * value:.1f}%"
    if key.startswith(("hr_", "log_hr")):
        return format_number(value, 3)
    return format_number(value, 1 if se else 0)


def render_group_sequential(scenario: Scenario, seed: int) -> None:
    """The section: design widgets, boundaries figure, operating characteristics, stopping probabilities, script."""
    st.header("Group-sequential design: interim analyses")
    st.caption("Plan looks at fixed numbers of recurrences (or on calendar days), with efficacy boundaries from an "
               "alpha-spending function and optional futility boundaries, as rpact or gsDesign do. The analytic "
               "column is what the design promises if hazards were proportional, at the scenario's expected hazard "
               "ratio; the simulated column runs whole trials of the calibrated model (falling hazard, adherence, "
               "a walking effect that fades after the programme), cut at each look, and under H0 (no walking or "
               "education effect) for the type I error.")
    row = st.container(horizontal=True, gap="small")
    c = [row.container(width=300 if i in (1, 4) else 290 if i == 5 else 215) for i in range(6)]
    looks = c[0].select_slider("Looks (interim + final)", [2, 3, 4, 5], value=SEQUENTIAL_DEFAULTS["looks"],
                               key="gsd_looks")
    kind = c[1].selectbox("Efficacy boundary", list(KINDS), format_func=KINDS.get, key="gsd_kind")
    alpha = c[2].select_slider("One-sided alpha", [0.005, 0.01, 0.025, 0.05], value=SEQUENTIAL_DEFAULTS["alpha"],
                               key="gsd_alpha")
    power = c[3].select_slider("Power", [0.8, 0.85, 0.9, 0.95], value=SEQUENTIAL_DEFAULTS["power"], key="gsd_power",
                               format_func=lambda v: f"{100 * v:g}%")
    futility = c[4].selectbox("Futility boundary", list(FUTILITY), format_func=FUTILITY.get, key="gsd_futility",
                              help="Non-binding: the efficacy boundaries ignore futility stops, so the trial may go "
                                   "on past one without inflating the type I error. Beta spending uses an "
                                   "O'Brien-Fleming-type (OBF) function.")
    n_trials = trial_count(c[5], "Trials to simulate", TRIALS, SEQUENTIAL_DEFAULTS["n_trials"], key="gsd_trials",
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
    for hypothesis, title in (("scenario", "Under the scenario"), ("H0", "Under H0 (no walking or education effect)")):
        part = ops[ops.hypothesis == hypothesis]
        table = pd.DataFrame({
            title: part.quantity.to_numpy(),
            "Analytic": [_cell(k, v) for k, v in zip(part.key, part.analytic)],
            "Simulated": [_cell(k, v) for k, v in zip(part.key, part.simulated)],
            "MC SE": [_cell(k, v, se=True) for k, v in zip(part.key, part.mc_se)]})
        # the quantity column wide enough to read, narrow enough that the numbers stay in view at 800 px
        show_table(table, hide_index=True, height="content", column_config={
            title: st.column_config.TextColumn(width=260),
            **{c: st.column_config.TextColumn(width=70) for c in ("Analytic", "Simulated", "MC SE")}})

    st.markdown("**Stopping at each look**")
    plot_keyed(key + ("stopping",), stopping_figure, looks, key="gsd_stopping")
    # One column per look (at most 5): fits a narrow window where one column per quantity would not
    rows = {"Recurrences": [format_number(v, 0) for v in looks.recurrences],
            "Day (expected)" if look_days is None else "Day": [format_number(v, 0) for v in looks.day],
            "Participants (expected)": [format_number(v, 0) for v in looks.participants],
            "Efficacy z ≥": [format_number(v, 3) for v in looks.efficacy_z],
            "Efficacy: HR ≤": [format_number(v, 3) for v in looks.efficacy_hr]}
    has_futility = bool(looks.futility_z.notna().any())
    if has_futility:
        rows["Futility z ≤"] = [format_number(v, 3) for v in looks.futility_z]
        rows["Futility: HR ≥"] = [format_number(v, 3) for v in looks.futility_hr]
    for what in ("efficacy",) + (("futility",) if has_futility else ()):
        rows[f"P({what}), analytic"] = [_cell("p_", v) for v in looks[f"p_{what}_analytic"]]
        if f"p_{what}" in looks:
            rows[f"P({what}), simulated"] = [f"{_cell('p_', v)} ± {_cell('p_', 1.96 * se)}"
                                              for v, se in zip(looks[f"p_{what}"], looks[f"p_{what}_se"])]
    per_look = pd.DataFrame(rows, index=[f"Look {k}" for k in looks.look]).T.rename_axis("At the look").reset_index()
    show_table(per_look, hide_index=True, height="content",
                 column_config={"At the look": st.column_config.TextColumn(width=170)})
    if look_days is not None:
        st.caption("Calendar looks: the boundaries keep the design's planned information rates; the recurrences "
                   "expected by each day give other fractions, so the analytic column is only a guide.")
    from app_support.scripts import script_button

    script_button("group_sequential", scenario, design=design, n_trials=n_trials, seed=seed, look_days=look_days)
