"""Exports: turn a simulated cohort into files other tools read.

Last stage of the pipeline for analysts (scenario -> simulate -> **export**). Three layouts:

- ``csv``: the cohort, one row per participant (UTF-8, ISO 8601 dates, exact floats).
- ``parquet``: the same table; its key-value metadata also holds the data dictionary and the
  provenance (``walkback.data_dictionary``, ``walkback.provenance``).
- ``adtte``: a CDISC ADaM ADTTE-style table, one record per participant per parameter
  (``TTALREC``, time to first activity-limiting recurrence, the primary; ``TTANYREC``,
  ``TTCAREC`` and ``TTRECOV`` for any, care-seeking and recovery), with an R
  re-analysis script (survival package) beside it.

Every export ships its data dictionary and its provenance: the scenario, the seed, the package
version and a sha256 of the data bytes, enough to regenerate the file byte for byte
(:func:`regenerate`). Nothing in a file depends on the clock, so the same scenario, seed and
version always give identical bytes, Parquet and zip bundles included.

Multi-file exports are written as a folder or a zip bundle through a temporary name and a
rename (:func:`write_export`); :func:`export_bundle` returns the zip bytes for a download button.
CSV cells a spreadsheet would run as a formula are neutralised (:func:`neutralise_formulas`).

This module puts the pieces together; each job has its own module: tables to bytes
(:mod:`~analysis.io.tables`), the ADTTE table and its R script (:mod:`~analysis.io.adtte`), the data
dictionary and provenance (:mod:`~analysis.io.dictionary`), file names (:mod:`~analysis.io.layout`) and
atomic writes (:mod:`~analysis.io.atomic`). Every public name stays importable from here.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError
from ..simulate.seeds import replicate_seeds
from ..trial.published import DATA_DIR
from .adtte import ADTTE_COLUMNS, ADTTE_PARAMETERS, CNSR_CODES, cohort_to_adtte, r_reanalysis_script
from .atomic import write_atomic, write_files_atomic, write_folder_atomic
from .dictionary import data_dictionary, provenance
from .layout import (DATA_FILE, DICTIONARY_FILE, EPISODE_DATA_FILE, EXPORT_DATASETS, PROVENANCE_FILE, R_FILE,
                     SCENARIO_FILE, package_version)
# Formats and caps live in a module without imports, so the CLI parser can show them cheaply.
from .limits import COHORT_FORMATS, EXPORT_FORMATS, MAX_EXPORT_PARTICIPANTS, MAX_EXPORT_REPLICATES, MAX_EXPORT_ROWS
from .tables import cohort_to_bytes, csv_bytes, json_bytes, neutralise_formulas, parquet_bytes

__all__ = [
    "COHORT_FORMATS",
    "EXPORT_FORMATS",
    "MAX_EXPORT_PARTICIPANTS",
    "MAX_EXPORT_REPLICATES",
    "MAX_EXPORT_ROWS",
    "ADTTE_COLUMNS",
    "ADTTE_PARAMETERS",
    "CNSR_CODES",
    "package_version",
    "export_cohorts",
    "export_episodes",
    "EXPORT_DATASETS",
    "check_export_size",
    "neutralise_formulas",
    "cohort_to_bytes",
    "cohort_to_adtte",
    "data_dictionary",
    "provenance",
    "r_reanalysis_script",
    "export_files",
    "export_bundle",
    "zip_files",
    "write_atomic",
    "write_folder_atomic",
    "write_files_atomic",
    "write_export",
    "export_layout",
    "regenerate",
    "example_cohort",
    "example_cohort_csv",
    "EXAMPLE_COHORT_PATH",
    "EXAMPLE_COHORT_SEED",
]


# --------------------------------------------------------------------------- cohorts to export
def check_export_size(n_participants: int, replicates: int | None = None) -> None:
    """Refuse requests above the caps, with a message that says which limit and why."""
    k = 1 if replicates is None else int(replicates)
    if not 1 <= k <= MAX_EXPORT_REPLICATES:
        raise WalkBackInputError(f"replicates = {k:,} must be between 1 and {MAX_EXPORT_REPLICATES:,} per export")
    if n_participants > MAX_EXPORT_PARTICIPANTS:
        raise WalkBackInputError(
            f"{n_participants:,} participants is more than the export limit of {MAX_EXPORT_PARTICIPANTS:,} per cohort")
    if n_participants * k > MAX_EXPORT_ROWS:
        raise WalkBackInputError(
            f"{n_participants:,} participants x {k:,} replicates = {n_participants * k:,} rows is more than the export "
            f"limit of {MAX_EXPORT_ROWS:,} rows; ask for fewer replicates or participants")


def export_cohorts(scenario, seed: int | None, replicates: int | None = None) -> pd.DataFrame:
    """One cohort (``replicates=None``), or K cohorts stacked with a leading ``replicate`` column.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> stacked = export_cohorts(Scenario(), seed=3, replicates=2)
    >>> stacked.replicate.unique().tolist(), len(stacked)
    ([1, 2], 1402)
    """
    from ..simulate.engine import simulate_cohorts, simulate_trial

    seed = scenario.seed if seed is None else seed
    check_export_size(scenario.design.n_total, replicates)
    if replicates is None:
        return simulate_trial(scenario, seed=seed)
    # The simulator's batch core: replicate i is simulate_trial(scenario, seed=replicate i's seed).
    stacked = simulate_cohorts(scenario, replicate_seeds(int(seed), int(replicates)))
    replicate = np.repeat(np.arange(1, int(replicates) + 1, dtype=np.int32), scenario.design.n_total)
    stacked.insert(0, "replicate", replicate)
    return stacked


def export_episodes(scenario, seed: int | None, replicates: int | None = None) -> pd.DataFrame:
    """The episodes of the trial (or of K replicate trials, with a leading ``replicate`` column 1..K)
    that :func:`export_cohorts` exports for the same arguments: one row per episode
    (:data:`analysis.simulate.engine.EPISODE_COLUMNS`).

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> episodes = export_episodes(Scenario(), seed=3, replicates=2)
    >>> episodes.replicate.unique().tolist(), list(episodes.columns[:3])
    ([1, 2], ['replicate', 'participant_id', 'arm'])
    """
    from ..simulate.engine import simulate_cohorts_with_episodes, simulate_episodes

    seed = scenario.seed if seed is None else seed
    check_export_size(scenario.design.n_total, replicates)
    if replicates is None:
        return simulate_episodes(scenario, seed=seed)[1]
    episodes = simulate_cohorts_with_episodes(scenario, replicate_seeds(int(seed), int(replicates)))[1]
    if "replicate" not in episodes.columns:  # one replicate
        episodes.insert(0, "replicate", np.ones(len(episodes), dtype=np.int32))
    return episodes


# --------------------------------------------------------------------------- whole exports
def export_files(cohort: pd.DataFrame, scenario, seed: int | None, fmt: str = "csv", *,
                 replicates: int | None = None, dataset: str = "cohort") -> dict[str, bytes]:
    """Every file of an export, name -> bytes, in a fixed order (data file first).

    ``cohort`` is what :func:`export_cohorts` returned for ``scenario``, ``seed`` and
    ``replicates`` (the app passes the cohort it already has; the provenance trusts it).
    ``scenario=None`` exports data that was not simulated (no scenario file, not regenerable).

    Files: the data (``cohort.csv``, ``cohort.parquet`` or ``adtte.csv``),
    ``data_dictionary.json``, ``provenance.json``, ``scenario.json`` (when simulated) and, for
    ADTTE, ``reanalysis.R``. With ``dataset="episodes"``, ``cohort`` is what
    :func:`export_episodes` returned and the data file is ``episodes.csv`` or ``episodes.parquet``.
    """
    if fmt not in EXPORT_FORMATS:
        raise WalkBackInputError(f"format {fmt!r} is not supported: choose one of {', '.join(EXPORT_FORMATS)}")
    if dataset not in EXPORT_DATASETS:
        raise WalkBackInputError(f"dataset {dataset!r} is not supported: choose one of {', '.join(EXPORT_DATASETS)}")
    if dataset == "episodes" and fmt not in EPISODE_DATA_FILE:
        raise WalkBackInputError("episodes are exported as csv or parquet (ADTTE holds time-to-event parameters "
                                 "per participant: use it without --episodes)")
    if not isinstance(cohort, pd.DataFrame):
        raise WalkBackInputError(f"expected a cohort table, got {type(cohort).__name__}")
    table = cohort_to_adtte(cohort) if fmt == "adtte" else cohort
    dictionary = data_dictionary(table, fmt, dataset)
    data_file = (EPISODE_DATA_FILE if dataset == "episodes" else DATA_FILE)[fmt]
    if fmt == "parquet":
        # A file cannot hold its own hash: the embedded provenance carries the hash of the CSV
        # export of the same table instead (content_sha256), the sidecar the file's own.
        embedded = provenance(scenario, seed, fmt, csv_bytes(table), replicates=replicates,
                              data_file=data_file, n_rows=len(table), dataset=dataset)
        embedded["content_sha256"] = embedded.pop("sha256")
        embedded["content_sha256_of"] = "the CSV export (format csv) of the same table"
        data = parquet_bytes(table, {
            "walkback.data_dictionary": json.dumps(dictionary, ensure_ascii=False),
            "walkback.provenance": json.dumps(embedded, ensure_ascii=False),
        })
        record = provenance(scenario, seed, fmt, data, replicates=replicates, data_file=data_file, n_rows=len(table),
                            dataset=dataset)
        record["content_sha256"] = embedded["content_sha256"]
    else:
        data = csv_bytes(table)
        record = provenance(scenario, seed, fmt, data, replicates=replicates, data_file=data_file, n_rows=len(table),
                            dataset=dataset)
    files = {data_file: data, DICTIONARY_FILE: json_bytes(dictionary), PROVENANCE_FILE: json_bytes(record)}
    if scenario is not None:
        files[SCENARIO_FILE] = (scenario.to_json() + "\n").encode("utf-8")
    if fmt == "adtte":
        files[R_FILE] = r_reanalysis_script(data_file, record["version"]).encode("utf-8")
    return files


def zip_files(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` that depends only on their names and bytes (fixed dates and modes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever platform wrote it
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


def export_bundle(cohort: pd.DataFrame, scenario, seed: int | None, fmt: str = "csv", *,
                  replicates: int | None = None) -> bytes:
    """The whole export as zip bytes, for a download button (the app's Data page).

    Examples
    --------
    >>> import zipfile, io
    >>> from analysis.trial.scenario import Scenario
    >>> from analysis.simulate.engine import simulate_trial
    >>> s = Scenario()
    >>> blob = export_bundle(simulate_trial(s, seed=1), s, 1, "adtte")
    >>> sorted(zipfile.ZipFile(io.BytesIO(blob)).namelist())
    ['adtte.csv', 'data_dictionary.json', 'provenance.json', 'reanalysis.R', 'scenario.json']
    """
    return zip_files(export_files(cohort, scenario, seed, fmt, replicates=replicates))


def regenerate(record: dict) -> dict[str, bytes]:
    """Rebuild every file of an export from its provenance record (``provenance.json``).

    Raises :class:`WalkBackInputError` when the record is not from a simulation, or was made by
    another package version (the simulator may differ between versions).
    """
    from ..trial.scenario import scenario_from_dict

    if not isinstance(record, dict) or "scenario" not in record:
        raise WalkBackInputError("this provenance record has no scenario: the data was not simulated")
    if record.get("version") != package_version():
        raise WalkBackInputError(f"the export was made by walkback-explorer {record.get('version')}; "
                                 f"this is {package_version()}: install that version to regenerate it")
    scenario = scenario_from_dict(record["scenario"])
    seed, replicates, fmt = record["seed"], record.get("replicates"), record["format"]
    dataset = record.get("dataset", "cohort")
    if dataset == "episodes":
        return export_files(export_episodes(scenario, seed, replicates), scenario, seed, fmt, replicates=replicates,
                            dataset=dataset)
    cohort = export_cohorts(scenario, seed, replicates)
    return export_files(cohort, scenario, seed, fmt, replicates=replicates)


def export_layout(out: str, fmt: str) -> str:
    """How ``out`` is written: ``"zip"`` (ends in .zip), ``"file"`` (ends in the data file's
    extension: the data file with sidecars beside it) or ``"folder"`` (anything else)."""
    suffix = Path(out).suffix.lower()
    if suffix == ".zip":
        return "zip"
    if suffix in (".csv", ".parquet", ".pq", ".txt"):
        wanted = ".parquet" if fmt == "parquet" else ".csv"
        if suffix != wanted and not (fmt == "parquet" and suffix == ".pq"):
            raise WalkBackInputError(f"--out '{out}' ends in {suffix} but --format {fmt} writes {wanted} files; "
                                     f"use a name ending in {wanted}, .zip or a folder name")
        return "file"
    return "folder"


def _sidecar_names(out: str, files: dict[str, bytes], fmt: str) -> dict[str, bytes]:
    """Map export files onto ``out`` (the data file) and ``<stem>.<role>`` beside it."""
    stem = os.path.splitext(out)[0]
    mapping: dict[str, bytes] = {}
    renames = {DICTIONARY_FILE: ".dictionary.json", PROVENANCE_FILE: ".provenance.json",
               SCENARIO_FILE: ".scenario.json", R_FILE: ".R"}
    data_name = next(iter(files))  # the data file comes first (export_files)
    for name, data in files.items():
        if name == data_name:
            continue
        mapping[stem + renames[name]] = data
    # The data file goes last so that a reader that sees it also sees its sidecars.
    mapping[out] = files[data_name]
    return mapping


def write_export(out: str | os.PathLike, files: dict[str, bytes], fmt: str) -> list[str]:
    """Write an export to ``out`` atomically (see :func:`export_layout`); returns the paths written.

    With the ``file`` layout the R script and provenance are renamed after the data file
    (``x.csv`` -> ``x.provenance.json``, ``x.dictionary.json``, ``x.scenario.json``, ``x.R``); their
    contents still name the bundle's file names except the R script, which reads ``x.csv``.
    """
    out = os.fspath(out)
    layout = export_layout(out, fmt)
    if layout == "zip":
        write_atomic(out, zip_files(files))
        return [out]
    if layout == "folder":
        write_folder_atomic(out, files)
        return [os.path.join(out, name) for name in files]
    if R_FILE in files:
        files = dict(files)
        files[R_FILE] = r_reanalysis_script(os.path.basename(out)).encode("utf-8")
    mapping = _sidecar_names(out, files, fmt)
    write_files_atomic(mapping)
    return list(mapping)


# --------------------------------------------------------------------------- example data
EXAMPLE_COHORT_SEED = 1
EXAMPLE_COHORT_PATH = DATA_DIR / "example_cohort.csv"


def example_cohort() -> pd.DataFrame:
    """The example cohort shipped in ``data/example_cohort.csv``: the calibrated default
    scenario, seed 1 (701 participants)."""
    from ..model.default import default_scenario
    from ..simulate.engine import simulate_trial

    return simulate_trial(default_scenario(), seed=EXAMPLE_COHORT_SEED)


def example_cohort_csv() -> bytes:
    """Bytes of ``data/example_cohort.csv``; regenerate the file with
    ``python -c "from analysis.io.export import *; write_atomic(EXAMPLE_COHORT_PATH, example_cohort_csv())"``."""
    return cohort_to_bytes(example_cohort(), "csv")
