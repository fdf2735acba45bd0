"""Export formats and caps, in a module that imports nothing: the ``walkback`` parser shows them in
its help without loading pandas (:mod:`analysis.io.export` enforces them and re-exports them).
"""

from __future__ import annotations

__all__ = ["COHORT_FORMATS", "EXPORT_FORMATS", "MAX_EXPORT_PARTICIPANTS", "MAX_EXPORT_REPLICATES", "MAX_EXPORT_ROWS"]

#: Formats of :func:`analysis.io.export.cohort_to_bytes` (one table, no sidecar files).
COHORT_FORMATS = ("csv", "parquet")
#: Formats of a full export (``walkback simulate --format``).
EXPORT_FORMATS = ("csv", "parquet", "adtte")

#: Caps per export request (the CLI and the app's Data page both enforce them).
MAX_EXPORT_PARTICIPANTS = 1_000_000
MAX_EXPORT_REPLICATES = 1_000
MAX_EXPORT_ROWS = 2_000_000
