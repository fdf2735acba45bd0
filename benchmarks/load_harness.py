"""Server-side load harness: Streamlit's own websocket protocol, no browsers.

Run from the repository root::

    python benchmarks/load_harness.py --users 1                      # every page, 5 warm repeats each
    python benchmarks/load_harness.py --users 30 --think 3 --duration 90
    python benchmarks/load_harness.py --users 1 --floor --json out.json
    python benchmarks/load_harness.py --url http://127.0.0.1:8501 --server-pid 1234 --users 10
    python benchmarks/load_harness.py --class --users 60 --floor       # a live class on one process (SQLite)

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

* ``--class``: a live class. The harness creates a class in the app's database (a fresh SQLite file
  for the server it starts, or ``--database-url``), then ``--users`` students each open the class link
  (*join*: the page takes a seat and analyses the student's trial), think, and press "Submit my
  numbers" (*submit*, which must answer with its confirmation), while the instructor's dashboard runs
  every ``--poll`` seconds (*dashboard*). Each student sends its own ``walkback_route`` cookie, as a
  browser would, so a sticky proxy spreads them over processes. Afterwards: rows in the database,
  lost (students - rows), duplicates, the count the instructor's last poll showed and, per
  ``--check-url``, the count the dashboard shows on that process. Exit status 1 unless every count is
  complete and nothing failed. ``--floor`` runs the same students and polls against the one-chart app.

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


def start_server(script: str, cwd: Path, port: int, env: dict | None = None) -> subprocess.Popen:
    """``streamlit run SCRIPT --server.headless true --server.port PORT`` in its own process group."""
    cmd = [*streamlit_command(), "run", script, "--server.headless", "true", "--server.port", str(port)]
    # Log to a temporary file, not a pipe: an undrained pipe would block the server once full.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env=None if env is None else {**os.environ, **env})
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
def served(script: str, cwd: Path, startup_timeout: float, env: dict | None = None):
    """Start a server, yield (base_url, pid), always stop it."""
    port = free_port()
    proc = start_server(script, cwd, port, env)
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

    def __init__(self, base_url: str, timeout: float, msg_cache: bool = True, cookie: str | None = None) -> None:
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
        self.cookie = cookie  # a browser's cookie: what a sticky reverse proxy routes on
        self.query_string = ""  # as the page last set it (st.query_params), like the address bar
        self.buttons: dict[str, str] = {}  # widget id by user key (the id ends with "-KEY"), from the last run
        self.metrics: dict[str, str] = {}  # label -> value shown, from the last run
        self.alerts: list[tuple[int, str]] = []  # (Alert.Format, body) from the last run

    async def connect(self) -> None:
        # The frontend sends Sec-WebSocket-Protocol "streamlit[, xsrf token[, previous session id]]";
        # the token only matters for auth cookies, and the server selects the first entry.
        # No client pings (browsers send none); frames can be large (Plotly figures).
        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await asyncio.wait_for(
            websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                               open_timeout=self.timeout, additional_headers=headers),
            self.timeout)
        self.cached_hashes.clear()

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
            self.ws = None

    def _rerun_msg(self, page: Page | None, query: str = "", triggers: tuple[str, ...] = ()) -> bytes:
        back = BackMsg()
        state = back.rerun_script
        state.query_string = query
        if page is not None:
            state.page_script_hash = page.script_hash
            state.page_name = page.url_pathname
        state.cached_message_hashes.extend(sorted(self.cached_hashes))
        path = page.url_pathname if page is not None else ""
        state.context_info.url = f"{self.http_url}/{path}"
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-GB"
        state.widget_states.SetInParent()
        for widget_id in triggers:  # a button click (widgets left out keep their defaults)
            state.widget_states.widgets.add(id=widget_id, trigger_value=True)
        return back.SerializeToString()

    async def visit(self, page: Page | None, query: str = "", click: str | None = None, label: str | None = None) -> Visit:
        """Run one page; never raises for protocol-level failures (they become ``Visit.error``).

        ``query``: the address bar's query string; ``click``: the user key of a button (seen in the last run) to
        press; ``label``: how the visit is reported (default the page's path).
        """
        label = label or (page.label if page is not None else "/")
        visit = Visit(page=label, seconds=float("nan"), started=time.monotonic())
        start = time.perf_counter()
        triggers = (self.buttons[click],) if click is not None and click in self.buttons else ()
        self.metrics, self.alerts = {}, []
        try:
            if click is not None and not triggers:
                raise VisitError(f"no button {click!r} in the last run")
            if self.ws is None:
                await self.connect()
            await self.ws.send(self._rerun_msg(page, query, triggers))
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
            element = msg.delta.new_element if msg.delta.WhichOneof("type") == "new_element" else None
            kind_of = element.WhichOneof("type") if element is not None else None
            if kind_of == "exception":
                visit.exceptions += 1
                exc = element.exception
                visit.exception_kinds = (*visit.exception_kinds, f"{exc.type}: {exc.message}"[:160])
            elif kind_of == "button":
                self.buttons[element.button.id.rsplit("-", 1)[-1]] = element.button.id
            elif kind_of == "metric":
                self.metrics[element.metric.label] = element.metric.body
            elif kind_of == "alert":
                self.alerts.append((element.alert.format, element.alert.body))
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
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


# --------------------------------------------------------------------------------------------
# A live class: students join and submit, the instructor polls (--class)
# --------------------------------------------------------------------------------------------

CLASS_PAGE = "live-class"
#: The cookie a sticky reverse proxy routes on (deploy/nginx-lecture-hall.conf); a browser keeps one per student.
ROUTE_COOKIE = "walkback_route"
SUCCESS_ALERT = 4  # Alert.Format.SUCCESS


def create_class(database_url: str, seed: int) -> tuple[str, str]:
    """Start a class in the app's database, as the instructor's "Start the class" does: (code, instructor token)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from analysis.io.live_class import ClassStore
    from analysis.model.default import default_scenario
    from analysis.studies.live_class import LiveClassPlan

    store = ClassStore(database_url)
    try:
        new = store.create_class(LiveClassPlan(default_scenario(), seed, ("adherence.never_start", (0.05, 0.2, 0.4))))
        return new.code, new.instructor_token
    finally:
        store.dispose()


def stored_count(database_url: str, code: str, token: str) -> int:
    from analysis.io.live_class import ClassStore

    store = ClassStore(database_url)
    try:
        return store.count(code, token)
    finally:
        store.dispose()


async def class_student(index: int, base_url: str, page: Page, code: str, args: argparse.Namespace,
                        visits: list[Visit], floor: bool) -> bool:
    """Open the class link (join: a seat and a trial), think, press "Submit my numbers"; True when it says so."""
    rng = random.Random(args.seed * 1000 + index)
    await asyncio.sleep(rng.uniform(0, args.ramp))
    session = Session(base_url, args.timeout, not args.no_msg_cache, cookie=f"{ROUTE_COOKIE}=student-{index}")
    try:
        join = await session.visit(page, query=f"class={code}", label="join")
        join.user = index
        errors = [body for kind, body in session.alerts if kind == 1]
        if join.error is None and errors:
            join.error = f"the page said: {errors[0][:120]}"
        visits.append(join)
        if join.error is not None:
            return False
        await asyncio.sleep(rng.uniform(0, 2 * args.think) if args.think else 0)
        submit = await session.visit(page, query=session.query_string or f"class={code}",
                                     click=None if floor else "live_submit", label="submit")
        submit.user = index
        if submit.error is None and not floor and not any(kind == SUCCESS_ALERT for kind, _ in session.alerts):
            submit.error = f"no confirmation (alerts: {[body[:80] for _, body in session.alerts]})"
        visits.append(submit)
        return submit.error is None
    finally:
        await session.close()


async def instructor_view(base_url: str, page: Page, code: str, token: str, timeout: float,
                          cookie: str = f"{ROUTE_COOKIE}=instructor") -> tuple[Visit, int | None]:
    """One run of the dashboard: (visit, the "Submitted" count it shows)."""
    session = Session(base_url, timeout, cookie=cookie)
    try:
        visit = await session.visit(page, query=f"class={code}&teach={token}", label="dashboard")
        shown = session.metrics.get("Submitted")
        return visit, int(shown) if shown is not None and shown.isdigit() else None
    finally:
        await session.close()


async def class_load(base_url: str, page: Page, code: str, token: str, args: argparse.Namespace,
                     floor: bool = False) -> tuple[list[Visit], int, int | None]:
    """``args.users`` students join and submit while the instructor polls every ``args.poll`` s.

    Returns (visits, students whose submission was confirmed, the count on the instructor's last poll).
    """
    visits: list[Visit] = []
    done = asyncio.Event()

    async def instructor() -> int | None:
        shown = None
        while True:
            finished = done.is_set()
            if floor:
                session = Session(base_url, args.timeout)
                visit = await session.visit(page, label="dashboard")
                await session.close()
            else:
                visit, shown = await instructor_view(base_url, page, code, token, args.timeout)
            visits.append(visit)
            if finished:
                return shown
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), args.poll)

    poller = asyncio.create_task(instructor())
    students = [asyncio.create_task(class_student(i, base_url, page, code, args, visits, floor))
                for i in range(args.users)]
    confirmed = await asyncio.gather(*students)
    done.set()
    shown = await poller
    return visits, sum(confirmed), shown


def class_summary(visits: list[Visit], label: str, wall: float, rss: float | None) -> dict:
    summary = summarise(visits, ["join", "submit", "dashboard"])
    summary.update(label=label, pages_discovered=1, pages_visited=1, wall_seconds=wall, peak_rss_mib=rss, visits=[
        {"user": v.user, "page": v.page, "t": round(v.started, 4), "seconds": None if v.error else round(v.seconds, 4),
         "error": v.error} for v in visits])
    return summary


def measure_class(base_url: str, pid: int | None, args: argparse.Namespace, database_url: str | None,
                  label: str = "app") -> dict:
    """The class load against a server; with ``database_url`` also the rows the database holds afterwards."""
    pages = asyncio.run(discover_pages(base_url, args.timeout))
    floor = database_url is None
    page = pages[0] if floor else next((p for p in pages if p.url_pathname == CLASS_PAGE), None)
    if page is None:
        raise SystemExit(f"the app has no page /{CLASS_PAGE}")
    code, token = ("", "") if floor else create_class(database_url, args.seed)
    started = time.monotonic()
    with RssSampler(pid) as rss:
        visits, confirmed, shown = asyncio.run(class_load(base_url, page, code, token, args, floor))
    summary = class_summary(visits, label, time.monotonic() - started, rss.peak_mib)
    if not floor:
        stored = stored_count(database_url, code, token)
        checks = {}
        for url in args.check_url or []:  # every process of a lecture hall must show the whole class
            checks[url] = asyncio.run(instructor_view(url.rstrip("/"), page, code, token, args.timeout))[1]
        summary["class"] = {"students": args.users, "confirmed": confirmed, "stored": stored,
                            "lost": args.users - stored, "duplicates": max(0, stored - args.users),
                            "instructor_count": shown, "instructor_counts_by_url": checks}
    return summary


def class_markdown(app: dict, floor: dict | None) -> str:
    head = "| page run | n | p50 s | p95 s | max s | errors |" + (" p50 / floor | p95 / floor |" if floor else "")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, s in [*app["pages"].items(), ("**all**", {**app["overall"], "errors": app["errors"]})]:
        row = f"| {name} | {s['n']} | {_fmt(s['p50'])} | {_fmt(s['p95'])} | {_fmt(s['max'])} | {s['errors']} |"
        if floor:
            f = floor["overall"]
            row += (f" {s['p50'] / f['p50']:.1f}x |" if s["p50"] and f["p50"] else " - |")
            row += (f" {s['p95'] / f['p95']:.1f}x |" if s["p95"] and f["p95"] else " - |")
        lines.append(row)
    c = app["class"]
    lines += ["", f"students {c['students']}, confirmed {c['confirmed']}, rows in the database {c['stored']}, "
                  f"lost {c['lost']}, duplicates {c['duplicates']}, the instructor's last poll showed "
                  f"{c['instructor_count']}; errors {app['errors']}"
              + (f" ({'; '.join(app['error_kinds'][:3])})" if app["error_kinds"] else "")
              + f", exceptions {app['exceptions']}, wall {app['wall_seconds']:.0f} s, server peak RSS "
              + ("n/a" if app["peak_rss_mib"] is None else f"{app['peak_rss_mib']:.0f} MiB")]
    for url, count in c["instructor_counts_by_url"].items():
        lines.append(f"instructor view at {url}: {count}")
    if floor:
        f = floor["overall"]
        lines += ["", f"floor (a one-chart app, same students and polls): p50 {_fmt(f['p50'])} s, p95 {_fmt(f['p95'])} s, "
                      f"max {_fmt(f['max'])} s, errors {floor['errors']}"]
    return "\n".join(lines)


def class_failed(app: dict) -> bool:
    c = app["class"]
    return bool(app["errors"] or app["exceptions"] or c["lost"] or c["duplicates"] or c["confirmed"] != c["students"]
                or c["instructor_count"] != c["students"]
                or any(v != c["students"] for v in c["instructor_counts_by_url"].values()))


def run_class(args: argparse.Namespace) -> dict:
    if args.url:
        wait_healthy(args.url.rstrip("/"), args.startup_timeout)
        app = measure_class(args.url.rstrip("/"), args.server_pid, args, args.database_url)
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="walkback-class-"))
        database_url = args.database_url or f"sqlite:///{data_dir / 'live_class.sqlite3'}"
        try:
            with served(APP_SCRIPT, ROOT, args.startup_timeout, env={"WALKBACK_DATABASE_URL": database_url}) as (
                    base_url, pid):
                app = measure_class(base_url, pid, args, database_url)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    result = {"scenario": f"live class: {args.users} students join and submit (think up to {2 * args.think:g} s, "
                          f"ramp {args.ramp:g} s), the instructor polls every {args.poll:g} s",
              "load_average": os.getloadavg(), "app": app}
    if args.floor:
        floor_dir = Path(tempfile.mkdtemp(prefix="walkback-floor-"))
        try:
            (floor_dir / "floor_app.py").write_text(FLOOR_APP)
            with served("floor_app.py", floor_dir, args.startup_timeout) as (base_url, pid):
                result["floor"] = measure_class(base_url, pid, args, None, label="floor")
        finally:
            shutil.rmtree(floor_dir, ignore_errors=True)
    return result


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
    p.add_argument("--ramp", type=float, default=None,
                   help="--users N: users start uniformly within this many s (default 5; --class: 30, a class "
                        "opening the link over half a minute)")
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
    p.add_argument("--class", dest="live_class", action="store_true",
                   help="a live class: --users students join and submit on the Live class page, the instructor polls")
    p.add_argument("--poll", type=float, default=2.0, help="--class: seconds between the instructor's dashboard runs")
    p.add_argument("--database-url", help="--class: the app's class database (needed with --url; default: a new "
                                          "SQLite file for the server the harness starts)")
    p.add_argument("--check-url", action="append", metavar="URL",
                   help="--class: after the load, the instructor view on this server must count every student "
                        "(repeatable: each process of a lecture hall)")
    args = p.parse_args(argv)
    if args.users < 1 or args.repeats < 1 or args.duration <= 0 or args.timeout <= 0:
        p.error("--users, --repeats, --duration and --timeout must be positive")
    if args.url and urllib.parse.urlsplit(args.url).hostname != HOST:
        p.error(f"--url must point at {HOST}")
    if args.live_class and args.url and not args.database_url:
        p.error("--class with --url needs --database-url (the class is created in the app's database)")
    if args.poll <= 0:
        p.error("--poll must be positive")
    if args.ramp is None:
        args.ramp = 30.0 if args.live_class else 5.0
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
        result = run_class(args) if args.live_class else run(args)
    except KeyboardInterrupt:
        print("interrupted; server stopped", file=sys.stderr)
        return 130
    if args.live_class:
        print(f"## Server time per page run: {result['scenario']}\n"
              f"load average at the end: {', '.join(f'{x:.2f}' for x in result['load_average'])}\n\n"
              + class_markdown(result["app"], result.get("floor")))
    else:
        print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    if args.live_class:
        return 1 if class_failed(result["app"]) else 0
    return 1 if result["app"]["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
