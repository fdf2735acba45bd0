"""The Design page's panel "Which test should the follow-up trial pre-specify?" (rendering; not a page).

One call from the page (:func:`render_test_choice_panel`); the numbers come from
:func:`analysis.studies.power_by_test.power_by_test_table` through a bounded cache, the figure from
:func:`analysis.plots.power_tests.power_by_test_figure`.
"""

from __future__ import annotations

import streamlit as st

from analysis.errors import WalkBackInputError
from analysis.plots.power_tests import power_by_test_figure
from analysis.studies.power_by_test import WHAT_IF_DEFAULTS, power_by_test_table
from analysis.trial.scenario import Scenario
from app_support.shared import memo, plot_keyed, trial_count
from app_support.tables import show_table

#: Simulated trials per scenario the panel offers (the first is the default: seconds, not minutes).
PANEL_SIMS = (200, 500, 1000, 2000)


@memo(16, show_spinner="Simulating trials and running five tests on each...")
def cached_power_by_test(scenario: Scenario, n_sims: int, seed: int, alpha: float, programme_weeks: int,
                         maintained_fraction: float, n_total: int):
    return power_by_test_table(scenario, n_sims, seed, alpha=alpha, programme_weeks=programme_weeks,
                               maintained_fraction=maintained_fraction, n_total=n_total)


def warm_up_panel(scenario: Scenario, *, alpha: float, seed: int) -> None:
    """Fill the cache with the panel's defaults (the server's warm-up calls it)."""
    cached_power_by_test(scenario, PANEL_SIMS[0], seed, alpha, WHAT_IF_DEFAULTS["programme_weeks"],
                         WHAT_IF_DEFAULTS["maintained_fraction"], scenario.design.n_total)


def render_test_choice_panel(scenario: Scenario, *, alpha: float, seed: int) -> dict | None:
    """Simulated power of log-rank, FH(0,1), FH(1,0), MaxCombo and RMST for the scenario and two what-ifs.

    Returns the panel's settings (for the page's "Download as script"), None when nothing could be computed.
    """
    st.header("Which test should the follow-up trial pre-specify?")
    w = scenario.walking
    st.caption(
        f"In the model the walking effect builds up over the first {w.ramp_weeks} weeks, is strongest during the "
        f"{w.programme_weeks}-week programme and fades after it, so the hazard ratio is not constant and the "
        "log-rank test need not be the most powerful. The same simulated trials are analysed by each test "
        "(two-sided, the Design page's alpha); the what-ifs change how the effect wanes, without recalibrating.")
    row = st.container(horizontal=True, gap="small")
    n_total = row.number_input("Participants", 4, 10_000, scenario.design.n_total, step=50, key="tests_n", width=150,
                               help="At WalkBack's 701 every test has high power; a smaller trial separates them.")
    n_sims = trial_count(row, "Simulated trials per scenario", PANEL_SIMS, PANEL_SIMS[0], key="tests_nsims",
                         help="Monte Carlo SE is at most 0.5/sqrt(trials).")
    weeks = row.number_input("What-if: programme (weeks)", 1, 156, max(WHAT_IF_DEFAULTS["programme_weeks"],
                             w.ramp_weeks), key="tests_weeks", width=230,
                             help=f"walking.programme_weeks; the scenario has {w.programme_weeks}.")
    kept = row.number_input("What-if: walking kept after it (%)", 0, 100,
                            int(100 * WHAT_IF_DEFAULTS["maintained_fraction"]), step=5, key="tests_kept", width=230,
                            help=f"walking.maintained_fraction; the scenario has {100 * w.maintained_fraction:.0f}%.")
    try:
        table = cached_power_by_test(scenario, int(n_sims), int(seed), float(alpha), int(weeks), kept / 100,
                                     int(n_total))
    except WalkBackInputError as exc:
        st.error(f"Power by test not available: {exc}", icon=":material/error:")
        return None
    plot_keyed(("design_tests", scenario, int(n_sims), int(seed), float(alpha), int(weeks), kept, int(n_total)),
               power_by_test_figure, table.summary, key="design_tests")
    wide = table.wide()
    percent = [c for c in wide.columns if c not in ("what_if", "Expected HR")]
    wide[percent] = 100 * wide[percent]
    show_table(wide.rename(columns={"what_if": "Scenario"}), hide_index=True, column_config={
        "Expected HR": st.column_config.NumberColumn(format="%.3f"),
        **{c: st.column_config.NumberColumn(format="%.1f%%") for c in percent}})
    best = table.summary.loc[table.summary.groupby("what_if", sort=False)["power"].idxmax()]
    se = table.summary["mc_se"].max()
    st.caption(
        f"{int(n_total)} participants. Highest simulated power: " + "; ".join(f"{r.what_if}: {r.label} ({100 * r.power:.1f}%)"
                                                  for r in best.itertuples())
        + f". Monte Carlo SE up to {100 * se:.1f} points: differences smaller than about twice that are noise. "
        f"FH(0,1) weights late recurrences, FH(1,0) early ones; MaxCombo pays a small price for looking three ways "
        f"and is safe whichever way the effect changes; RMST compares the mean recurrence-free time over the first "
        f"{table.tau_days / (365.25 / 12):.0f} months. The open marker is the analytic (Schoenfeld) log-rank power, "
        "which assumes a constant hazard ratio.")
    return {"n_sims": int(n_sims), "seed": int(seed), "programme_weeks": int(weeks), "maintained_fraction": kept / 100,
            "n_total": int(n_total)}
