"""Errors raised for bad input anywhere in the library.

Every entry point (CLI, scenario files, uploads, URL parameters) turns these into one
message a user can act on; the message always says what is wrong and where.
"""

from __future__ import annotations

__all__ = ["WalkBackInputError", "ScenarioError", "CohortFileError", "LiveClassError", "ClassStoreUnavailable"]


class WalkBackInputError(ValueError):
    """Input that the library cannot use; ``str(err)`` is the message for the user."""


class ScenarioError(WalkBackInputError):
    """A scenario field holds a value outside its allowed range or of the wrong type."""


class CohortFileError(WalkBackInputError):
    """A cohort file (CSV or Parquet) that cannot be analysed as a two-arm time-to-event data set."""


class LiveClassError(WalkBackInputError):
    """A live-class request that cannot be served: unknown or expired class code, wrong token, closed class."""


class ClassStoreUnavailable(RuntimeError):
    """The live class's database cannot be reached or used; ``str(err)`` says which and how to fix it."""


def read_input_file(path, *, label: str, error: type[WalkBackInputError], max_bytes: int | None = None) -> bytes:
    """Read a user's file, turning every operating-system failure into one ``error`` message.

    ``label`` names the file in the message (e.g. ``"scenario file 'x.json'"``); the problem follows
    after a colon. Used by every loader of user files, so they fail the same way.

    Examples
    --------
    >>> read_input_file("/no/such/file.csv", label="cohort.csv", error=CohortFileError)
    Traceback (most recent call last):
    ...
    analysis.errors.CohortFileError: cohort.csv: does not exist
    """
    import os

    try:
        if max_bytes is not None:
            size = os.path.getsize(path)
            if size > max_bytes:
                raise error(f"{label}: is {size:,} bytes; at most {max_bytes:,} are allowed")
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise error(f"{label}: does not exist") from None
    except IsADirectoryError:
        raise error(f"{label}: is a directory, not a file") from None
    except OSError as exc:
        raise error(f"{label}: cannot be read ({exc.strerror or exc})") from None
