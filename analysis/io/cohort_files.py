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

import pandas as pd

from ..errors import CohortFileError, read_input_file
from ..stats.time_units import time_unit_of
from ..stats.validation import DEFAULT_MAX_ROWS, FIRST_DATA_ROW, require_column, validate_two_arm

__all__ = ["read_cohort_file", "read_two_arm_file", "validate_two_arm", "guess_columns", "time_unit_of", "ColumnGuess",
           "DEFAULT_MAX_ROWS", "FIRST_DATA_ROW"]


_PARQUET_MAGIC = b"PAR1"


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
        require_column(header, col, role)
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


# --------------------------------------------------------------------------- which column is which
_TIME_HINTS = ("time_days", "time", "days", "futime", "stime", "duration", "weeks", "months", "years", "week", "month",
               "year", "t")
_EVENT_HINTS = ("recurrence", "event", "status", "censor", "dead", "fail", "e")
_GROUP_HINTS = ("arm", "group", "treatment", "trt", "rx", "allocation", "x")


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
