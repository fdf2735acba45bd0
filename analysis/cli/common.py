"""What every ``walkback`` subcommand shares: the parser, argument types, the scenario loader, the
one-line error, and where Monte Carlo work runs (this machine's cores or a dask cluster).

Argument types raise ``argparse.ArgumentTypeError`` (argparse turns it into one line and exit 2);
everything else a user can get wrong raises :class:`~analysis.errors.WalkBackInputError`, which
:func:`analysis.cli.main.main` prints as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import WalkBackInputError

if TYPE_CHECKING:  # concurrent.futures pulls in logging and threading: only the commands that run replicates need it
    from concurrent.futures import Executor

__all__ = ["Parser", "check_out_file", "whole", "positive_int", "seed", "fraction", "nonnegative_number", "load_scenario", "default_workers",
           "add_execution_options", "executor_for", "keep_freed_memory", "SCHEDULER_TIMEOUT_SECONDS"]

#: How long ``--scheduler`` waits for a dask scheduler before giving up with one line.
SCHEDULER_TIMEOUT_SECONDS = 10.0


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (the default prints the whole usage block first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def whole(text: str) -> int:
    """A whole number (any sign; callers check the range and say which)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text: str) -> int:
    value = whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def seed(text: str) -> int:
    from ..simulate.seeds import check_seed  # at parse time only: --help imports no numerical library

    try:
        return check_seed(whole(text), name="")
    except WalkBackInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def fraction(text: str) -> float:
    """A number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be strictly between 0 and 1")
    return value


def nonnegative_number(text: str) -> float:
    """A finite number >= 0 (e.g. a willingness-to-pay in AU$ per QALY)."""
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (value >= 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of at least 0")
    return value


def check_out_file(out: str, suffix: str, *, why: str = "") -> None:
    """Refuse an unusable ``--out FILE`` before any work is done (so nothing is written on failure)."""
    if not out.strip():
        raise WalkBackInputError(f"--out is empty: give a file name ending in {suffix}")
    if not out.lower().endswith(suffix):
        raise WalkBackInputError(f"--out '{out}' must end in {suffix}{why}")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise WalkBackInputError(f"cannot write '{out}': folder '{folder}' does not exist")
    if os.path.isdir(out):
        raise WalkBackInputError(f"cannot write '{out}': it is a directory")


def load_scenario(path: str | None):
    """The calibrated WalkBack scenario, or a (possibly partial) scenario file merged over it."""
    from ..model.default import default_scenario
    from ..trial.scenario import load_scenario_file

    base = default_scenario()
    return base if path is None else load_scenario_file(path, base=base)


def default_workers() -> int:
    """The cores this process may use (``sched_getaffinity`` where the OS has it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """``--workers`` and ``--scheduler`` for subcommands that run Monte Carlo replicates."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole, default=None, metavar="INT",
                       help=f"worker processes on this machine (default: every core, here {default_workers()}; "
                            "1 runs in this process). Results do not depend on it")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="send the replicates to a running dask.distributed scheduler instead "
                            "(results are identical to a local run with the same seed)")


def keep_freed_memory() -> None:
    """Let this process (and workers forked from it) reuse freed memory instead of returning it to
    the OS; glibc only, a no-op elsewhere. Results are unaffected.

    A chunk of Monte Carlo replicates allocates and frees the same tens of megabytes of arrays; with
    glibc's default thresholds each is a fresh ``mmap`` whose pages fault in on first touch (about
    10,000 page faults per chunk of 500 default trials, 10% of the chunk's time here). Larger
    mmap and trim thresholds keep those pages in the heap for the next chunk.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3  # glibc's malloc.h
    mallopt(m_mmap_threshold, 32 << 20)  # glibc's largest allowed value
    mallopt(m_trim_threshold, 512 << 20)
    mallopt(m_top_pad, 64 << 20)


@contextlib.contextmanager
def executor_for(args: argparse.Namespace, *, needed: bool = True) -> Iterator[Executor | None]:
    """The executor ``--workers`` / ``--scheduler`` ask for (None = run in this process).

    Replicate ``i`` is seeded from child ``i`` of ``SeedSequence(seed)``, so the executor changes
    where the work runs, never its result. Sets ``args.parallel_workers`` to the number of
    replicate chunks that can run at once (1 in this process; the pool's size; the cluster's
    worker threads), for :func:`analysis.studies.replicates.chunk_size_for`.
    """
    args.parallel_workers = 1
    scheduler = getattr(args, "scheduler", None)
    workers = getattr(args, "workers", None)
    if workers is not None and not 1 <= workers <= 256:
        raise WalkBackInputError(f"--workers {workers} must be between 1 and 256")
    if not needed:
        yield None
        return
    if not scheduler:
        keep_freed_memory()  # before the pool forks its workers, so they inherit it
    if scheduler:
        with _dask_executor(scheduler, args) as executor:
            yield executor
        return
    workers = default_workers() if workers is None else workers
    if workers == 1:
        yield None
        return
    from concurrent.futures import ProcessPoolExecutor

    args.parallel_workers = workers
    executor = ProcessPoolExecutor(workers, initializer=keep_freed_memory)  # (also for spawned workers)
    try:
        yield executor
    finally:
        executor.shutdown(cancel_futures=True)


@contextlib.contextmanager
def _dask_executor(address: str, args: argparse.Namespace) -> Iterator[Executor]:
    if "://" not in address:
        raise WalkBackInputError(f"--scheduler {address!r}: give the scheduler's address as tcp://HOST:PORT")
    try:
        from dask.distributed import Client
    except ImportError:
        raise WalkBackInputError("--scheduler needs dask.distributed: pip install 'walkback-explorer[dask]'") from None
    import logging

    # distributed logs connection retries at ERROR level; the one line below says it all.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise WalkBackInputError(f"--scheduler {address}: could not reach a dask scheduler within "
                                 f"{SCHEDULER_TIMEOUT_SECONDS:g} s ({reason[:200]})") from None
    try:
        try:
            threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        except Exception:  # pragma: no cover - an old or unusual scheduler: chunking stays default
            threads = 1
        args.parallel_workers = max(1, threads)
        yield client.get_executor()
    finally:
        client.close()
