"""Atomic writes: a file, several files, or a folder appear whole or not at all (temporary name, then rename).

Every command that writes a user's file goes through here, so nothing half-written is left behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from ..errors import WalkBackInputError

__all__ = ["write_atomic", "write_files_atomic", "write_folder_atomic"]


def _cleanup(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
    except OSError:  # pragma: no cover - best effort
        pass


def _check_folder(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise WalkBackInputError(f"cannot write '{path}': folder '{folder}' does not exist")
    return folder


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename; nothing partial is left behind."""
    write_files_atomic({path: data})


def write_files_atomic(files: dict[str | os.PathLike, bytes]) -> None:
    """Write several files (e.g. data plus sidecars): all are written to temporary files first,
    then renamed into place; on any failure the temporaries and the files already renamed by
    this call are removed."""
    targets = [os.fspath(p) for p in files]
    for path in targets:
        _check_folder(path)
        if os.path.isdir(path):
            raise WalkBackInputError(f"cannot write '{path}': it is a directory")
    temps: list[str] = []
    placed: list[str] = []
    try:
        for path, data in zip(targets, files.values()):
            fd, tmp = tempfile.mkstemp(prefix=".walkback-", suffix=".part", dir=os.path.dirname(os.path.abspath(path)))
            temps.append(tmp)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
        for tmp, path in zip(temps, targets):
            os.replace(tmp, path)
            placed.append(path)
    except BaseException as exc:
        for tmp in temps:
            _cleanup(tmp)
        for path in placed:
            _cleanup(path)
        if isinstance(exc, OSError):
            raise WalkBackInputError(f"cannot write '{targets[len(placed)]}': {exc.strerror or exc}") from None
        raise


def write_folder_atomic(path: str | os.PathLike, files: dict[str, bytes]) -> None:
    """Create folder ``path`` holding ``files``: built under a temporary name, then renamed.

    ``path`` must not exist, or be an empty folder; an existing non-empty folder is refused
    rather than overwritten.
    """
    path = os.fspath(path).rstrip("/\\") or os.fspath(path)
    parent = _check_folder(path)
    if os.path.lexists(path):
        if not os.path.isdir(path):
            raise WalkBackInputError(f"cannot write folder '{path}': a file of that name exists")
        if os.listdir(path):
            raise WalkBackInputError(f"cannot write folder '{path}': it exists and is not empty; "
                                     "choose a new folder name or remove it")
    tmp = None
    try:
        tmp = tempfile.mkdtemp(prefix=".walkback-", suffix=".part", dir=parent)
        for name, data in files.items():
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(data)
            os.chmod(os.path.join(tmp, name), 0o644)
        os.chmod(tmp, 0o755)
        os.rename(tmp, path)  # replaces an empty folder atomically on POSIX
    except BaseException as exc:
        if tmp is not None:
            _cleanup(tmp)
        if isinstance(exc, OSError):
            raise WalkBackInputError(f"cannot write folder '{path}': {exc.strerror or exc}") from None
        raise
