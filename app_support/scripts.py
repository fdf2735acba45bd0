"""The "Download as script" button every result page ends with (not a page).

The zip comes from :func:`analysis.io.scripts.view_script` and is built only when the button is
pressed (Streamlit calls the data function then), so a page pays nothing for offering it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from analysis.io.scripts import view_script


def script_button(view: str, scenario, **params: Any) -> None:
    """Offer the Python script (+ walkback command, + R for survival views) that reproduces this view."""
    r_note = (" and an R script (survival package) re-analysing the exported data" if view in ("trial", "survival")
              else " and an R script (survival package) re-analysing your file" if view == "uploaded"
              else " and a base-R script giving the same posterior table" if view == "assurance" else "")
    if view == "group_sequential":
        r_note = " and an R script (rpact) reproducing the boundaries and recurrences"
    what = ("your file beside it" if view == "uploaded" else "the scenario embedded as JSON")
    st.download_button(
        "Download as script", data=lambda: view_script(view, scenario, **params).to_zip(),
        file_name=f"walkback-{view}-script.zip", mime="application/zip", on_click="ignore", icon=":material/code:",
        key=f"script_button_{view}",
        help=f"A runnable Python script that reproduces the numbers on this page with the analysis library ({what}) "
             f"and writes the figures as HTML, the equivalent walkback command{r_note}.")
