"""What the Live class page shares: the class database (one pool per process) and bounded caches per seat.

The database URL comes from ``$WALKBACK_DATABASE_URL``, else from ``.streamlit/secrets.toml`` in Streamlit's
connection format (``[connections.walkback]`` with ``url = "postgresql+psycopg://..."``), else the library's SQLite
default (a file in ``$WALKBACK_DATA_DIR``). The store is the library's :class:`~analysis.io.live_class.ClassStore`
rather than ``st.connection(type="sql")``: it needs its own engine settings (SQLite's WAL and busy timeout,
write transactions that take the lock first), and the load harness and the tests use the same object.
"""

from __future__ import annotations

import os

import streamlit as st

from analysis.errors import ClassStoreUnavailable
from analysis.io.live_class import ENV_URL, ClassStore
from analysis.io.class_set import student_trial_analysis
from app_support.shared import memo

#: Seconds between the dashboard's refreshes (and the student's check for "truth revealed").
REFRESH_SECONDS = 3

#: Settings a class may vary between students (``walkback classroom --vary``), as the Class set page offers them.
VARIABLE = {
    "": "Nothing: every student gets the same scenario",
    "adherence.mean_adherence": "Mean adherence among starters",
    "adherence.never_start": "Share who never start the programme",
    "walking.target_minutes": "Weekly walking target (min/week)",
    "design.annual_loss_to_followup": "Annual loss to follow-up",
}
#: Example values that fit each setting (shares as fractions, the walking target in minutes per week).
EXAMPLE_VALUES = {"adherence.mean_adherence": "0.4, 0.6, 0.87", "adherence.never_start": "0.05, 0.2, 0.4",
                  "walking.target_minutes": "90, 130, 180", "design.annual_loss_to_followup": "0.05, 0.15, 0.3"}


_MARKDOWN = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]()#+-.!|~>$:<&"})


def plain(text: str) -> str:
    """Text to show inside Markdown exactly as typed (every Markdown mark escaped).

    Examples
    --------
    >>> plain("**hi** [x](y)")
    '\\*\\*hi\\*\\* \\[x\\]\\(y\\)'
    """
    return text.translate(_MARKDOWN)


def configured_url() -> str | None:
    """``$WALKBACK_DATABASE_URL``, else ``secrets.toml``'s ``[connections.walkback] url``, else None (SQLite)."""
    if os.environ.get(ENV_URL, "").strip():
        return os.environ[ENV_URL].strip()
    try:
        return str(st.secrets["connections"]["walkback"]["url"])
    except Exception:  # no secrets file, or no such entry: Streamlit raises several kinds here
        return None


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(url: str | None) -> ClassStore:
    return ClassStore(url)


def class_store() -> ClassStore:
    """The process's store (raises :class:`ClassStoreUnavailable` when the URL is unusable)."""
    return _store(configured_url())


def unavailable_message(exc: ClassStoreUnavailable) -> str:
    return (f"The live class cannot reach its database, so it is unavailable right now; the rest of the app works. "
            f"Details: {exc}.")


@memo(256, show_spinner="Simulating and analysing your trial...")
def seat_analysis(scenario, trial_seed: int):
    """A seat's cohort and analysis (``walkback analyze`` on the student's own trial), shared by every session."""
    cohort, _data, result = student_trial_analysis(scenario, trial_seed)
    return cohort, result


@memo(64)
def class_truths(code: str, _plan) -> dict:
    """The expected hazard ratio of each variant of class ``code`` (a class's plan never changes)."""
    return _plan.truths()
