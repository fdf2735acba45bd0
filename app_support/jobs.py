"""Background replicate runs, so the app stays responsive while hundreds of trials are simulated.

Not a page. A run executes :func:`analysis.studies.replicates.run_replicates` in a worker thread; the
page polls its progress from a fragment. Runs are keyed on (scenario, replicates, seed), shared by
every session of the server (same inputs, same result), and the registry is bounded.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from analysis.trial.scenario import Scenario

MAX_RUNS = 12
CHUNK = 50


class Cancelled(Exception):
    """Raised from the progress callback to stop a run early."""


@dataclass
class ReplicateRun:
    key: tuple
    total: int
    done: int = 0
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    cancel_requested: bool = False
    future: Future | None = None

    @property
    def running(self) -> bool:
        return self.future is not None and not self.future.done()

    def result(self) -> Any:
        """The ReplicateResult; re-raises the run's error."""
        assert self.future is not None
        return self.future.result()

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started


class RunRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[tuple, ReplicateRun] = {}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="walkback-replicates")

    def any_running(self) -> bool:
        with self._lock:
            return any(run.running for run in self._runs.values())

    def get(self, key: tuple) -> ReplicateRun | None:
        with self._lock:
            return self._runs.get(key)

    def start(self, scenario: Scenario, n_replicates: int, seed: int) -> ReplicateRun:
        from analysis.studies.replicates import run_replicates

        key = (scenario, int(n_replicates), int(seed))
        with self._lock:
            existing = self._runs.get(key)
            if existing is not None and not (existing.future is not None and existing.future.done()
                                             and (existing.future.exception() is not None)):
                return existing
            run = ReplicateRun(key=key, total=int(n_replicates))

            def progress(done: int, total: int) -> None:
                run.done = int(done)
                if run.cancel_requested:
                    raise Cancelled("stopped by the user")

            def work():
                try:
                    return run_replicates(scenario, int(n_replicates), int(seed), progress=progress, chunk_size=CHUNK)
                finally:
                    run.finished = time.perf_counter()

            run.future = self._pool.submit(work)
            self._runs[key] = run
            self._evict()
            return run

    def _evict(self) -> None:
        finished = [k for k, r in self._runs.items() if not r.running]
        while len(self._runs) > MAX_RUNS and finished:
            self._runs.pop(finished.pop(0), None)

    def forget(self, key: tuple) -> None:
        with self._lock:
            self._runs.pop(key, None)


@st.cache_resource
def registry() -> RunRegistry:
    return RunRegistry()
