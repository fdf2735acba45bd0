"""The data dictionary and the provenance record every export ships beside its data.

The provenance holds the scenario, the seed, the package and library versions and a sha256 of the data
bytes: enough to regenerate the file byte for byte (:func:`analysis.io.export.regenerate`).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from .adtte import ADTTE_COLUMNS, CNSR_CODES
from .layout import DATA_FILE, SCENARIO_FILE, package_version

__all__ = ["data_dictionary", "provenance"]

_REPLICATE_DESCRIPTION = ("Simulated trial replicate, 1..K; replicate i is seeded from child i of "
                          "numpy SeedSequence(seed).spawn(K)")
_SEED_RULE = ("replicate i (1-based) is simulate_trial(scenario, seed=int(SeedSequence(seed).spawn(K)[i-1]"
              ".generate_state(1, numpy.uint64)[0] >> 1))")


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
    data_file = data_file or DATA_FILE[fmt]
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
    record["regenerate"] = (f"walkback simulate --scenario {SCENARIO_FILE} --seed {seed} --format {fmt}{extra} "
                            f"--out <folder or .zip>  (needs walkback-explorer {record['version']})")
    record["scenario"] = scenario.to_dict()
    return record
