"""Server-side load harness: Streamlit's own websocket protocol, no browsers.

Run from the repository root::

    python benchmarks/load_harness.py --users 1                      # every page, 5 warm repeats each
    python benchmarks/load_harness.py --users 30 --think 3 --duration 90
    python benchmarks/load_harness.py --users 1 --floor --json out.json
    python benchmarks/load_harness.py --url http://127.0.0.1:8501 --server-pid 1234 --users 10

Unless ``--url`` is given it starts the app exactly as ``make app`` does
(``streamlit run app_support/serve.py --server.headless true --server.port PORT``, cwd the repository,
on a free port), waits for ``/_stcore/health`` and always stops the server again (also on Ctrl-C or
an error). It only ever connects to 127.0.0.1.

Each simulated user is one websocket on ``/_stcore/stream`` (subprotocol ``streamlit``, as the
frontend sends). A *page visit* is one ``BackMsg.rerun_script`` carrying a ``ClientState`` for
the page (its ``page_script_hash`` and ``page_name`` = url path, empty query string, empty widget
states); the clock runs from sending it to the ``ForwardMsg.script_finished`` that ends the run,
so the figure is **server time per page run** (script execution + serialisation + transfer over
loopback), not browser rendering. Pages are discovered from the ``navigation`` ForwardMsg of the
first run. Like the browser, a client reports the hashes of the cacheable messages it already
holds (``cached_message_hashes``), so repeat visits get ``ref_hash`` stubs instead of large
figures (``--no-msg-cache`` turns that off).

Counted per visit: *exceptions* (``exception`` elements rendered by the script) and *errors*
(disconnects, timeouts, ``page_not_found``, a ``script_finished`` status other than
FINISHED_SUCCESSFULLY, or a ``ref_hash`` for a message the client never received).

Modes:

* ``--users 1``: one session visits every page ``--repeats`` times (default 5) after one warm-up
  pass that is not counted; per page p50/p95/max.
* ``--users N``: N concurrent sessions (asyncio, one websocket each) click through the pages in a
  random order (seeded) with think time between visits (``--think`` seconds, exponential by
  default, ``--think-dist fixed`` for a constant), starting staggered over ``--ramp`` seconds,
  until ``--duration`` seconds have passed (and at most ``--max-visits`` visits per user);
  per page and overall p50/p95/max, errors, exceptions.

Both modes also report the server's peak RSS (server process plus children, polled with psutil
every 0.2 s; needs ``--server-pid`` with ``--url``). ``--floor`` repeats the same measurement on
a one-chart Streamlit app (one ``st.plotly_chart``) served the same way, and prints the app's
times as a ratio of that floor. Output: a Markdown table; ``--json OUT`` also writes the raw
summary.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
APP_SCRIPT = "app_support/serve.py"
HOST = "127.0.0.1"
FLOOR_APP = """import plotly.graph_objects as go
import streamlit as st

st.title("The WalkBack trial")
st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 0.5, 0.3])))
"""
SUCCESS = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


# --------------------------------------------------------------------------------------------
# Server lifecycle
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def streamlit_command() -> list[str]:
    """The ``streamlit`` console script of this interpreter's environment (what ``make app`` runs)."""
    script = Path(sys.executable).with_name("streamlit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "streamlit"]


def start_server(script: str, cwd: Path, port: int) -> subprocess.Popen:
    """``streamlit run SCRIPT --server.headless true --server.port PORT`` in its own process group."""
    cmd = [*streamlit_command(), "run", script, "--server.headless", "true", "--server.port", str(port)]
    # Log to a temporary file, not a pipe: an undrained pipe would block the server once full.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    return proc


def server_log_tail(proc: subprocess.Popen, size: int = 3000) -> str:
    log = proc.log  # type: ignore[attr-defined]
    log.seek(0)
    return log.read().decode(errors="replace")[-size:]


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it after 10 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    proc.log.close()  # type: ignore[attr-defined]


def wait_healthy(base_url: str, timeout: float, proc: subprocess.Popen | None = None) -> float:
    """Poll ``/_stcore/health`` until it answers ``ok``; return the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{server_log_tail(proc)}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base_url} not healthy after {timeout:.0f} s")


@contextlib.contextmanager
def served(script: str, cwd: Path, startup_timeout: float):
    """Start a server, yield (base_url, pid), always stop it."""
    port = free_port()
    proc = start_server(script, cwd, port)
    try:
        base_url = f"http://{HOST}:{port}"
        waited = wait_healthy(base_url, startup_timeout, proc)
        print(f"server {script} healthy on port {port} after {waited:.1f} s (pid {proc.pid})", file=sys.stderr)
        yield base_url, proc.pid
    finally:
        stop_server(proc)


class RssSampler:
    """Peak resident memory of a process and its children, polled every ``interval`` seconds."""

    def __init__(self, pid: int | None, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        root = psutil.Process(self.pid)
        total = 0
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        if self.pid is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    @property
    def peak_mib(self) -> float | None:
        return self.peak / 2**20 if self.pid is not None and self.peak else None


# --------------------------------------------------------------------------------------------
# Protocol client
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    title: str
    script_hash: str
    url_pathname: str

    @property
    def label(self) -> str:
        return "/" + self.url_pathname


@dataclass
class Visit:
    page: str
    seconds: float
    exceptions: int = 0
    error: str | None = None
    exception_kinds: tuple[str, ...] = ()
    messages: int = 0
    bytes: int = 0
    started: float = float("nan")  # time.monotonic() when the rerun was sent (the timeline in --json)
    user: int = 0


class VisitError(Exception):
    pass


class Session:
    """One Streamlit session over one websocket, driven like the frontend drives it."""

    def __init__(self, base_url: str, timeout: float, msg_cache: bool = True) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.hostname != HOST:
            raise ValueError(f"only {HOST} is allowed, not {parsed.hostname!r}")
        self.http_url = f"http://{HOST}:{parsed.port}"
        self.ws_url = f"ws://{HOST}:{parsed.port}/_stcore/stream"
        self.timeout = timeout
        self.msg_cache = msg_cache
        self.cached_hashes: set[str] = set()
        self.ws = None
        self.pages: list[Page] = []

    async def connect(self) -> None:
        # The frontend sends Sec-WebSocket-Protocol "streamlit[, xsrf token[, previous session id]]";
        # the token only matters for auth cookies, and the server selects the first entry.
        # No client pings (browsers send none); frames can be large (Plotly figures).
        self.ws = await asyncio.wait_for(
            websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                               open_timeout=self.timeout),
            self.timeout)
        self.cached_hashes.clear()

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
            self.ws = None

    def _rerun_msg(self, page: Page | None) -> bytes:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = ""
        if page is not None:
            state.page_script_hash = page.script_hash
            state.page_name = page.url_pathname
        state.cached_message_hashes.extend(sorted(self.cached_hashes))
        path = page.url_pathname if page is not None else ""
        state.context_info.url = f"{self.http_url}/{path}"
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-GB"
        state.widget_states.SetInParent()
        return back.SerializeToString()

    async def visit(self, page: Page | None) -> Visit:
        """Run one page; never raises for protocol-level failures (they become ``Visit.error``)."""
        label = page.label if page is not None else "/"
        visit = Visit(page=label, seconds=float("nan"), started=time.monotonic())
        start = time.perf_counter()
        try:
            if self.ws is None:
                await self.connect()
            await self.ws.send(self._rerun_msg(page))
            deadline = start + self.timeout
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise asyncio.TimeoutError
                data = await asyncio.wait_for(self.ws.recv(), remaining)
                visit.messages += 1
                visit.bytes += len(data)
                if self._handle(ForwardMsg.FromString(data), visit):
                    break
            visit.seconds = time.perf_counter() - start
        except asyncio.TimeoutError:
            visit.error = f"timeout after {self.timeout:.0f} s"
        except websockets.ConnectionClosed as exc:
            visit.error = f"disconnected ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
        except (OSError, VisitError) as exc:
            visit.error = f"{type(exc).__name__}: {exc}"
        if visit.error is not None:
            await self.close()  # a fresh websocket (and session) for the next visit
        return visit

    def _handle(self, msg: ForwardMsg, visit: Visit) -> bool:
        """Account for one ForwardMsg; True when it ends the page run."""
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            if msg.ref_hash not in self.cached_hashes:
                raise VisitError(f"ref_hash for an unknown message {msg.ref_hash}")
        elif kind == "delta":
            if msg.metadata.cacheable and msg.hash and self.msg_cache:
                self.cached_hashes.add(msg.hash)
            if msg.delta.WhichOneof("type") == "new_element" and msg.delta.new_element.WhichOneof("type") == "exception":
                visit.exceptions += 1
                exc = msg.delta.new_element.exception
                visit.exception_kinds = (*visit.exception_kinds, f"{exc.type}: {exc.message}"[:160])
        elif kind == "navigation":
            self.pages = [Page(p.page_name, p.page_script_hash, p.url_pathname) for p in msg.navigation.app_pages]
        elif kind == "new_session" and not self.pages:
            self.pages = [Page(p.page_name, p.page_script_hash, p.url_pathname) for p in msg.new_session.app_pages]
        elif kind == "page_not_found":
            raise VisitError(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "script_finished":
            status = msg.script_finished
            if status == EARLY_FOR_RERUN:  # st.rerun(): the page run goes on
                return False
            if status != SUCCESS:
                raise VisitError(f"script finished with {ForwardMsg.ScriptFinishedStatus.Name(status)}")
            return True
        return False


async def discover_pages(base_url: str, timeout: float) -> list[Page]:
    """Every page the app registers, from the ``navigation`` message of a first run."""
    session = Session(base_url, timeout)
    try:
        visit = await session.visit(None)
        if visit.error:
            raise RuntimeError(f"discovery run failed: {visit.error}")
        return session.pages or [Page("main", "", "")]
    finally:
        await session.close()


def select_pages(pages: list[Page], wanted: str | None) -> list[Page]:
    if not wanted:
        return pages
    names = [w.strip().strip("/") for w in wanted.split(",")]
    chosen = [p for p in pages if p.url_pathname in names]
    missing = set(names) - {p.url_pathname for p in chosen}
    if missing:
        raise SystemExit(f"unknown pages {sorted(missing)}; known: {[p.url_pathname for p in pages]}")
    return chosen


# --------------------------------------------------------------------------------------------
# Load scenarios
# --------------------------------------------------------------------------------------------

async def single_user(base_url: str, pages: list[Page], repeats: int, timeout: float, msg_cache: bool) -> list[Visit]:
    """One session: a warm-up pass over every page (not counted), then ``repeats`` passes."""
    session = Session(base_url, timeout, msg_cache)
    visits: list[Visit] = []
    try:
        for page in pages:
            warm = await session.visit(page)
            if warm.error:
                visits.append(warm)  # a failing warm-up counts as an error
        for _ in range(repeats):
            for page in pages:
                visits.append(await session.visit(page))
    finally:
        await session.close()
    return visits


async def one_user(index: int, base_url: str, pages: list[Page], args: argparse.Namespace, start: float,
                   visits: list[Visit]) -> None:
    rng = random.Random(args.seed * 1000 + index)
    deadline = start + args.duration
    await asyncio.sleep(rng.uniform(0, args.ramp))
    session = Session(base_url, args.timeout, not args.no_msg_cache)
    order: list[Page] = []
    try:
        for _ in range(args.max_visits):
            if time.monotonic() >= deadline:
                break
            if not order:  # a shuffled tour of every page, then another one
                order = rng.sample(pages, len(pages))
            visit = await session.visit(order.pop())
            visit.user = index
            visits.append(visit)
            think = args.think if args.think_dist == "fixed" else rng.expovariate(1 / args.think) if args.think else 0
            await asyncio.sleep(max(0.0, min(think, deadline - time.monotonic())))
    finally:
        await session.close()


async def many_users(base_url: str, pages: list[Page], args: argparse.Namespace) -> list[Visit]:
    visits: list[Visit] = []
    start = time.monotonic()
    tasks = [asyncio.create_task(one_user(i, base_url, pages, args, start, visits)) for i in range(args.users)]
    # Hard bound: the duration, plus one page run that may still be in flight, plus slack.
    done, pending = await asyncio.wait(tasks, timeout=args.duration + args.ramp + args.timeout + 30)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if task.exception() is not None:
            raise task.exception()
    if pending:
        visits.append(Visit(page="(harness)", seconds=float("nan"), error=f"{len(pending)} users cancelled"))
    return visits


def measure(base_url: str, pid: int | None, args: argparse.Namespace, label: str) -> dict:
    """Discover pages, run the chosen scenario, summarise."""
    discovered = asyncio.run(discover_pages(base_url, args.timeout))
    pages = select_pages(discovered, args.pages if label == "app" else None)
    print(f"{label}: {len(pages)} pages: {', '.join(p.label for p in pages)}", file=sys.stderr)
    started = time.monotonic()
    with RssSampler(pid) as rss:
        if args.users == 1:
            visits = asyncio.run(single_user(base_url, pages, args.repeats, args.timeout, not args.no_msg_cache))
        else:
            visits = asyncio.run(many_users(base_url, pages, args))
    summary = summarise(visits, [p.label for p in pages])
    summary["visits"] = [{"user": v.user, "page": v.page, "t": round(v.started - started, 4),
                          "seconds": None if v.error else round(v.seconds, 4), "error": v.error} for v in visits]
    summary.update(label=label, pages_discovered=len(discovered), pages_visited=len(pages), wall_seconds=time.monotonic() - started,
                   peak_rss_mib=rss.peak_mib)
    return summary


# --------------------------------------------------------------------------------------------
# Statistics and output
# --------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (q in [0, 100]) of a non-empty list."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def stats(times: list[float]) -> dict[str, float | int | None]:
    if not times:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {"n": len(times), "p50": statistics.median(times), "p95": percentile(times, 95), "max": max(times)}


def summarise(visits: list[Visit], page_order: list[str]) -> dict:
    per_page = {}
    for page in page_order:
        mine = [v for v in visits if v.page == page]
        ok = [v.seconds for v in mine if v.error is None]
        per_page[page] = {**stats(ok), "errors": sum(v.error is not None for v in mine),
                          "exceptions": sum(v.exceptions for v in mine),
                          "kib": statistics.median(v.bytes for v in mine if v.error is None) / 1024 if ok else None}
    errors = [v for v in visits if v.error is not None]
    return {"pages": per_page, "overall": stats([v.seconds for v in visits if v.error is None]),
            "errors": len(errors), "error_kinds": sorted({v.error for v in errors}),
            "exceptions": sum(v.exceptions for v in visits),
            "exception_kinds": sorted({k for v in visits for k in v.exception_kinds})}


def _fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def markdown(summary: dict, floor: dict | None = None) -> str:
    floor_p50 = floor["overall"]["p50"] if floor else None
    head = "| page | n | p50 s | p95 s | max s | KiB/run | exceptions | errors |"
    if floor_p50:
        head += " p50 / floor |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    rows = [*summary["pages"].items(), ("**all pages**", {**summary["overall"], "exceptions": summary["exceptions"],
                                                         "errors": summary["errors"], "kib": None})]
    for page, s in rows:
        row = (f"| {page} | {s['n']} | {_fmt(s['p50'])} | {_fmt(s['p95'])} | {_fmt(s['max'])} | "
               f"{_fmt(s.get('kib'), 1)} | {s['exceptions']} | {s['errors']} |")
        if floor_p50:
            row += f" {s['p50'] / floor_p50:.1f}x |" if s["p50"] else " - |"
        lines.append(row)
    rss = summary["peak_rss_mib"]
    lines.append("")
    lines.append(f"{summary['label']}: {summary['pages_discovered']} pages discovered, {summary['pages_visited']} visited, "
                 f"{summary['overall']['n']} counted runs "
                 f"in {summary['wall_seconds']:.0f} s, server peak RSS "
                 f"{'n/a' if rss is None else f'{rss:.0f} MiB'}, errors {summary['errors']}"
                 + (f" ({'; '.join(summary['error_kinds'])})" if summary["error_kinds"] else "")
                 + f", exceptions {summary['exceptions']}"
                 + (f" ({'; '.join(summary['exception_kinds'][:5])})" if summary.get("exception_kinds") else ""))
    return "\n".join(lines)


def floor_markdown(floor: dict, app: dict) -> str:
    f, a = floor["overall"], app["overall"]

    def ratio(key: str) -> str:
        return f"{a[key] / f[key]:.1f}x" if a[key] and f[key] else "-"

    return "\n".join([
        "| | p50 s | p95 s | max s | peak RSS MiB | errors |", "|---|---|---|---|---|---|",
        f"| app, all pages | {_fmt(a['p50'])} | {_fmt(a['p95'])} | {_fmt(a['max'])} | "
        f"{_fmt(app['peak_rss_mib'], 0)} | {app['errors']} |",
        f"| floor: one st.plotly_chart | {_fmt(f['p50'])} | {_fmt(f['p95'])} | {_fmt(f['max'])} | "
        f"{_fmt(floor['peak_rss_mib'], 0)} | {floor['errors']} |",
        f"| ratio app / floor | {ratio('p50')} | {ratio('p95')} | {ratio('max')} | | |",
    ])


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=1, help="concurrent sessions (1: the per-page repeat mode)")
    p.add_argument("--repeats", type=int, default=5, help="--users 1: counted visits per page after a warm-up pass")
    p.add_argument("--think", type=float, default=3.0, help="mean think time between visits, seconds")
    p.add_argument("--think-dist", choices=("exp", "fixed"), default="exp")
    p.add_argument("--duration", type=float, default=60.0, help="--users N: seconds during which visits start")
    p.add_argument("--ramp", type=float, default=5.0, help="--users N: users start uniformly within this many s")
    p.add_argument("--max-visits", type=int, default=1000, help="--users N: cap on visits per user")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--timeout", type=float, default=120.0, help="per page run (and connect), seconds")
    p.add_argument("--startup-timeout", type=float, default=180.0)
    p.add_argument("--pages", help="comma-separated url paths to visit (default: every discovered page; '' is /)")
    p.add_argument("--no-msg-cache", action="store_true", help="do not report cached message hashes")
    p.add_argument("--url", help=f"attach to a running server (http://{HOST}:PORT) instead of starting one")
    p.add_argument("--server-pid", type=int, help="with --url: the server PID whose RSS to sample")
    p.add_argument("--floor", action="store_true", help="also measure a one-chart Streamlit app the same way")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the summary as JSON")
    args = p.parse_args(argv)
    if args.users < 1 or args.repeats < 1 or args.duration <= 0 or args.timeout <= 0:
        p.error("--users, --repeats, --duration and --timeout must be positive")
    if args.url and urllib.parse.urlsplit(args.url).hostname != HOST:
        p.error(f"--url must point at {HOST}")
    return args


def describe(args: argparse.Namespace) -> str:
    if args.users == 1:
        return f"1 user, every page {args.repeats}x after a warm-up pass"
    return (f"{args.users} users, think {args.think:g} s ({args.think_dist}), {args.duration:g} s, "
            f"ramp {args.ramp:g} s, seed {args.seed}")


def measure_floor(args: argparse.Namespace) -> dict:
    floor_dir = Path(tempfile.mkdtemp(prefix="walkback-floor-"))
    try:
        (floor_dir / "floor_app.py").write_text(FLOOR_APP)
        with served("floor_app.py", floor_dir, args.startup_timeout) as (base_url, pid):
            return measure(base_url, pid, args, "floor")
    finally:
        shutil.rmtree(floor_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> dict:
    if args.url:
        wait_healthy(args.url.rstrip("/"), args.startup_timeout)
        app = measure(args.url, args.server_pid, args, "app")
    else:
        with served(APP_SCRIPT, ROOT, args.startup_timeout) as (base_url, pid):
            app = measure(base_url, pid, args, "app")
    result = {"scenario": describe(args), "load_average": os.getloadavg(), "app": app}
    if args.floor:
        result["floor"] = measure_floor(args)
    return result


def report(result: dict) -> str:
    app, floor = result["app"], result.get("floor")
    parts = [f"## Server time per page run: {result['scenario']}",
             f"load average at the end: {', '.join(f'{x:.2f}' for x in result['load_average'])}", "",
             markdown(app, floor)]
    if floor:
        parts += ["", "### Floor: a one-chart Streamlit app, same client", "", markdown(floor), "",
                  floor_markdown(floor, app)]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM as KeyboardInterrupt, so the `finally` blocks stop the server then too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        result = run(args)
    except KeyboardInterrupt:
        print("interrupted; server stopped", file=sys.stderr)
        return 130
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 1 if result["app"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
