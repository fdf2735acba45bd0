"""What the Live class page shares: the class database (one pool per process) and bounded caches per seat.

The database URL comes from ``$WALKBACK_DATABASE_URL``, else from ``.streamlit/secrets.toml`` in Streamlit's
connection format (``[connections.walkback]`` with ``url = "postgresql+psycopg://..."``), else the library's SQLite
default (a file in ``$WALKBACK_DATA_DIR``). The store is the library's :class:`~analysis.io.live_class.ClassStore`
rather than ``st.connection(type="sql")``: it needs its own engine settings (SQLite's WAL and busy timeout,
write transactions that take the lock first), and the load harness and the tests use the same object.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import streamlit as st

from analysis.errors import ClassStoreUnavailable
from analysis.io.live_class import ENV_URL, ClassStore
from analysis.io.class_set import student_trial_analysis
from app_support.shared import memo, prebuild_keyed

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


def seat_figure(trial, result) -> tuple:
    """``plot_keyed`` arguments of a seat's Kaplan-Meier figure (one definition: the page and the preparation)."""
    from app_support.survival_view import km_result_figure

    return (("live-km", trial.scenario, trial.trial_seed), km_result_figure, (result.km, result.risk_table, []),
            {"height": 420, "title": "Your trial: Kaplan-Meier curves"})


#: Seats whose trials a process prepares as soon as the instructor's dashboard opens there
#: (``$WALKBACK_PREPARE_SEATS``; 0 turns it off).
PREPARE_SEATS = 80
_PREFIX = "live-class-prepare"
_preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_PREFIX)
_prepared: set[str] = set()
_prepared_lock = threading.Lock()


class _QuietPreparer(logging.Filter):
    """The preparing thread fills the shared caches outside any session, which Streamlit would log on every call."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.threadName.startswith(_PREFIX)


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(_QuietPreparer())


def prepare_seats(code: str, plan, seats: int | None = None) -> None:
    """Simulate and analyse the class's first seats in the background, in seat order, once per process.

    Each seat is a new trial (~0.3 s of one core); computed while the instructor introduces the activity, a
    student's first page run then reads the shared cache instead of competing with a room of others for the CPU.
    """
    if seats is None:
        try:
            seats = int(os.environ.get("WALKBACK_PREPARE_SEATS", PREPARE_SEATS))
        except ValueError:
            seats = PREPARE_SEATS
    with _prepared_lock:
        if code in _prepared or seats <= 0:
            return
        _prepared.add(code)

    def work() -> None:
        for seat in range(1, seats + 1):
            trial = plan.student(seat)
            _cohort, result = seat_analysis(trial.scenario, trial.trial_seed)
            cache_key, builder, args, options = seat_figure(trial, result)
            prebuild_keyed(cache_key, builder, *args, **options)

    _preparer.submit(work)


@memo(64)
def class_truths(code: str, _plan) -> dict:
    """The expected hazard ratio of each variant of class ``code`` (a class's plan never changes)."""
    return _plan.truths()
