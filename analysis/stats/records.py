"""JSON-ready values of the statistics' results: ``None`` where a number is undefined (NaN, inf).

Used by every result object's ``.to_dict()`` in :mod:`analysis.stats`, so ``walkback analyze --json``
and the exports write the same values the same way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["json_float", "frame_records"]


def json_float(x) -> float | None:
    """Float for JSON: None for NaN/inf/None.

    Examples
    --------
    >>> json_float(float("nan")), json_float(np.float64(2.5))
    (None, 2.5)
    """
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def frame_records(df: pd.DataFrame) -> list[dict]:
    """Rows of ``df`` as dicts of plain Python values (numpy scalars converted, NaN as None)."""
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (json_float(v) if isinstance(v, (float, np.floating)) else
                        int(v) if isinstance(v, (np.integer,)) else
                        bool(v) if isinstance(v, np.bool_) else v) for k, v in rec.items()})
    return out
