"""Shared fixtures. Heavy objects are module-level cached in the library (default_scenario)."""

import pytest

from analysis.model.default import default_scenario


@pytest.fixture(scope="session")
def walkback():
    """The calibrated default WalkBack scenario."""
    return default_scenario()
