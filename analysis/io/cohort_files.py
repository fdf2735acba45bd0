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

__all__ = ["read_cohort_file", "read_two_arm_file", "validate_two_arm", "guess_columns", "time_unit_of", "ColumnGuess",
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

    The format is taken from the file's extension (``.csv``, ``.txt``, ``.parquet``, ``.pq``,
    each optionally gzip-compressed as ``.gz``) and otherwise from its content: Parquet files
    start and end with the magic bytes ``PAR1``, gzip files start with ``1f 8b``; anything else
    must decode as UTF-8 text to be read as CSV. CSV is parsed by pyarrow's multi-threaded
    reader (pandas' C parser for the files pyarrow refuses, so their messages are pandas' own).

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
        The file's columns, as read (column names stripped of surrounding blanks; text and
        dates as Python strings).

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
    source = _Source.open(path_or_bytes, filename)
    return source.frame(max_rows=max_rows)


def read_two_arm_file(path_or_bytes, filename: str | None = None, *, time: str = "time_days",
                      event: str = "recurrence", group: str = "arm", reference: str = "control",
                      strata: Sequence[str] = (), covariates: Sequence[str] = (),
                      max_rows: int = DEFAULT_MAX_ROWS) -> pd.DataFrame:
    """Read only the columns a two-arm analysis needs and check them: what ``walkback analyze`` runs.

    Equivalent to ``validate_two_arm(read_cohort_file(...), ...)`` (same result, same
    messages), but the other columns of the file are never converted, and text columns are
    read as categories, so a million-row file costs one multi-threaded parse and a few
    vectorised checks.

    Examples
    --------
    >>> raw = b"id,time_days,recurrence,arm\\n1,5,1,control\\n2,7.5,0,intervention\\n"
    >>> read_two_arm_file(raw, "x.csv").to_dict("list")
    {'time': [5.0, 7.5], 'event': [1, 0], 'group': ['control', 'intervention']}
    """
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    source = _Source.open(path_or_bytes, filename)
    names = source.column_names()
    header = pd.DataFrame(columns=names)
    for col, role in ((time, "time"), (event, "event"), (group, "group"), *((c, "strata") for c in strata),
                      *((c, "covariate") for c in covariates)):
        _column(header, col, role)
    wanted = list(dict.fromkeys([time, event, group, *strata, *covariates]))
    # the time column is read as numbers throughout (a file whose first block holds whole days
    # and later ones fractions is not re-read); a value that is not a number sends the file to
    # pandas, whose reading gives the usual row-numbered message
    df = source.frame(max_rows=max_rows, columns=wanted, floats=(time,))
    return validate_two_arm(df, time=time, event=event, group=group, reference=reference, strata=strata,
                            covariates=covariates, max_rows=max_rows)


_KNOWN_OTHER = {".xlsx": "Excel", ".xls": "Excel", ".json": "JSON", ".pkl": "pickle", ".pickle": "pickle",
                ".feather": "Feather", ".sav": "SPSS", ".dta": "Stata", ".rds": "R", ".rdata": "R"}
_GZIP_MAGIC = b"\x1f\x8b"


class _Source:
    """A user's file in memory (decompressed), its name and its format."""

    def __init__(self, data: bytes, name: str, parquet: bool):
        self.data, self.name, self.parquet = data, name, parquet
        self._csv_header: list[str] | None = None
        self._pandas: pd.DataFrame | None = None  # the pandas reading, for files pyarrow refuses

    @classmethod
    def open(cls, path_or_bytes, filename) -> "_Source":
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

        root, ext = os.path.splitext(name.lower())
        if ext == ".gz" or data[:2] == _GZIP_MAGIC:
            if ext == ".gz":
                ext = os.path.splitext(root)[1]
            data = _gunzip(data, name)
        if len(data[:65536].strip()) == 0 and len(data.strip()) == 0:
            raise CohortFileError(f"{name}: the file is empty")
        is_parquet = data[:4] == _PARQUET_MAGIC
        if ext in _KNOWN_OTHER and not is_parquet:
            raise CohortFileError(f"{name}: a {_KNOWN_OTHER[ext]} file is not supported; save it as CSV or Parquet")
        if ext in (".parquet", ".pq") or is_parquet:
            if not (is_parquet and data[-4:] == _PARQUET_MAGIC):
                raise CohortFileError(f"{name}: not a valid Parquet file (missing PAR1 signature)")
            return cls(data, name, True)
        _check_text(data, name)
        return cls(data, name, False)

    def column_names(self) -> list[str]:
        """The file's column names (stripped), from the header / schema only."""
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                names = pq.read_schema(pa.BufferReader(self.data)).names
            except Exception as exc:  # pyarrow raises many types for corrupt files
                raise CohortFileError(f"{self.name}: not a readable Parquet file ({_first_line(exc)})") from None
            return [str(c).strip() for c in names if not str(c).startswith("__index_level_")]
        header = self._header()
        if header is None:  # pyarrow cannot read it: pandas decides (and words the error)
            return [str(c).strip() for c in self._pandas_frame().columns]
        return [str(c).strip() for c in header]

    def frame(self, *, max_rows: int, columns: Sequence[str] | None = None,
              floats: Sequence[str] = ()) -> pd.DataFrame:
        if self.parquet:
            df = _read_parquet(self.data, self.name, columns)
        else:
            df = _read_csv(self, columns, floats)
        df.columns = [str(c).strip() for c in df.columns]
        if df.shape[1] == 0 or (df.shape[0] == 0):
            raise CohortFileError(f"{self.name}: the file has no data rows")
        if len(df) > max_rows:
            raise CohortFileError(f"{self.name}: {len(df):,} rows is more than the limit of {max_rows:,}")
        return df

    # ------------------------------------------------------------------ CSV helpers
    def _pandas_frame(self) -> pd.DataFrame:
        if self._pandas is None:
            self._pandas = _read_csv_pandas(self.data, self.name)
        return self._pandas

    def _semicolon(self) -> bool:
        end = self.data.find(b"\n")
        first = self.data[: end if end >= 0 else len(self.data)]
        return b";" in first and b"," not in first

    def _body(self):
        import pyarrow as pa

        buf = pa.py_buffer(self.data)
        return pa.BufferReader(buf.slice(3) if self.data[:3] == b"\xef\xbb\xbf" else buf)

    def _header(self) -> list[str] | None:
        """Raw column names as pyarrow reads them; None when pyarrow should not read this file."""
        if self._csv_header is None:
            import pyarrow.csv as pcsv

            sep = ";" if self._semicolon() else ","
            head = self.data[:65536]
            # pandas' skipinitialspace (blank after a separator) is left to pandas
            if (sep + " ").encode() in head or (sep + "\t").encode() in head:
                return None
            try:
                reader = pcsv.open_csv(self._body(), read_options=pcsv.ReadOptions(block_size=1 << 16),
                                       parse_options=pcsv.ParseOptions(delimiter=sep))
                names = reader.schema.names
                reader.close()
            except Exception:  # pyarrow.ArrowInvalid and friends: pandas reads (or words the error)
                return None
            if len(set(names)) != len(names) or any(not str(n).strip() for n in names):
                return None  # duplicate or blank names: pandas' renaming applies
            self._csv_header = list(names)
        return self._csv_header


def _gunzip(data: bytes, name: str) -> bytes:
    import gzip
    import zlib

    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise CohortFileError(f"{name}: not a readable gzip file ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check_text(data: bytes, name: str) -> None:
    if b"\x00" in data[:8192]:
        raise CohortFileError(f"{name}: not a CSV or Parquet file (binary content)")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise CohortFileError(f"{name}: line {line} is not valid UTF-8 text; save the file as UTF-8 CSV") from None


def _read_parquet(data: bytes, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if columns is None:
            return pq.read_table(pa.BufferReader(data)).to_pandas()
        schema = pq.read_schema(pa.BufferReader(data))
        raw = {str(c).strip(): c for c in schema.names}
        table = pq.read_table(pa.BufferReader(data), columns=[raw[c] for c in columns])
        return _to_pandas(table, categorical=True)
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise CohortFileError(f"{name}: not a readable Parquet file ({_first_line(exc)})") from None


def _read_csv(source: _Source, columns: Sequence[str] | None, floats: Sequence[str] = ()) -> pd.DataFrame:
    """pyarrow's reader; pandas' C parser for what pyarrow refuses (its messages are kept)."""
    header = source._header()
    if header is not None:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        raw = {str(c).strip(): c for c in header}
        semicolon = source._semicolon()
        convert = pcsv.ConvertOptions(
            include_columns=None if columns is None else [raw[c] for c in columns],
            column_types={raw[c]: pa.float64() for c in floats if c in raw},
            null_values=_NULLS, strings_can_be_null=True, quoted_strings_can_be_null=True,
            true_values=["True", "TRUE", "true"], false_values=["False", "FALSE", "false"],
            decimal_point="," if semicolon else ".", timestamp_parsers=[])
        try:  # streamed in 4 MB blocks: only the converted columns are kept, not the parsed text
            with pcsv.open_csv(source._body(), read_options=pcsv.ReadOptions(block_size=1 << 22),
                               parse_options=pcsv.ParseOptions(delimiter=";" if semicolon else ","),
                               convert_options=convert) as reader:
                table = reader.read_all()
        except Exception:  # a parse or (late) conversion error: pandas reads the file or words the error
            table = None
        if table is not None:
            return _to_pandas(table, categorical=columns is not None)
    df = source._pandas_frame()
    return df if columns is None else df[[c for c in df.columns if str(c).strip() in set(columns)]]


#: pandas' default missing-value markers (pyarrow's list plus the ones it lacks), so both readers agree.
_NULLS = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
          "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _to_pandas(table, *, categorical: bool) -> pd.DataFrame:
    """pandas frame of a pyarrow table: dates as ISO text (as pandas' reader leaves them); with
    ``categorical``, text columns as categories (cheap for millions of rows)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = {}
    for name, col in zip(table.column_names, table.columns):
        if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type) or pa.types.is_time(col.type):
            col = pc.cast(col, pa.string())
        if categorical and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            col = pc.dictionary_encode(col)
        cols[name] = col
    df = pa.table(cols).to_pandas()
    del cols, table
    pa.default_memory_pool().release_unused()  # the parse buffers go back to the OS, not to a cache
    return df


def _read_csv_pandas(data: bytes, name: str) -> pd.DataFrame:
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    text = data.decode("utf-8")  # checked by _check_text
    try:
        # Semicolon files come from spreadsheets in locales that write decimal commas ("5,5").
        semicolon = _looks_semicolon(text)
        return pd.read_csv(io.StringIO(text), sep=";" if semicolon else ",", decimal="," if semicolon else ".",
                           engine="c", float_precision="round_trip", skipinitialspace=True, low_memory=False)
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


_MISSING_TEXT = ["", "NA", "NaN", "nan", "null", "None"]


def _check_missing(s: pd.Series, col: str) -> None:
    miss = s.isna().to_numpy()
    if isinstance(s.dtype, pd.CategoricalDtype):  # test the few categories, not every row
        bad = pd.Index(s.cat.categories).astype(str).str.strip().isin(_MISSING_TEXT)
        if bad.any():
            miss |= np.isin(s.cat.codes.to_numpy(), np.flatnonzero(bad))
    elif s.dtype == object:  # distinct values first: a million rows hold a handful of them
        codes, uniques = pd.factorize(s)
        bad = pd.Index(uniques).astype(str).str.strip().isin(_MISSING_TEXT)
        if bad.any():
            miss |= np.isin(codes, np.flatnonzero(bad))
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
    else:  # text: the distinct values decide, rows take their codes
        if isinstance(e_raw.dtype, pd.CategoricalDtype):
            codes, uniques = e_raw.cat.codes.to_numpy(), e_raw.cat.categories
        else:
            codes, uniques = pd.factorize(e_raw)  # no missing values here (checked above)
        text = pd.Index(uniques).astype(str).str.strip().str.lower()
        is_t, is_f = text.isin(_TRUE)[codes], text.isin(_FALSE)[codes]
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
    codes, uniques = pd.factorize(s)  # convert the distinct values only (no missing values here)
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        text = pd.Index(uniques).astype(str)
    else:
        text = pd.Index(uniques).astype(str).str.strip()
    return np.asarray(text, dtype=object)[codes]


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
