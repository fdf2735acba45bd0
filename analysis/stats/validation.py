"""The one validator of a two-arm time-to-event table, for every estimator and every reader.

Sits at the start of ``stats``: the estimators of :mod:`analysis.stats.survival` call
:func:`validate_two_arm` on what they are given, and the file readers of :mod:`analysis.io.cohort_files`
call it on what they read, so a table is checked the same way whether it came from the simulator, an
upload or ``walkback analyze``. Every problem raises :class:`~analysis.errors.CohortFileError` whose
``str()`` is one line saying what is wrong and where.

Row numbers in messages are the line numbers a spreadsheet shows for a CSV file: the header is line 1,
so the first data row is row 2 (the same for Parquet files, so a message reads the same whichever
format was uploaded).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import CohortFileError

__all__ = ["validate_two_arm", "two_arm_input", "strata_codes", "require_column", "missing_mask",
           "DEFAULT_MAX_ROWS", "FIRST_DATA_ROW"]

#: Largest number of rows accepted by default (the simulator's own maximum cohort).
DEFAULT_MAX_ROWS = 10_000_000
#: Row number of the first data row in messages (the header is row 1).
FIRST_DATA_ROW = 2

_TRUE = {"1", "true", "t", "yes", "1.0"}
_FALSE = {"0", "false", "f", "no", "0.0"}


def _row(position: int) -> int:
    return int(position) + FIRST_DATA_ROW


def require_column(df: pd.DataFrame, col: str, role: str) -> pd.Series:
    """Column ``col`` of ``df``, or one line naming the columns there are (and a near miss by case)."""
    if col not in df.columns:
        lower = {str(c).lower(): c for c in df.columns}
        hint = f" (did you mean {lower[col.lower()]!r}?)" if col.lower() in lower else ""
        available = ", ".join(repr(str(c)) for c in df.columns)
        raise CohortFileError(f"{role} column {col!r} not found{hint}; available columns: {available}")
    return df[col]


_MISSING_TEXT = ["", "NA", "NaN", "nan", "null", "None"]


def missing_mask(s: pd.Series) -> np.ndarray:
    """True where ``s`` is missing: NaN/None or a missing-value word ("", "NA", "null", ...)."""
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
    return miss


def _check_missing(s: pd.Series, col: str) -> None:
    miss = missing_mask(s)
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
    t_raw = require_column(df, time, "time")
    e_raw = require_column(df, event, "event")
    g_raw = require_column(df, group, "group")
    extra = {}
    for c in strata:
        extra[c] = require_column(df, c, "strata")
    for c in covariates:
        extra[c] = require_column(df, c, "covariate")

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


def two_arm_input(df, time, event, group, reference, strata=(), covariates=()):
    """(clean frame, reference level, other level): what every estimator starts from.

    Accepts an already clean frame too.

    Examples
    --------
    >>> raw = pd.DataFrame({"t": [3.0, 5.5], "e": [1, 0], "arm": ["control", "walk"]})
    >>> two_arm_input(raw, "t", "e", "arm", "control")[1:]
    ('control', 'walk')
    """
    strata = (strata,) if isinstance(strata, str) else tuple(strata)
    covariates = (covariates,) if isinstance(covariates, str) else tuple(covariates)
    clean = validate_two_arm(df, time=time, event=event, group=group, reference=reference,
                             strata=strata, covariates=covariates)
    reference = str(reference)
    other = next(v for v in pd.unique(clean["group"]) if v != reference)
    return clean, reference, other


def strata_codes(clean: pd.DataFrame, strata: Sequence[str]) -> np.ndarray:
    """One integer code per row for the combination of its strata levels (all zero without strata)."""
    if not strata:
        return np.zeros(len(clean), dtype=np.int64)
    if len(strata) == 1:
        return pd.factorize(clean[strata[0]], sort=True)[0].astype(np.int64)
    # one code per combination of levels (a groupby, not a Python join per row)
    return clean.groupby(list(strata), sort=True).ngroup().to_numpy(np.int64)
