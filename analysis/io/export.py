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
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError
from ..simulate.seeds import replicate_seeds
from ..trial.published import DATA_DIR
# Formats and caps live in a module without imports, so the CLI parser can show them cheaply.
from .limits import COHORT_FORMATS, EXPORT_FORMATS, MAX_EXPORT_PARTICIPANTS, MAX_EXPORT_REPLICATES, MAX_EXPORT_ROWS

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


STUDY_ID = "WALKBACK"
PRIMARY_PARAMCD = "TTALREC"
PRIMARY_PARAM = "Time to First Activity-Limiting LBP Recurrence (days)"

#: ADaM CNSR: 0 = event; each censoring reason its own positive integer.
CNSR_CODES: dict[str, int] = {"none": 0, "end_of_study": 1, "max_followup": 2, "lost_to_follow_up": 3}
_EVNTDESC = {
    "none": "ACTIVITY-LIMITING LBP RECURRENCE",
    "end_of_study": "CENSORED: STUDY FOLLOW-UP ENDED",
    "max_followup": "CENSORED: MAXIMUM FOLLOW-UP REACHED",
    "lost_to_follow_up": "CENSORED: LOST TO FOLLOW-UP",
}
_CNSDTDSC = {
    "none": "",
    "end_of_study": "END OF STUDY FOLLOW-UP DATE",
    "max_followup": "DATE MAXIMUM FOLLOW-UP (36 MONTHS BY DEFAULT) REACHED",
    "lost_to_follow_up": "DATE OF LAST CONTACT BEFORE LOSS TO FOLLOW-UP",
}
_TRTP = {"control": "CONTROL", "intervention": "WALKING AND EDUCATION"}
_TRTPN = {"control": 0, "intervention": 1}

#: ADTTE variable -> (type, label). Types: text, integer, number, date (ISO 8601 text in CSV).
ADTTE_COLUMNS: dict[str, tuple[str, str]] = {
    "STUDYID": ("text", "Study Identifier"),
    "USUBJID": ("text", "Unique Subject Identifier (STUDYID-[R<replicate>-]SUBJID)"),
    "SUBJID": ("text", "Subject Identifier for the Study (participant_id, zero-padded)"),
    "REPLICATE": ("integer", "Simulated trial replicate (only in multi-replicate exports)"),
    "PARAMCD": ("text", "Parameter Code: TTALREC (primary), TTANYREC (any recurrence), TTCAREC (care-seeking "
                        "recurrence), TTRECOV (recovery from the first recurrence)"),
    "PARAM": ("text", "Parameter"),
    "AVAL": ("number", "Analysis Value: days from STARTDT to recurrence (recovery for TTRECOV) or censoring, whole days "
                       "counted as ADT - STARTDT + 1 (an event on STARTDT is day 1)"),
    "AVALU": ("text", "Analysis Value Unit (DAYS)"),
    "CNSR": ("integer", "Censor: 0 = event; 1 = study follow-up ended; 2 = maximum follow-up reached; "
                        "3 = lost to follow-up"),
    "STARTDT": ("date", "Time-to-Event Origin Date: date of randomisation; for TTRECOV the date of onset of the first "
                        "recurrence, randomisation + (onset day - 1) (ISO 8601)"),
    "ADT": ("date", "Analysis Date: date of the event or censoring, STARTDT + AVAL - 1 days (ISO 8601)"),
    "EVNTDESC": ("text", "Event or Censoring Description"),
    "CNSDTDSC": ("text", "Censor Date Description (empty for events)"),
    "TRTP": ("text", "Planned Treatment: WALKING AND EDUCATION or CONTROL"),
    "TRTPN": ("integer", "Planned Treatment (N): 1 = WALKING AND EDUCATION, 0 = CONTROL"),
    "ITTFL": ("text", "Intent-To-Treat Population Flag (Y for every randomised participant)"),
    "STRAT1R": ("text", "Stratification factor 1 as randomised: >2 PREVIOUS EPISODES or <=2 PREVIOUS EPISODES"),
    "STRAT2R": ("text", "Stratification factor 2 as randomised: CLINICIAN REFERRED or SELF-REFERRED"),
    "STRATAR": ("text", "Randomisation stratum (factor 1 / factor 2)"),
    "AGE": ("number", "Age at randomisation (years)"),
    "SEX": ("text", "Sex: F or M"),
}

_REPLICATE_DESCRIPTION = ("Simulated trial replicate, 1..K; replicate i is seeded from child i of "
                          "numpy SeedSequence(seed).spawn(K)")
_SEED_RULE = ("replicate i (1-based) is simulate_trial(scenario, seed=int(SeedSequence(seed).spawn(K)[i-1]"
              ".generate_state(1, numpy.uint64)[0] >> 1))")

_DATA_FILE = {"csv": "cohort.csv", "parquet": "cohort.parquet", "adtte": "adtte.csv"}
_EPISODE_DATA_FILE = {"csv": "episodes.csv", "parquet": "episodes.parquet"}
#: What an export holds: one row per participant ("cohort") or one row per episode ("episodes").
EXPORT_DATASETS = ("cohort", "episodes")
_DICTIONARY_FILE = "data_dictionary.json"
_PROVENANCE_FILE = "provenance.json"
_SCENARIO_FILE = "scenario.json"
_R_FILE = "reanalysis.R"


# --------------------------------------------------------------------------- version, seeds, replicates
def package_version() -> str:
    """Installed version of ``walkback-explorer`` ("unknown" when running from an uninstalled tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("walkback-explorer")
    except PackageNotFoundError:  # pragma: no cover - the tests run from an installed tree
        return "unknown"


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


# --------------------------------------------------------------------------- tables -> bytes
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells (and column names) a spreadsheet would run as a formula get a leading apostrophe.

    Text starting with ``= + - @``, a tab or a carriage return is prefixed with ``'``; numeric,
    boolean and date columns are untouched, so negative numbers stay numbers.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"note": ["=1+1", "ok"], "x": [-1, 2]})).to_dict("list")
    {'note': ["'=1+1", 'ok'], 'x': [-1, 2]}
    """
    out = frame.copy(deep=False)
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats = list(s.cat.categories)
            if any(_neutral(c) is not c for c in cats):
                out[col] = s.astype(object).map(_neutral)
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            try:
                mask = s.str.startswith(_FORMULA_START).fillna(False).to_numpy(dtype=bool)
            except (AttributeError, TypeError):  # mixed types: .str refuses them
                mask = s.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START)).to_numpy(dtype=bool)
            if mask.any():
                fixed = s.astype(object).copy()
                fixed[mask] = ["'" + v for v in fixed[mask]]
                out[col] = fixed
    out.columns = [_neutral(c) for c in frame.columns]
    return out


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    for col in frame.columns:
        s = frame[col]
        values = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else s
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            if any(isinstance(v, str) and "\r" in v for v in values):
                return True
    return any(isinstance(c, str) and "\r" in c for c in frame.columns)


def _whole_numbers_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns holding only whole numbers (and gaps) written as integers: ``43``, not ``43.0``.

    Simulated times are whole days kept in float columns (a gap is NaN); the CSV shows them as the trial
    recorded them. The values are unchanged; other float columns are left as they are.
    """
    out = None
    for col in frame.columns:
        values = frame[col]
        if values.dtype.kind != "f":
            continue
        data = values.to_numpy()
        finite = np.isfinite(data)
        if not finite.any() or (~finite & ~np.isnan(data)).any() or np.abs(data[finite]).max() >= 2.0 ** 53:
            continue
        if np.array_equal(data[finite], np.floor(data[finite])):
            out = frame.copy() if out is None else out
            out[col] = values.astype("Int64")
    return frame if out is None else out


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    import csv

    safe = neutralise_formulas(_whole_numbers_as_integers(frame))
    # The csv module quotes a field only for the characters of the line terminator ("\n"), so a
    # lone carriage return inside a cell would split the row in most readers: quote all text then.
    quoting = csv.QUOTE_NONNUMERIC if _has_carriage_return(safe) else csv.QUOTE_MINIMAL
    text = safe.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n", quoting=quoting)
    return text.encode("utf-8")


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _parquet_bytes(frame: pd.DataFrame, extra_metadata: dict[str, str] | None = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    for key, value in (extra_metadata or {}).items():
        metadata[key.encode("utf-8")] = value.encode("utf-8")
    table = table.replace_schema_metadata(metadata)
    buffer = io.BytesIO()
    # No timestamps anywhere: pyarrow writes only the data, the schema and "created_by" (its version).
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue()


def cohort_to_bytes(cohort: pd.DataFrame, fmt: str = "csv", *, metadata: dict[str, str] | None = None) -> bytes:
    """Serialise a table as CSV (UTF-8, ISO dates, formulas neutralised) or Parquet.

    ``metadata`` (Parquet only) is added to the file's key-value metadata.

    Examples
    --------
    >>> import pandas as pd
    >>> cohort_to_bytes(pd.DataFrame({"time_days": [1.5], "recurrence": [1]})).decode()
    'time_days,recurrence\\n1.5,1\\n'
    >>> cohort_to_bytes(pd.DataFrame({"time_days": [43.0, 7.0], "recovery_days_first": [3.0, float("nan")]})).decode()
    'time_days,recovery_days_first\\n43,3\\n7,\\n'
    """
    if fmt == "csv":
        return _csv_bytes(cohort)
    if fmt == "parquet":
        return _parquet_bytes(cohort, metadata)
    raise WalkBackInputError(f"format {fmt!r} is not supported: choose one of {', '.join(COHORT_FORMATS)}")


# --------------------------------------------------------------------------- ADTTE
_ADTTE_SOURCE_COLUMNS = ("participant_id", "arm", "enrol_date", "time_days", "censor_reason",
                         "history_gt2_episodes", "referral", "age_years", "sex")


#: ADTTE parameters: PARAMCD -> (PARAM, AVAL column, event column, event description). The primary first; the
#: others are written when the cohort has their columns (every simulated cohort does; uploads may not).
ADTTE_PARAMETERS: dict[str, tuple[str, str, str, str]] = {
    PRIMARY_PARAMCD: (PRIMARY_PARAM, "time_days", "recurrence", "ACTIVITY-LIMITING LBP RECURRENCE"),
    "TTANYREC": ("Time to First LBP Recurrence of Any Kind (days)", "time_any_days", "recurrence_any",
                 "LBP RECURRENCE (ANY)"),
    "TTCAREC": ("Time to First Care-Seeking LBP Recurrence (days)", "time_care_days", "recurrence_care",
                "CARE-SEEKING LBP RECURRENCE"),
    "TTRECOV": ("Time from Onset of the First Recurrence to Recovery (days)", "recovery_days_first", "recovered_first",
                "RECOVERY FROM THE FIRST RECURRENCE"),
}


def _check_whole_days(column: str, values: np.ndarray) -> None:
    """ADTTE dates need whole days counted from day 1 (``AVAL = ADT - STARTDT + 1``), as the simulator writes them."""
    if values.size and ((values < 1).any() or (values != np.floor(values)).any()):
        raise WalkBackInputError(
            f"{column} must be whole days from 1 (day 1 = the origin date) for an ADTTE export, as the simulator "
            "writes them; found fractional or zero values")


def cohort_to_adtte(cohort: pd.DataFrame, study_id: str = STUDY_ID) -> pd.DataFrame:
    """ADaM ADTTE-style table: one record per participant per parameter (:data:`ADTTE_PARAMETERS`).

    ``TTALREC`` (time to first activity-limiting recurrence, the primary) for every participant;
    with the simulator's episode columns also ``TTANYREC`` (any recurrence) and ``TTCAREC``
    (care-seeking recurrence) for every participant, and ``TTRECOV`` (recovery, from the onset of
    the first recurrence) for participants with a first recurrence. Records are grouped by
    parameter, participants in order within each.

    ``AVAL`` is the time in whole days as simulated (and as the trial recorded it), so a
    re-analysis of the ADTTE gives the same numbers as one of the cohort, and ``AVAL = ADT -
    STARTDT + 1`` exactly on every record (an event on ``STARTDT`` is day 1). ``STARTDT`` is
    randomisation, or for ``TTRECOV`` the onset date of the first recurrence (randomisation +
    ``time_any_days - 1``), so ``ADT`` is the recovery or censoring date.
    ``CNSR`` follows ADaM: 0 for an event, a positive code per censoring reason
    (:data:`CNSR_CODES`; for the secondary parameters, why the participant's follow-up ended).
    Dates are ISO 8601 text. Columns and types: :data:`ADTTE_COLUMNS`.

    Examples
    --------
    >>> from analysis.trial.scenario import Scenario
    >>> from analysis.simulate.engine import simulate_trial
    >>> adtte = cohort_to_adtte(simulate_trial(Scenario(), seed=1))
    >>> adtte.loc[0, ["USUBJID", "PARAMCD", "AVALU", "ITTFL"]].tolist()
    ['WALKBACK-0001', 'TTALREC', 'DAYS', 'Y']
    >>> sorted(adtte.CNSR.unique().tolist())
    [0, 1, 2, 3]
    >>> adtte.PARAMCD.unique().tolist()
    ['TTALREC', 'TTANYREC', 'TTCAREC', 'TTRECOV']
    """
    missing = [c for c in _ADTTE_SOURCE_COLUMNS if c not in cohort.columns]
    if missing:
        raise WalkBackInputError(f"an ADTTE export needs the simulator's columns; missing: {', '.join(missing)}")
    n = len(cohort)
    pid = cohort["participant_id"].to_numpy(dtype=np.int64)
    width = max(4, len(str(int(pid.max())))) if n else 4
    subjid = pd.Series(pid).astype(str).str.zfill(width)
    has_replicates = "replicate" in cohort.columns
    if has_replicates:
        rep = cohort["replicate"].to_numpy(dtype=np.int64)
        rep_width = max(4, len(str(int(rep.max())))) if n else 4
        usubjid = study_id + "-R" + pd.Series(rep).astype(str).str.zfill(rep_width) + "-" + subjid
    else:
        usubjid = study_id + "-" + subjid
    reason = cohort["censor_reason"].astype(str)
    unknown = set(reason.unique()) - set(CNSR_CODES)
    if unknown:
        raise WalkBackInputError(f"censor_reason has unknown value(s) {sorted(unknown)}; expected {list(CNSR_CODES)}")
    arm = cohort["arm"].astype(str)
    if not arm.isin(list(_TRTPN)).all():
        raise WalkBackInputError(f"arm must be 'control' or 'intervention'; found {sorted(set(arm) - set(_TRTPN))[:3]}")
    try:
        start = pd.to_datetime(cohort["enrol_date"]).to_numpy().astype("datetime64[D]")
        time_days = cohort["time_days"].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise WalkBackInputError(f"enrol_date must be dates and time_days numbers: {str(exc).splitlines()[0]}") from None
    if np.isnat(start).any() or not np.isfinite(time_days).all() or (time_days < 0).any():
        raise WalkBackInputError("an ADTTE export needs an enrol_date and a finite, non-negative time_days on every row")
    _check_whole_days("time_days", time_days)
    history = cohort["history_gt2_episodes"].to_numpy(dtype=np.int64)
    primary_cnsr = reason.map(CNSR_CODES).to_numpy(dtype=np.int64)
    trtpn = arm.map(_TRTPN).to_numpy(dtype=np.int64)
    is_history = history == 1
    is_clinician = cohort["referral"].astype(str).to_numpy() == "clinician"
    reasons = list(CNSR_CODES)  # in code order, so the codes index the categories
    strat1_labels = ["<=2 PREVIOUS EPISODES", ">2 PREVIOUS EPISODES"]
    strat2_labels = ["SELF-REFERRED", "CLINICIAN REFERRED"]
    secondary = [code for code, (_, t, e, _) in ADTTE_PARAMETERS.items()
                 if code != PRIMARY_PARAMCD and {t, e, "followup_end", "time_any_days", "recurrence_any"} <= set(cohort.columns)]
    if secondary:
        end = cohort["followup_end"].astype(str)
        if not end.isin(reasons[1:]).all():
            raise WalkBackInputError(f"followup_end must be one of {reasons[1:]}")
        end_cnsr = end.map(CNSR_CODES).to_numpy(dtype=np.int64)

    parts = []
    for code in [PRIMARY_PARAMCD, *secondary]:
        param, time_col, event_col, event_text = ADTTE_PARAMETERS[code]
        rows = np.arange(n)
        origin = start
        if code == PRIMARY_PARAMCD:
            aval, cnsr = time_days, primary_cnsr
        else:
            try:
                aval = cohort[time_col].to_numpy(dtype=float)
                event = cohort[event_col].to_numpy(dtype=float) == 1
            except (TypeError, ValueError):
                raise WalkBackInputError(f"{time_col} and {event_col} must be numbers") from None
            if code == "TTRECOV":  # only participants with a first recurrence; origin = its onset
                rows = np.flatnonzero(cohort["recurrence_any"].to_numpy(dtype=float) == 1)
                onset = cohort["time_any_days"].to_numpy(dtype=float)[rows]
                _check_whole_days("time_any_days", onset)
                origin = start[rows] + (onset.astype(np.int64) - 1).astype("timedelta64[D]")
                aval, event = aval[rows], event[rows]
            if not np.isfinite(aval).all() or (aval < 0).any():
                raise WalkBackInputError(f"{time_col} must be finite and non-negative for every {code} record")
            _check_whole_days(time_col, aval)
            cnsr = np.where(event, 0, end_cnsr[rows])
        adt = origin + (aval.astype(np.int64) - 1).astype("timedelta64[D]")  # AVAL = ADT - STARTDT + 1
        columns: dict[str, Any] = {"STUDYID": study_id, "USUBJID": usubjid.to_numpy(dtype=object)[rows],
                                   "SUBJID": subjid.to_numpy(dtype=object)[rows]}
        if has_replicates:
            columns["REPLICATE"] = rep[rows]
        columns.update({
            "PARAMCD": code,
            "PARAM": param,
            "AVAL": aval,
            "AVALU": "DAYS",
            "CNSR": cnsr,
            "STARTDT": np.datetime_as_string(origin, unit="D").astype(object),
            "ADT": np.datetime_as_string(adt, unit="D").astype(object),
            "EVNTDESC": np.array([event_text] + [_EVNTDESC[r] for r in reasons[1:]], dtype=object)[cnsr],
            "CNSDTDSC": np.array([_CNSDTDSC[r] for r in reasons], dtype=object)[cnsr],
            "TRTP": np.array([_TRTP["control"], _TRTP["intervention"]], dtype=object)[trtpn[rows]],
            "TRTPN": trtpn[rows],
            "ITTFL": "Y",
            "STRAT1R": np.array(strat1_labels, dtype=object)[is_history[rows].astype(np.int64)],
            "STRAT2R": np.array(strat2_labels, dtype=object)[is_clinician[rows].astype(np.int64)],
            "STRATAR": np.array([f"{a} / {b}" for a in strat1_labels for b in strat2_labels], dtype=object)[
                (2 * is_history + is_clinician)[rows].astype(np.int64)],
            "AGE": cohort["age_years"].to_numpy(dtype=float)[rows],
            "SEX": np.array(["M", "F"], dtype=object)[(cohort["sex"].astype(str).to_numpy() == "female")[rows].astype(np.int64)],
        })
        parts.append(pd.DataFrame(columns, index=pd.RangeIndex(len(rows))))
    table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    # Low-cardinality text as categoricals: far less memory and faster CSV for large exports.
    for col in ("STUDYID", "PARAMCD", "PARAM", "AVALU", "EVNTDESC", "CNSDTDSC", "TRTP", "ITTFL", "STRAT1R", "STRAT2R",
                "STRATAR", "SEX"):
        table[col] = table[col].astype("category")
    return table


def r_reanalysis_script(data_file: str = _DATA_FILE["adtte"], version: str | None = None) -> str:
    """R script (survival package) that re-analyses an ADTTE export the way the trial's SAP did."""
    version = version or package_version()
    return f"""# Re-analysis of a WalkBack Explorer ADTTE export with R's survival package.
# Made by walkback-explorer {version}. Run it in the folder that holds {data_file}:
#     Rscript {_R_FILE}
# Kaplan-Meier medians (log-log CIs), log-rank test and Cox hazard ratio (Efron ties), as in the
# WalkBack statistical analysis plan; the numbers match the app's (lifelines) to rounding.
library(survival)

adtte <- read.csv("{data_file}", stringsAsFactors = FALSE, na.strings = "")
tte <- adtte[adtte$PARAMCD == "{PRIMARY_PARAMCD}", ]
tte$EVENT <- as.integer(tte$CNSR == 0)  # ADaM: CNSR 0 = event, > 0 = censored (reason code)
tte$TRTP <- factor(tte$TRTP, levels = c("CONTROL", "WALKING AND EDUCATION"))
tte$STARTDT <- as.Date(tte$STARTDT)
tte$ADT <- as.Date(tte$ADT)

analyse <- function(d, verbose = TRUE) {{
  km <- survfit(Surv(AVAL, EVENT) ~ TRTP, data = d, conf.type = "log-log")
  cox <- coxph(Surv(AVAL, EVENT) ~ TRTP, data = d, ties = "efron")
  cox_strat <- coxph(Surv(AVAL, EVENT) ~ TRTP + strata(STRAT1R, STRAT2R), data = d, ties = "efron")
  if (verbose) {{
    print(km)                                            # events, median days and 95% CI per arm
    print(survdiff(Surv(AVAL, EVENT) ~ TRTP, data = d))  # log-rank test
    cat("\\nCox hazard ratio, walking and education vs control (95% CI):\\n")
    print(summary(cox)$conf.int[, c(1, 3, 4), drop = FALSE])
    cat("\\nStratified by the randomisation factors:\\n")
    print(summary(cox_strat)$conf.int[, c(1, 3, 4), drop = FALSE])
  }}
  medians <- summary(km)$table[, "median"]
  c(hr = unname(exp(coef(cox))), median_control = unname(medians[1]),
    median_intervention = unname(medians[2]), events = sum(d$EVENT))
}}

if ("REPLICATE" %in% names(tte)) {{
  # One row per simulated trial; then the spread of the estimates across replicates.
  per_replicate <- t(sapply(split(tte, tte$REPLICATE), analyse, verbose = FALSE))
  print(head(per_replicate))
  print(summary(per_replicate))
}} else {{
  invisible(analyse(tte))
}}
"""


# --------------------------------------------------------------------------- dictionary and provenance
def _column_type(s: pd.Series) -> str:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_integer_dtype(s):
        return "integer"
    if pd.api.types.is_float_dtype(s):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    return "text"


def data_dictionary(frame: pd.DataFrame, fmt: str = "csv", dataset: str = "cohort") -> dict:
    """The data dictionary of an export: one entry per column (name, type, description, values).

    Descriptions come from :data:`analysis.simulate.engine.COHORT_COLUMNS` (cohort),
    :data:`analysis.simulate.engine.EPISODE_COLUMNS` (``dataset="episodes"``) or
    :data:`ADTTE_COLUMNS` (``fmt="adtte"``).

    Examples
    --------
    >>> d = data_dictionary(pd.DataFrame({"recurrence": [1, 0]}))
    >>> d["columns"][0]["type"], d["columns"][0]["description"][:5]
    ('integer', '1 = a')
    """
    from ..simulate.engine import COHORT_COLUMNS, EPISODE_COLUMNS

    described = EPISODE_COLUMNS if dataset == "episodes" else COHORT_COLUMNS
    entries = []
    for name in frame.columns:
        s = frame[name]
        entry: dict[str, Any] = {"name": str(name)}
        if fmt == "adtte":
            kind, label = ADTTE_COLUMNS.get(name, (_column_type(s), ""))
            entry.update({"type": kind, "description": label})
            if name in ("PARAMCD", "AVALU", "TRTP", "ITTFL", "STRAT1R", "STRAT2R", "SEX", "EVNTDESC"):
                entry["values"] = sorted(str(v) for v in pd.unique(s))
            if name == "CNSR":
                entry["codes"] = {str(code): reason for reason, code in CNSR_CODES.items()}
        else:
            description = described.get(name, _REPLICATE_DESCRIPTION if name == "replicate" else "")
            entry.update({"type": _column_type(s), "description": description})
            if isinstance(s.dtype, pd.CategoricalDtype):
                entry["values"] = [str(c) for c in s.cat.categories]
            if name == "enrol_date":
                entry["format"] = "ISO 8601 date (YYYY-MM-DD)"
            if name.endswith(("_days", "_day")) or name in ("recovery_days_first",):
                entry["unit"] = "days"
            elif name.endswith("_minutes") or "walking_minutes" in name:
                entry["unit"] = "minutes per week"
            elif name == "age_years":
                entry["unit"] = "years"
        entries.append(entry)
    if fmt == "adtte":
        name, description = "ADTTE", "CDISC ADaM ADTTE-style analysis data set: one record per participant per parameter"
    elif dataset == "episodes":
        name, description = "episodes", ("Simulated WalkBack-like trial: one row per episode of low back pain during "
                                         "follow-up (see the Methods section of analysis.model.episodes)")
    else:
        name, description = "cohort", "Simulated WalkBack-like trial: one row per participant"
    out = {"dataset": name, "description": description, "n_rows": int(len(frame)), "columns": entries}
    day_columns = [c for c in frame.columns if str(c).endswith(("_days", "_day", "_days_first")) or c == "AVAL"]
    if day_columns and all(_whole_days(frame[c]) for c in day_columns):  # as simulated (an upload may differ)
        out["time_unit"] = _TIME_UNIT
    return out


def _whole_days(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    return bool(len(values)) and bool((values >= 1).all() and (values == np.floor(values)).all())


#: How every time of a simulated export is counted (see analysis.simulate.engine).
_TIME_UNIT = ("whole days, the day of the origin (randomisation; for recovery, the onset of the first recurrence) "
              "being day 1: a time is the date difference + 1, as AVAL = ADT - STARTDT + 1 in the ADTTE")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _library_versions() -> dict[str, str]:
    import pyarrow

    return {"numpy": np.__version__, "pandas": pd.__version__, "pyarrow": pyarrow.__version__}


def provenance(scenario, seed: int | None, fmt: str, data: bytes, *, replicates: int | None = None,
               data_file: str | None = None, n_rows: int | None = None, dataset: str = "cohort") -> dict:
    """What made an export, enough to regenerate it byte for byte (see :func:`regenerate`).

    ``scenario`` may be ``None`` for data that did not come from the simulator (an upload);
    the provenance then records only the hash and the version.
    """
    data_file = data_file or _DATA_FILE[fmt]
    record: dict[str, Any] = {
        "generator": "walkback-explorer",
        "version": package_version(),
        # Byte identity also depends on these (pandas formats the CSV, pyarrow writes the Parquet).
        "libraries": _library_versions(),
        "format": fmt,
        "dataset": dataset,
        "data_file": data_file,
        "sha256": _sha256(data),
        "n_rows": n_rows,
    }
    if scenario is None:
        record["source"] = "not simulated by walkback-explorer; cannot be regenerated"
        return record
    seed = scenario.seed if seed is None else int(seed)
    record.update({
        "source": "analysis.simulate.engine.simulate_trial",
        "seed": seed,
        "replicates": replicates,
        "n_participants": scenario.design.n_total,
    })
    if replicates is not None:
        record["seed_rule"] = _SEED_RULE
    extra = f" --replicates {replicates}" if replicates is not None else ""
    extra += " --episodes" if dataset == "episodes" else ""
    record["regenerate"] = (f"walkback simulate --scenario {_SCENARIO_FILE} --seed {seed} --format {fmt}{extra} "
                            f"--out <folder or .zip>  (needs walkback-explorer {record['version']})")
    record["scenario"] = scenario.to_dict()
    return record


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
    if dataset == "episodes" and fmt not in _EPISODE_DATA_FILE:
        raise WalkBackInputError("episodes are exported as csv or parquet (ADTTE holds time-to-event parameters "
                                 "per participant: use it without --episodes)")
    if not isinstance(cohort, pd.DataFrame):
        raise WalkBackInputError(f"expected a cohort table, got {type(cohort).__name__}")
    table = cohort_to_adtte(cohort) if fmt == "adtte" else cohort
    dictionary = data_dictionary(table, fmt, dataset)
    data_file = (_EPISODE_DATA_FILE if dataset == "episodes" else _DATA_FILE)[fmt]
    if fmt == "parquet":
        # A file cannot hold its own hash: the embedded provenance carries the hash of the CSV
        # export of the same table instead (content_sha256), the sidecar the file's own.
        embedded = provenance(scenario, seed, fmt, _csv_bytes(table), replicates=replicates,
                              data_file=data_file, n_rows=len(table), dataset=dataset)
        embedded["content_sha256"] = embedded.pop("sha256")
        embedded["content_sha256_of"] = "the CSV export (format csv) of the same table"
        data = _parquet_bytes(table, {
            "walkback.data_dictionary": json.dumps(dictionary, ensure_ascii=False),
            "walkback.provenance": json.dumps(embedded, ensure_ascii=False),
        })
        record = provenance(scenario, seed, fmt, data, replicates=replicates, data_file=data_file, n_rows=len(table),
                            dataset=dataset)
        record["content_sha256"] = embedded["content_sha256"]
    else:
        data = _csv_bytes(table)
        record = provenance(scenario, seed, fmt, data, replicates=replicates, data_file=data_file, n_rows=len(table),
                            dataset=dataset)
    files = {data_file: data, _DICTIONARY_FILE: _json_bytes(dictionary), _PROVENANCE_FILE: _json_bytes(record)}
    if scenario is not None:
        files[_SCENARIO_FILE] = (scenario.to_json() + "\n").encode("utf-8")
    if fmt == "adtte":
        files[_R_FILE] = r_reanalysis_script(data_file, record["version"]).encode("utf-8")
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


# --------------------------------------------------------------------------- atomic writing
def _cleanup(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
    except OSError:  # pragma: no cover - best effort
        pass


def _check_folder(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise WalkBackInputError(f"cannot write '{path}': folder '{folder}' does not exist")
    return folder


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename; nothing partial is left behind."""
    write_files_atomic({path: data})


def write_files_atomic(files: dict[str | os.PathLike, bytes]) -> None:
    """Write several files (e.g. data plus sidecars): all are written to temporary files first,
    then renamed into place; on any failure the temporaries and the files already renamed by
    this call are removed."""
    targets = [os.fspath(p) for p in files]
    for path in targets:
        _check_folder(path)
        if os.path.isdir(path):
            raise WalkBackInputError(f"cannot write '{path}': it is a directory")
    temps: list[str] = []
    placed: list[str] = []
    try:
        for path, data in zip(targets, files.values()):
            fd, tmp = tempfile.mkstemp(prefix=".walkback-", suffix=".part", dir=os.path.dirname(os.path.abspath(path)))
            temps.append(tmp)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
        for tmp, path in zip(temps, targets):
            os.replace(tmp, path)
            placed.append(path)
    except BaseException as exc:
        for tmp in temps:
            _cleanup(tmp)
        for path in placed:
            _cleanup(path)
        if isinstance(exc, OSError):
            raise WalkBackInputError(f"cannot write '{targets[len(placed)]}': {exc.strerror or exc}") from None
        raise


def write_folder_atomic(path: str | os.PathLike, files: dict[str, bytes]) -> None:
    """Create folder ``path`` holding ``files``: built under a temporary name, then renamed.

    ``path`` must not exist, or be an empty folder; an existing non-empty folder is refused
    rather than overwritten.
    """
    path = os.fspath(path).rstrip("/\\") or os.fspath(path)
    parent = _check_folder(path)
    if os.path.lexists(path):
        if not os.path.isdir(path):
            raise WalkBackInputError(f"cannot write folder '{path}': a file of that name exists")
        if os.listdir(path):
            raise WalkBackInputError(f"cannot write folder '{path}': it exists and is not empty; "
                                     "choose a new folder name or remove it")
    tmp = None
    try:
        tmp = tempfile.mkdtemp(prefix=".walkback-", suffix=".part", dir=parent)
        for name, data in files.items():
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(data)
            os.chmod(os.path.join(tmp, name), 0o644)
        os.chmod(tmp, 0o755)
        os.rename(tmp, path)  # replaces an empty folder atomically on POSIX
    except BaseException as exc:
        if tmp is not None:
            _cleanup(tmp)
        if isinstance(exc, OSError):
            raise WalkBackInputError(f"cannot write folder '{path}': {exc.strerror or exc}") from None
        raise


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
    renames = {_DICTIONARY_FILE: ".dictionary.json", _PROVENANCE_FILE: ".provenance.json",
               _SCENARIO_FILE: ".scenario.json", _R_FILE: ".R"}
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
    if _R_FILE in files:
        files = dict(files)
        files[_R_FILE] = r_reanalysis_script(os.path.basename(out)).encode("utf-8")
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
