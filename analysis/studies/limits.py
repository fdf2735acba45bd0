"""Caps of the studies, in a module that imports nothing: the ``walkback`` parser shows them in its
help without loading pandas (:mod:`analysis.studies.classroom` and :mod:`analysis.studies.economics`
enforce them and re-export them).
"""

from __future__ import annotations

__all__ = ["MAX_STUDENTS", "MAX_BOOTSTRAP"]

#: Most students in one class set (each gets a full trial of the scenario's size).
MAX_STUDENTS = 500
#: Most bootstrap replicates of one cost-effectiveness analysis.
MAX_BOOTSTRAP = 1_000_000
