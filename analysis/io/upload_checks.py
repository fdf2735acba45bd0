"""Before a user's file is analysed: every missing-value problem at once, dropping incomplete rows on request, and
two arms chosen from a group column with more.

Place in the pipeline: between reading a cohort file (:mod:`analysis.io.cohort_files`) and the two-arm validator
(:func:`analysis.stats.validation.validate_two_arm`), which still checks what is left. The app's upload page and
notebooks call these, so a file with gaps or three groups leads somewhere instead of to a single refusal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import CohortFileError
from ..stats.validation import FIRST_DATA_ROW, missing_mask

__all__ = ["missing_report", "drop_incomplete", "choose_arms"]


def missing_report(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per column of ``columns`` with missing values: ``column``, ``missing`` (count), ``first_row`` (as the
    file numbers it), ``rows_affected`` (rows missing anything, the same on every row). Empty when nothing is missing.

    Examples
    --------
    >>> frame = pd.DataFrame({"time": [1.0, None, 3.0], "event": [1, 0, None], "arm": ["a", "NA", "b"]})
    >>> missing_report(frame, ["time", "event", "arm"])[["column", "missing", "first_row"]].to_dict(orient="records")
    [{'column': 'time', 'missing': 1, 'first_row': 3}, {'column': 'event', 'missing': 1, 'first_row': 4}, \
{'column': 'arm', 'missing': 1, 'first_row': 3}]
    """
    rows, any_missing = [], np.zeros(len(frame), dtype=bool)
    for column in dict.fromkeys(columns):
        mask = missing_mask(frame[column])
        any_missing |= mask
        if mask.any():
            rows.append({"column": column, "missing": int(mask.sum()),
                         "first_row": int(np.flatnonzero(mask)[0]) + FIRST_DATA_ROW})
    out = pd.DataFrame(rows, columns=["column", "missing", "first_row"])
    out["rows_affected"] = int(any_missing.sum())
    return out


def drop_incomplete(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """``frame`` without the rows missing a value in any of ``columns``, and how many were dropped.

    Examples
    --------
    >>> kept, dropped = drop_incomplete(pd.DataFrame({"time": [1.0, None, 3.0], "arm": ["a", "b", ""]}), ["time", "arm"])
    >>> len(kept), dropped
    (1, 2)
    """
    mask = np.zeros(len(frame), dtype=bool)
    for column in dict.fromkeys(columns):
        mask |= missing_mask(frame[column])
    return frame.loc[~mask].reset_index(drop=True), int(mask.sum())


def choose_arms(frame: pd.DataFrame, group: str, arms: Sequence[str]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``group`` (compared as trimmed text) is one of the two ``arms``.

    Examples
    --------
    >>> frame = pd.DataFrame({"arm": ["walk", "control", "yoga", "walk"], "time": [1, 2, 3, 4]})
    >>> choose_arms(frame, "arm", ["walk", "control"])["time"].tolist()
    [1, 2, 4]
    """
    arms = [str(a).strip() for a in arms]
    if len(set(arms)) != 2:
        raise CohortFileError(f"choose exactly two different arms to compare (got {', '.join(arms) or 'none'})")
    text = frame[group].astype(str).str.strip()
    missing = [a for a in arms if not (text == a).any()]
    if missing:
        raise CohortFileError(f"group column {group!r} has no rows for {', '.join(map(repr, missing))}")
    return frame.loc[text.isin(arms).to_numpy()].reset_index(drop=True)
