"""What an export holds and what its files are called, and the package version every file records.

Shared by the writers of :mod:`analysis.io` (tables, ADTTE, dictionary and provenance, whole exports).
"""

from __future__ import annotations

__all__ = ["DATA_FILE", "EPISODE_DATA_FILE", "EXPORT_DATASETS", "DICTIONARY_FILE", "PROVENANCE_FILE",
           "SCENARIO_FILE", "R_FILE", "package_version"]

#: The data file of an export, by format (cohort) ...
DATA_FILE = {"csv": "cohort.csv", "parquet": "cohort.parquet", "adtte": "adtte.csv"}
#: ... and for the episodes.
EPISODE_DATA_FILE = {"csv": "episodes.csv", "parquet": "episodes.parquet"}
#: What an export holds: one row per participant ("cohort") or one row per episode ("episodes").
EXPORT_DATASETS = ("cohort", "episodes")
DICTIONARY_FILE = "data_dictionary.json"
PROVENANCE_FILE = "provenance.json"
SCENARIO_FILE = "scenario.json"
R_FILE = "reanalysis.R"


def package_version() -> str:
    """Installed version of ``walkback-explorer`` ("unknown" when running from an uninstalled tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("walkback-explorer")
    except PackageNotFoundError:  # pragma: no cover - the tests run from an installed tree
        return "unknown"
