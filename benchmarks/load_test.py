"""Load test: N concurrent browser sessions against a local ``streamlit run app.py``.

Not part of the test suite. Run from the repository root::

    python benchmarks/load_test.py                 # 20 sessions, default page
    python benchmarks/load_test.py --sessions 5 --json

It starts the app headless on a free loopback port, opens one Chromium (Debian's
``/usr/bin/chromium`` through Playwright) with N browser contexts, and in each context opens
the default page and waits until results are rendered: a Plotly chart is visible and the
"Running..." status indicator is gone. It reports the number of failed sessions (must be 0;
a session fails on a timeout, a Streamlit exception box or an uncaught page error), the p50 and
p95 time from navigation to rendered results, and the server's peak memory (sum of the resident
memory of the server and its children, sampled every 100 ms with psutil, plus the kernel's
high-water mark VmHWM of the server process). Everything is bounded in time and the server is
always stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
RENDERED_JS = """() => {
  const chart = document.querySelector('.js-plotly-plot');
  if (!chart || chart.getBoundingClientRect().height === 0) return false;
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  return !(status && /Running/i.test(status.innerText || ''));
}"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
           "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    # The server's log goes to a temporary file, not a pipe: an undrained pipe would block the server once full.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    return proc


def server_log_tail(proc: subprocess.Popen, size: int = 2000) -> str:
    log = proc.log  # type: ignore[attr-defined]
    log.seek(0)
    return log.read().decode(errors="replace")[-size:]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/_stcore/health"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early: {server_log_tail(proc)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not become healthy within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the process group we created: streamlit and its children
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


def _vmhwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _children_pids(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    kids = [int(x) for x in fh.read().split()]
            except OSError:
                kids = []
            found.extend(kids)
            stack.extend(kids)
    return found


class MemorySampler(threading.Thread):
    """Peak resident memory of a process tree (psutil when installed, else /proc)."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss = 0
        self.client_cpu: dict[tuple[int, float], float] = {}  # (pid, start time) -> CPU seconds last seen
        self.stop_event = threading.Event()
        try:
            import psutil

            self._psutil = psutil
        except ImportError:  # pragma: no cover - psutil is usually there (streamlit depends on it... sometimes)
            self._psutil = None

    def _rss(self) -> int:
        if self._psutil is not None:
            try:
                root = self._psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except self._psutil.Error:
                return 0
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                except self._psutil.Error:
                    pass
            return total
        total = 0
        for pid in [self.pid, *_children_pids(self.pid)]:
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def _sample_client_cpu(self) -> None:
        """CPU of this script's other descendants (Playwright's driver, Chromium and its renderers)."""
        if self._psutil is None:
            return
        try:
            procs = self._psutil.Process().children(recursive=True)
        except self._psutil.Error:
            return
        for p in procs:
            if p.pid == self.pid:
                continue
            try:
                if p.ppid() == self.pid:
                    continue
                times = p.cpu_times()
                self.client_cpu[(p.pid, p.create_time())] = times.user + times.system
            except self._psutil.Error:
                pass

    def client_cpu_seconds(self) -> float | None:
        return None if self._psutil is None else sum(self.client_cpu.values())

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.peak_rss = max(self.peak_rss, self._rss())
            self._sample_client_cpu()
            self.stop_event.wait(self.interval)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time used so far by the server process (its script threads included)."""
        if self._psutil is None:
            return None
        try:
            times = self._psutil.Process(self.pid).cpu_times()
        except self._psutil.Error:
            return None
        return times.user + times.system

    def high_water_mark(self) -> int:
        """Sum of VmHWM over the tree (each process's own peak; an upper bound on the simultaneous peak)."""
        return sum((_vmhwm_kb(pid) or 0) * 1024 for pid in [self.pid, *_children_pids(self.pid)])


async def one_session(browser, url: str, index: int, timeout_s: float) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    started = time.perf_counter()
    result = {"session": index, "ok": False, "seconds": None, "error": None}
    try:
        await page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
        await page.wait_for_function(RENDERED_JS, timeout=timeout_s * 1000, polling=100)
        elapsed = time.perf_counter() - started
        exceptions = await page.locator('[data-testid="stException"]').count()
        if exceptions:
            result["error"] = f"{exceptions} Streamlit exception box(es) on the page"
        elif page_errors:
            result["error"] = f"uncaught page error: {page_errors[0][:200]}"
        else:
            result.update(ok=True, seconds=elapsed)
    except Exception as exc:  # a timeout or a crashed page is a failed session, reported, not raised
        result["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        await context.close()
    return result


async def run_sessions(url: str, sessions: int, timeout_s: float) -> list[dict]:
    """All sessions at once in one browser; a session still running after ``timeout_s + 60`` is a failure."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            tasks = [asyncio.create_task(one_session(browser, url, i, timeout_s)) for i in range(sessions)]
            done, pending = await asyncio.wait(tasks, timeout=timeout_s + 60)
            for task in pending:
                task.cancel()
            results = []
            for i, task in enumerate(tasks):
                if task in done and task.exception() is None:
                    results.append(task.result())
                else:
                    results.append({"session": i, "ok": False, "seconds": None,
                                    "error": f"did not finish within {timeout_s + 60:.0f} s"})
            return results
        finally:
            await browser.close()


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) without importing numpy."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per session (default 600)")
    parser.add_argument("--path", default="", help="URL path of the page to open (default: the default page)")
    parser.add_argument("--no-warmup", action="store_true",
                        help="skip the single warm-up visit (its time is reported as the cold first visit)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"load test: {CHROMIUM} not found (apt-get install chromium)", file=sys.stderr)
        return 2

    port = free_port()
    proc = start_server(port)
    sampler = None
    try:
        wait_healthy(port, proc, timeout=90)
        sampler = MemorySampler(proc.pid)
        sampler.start()
        time.sleep(0.5)
        idle_rss = sampler.peak_rss
        url = f"http://127.0.0.1:{port}/{args.path.lstrip('/')}"
        # One visit first, so the concurrent sessions measure a running app, not the cold start
        # (imports and calibration); the cold visit is reported on its own.
        cold = None if args.no_warmup else asyncio.run(run_sessions(url, 1, args.timeout))[0]
        cpu_before = sampler.cpu_seconds()
        client_before = sampler.client_cpu_seconds()
        wall = time.perf_counter()
        results = asyncio.run(run_sessions(url, args.sessions, args.timeout))
        wall = time.perf_counter() - wall
        cpu_after = sampler.cpu_seconds()
        client_cpu = sampler.client_cpu_seconds()
        client_cpu = None if client_cpu is None else client_cpu - client_before
        time.sleep(0.3)
        sampler.stop_event.set()
        sampler.join(timeout=2)
        hwm = sampler.high_water_mark()
    finally:
        if sampler is not None:
            sampler.stop_event.set()
        stop_server(proc)

    times = [r["seconds"] for r in results if r["ok"]]
    errors = [r for r in results if not r["ok"]]
    report = {
        "cold_first_visit_seconds": None if cold is None or not cold["ok"] else round(cold["seconds"], 2),
        "sessions": args.sessions,
        "errors": len(errors),
        "error_details": [f"session {r['session']}: {r['error']}" for r in errors],
        "p50_seconds": round(percentile(times, 0.5), 2),
        "p95_seconds": round(percentile(times, 0.95), 2),
        "max_seconds": round(max(times), 2) if times else None,
        "wall_seconds": round(wall, 2),
        # Server CPU against wall time tells a slow server from a saturated client machine.
        "server_cpu_seconds": None if cpu_before is None or cpu_after is None else round(cpu_after - cpu_before, 1),
        "browser_cpu_seconds": None if client_cpu is None else round(client_cpu, 1),
        "cpus": os.cpu_count(),
        "server_idle_rss_mb": round(idle_rss / 2**20, 1),
        "server_peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "server_vmhwm_mb": round(hwm / 2**20, 1),
    }
    if cold is not None and not cold["ok"]:
        errors.append({**cold, "session": "warm-up"})
        report["errors"] = len(errors)
        report["error_details"].append(f"warm-up: {cold['error']}")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"cold first visit: {report['cold_first_visit_seconds']} s")
        print(f"{report['sessions']} concurrent sessions, {report['errors']} errors; time to rendered results "
              f"p50 {report['p50_seconds']} s, p95 {report['p95_seconds']} s, max {report['max_seconds']} s "
              f"(wall {report['wall_seconds']} s; server CPU {report['server_cpu_seconds']} s, "
              f"browser CPU {report['browser_cpu_seconds']} s, {report['cpus']} CPUs)")
        print(f"server memory: idle {report['server_idle_rss_mb']} MB, peak RSS {report['server_peak_rss_mb']} MB "
              f"(psutil, server + children), VmHWM {report['server_vmhwm_mb']} MB")
        for line in report["error_details"]:
            print("  " + line)
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
