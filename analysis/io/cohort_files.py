"""Read and check a user's two-arm time-to-event file (CSV or Parquet).

Entry point for uploads and ``walkback analyze``. :func:`read_cohort_file` turns a path or
the raw bytes of an upload into a :class:`pandas.DataFrame` (nothing is ever unpickled or
evaluated: CSV goes through pandas' C parser, Parquet through pyarrow). :func:`validate_two_arm`
checks the columns an analysis needs and returns a clean frame. Every problem raises
:class:`~analysis.errors.CohortFileError` whose ``str()`` is one line saying what is wrong and
where.

Row numbers in messages are the line numbers a spreadsheet shows for a CSV file: the header is
line 1, so the first data row is row 2. For Parquet files the same convention is used (first
data row = row 2), so a message reads the same whichever format was uploaded.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..errors import CohortFileError, read_input_file

__all__ = ["read_cohort_file", "validate_two_arm", "guess_columns", "time_unit_of", "ColumnGuess",
           "DEFAULT_MAX_ROWS", "FIRST_DATA_ROW"]

#: Largest number of rows accepted by default (the simulator's own maximum cohort).
DEFAULT_MAX_ROWS = 10_000_000
#: Row number of the first data row in messages (the header is row 1).
FIRST_DATA_ROW = 2

_PARQUET_MAGIC = b"PAR1"
_TRUE = {"1", "true", "t", "yes", "1.0"}
_FALSE = {"0", "false", "f", "no", "0.0"}


def _name(path_or_bytes, filename) -> str:
    if filename:
        return os.path.basename(str(filename))
    if isinstance(path_or_bytes, (str, os.PathLike)):
        return os.path.basename(os.fspath(path_or_bytes))
    return "the uploaded file"


def read_cohort_file(path_or_bytes, filename: str | None = None, *, max_rows: int = DEFAULT_MAX_ROWS) -> pd.DataFrame:
    """Read a cohort from a CSV or Parquet file (a path, or the bytes of an upload).

    The format is taken from the file's extension (``.csv``, ``.txt``, ``.parquet``, ``.pq``)
    and otherwise from its content: Parquet files start and end with the magic bytes
    ``PAR1``; anything else must decode as UTF-8 text to be read as CSV.

    Parameters
    ----------
    path_or_bytes : str, os.PathLike, bytes or file-like
        Where the data is. Bytes (or a binary file object) are what an upload widget gives.
    filename : str, optional
        Original file name of an upload; used for format detection and in messages.
    max_rows : int, default 10,000,000
        Files with more data rows are refused.

    Returns
    -------
    pandas.DataFrame
        The file's columns, as read (column names stripped of surrounding blanks).

    Raises
    ------
    CohortFileError
        Missing or unreadable file, empty file, not CSV/Parquet, undecodable text, more than
        ``max_rows`` rows.

    Examples
    --------
    >>> read_cohort_file(b"time,event,arm\\n5,1,control\\n7,0,intervention\\n", "x.csv").shape
    (2, 3)
    """
    name = _name(path_or_bytes, filename)
    if isinstance(path_or_bytes, (str, os.PathLike)):
        data = read_input_file(path_or_bytes, label=name, error=CohortFileError)
    elif isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
    elif hasattr(path_or_bytes, "read"):
        data = path_or_bytes.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise CohortFileError(f"cannot read a cohort from a {type(path_or_bytes).__name__}; give a path or bytes")

    if len(data.strip()) == 0:
        raise CohortFileError(f"{name}: the file is empty")
    ext = os.path.splitext(name)[1].lower()
    is_parquet = data[:4] == _PARQUET_MAGIC
    if ext in _KNOWN_OTHER and not is_parquet:
        raise CohortFileError(f"{name}: a {_KNOWN_OTHER[ext]} file is not supported; save it as CSV or Parquet")
    if ext in (".parquet", ".pq") or is_parquet:
        if not (is_parquet and data[-4:] == _PARQUET_MAGIC):
            raise CohortFileError(f"{name}: not a valid Parquet file (missing PAR1 signature)")
        df = _read_parquet(data, name)
    else:
        df = _read_csv(data, name)
    df.columns = [str(c).strip() for c in df.columns]
    if df.shape[1] == 0 or (df.shape[0] == 0):
        raise CohortFileError(f"{name}: the file has no data rows")
    if len(df) > max_rows:
        raise CohortFileError(f"{name}: {len(df):,} rows is more than the limit of {max_rows:,}")
    return df


_KNOWN_OTHER = {".xlsx": "Excel", ".xls": "Excel", ".json": "JSON", ".pkl": "pickle", ".pickle": "pickle",
                ".feather": "Feather", ".sav": "SPSS", ".dta": "Stata", ".rds": "R", ".rdata": "R"}


def _read_parquet(data: bytes, name: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
        return table.to_pandas()
    except Exception as exc:  # pyarrow raises many types for corrupt files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CohortFileError(f"{name}: not a readable Parquet file ({msg})") from None


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    if b"\x00" in data[:8192]:
        raise CohortFileError(f"{name}: not a CSV or Parquet file (binary content)")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CohortFileError(f"{name}: line {line} is not valid UTF-8 text; save the file as UTF-8 CSV") from None
    try:
        # Semicolon files come from spreadsheets in locales that write decimal commas ("5,5").
        semicolon = _looks_semicolon(text)
        return pd.read_csv(io.StringIO(text), sep=";" if semicolon else ",", decimal="," if semicolon else ".",
                           engine="c", float_precision="round_trip", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise CohortFileError(f"{name}: the file is empty") from None
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().splitlines()[0]
        raise CohortFileError(f"{name}: not a well-formed CSV file ({msg})") from None


def _looks_semicolon(text: str) -> bool:
    first = text.split("\n", 1)[0]
    return ";" in first and "," not in first


def _row(position: int) -> int:
    return int(position) + FIRST_DATA_ROW


def _column(df: pd.DataFrame, col: str, role: str) -> pd.Series:
    if col not in df.columns:
        lower = {str(c).lower(): c for c in df.columns}
        hint = f" (did you mean {lower[col.lower()]!r}?)" if col.lower() in lower else ""
        available = ", ".join(repr(str(c)) for c in df.columns)
        raise CohortFileError(f"{role} column {col!r} not found{hint}; available columns: {available}")
    return df[col]


def _check_missing(s: pd.Series, col: str) -> None:
    miss = s.isna().to_numpy()
    if s.dtype == object:
        miss |= s.astype(str).str.strip().isin(["", "NA", "NaN", "nan", "null", "None"]).to_numpy()
    if miss.any():
        first = int(np.flatnonzero(miss)[0])
        raise CohortFileError(f"column {col!r} has {int(miss.sum()):,} missing value(s); first at row {_row(first)}")


def validate_two_arm(
    df: pd.DataFrame,
    time: str = "time_days",
    event: str = "recurrence",
    group: str = "arm",
    reference: str = "control",
    strata: Sequence[str] = (),
    *,
    covariates: Sequence[str] = (),
    max_rows: int = DEFAULT_MAX_ROWS,
) -> pd.DataFrame:
    """Check a cohort for a two-arm time-to-event analysis and return a clean frame.

    Parameters
    ----------
    df : pandas.DataFrame
        The cohort, e.g. from :func:`read_cohort_file` or :func:`~analysis.simulate_trial`.
    time, event, group : str
        Columns holding the follow-up time (numeric, >= 0), the event indicator (0/1 or
        true/false, case-insensitive) and the arm.
    reference : str
        Level of ``group`` the other arm is compared with (compared as text, so ``0`` and
        ``"0"`` are the same level).
    strata : sequence of str
        Stratification columns (kept as text).
    covariates : sequence of str
        Baseline columns for an adjusted Cox model (numeric kept as float, others as text).
    max_rows : int
        Refuse frames with more rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (float), ``event`` (int 0/1), ``group`` (str), then the strata and
        covariate columns under their own names; same row order as ``df``.

    Raises
    ------
    CohortFileError
        One-line message naming the problem and where (column, first bad row; the header is
        row 1, so the first data row is row 2).

    Examples
    --------
    >>> raw = pd.DataFrame({"t": [3.0, 5.5], "e": ["TRUE", "false"], "arm": ["control", "intervention"]})
    >>> validate_two_arm(raw, time="t", event="e").to_dict("list")
    {'time': [3.0, 5.5], 'event': [1, 0], 'group': ['control', 'intervention']}
    """
    if not isinstance(df, pd.DataFrame):
        raise CohortFileError(f"expected a table of participants, got {type(df).__name__}")
    if isinstance(strata, str):
        strata = (strata,)
    if isinstance(covariates, str):
        covariates = (covariates,)
    if len(df) == 0:
        raise CohortFileError("the file has no data rows")
    if len(df) > max_rows:
        raise CohortFileError(f"{len(df):,} rows is more than the limit of {max_rows:,}")
    t_raw = _column(df, time, "time")
    e_raw = _column(df, event, "event")
    g_raw = _column(df, group, "group")
    extra = {}
    for c in strata:
        extra[c] = _column(df, c, "strata")
    for c in covariates:
        extra[c] = _column(df, c, "covariate")

    # time
    _check_missing(t_raw, time)
    if pd.api.types.is_bool_dtype(t_raw) or not pd.api.types.is_numeric_dtype(t_raw):
        t_num = pd.to_numeric(t_raw.astype(str).str.strip(), errors="coerce")
        bad = t_num.isna().to_numpy()
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise CohortFileError(
                f"time column {time!r} is not numeric: row {_row(first)} holds {str(t_raw.iloc[first])!r}")
        t = t_num.to_numpy(dtype=float)
    else:
        t = t_raw.to_numpy(dtype=float)
    if not np.isfinite(t).all():
        first = int(np.flatnonzero(~np.isfinite(t))[0])
        raise CohortFileError(f"time column {time!r} has a non-finite value at row {_row(first)}")
    if (t < 0).any():
        first = int(np.flatnonzero(t < 0)[0])
        raise CohortFileError(
            f"time column {time!r} has {int((t < 0).sum()):,} negative value(s); first at row {_row(first)} ({t[first]:g})")

    # event
    _check_missing(e_raw, event)
    if pd.api.types.is_bool_dtype(e_raw):
        ev = e_raw.to_numpy(dtype=np.int64)
    elif pd.api.types.is_numeric_dtype(e_raw):
        ev_f = e_raw.to_numpy(dtype=float)
        bad = ~np.isin(ev_f, (0.0, 1.0))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise CohortFileError(
                f"event column {event!r} must be 0/1 or true/false: row {_row(first)} holds {e_raw.iloc[first]!r}")
        ev = ev_f.astype(np.int64)
    else:
        s = e_raw.astype(str).str.strip().str.lower()
        is_t, is_f = s.isin(_TRUE).to_numpy(), s.isin(_FALSE).to_numpy()
        bad = ~(is_t | is_f)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise CohortFileError(
                f"event column {event!r} must be 0/1 or true/false: row {_row(first)} holds {str(e_raw.iloc[first])!r}")
        ev = is_t.astype(np.int64)

    # group
    _check_missing(g_raw, group)
    g = _as_text(g_raw)
    levels = sorted(pd.unique(g).tolist())
    reference = str(reference)
    if len(levels) < 2:
        raise CohortFileError(f"group column {group!r} has only one group ({levels[0]!r}); two are needed")
    if len(levels) > 2:
        shown = ", ".join(repr(v) for v in levels[:6]) + (", ..." if len(levels) > 6 else "")
        raise CohortFileError(f"group column {group!r} has {len(levels)} groups ({shown}); exactly two are needed")
    if reference not in levels:
        raise CohortFileError(
            f"reference level {reference!r} not found in group column {group!r}; its levels are {levels[0]!r} and {levels[1]!r}")

    out = pd.DataFrame({"time": t, "event": ev, "group": g}, index=df.index)
    for c, s in extra.items():
        if c in ("time", "event", "group"):
            raise CohortFileError(f"column name {c!r} is reserved; rename the strata/covariate column")
        _check_missing(s, c)
        if c in covariates and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out[c] = s.to_numpy(dtype=float)
        else:
            out[c] = _as_text(s)
    return out.reset_index(drop=True)


def _as_text(s: pd.Series) -> np.ndarray:
    """Values as stripped strings; integral floats print without '.0' (1.0 -> '1')."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = np.array([str(c).strip() for c in s.cat.categories], dtype=object)
        return cats[s.cat.codes.to_numpy()]
    if pd.api.types.is_float_dtype(s):
        v = s.to_numpy(dtype=float)
        if np.all(v == np.round(v)):
            return pd.Series(v.astype(np.int64)).astype(str).to_numpy(dtype=object)
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.astype(str).to_numpy(dtype=object)
    return s.astype(str).str.strip().to_numpy(dtype=object)


# --------------------------------------------------------------------------- which column is which
_TIME_HINTS = ("time_days", "time", "days", "futime", "stime", "duration", "weeks", "months", "years", "week", "month",
               "year", "t")
_EVENT_HINTS = ("recurrence", "event", "status", "censor", "dead", "fail", "e")
_GROUP_HINTS = ("arm", "group", "treatment", "trt", "rx", "allocation", "x")
_UNITS = (("day", "days"), ("week", "weeks"), ("month", "months"), ("year", "years"))


class ColumnGuess(NamedTuple):
    """The most likely time, event and group columns of a file (positions in its column list)."""

    time: int
    event: int
    group: int


def _guess(columns: Sequence[str], hints: Sequence[str], exclude: set[int]) -> int:
    lowered = [c.lower() for c in columns]
    for exact in (True, False):
        for hint in hints:
            for i, c in enumerate(lowered):
                if i in exclude:
                    continue
                if (c in (hint, hint + "s")) if exact else (len(hint) > 2 and hint in c):
                    return i
    return next((i for i in range(len(columns)) if i not in exclude), 0)


def guess_columns(columns: Sequence[str]) -> ColumnGuess:
    """Guess which columns hold the time, the event indicator and the arm, from their names.

    Exact name matches win over names containing a hint; the three guesses are distinct when
    there are at least three columns.

    Examples
    --------
    >>> guess_columns(["id", "weeks", "status", "trt"])
    ColumnGuess(time=1, event=2, group=3)
    >>> guess_columns(["time_days", "recurrence", "arm", "age_years"])
    ColumnGuess(time=0, event=1, group=2)
    """
    columns = [str(c) for c in columns]
    time = _guess(columns, _TIME_HINTS, set())
    event = _guess(columns, _EVENT_HINTS, {time})
    group = _guess(columns, _GROUP_HINTS, {time, event})
    return ColumnGuess(time, event, group)


def time_unit_of(column: str) -> str:
    """The time unit a column's name announces ("days", "weeks", "months", "years"), else "time units".

    Examples
    --------
    >>> [time_unit_of(c) for c in ("time_days", "weeks", "FU_months", "t")]
    ['days', 'weeks', 'months', 'time units']
    """
    name = str(column).lower()
    for stem, unit in _UNITS:
        if stem in name:
            return unit
    return "time units"
