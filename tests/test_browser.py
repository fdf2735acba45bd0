"""Real-browser tier: Playwright drives Debian's chromium through the running app.

Starts ``streamlit run app_support/serve.py`` (what ``make app`` runs: app.py, warmed up) on a free port, visits every page, waits for each script run to
finish, checks that no exception is shown, downloads a cohort, and saves screenshots to
``artifacts/screenshots/`` for a human to look at.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
PAGES = {  # URL path -> page title; the default page lives at the root URL
    "": "The WalkBack trial",
    "survival": "Survival curves",
    "adherence": "Adherence and walking dose",
    "replicates": "Replicates",
    "scenario": "Scenario",
    "data": "Data",
    "methods": "Methods",
}
OPTIONAL = {"estimands": "estimands.py", "design": "design_trial.py"}

if not os.path.exists(CHROMIUM):
    pytest.skip(f"real-browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOG = ROOT / "artifacts" / "streamlit-browser-test.log"


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    LOG.parent.mkdir(parents=True, exist_ok=True)
    # A file, not a pipe: a pipe nobody reads would eventually block the server.
    with open(LOG, "wb") as log:
        return subprocess.Popen(
            # What `make app` runs: app.py behind the warm-up launcher.
            # the `streamlit` script itself, not `python -m streamlit` (which would put the checkout on sys.path)
            [str(Path(sys.executable).parent / "streamlit"), "run", str(ROOT / "app_support" / "serve.py"),
             "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{LOG.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not become healthy in time")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def wait_for_run(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app's script run has finished and the page has settled."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget'] [data-testid='stStatusWidgetRunningIcon']\")"
        " && !document.querySelector(\"[data-testid='stSkeleton']\")", timeout=timeout_ms)
    page.wait_for_timeout(400)  # plotly draws after the run completes


def full_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its main container, so grow the viewport to the content, then shoot."""
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\")?.scrollHeight || 1000")
    page.set_viewport_size({"width": 1440, "height": int(min(max(height, 1000), 7000))})
    page.wait_for_timeout(600)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']").first.inner_text()
    body = page.locator("body").inner_text()
    assert "Traceback" not in body


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_server(port)
    try:
        wait_healthy(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.mark.slow
def test_every_page_renders_in_a_real_browser(server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = dict(PAGES)
    for path, file in OPTIONAL.items():
        if (ROOT / "app_pages" / file).is_file():
            pages[path] = None
    for path, title in pages.items():
        page.goto(f"{server}/{path}")
        wait_for_run(page)
        if path == "replicates":  # let the background run finish and the results draw
            page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
            wait_for_run(page)
        assert_no_exception(page)
        if title:
            assert page.locator("h1").first.inner_text().strip() == title
        full_screenshot(page, SHOTS / f"{path or 'trial'}.png")


@pytest.mark.slow
def test_download_cohort_csv(server, page):
    page.goto(f"{server}/data")
    wait_for_run(page)
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Cohort (CSV)").click()
    download = info.value
    target = ROOT / "artifacts" / "downloads" / download.suggested_filename
    target.parent.mkdir(parents=True, exist_ok=True)
    download.save_as(str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 701
    assert {"participant_id", "arm", "time_days", "recurrence"} <= set(rows[0])
    assert {r["arm"] for r in rows} == {"control", "intervention"}
    assert target.name.endswith(".csv")


@pytest.mark.slow
def test_shared_link_reproduces_the_view_and_bad_link_is_explained(server, page):
    page.goto(f"{server}/adherence?ns=0.4&seed=3")
    wait_for_run(page)
    assert_no_exception(page)
    assert "ns=0.4" in page.url
    full_screenshot(page, SHOTS / "adherence_link.png")
    page.goto(f"{server}/?ns=banana")
    wait_for_run(page)
    assert_no_exception(page)
    assert "could not be used" in page.locator("[data-testid='stAlert']").first.inner_text()
    page.screenshot(path=str(SHOTS / "bad_link.png"), full_page=False)


@pytest.mark.slow
def test_navigation_keeps_the_scenario(server, page):
    page.goto(f"{server}/scenario?ma=0.5")
    wait_for_run(page)
    page.get_by_role("link", name="Survival curves").click()
    wait_for_run(page)
    assert_no_exception(page)
    assert "ma=0.5" in page.url


def test_chromium_is_the_debian_build():
    assert shutil.which("chromium") or os.path.exists(CHROMIUM)
