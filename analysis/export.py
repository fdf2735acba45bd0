"""Exports: turn a simulated cohort into files other tools read.

Last stage of the pipeline for analysts. Files are written atomically (temporary file in the
target folder, then rename), so an interrupted or failed export never leaves a half-written file.
"""

from __future__ import annotations

import io
import os
import tempfile

import pandas as pd

from .errors import WalkBackInputError

__all__ = ["COHORT_FORMATS", "cohort_to_bytes", "write_atomic"]

COHORT_FORMATS = ("csv", "parquet")


def cohort_to_bytes(cohort: pd.DataFrame, fmt: str = "csv") -> bytes:
    """Serialise a cohort as CSV (UTF-8, ISO dates) or Parquet.

    Examples
    --------
    >>> import pandas as pd
    >>> cohort_to_bytes(pd.DataFrame({"time_days": [1.5], "recurrence": [1]})).decode()
    'time_days,recurrence\\n1.5,1\\n'
    """
    if fmt == "csv":
        return cohort.to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n").encode("utf-8")
    if fmt == "parquet":
        buffer = io.BytesIO()
        cohort.to_parquet(buffer, index=False, engine="pyarrow")
        return buffer.getvalue()
    raise WalkBackInputError(f"format {fmt!r} is not supported: choose one of {', '.join(COHORT_FORMATS)}")


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename; nothing partial is left behind."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise WalkBackInputError(f"cannot write '{path}': folder '{folder}' does not exist")
    if os.path.isdir(path):
        raise WalkBackInputError(f"cannot write '{path}': it is a directory")
    fd, tmp = tempfile.mkstemp(prefix=".walkback-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise WalkBackInputError(f"cannot write '{path}': {exc.strerror or exc}") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
