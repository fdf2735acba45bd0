"""The real-browser tests' harness (not a test module): one app server and one chromium for the whole session.

Starts ``streamlit run app_support/serve.py`` (what ``make app`` runs: app.py, warmed up) on a free port; the
fixtures in ``conftest.py`` share it between every browser test module, so the suite pays the warm-up once.
"""

from __future__ import annotations

import os  # noqa: F401
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]



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
