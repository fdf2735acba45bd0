"""The Cost-effectiveness page's comparison table (published, this trial, expected), written for the screen.

Not a page: the rows are a pure function of a :class:`~analysis.studies.economics.CEAStudy`, so a test can check that
each row's every cell is the quantity its label names.
"""

from __future__ import annotations

import pandas as pd

from analysis.formats import format_for_measure
from analysis.studies.economics import describe_increments

#: The quadrant in a word where a ratio would mislead (SW keeps its ratio on the card, not in the table).
SHORT_QUADRANT = {"SE": "Dominant", "NW": "Dominated", "SW": "Less costly, less effective"}


def _icer_text(quadrant: str, icer: float) -> str:
    return format_for_measure("AU$", icer).replace("AU$", "") if quadrant == "NE" else \
        SHORT_QUADRANT.get(quadrant, "Undefined")


def cea_comparison_rows(study, *, published_icer: float, published_p: float, published_wtp: float) -> pd.DataFrame:
    """Rows ICER, P(cost-effective) at the published threshold and work absence ratio; columns Published, This
    trial, Expected (the pooled trials, the ICER with its Monte Carlo standard error). Every probability is read at
    ``published_wtp``, the threshold the row's label names, whatever threshold the page's slider shows."""
    result = study.result
    at = result.thresholds.set_index("wtp")
    expected = study.expected_at(float(published_wtp))
    quadrant, icer, _ = describe_increments(expected.delta_cost, expected.delta_qaly)
    expected_icer = _icer_text(quadrant, icer)
    if quadrant == "NE" and study.expected_icer_se is not None:
        expected_icer += f" ± {format_for_measure('AU$', study.expected_icer_se).replace('AU$', '')}"
    return pd.DataFrame({
        "Quantity": ["ICER (AU$/QALY)", f"P(cost-effective), AU${published_wtp / 1000:,.0f}k", "Work absence ratio"],
        "Published": [f"{published_icer:,.0f}", f"{published_p:.0%}", "about half"],
        "This trial": [_icer_text(result.quadrant, result.icer), f"{at.loc[float(published_wtp), 'probability']:.0%}",
                       f"{study.absence_ratio:.2f}"],
        "Expected": [expected_icer, f"{expected.probability:.0%}", f"{study.expected_absence_ratio:.2f}"],
    })
