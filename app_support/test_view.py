"""Pick a two-arm test and show its result: shared by the Survival and Data pages (not a page).

The test is run by :func:`analysis.stats.two_arm_tests.two_arm_test` through bounded caches; choosing
another test re-runs only the test, never the simulation or the rest of the analysis.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.formats import format_ci, format_number, format_p
from analysis.stats.two_arm_tests import TestChoice, TwoArmTest, choose_test, two_arm_test
from analysis.trial.scenario import Scenario
from analysis.plots.figures import ARM_LABELS
from app_support.shared import cached_cohort, memo
from app_support.survival_view import VARIABLE_LABELS
from app_support.tables import show_table

#: What the picker offers -> the name :func:`choose_test` takes.
TEST_OPTIONS = {"Log-rank": "logrank", "Fleming-Harrington FH(ρ, γ)": "fh", "MaxCombo": "maxcombo",
                "RMST difference at a horizon": "rmst"}
_WHAT = {
    "logrank": "Every recurrence counts the same: the most powerful test when the hazard ratio is constant.",
    "fh": "Weighted log-rank: each recurrence time counts S(t−)<sup>ρ</sup> (1 − S(t−))<sup>γ</sup>, with S the pooled "
          "Kaplan-Meier curve (within each stratum). "
          "ρ > 0 gives early differences more weight, γ > 0 late ones; FH(0, 0) is the log-rank test.",
    "maxcombo": "The largest of FH(0,0), FH(0,1) and FH(1,0) in absolute value, with a p-value that allows for "
                "having looked three ways (their joint normal law, with the correlation estimated from the data).",
    "rmst": "Difference in restricted mean recurrence-free time up to the horizon: the area between the two "
            "Kaplan-Meier curves. It needs no assumption about how the hazards relate.",
}


def _arm_words(level: str) -> str:
    return ARM_LABELS.get(str(level), str(level)).lower() if str(level) in ARM_LABELS else str(level)


def _fh_words(name: str) -> str:
    """``fh_0_1`` -> ``FH(0, 1)``."""
    _, rho, gamma = name.split("_")
    return f"FH({rho}, {gamma})"


def test_picker(*, key_prefix: str, max_tau: float, default_tau: float, time_unit: str = "days") -> TestChoice:
    """Widgets for the test and its settings (the horizon in ``time_unit``, at most ``max_tau``)."""
    row = st.container(horizontal=True, gap="small")
    label = row.selectbox("Test", list(TEST_OPTIONS), key=f"{key_prefix}_test", width=280,
                          help="The test the follow-up trial could pre-specify; the Design page compares their power.")
    name = TEST_OPTIONS[label]
    rho = gamma = tau = None
    if name == "fh":
        rho = row.number_input("ρ (early weight)", min_value=0.0, max_value=10.0, value=0.0, step=0.5,
                               key=f"{key_prefix}_rho", width=160)
        gamma = row.number_input("γ (late weight)", min_value=0.0, max_value=10.0, value=1.0, step=0.5,
                                 key=f"{key_prefix}_gamma", width=160)
    elif name == "rmst":
        top = max(float(max_tau), 1e-9)
        tau = row.number_input(f"Horizon ({time_unit})", min_value=0.0, max_value=top,
                               value=min(float(default_tau), top), key=f"{key_prefix}_tau_test", width=180,
                               help="Up to the smaller of the two arms' longest follow-up.")
        tau = tau if tau > 0 else None
    return choose_test(name, rho=rho, gamma=gamma, tau=tau)


@memo(64, show_spinner="Running the test...")
def simulated_test(scenario: Scenario, seed: int, choice: TestChoice, strata: tuple[str, ...] = ()) -> TwoArmTest:
    return two_arm_test(cached_cohort(scenario, seed), choice, strata=() if choice.kind == "rmst" else strata)


@memo(16, show_spinner="Running the test...")
def uploaded_test(df: pd.DataFrame, time: str, event: str, group: str, reference: str, choice: TestChoice,
                  strata: tuple[str, ...] = ()) -> TwoArmTest:
    return two_arm_test(df, choice, time, event, group, reference,
                        strata=() if choice.kind == "rmst" else strata)


def render_test_result(result: TwoArmTest, *, time_unit: str = "days") -> None:
    """The test's numbers as metrics, what it means, and its pieces."""
    row = st.container(horizontal=True, gap="small")
    kind = result.test if result.test in ("logrank", "maxcombo", "rmst") else "fh"
    if kind == "rmst":
        row.metric("RMST difference", f"{result.statistic:+.1f} {time_unit}", width=200,
                   help="Other arm minus reference arm: recurrence-free time gained up to the horizon.")
    elif kind == "maxcombo":
        row.metric("Largest |z|", format_number(abs(result.z), 2), width=200)
    else:
        row.metric("Chi-square (1 df)", format_number(result.chisq, 2), width=200)
    row.metric("z", format_number(result.z, 2), width=140)
    row.metric("p (two-sided)", format_p(result.p).removeprefix("p = ").removeprefix("p "), width=200)
    strata = [VARIABLE_LABELS.get(s, s) for s in result.details.get("strata") or []]
    direction = result.direction
    for level in result.details.get("levels", []):  # the arms' words, as on the rest of the page
        direction = direction.replace(f"favours {level}", f"favours {_arm_words(level)}")
    st.markdown(f"**{direction.capitalize()}** · {result.label}"
                + (f", stratified by {', '.join(strata)}" if strata else ""))
    levels = result.details.get("levels") or ["the reference arm", "the other arm"]
    sign = (f" Positive z: longer recurrence-free time on {_arm_words(levels[1])}." if kind == "rmst" else
            f" Negative z: fewer recurrences than expected on {_arm_words(levels[1])}.")
    st.caption(_WHAT[kind] + sign, unsafe_allow_html=True)
    if kind == "maxcombo":
        parts = pd.DataFrame([{"Statistic": f"FH({c['rho']:g}, {c['gamma']:g})", "z": format_number(c["z"], 3),
                               "Variance": format_number(c["variance"], 2)} for c in result.details["components"]])
        corr = result.details["correlation"]
        show_table(parts, hide_index=True, width=420, column_config={
            name: st.column_config.TextColumn(alignment="right") for name in ("z", "Variance")})
        st.caption(f"Estimated correlations: FH(0,0) with FH(0,1) {corr[0][1]:.2f}, with FH(1,0) {corr[0][2]:.2f}; "
                   f"FH(0,1) with FH(1,0) {corr[1][2]:.2f}. The largest is {_fh_words(result.details['max_component'])}.")
    elif kind == "rmst":
        d = result.details
        st.caption(f"RMST to {d['tau']:g} {time_unit}: {d['levels'][0]} {d['rmst'][0]:.1f}, {d['levels'][1]} "
                   f"{d['rmst'][1]:.1f}; difference 95% CI {format_ci(d['ci'][0], d['ci'][1], 1)} {time_unit}.")
    else:
        d = result.details
        levels = d["levels"]
        st.caption(f"Weighted observed / expected recurrences: {levels[0]} {d['observed'][0]:.1f} / "
                   f"{d['expected'][0]:.1f}, {levels[1]} {d['observed'][1]:.1f} / {d['expected'][1]:.1f}"
                   + ("" if math.isfinite(result.z) else " (no variance: the test is undefined)") + ".")
