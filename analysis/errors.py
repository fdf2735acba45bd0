"""Errors raised for bad input anywhere in the library.

Every entry point (CLI, scenario files, uploads, URL parameters) turns these into one
message a user can act on; the message always says what is wrong and where.
"""

from __future__ import annotations

__all__ = ["WalkBackInputError", "ScenarioError", "CohortFileError"]


class WalkBackInputError(ValueError):
    """Input that the library cannot use; ``str(err)`` is the message for the user."""


class ScenarioError(WalkBackInputError):
    """A scenario field holds a value outside its allowed range or of the wrong type."""


class CohortFileError(WalkBackInputError):
    """A cohort file (CSV or Parquet) that cannot be analysed as a two-arm time-to-event data set."""
