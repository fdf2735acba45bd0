"""Tables to bytes: the CSV, Parquet and JSON every export writes, with spreadsheet formulas neutralised.

Nothing written depends on the clock, so the same table always gives the same bytes.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pandas as pd

from ..errors import WalkBackInputError
from .limits import COHORT_FORMATS

__all__ = ["neutralise_formulas", "cohort_to_bytes", "csv_bytes", "parquet_bytes", "json_bytes"]


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


def csv_bytes(frame: pd.DataFrame) -> bytes:
    import csv

    safe = neutralise_formulas(_whole_numbers_as_integers(frame))
    # The csv module quotes a field only for the characters of the line terminator ("\n"), so a
    # lone carriage return inside a cell would split the row in most readers: quote all text then.
    quoting = csv.QUOTE_NONNUMERIC if _has_carriage_return(safe) else csv.QUOTE_MINIMAL
    text = safe.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n", quoting=quoting)
    return text.encode("utf-8")


def json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def parquet_bytes(frame: pd.DataFrame, extra_metadata: dict[str, str] | None = None) -> bytes:
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
        return csv_bytes(cohort)
    if fmt == "parquet":
        return parquet_bytes(cohort, metadata)
    raise WalkBackInputError(f"format {fmt!r} is not supported: choose one of {', '.join(COHORT_FORMATS)}")
