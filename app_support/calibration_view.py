"""What the calibration rests on, said where a researcher reads about calibration (Scenario and Methods pages)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.studies.event_range import PLAUSIBLE_ANNUAL_LOSS
from app_support.caches import cached_event_range


def event_range_section(scenario) -> None:
    """The derived ~506 recurrences, the range the rounding allows, and the loss to follow-up each count needs."""
    span = cached_event_range(scenario)
    fewest, _, most = span.rounding_range
    loss = scenario.design.annual_loss_to_followup
    st.markdown(
        f"**What the loss to follow-up rests on.** The trial did not publish its number of recurrences; the "
        f"calibration derives about 506 from the width of the hazard ratio's 95% CI (0.60 to 0.85). Those bounds are "
        f"printed to two decimals, so the rounding alone allows about **{fewest:.0f} to {most:.0f}** recurrences. "
        f"The calibration solves the annual loss to follow-up so the scenario expects the derived count: this "
        f"scenario loses **{100 * loss:.0f}%** of participants a year"
        + (f", more than the {100 * PLAUSIBLE_ANNUAL_LOSS:.0f}% a trial with monthly contact plausibly loses. "
           "The medians and the hazard ratio are reproduced whatever the loss; the number of recurrences is what the "
           "high loss buys, and it rests on a derived, rounded figure. Read the default's loss to follow-up as a "
           "fitting device, not a finding. " if loss > PLAUSIBLE_ANNUAL_LOSS else ". ")
        + f"{span.statement} (everything else held):")
    table = pd.DataFrame({
        "Recurrences (both arms)": [f"{e:.0f}" for e in span.summary["events"]],
        "Annual loss to follow-up": [f"{100 * v:.0f}%" if v == v else "none reaches it"
                                     for v in span.summary["annual_loss_to_followup"]],
        "Expected hazard ratio": [f"{v:.3f}" if v == v else "–" for v in span.summary["cox_hr"]],
        "Plausible (≤ 20% a year)": ["yes" if ok else "no" for ok in span.summary["plausible"]],
    })
    st.table(table.set_index("Recurrences (both arms)"))
