"""Bounded, shared caches for the library results every page reads (not a page; nothing here computes a statistic).

A page run reads caches (ARCHITECTURE.md): results are keyed on frozen scenarios, shared by every session and bounded
in number and age, so memory stays bounded under load and the launcher's warm-up can fill them before the server
accepts connections.
"""

from __future__ import annotations

import streamlit as st

from analysis.model.calibration import CalibrationReport, calibrate
from analysis.model.default import default_scenario
from analysis.model.expectation import ExpectedTrial, expected_trial
from analysis.model.costs import Economics
from analysis.simulate.engine import simulate_trial
from analysis.trial.scenario import Scenario

#: Frozen scenarios are cache keys everywhere; their repr names every field exactly and is far cheaper to hash than
#: Streamlit's generic object walk.
HASH_FUNCS = {Scenario: repr, Economics: repr}
#: Cached results live at most this long (seconds) and in bounded numbers, so memory stays bounded under load.
CACHE_TTL = 3600


def memo(max_entries: int, show_spinner: bool | str = False):
    """A bounded, shared, copy-free cache for library results (treated as read-only by every page).

    ``st.cache_resource`` hands every session the same object, so a cached analysis costs nothing to reuse
    (``st.cache_data`` would unpickle a copy on every run).
    """
    return st.cache_resource(max_entries=max_entries, ttl=CACHE_TTL, show_spinner=show_spinner, hash_funcs=HASH_FUNCS)


# --------------------------------------------------------------------------- caches (bounded, keyed on frozen scenarios)
@st.cache_resource(show_spinner="Calibrating the WalkBack scenario to the published trial...")
def baseline_scenario() -> Scenario:
    """The calibrated WalkBack scenario (the library stores it solved, so this is quick)."""
    return default_scenario()


def seedless(scenario: Scenario) -> Scenario:
    """The key for what does not depend on the seed (expectations, pooled trials), so a new seed finds them in the
    cache: :meth:`~analysis.trial.scenario.Scenario.without_seed`, the key the library's own expectation caches use."""
    return scenario.without_seed()


@memo(64, show_spinner=False)
def _expected(scenario: Scenario) -> ExpectedTrial:
    return expected_trial(scenario)


def cached_expected(scenario: Scenario) -> ExpectedTrial:
    """The scenario's exact expectation (no chance: the seed does not enter it, nor the cache key)."""
    return _expected(seedless(scenario))


@memo(64, show_spinner=False)
def cached_walking(scenario: Scenario):
    from analysis.studies.whatif import walking_trajectory

    return walking_trajectory(scenario)


@memo(16, show_spinner="Simulating the trial...")
def cached_cohort(scenario: Scenario, seed: int):
    return simulate_trial(scenario, seed=seed)


@memo(16, show_spinner="Recalibrating to the published trial...")
def cached_calibration(scenario: Scenario, fit_loss_to_followup: bool = True) -> CalibrationReport:
    return calibrate(scenario, fit_loss_to_followup=fit_loss_to_followup)


@memo(32, show_spinner=False)
def fit_report(scenario: Scenario):
    """The calibration report's table for ``scenario`` as it stands (nothing re-solved), or None."""
    from analysis.model.calibration import compare_with_published

    try:
        return compare_with_published(scenario).summary
    except (ValueError, ArithmeticError):  # a degenerate scenario: the page says the table is unavailable
        return None


@memo(8, show_spinner="Solving the loss to follow-up for each count of recurrences...")
def cached_event_range(scenario: Scenario):
    from analysis.studies.event_range import loss_to_followup_across_events

    return loss_to_followup_across_events(scenario)
