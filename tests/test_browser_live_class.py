"""Real-browser tier for the live class: two students in their own browser contexts submit, and the instructor's
dashboard, open all along, shows both without a reload. Screenshots of both views at 1400 and 800 px wide and on a
1920x1080 projector go to ``artifacts/screenshots/live_*.png`` for a human to look at."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analysis.io.live_class import ClassStore
from analysis.studies.live_class import LiveClassPlan, Submission
from live_servers import free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app as `make app` runs it, with its class database in a temporary SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite3'}"
    port = free_port()
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "WALKBACK_DATABASE_URL": url}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "streamlit"), "run", str(ROOT / "app_support" / "serve.py"),
             "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    store = ClassStore(url)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "streamlit did not become healthy"
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", store
    finally:
        store.dispose()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# The browser is conftest's session fixture: a second sync_playwright() in the same process while the first
# is running fails ("Sync API inside the asyncio loop"), which is what happened when this module ran after
# test_browser.py.


def _settled(page, timeout_ms: int = 90_000) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms)
    page.wait_for_timeout(500)


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in page.locator("body").inner_text()


def _submitted(page) -> str:
    metric = page.locator("[data-testid='stMetric']", has_text="Submitted").first
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


def _shoot(page, name: str, width: int, height: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(1200)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.slow
def test_two_students_submit_and_the_instructor_sees_both_without_reload(served, browser, walkback):
    base, store = served
    new = store.create_class(LiveClassPlan(walkback, 11, ("adherence.never_start", (0.0, 0.3))))
    teacher = browser.new_context(viewport={"width": 1920, "height": 1080})
    dashboard = teacher.new_page()
    dashboard.goto(f"{base}/live-class?class={new.code}&teach={new.instructor_token}")
    _settled(dashboard)
    _no_exception(dashboard)
    assert _submitted(dashboard) == "0"
    students = []
    for name in ("Ada", "<i>Grace</i>"):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/live-class?class={new.code}")
        _settled(page)
        _no_exception(page)
        page.get_by_label("Your name (optional, shown to the class)").fill(name)
        page.get_by_role("button", name="Submit my numbers").click()
        page.wait_for_selector("text=Submitted", timeout=60_000)
        students.append((context, page))
    # The dashboard was never reloaded: its fragment polls the database every few seconds.
    dashboard.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stMetric']\")].some(m => m.innerText.includes('Submitted')"
        " && m.querySelector(\"[data-testid='stMetricValue']\").innerText.trim() === '2')", timeout=30_000)
    assert _submitted(dashboard) == "2"
    _no_exception(dashboard)
    grid = dashboard.locator("[data-testid='stDataFrame']")
    assert grid.count() == 0 or "<i>" not in dashboard.locator("body").inner_html().split("stDataFrame")[0]

    # A fuller class for the screenshots: 40 more students through the library, then the truth revealed.
    rng = random.Random(3)
    for i in range(40):
        seat = store.join(new.code)
        hr = rng.lognormvariate(-0.33, 0.09)
        width = rng.uniform(1.2, 1.3)
        store.submit(new.code, seat.token, Submission(hr, hr / width, hr * width, rng.uniform(0.0001, 0.3), 110.0,
                                                      200.0, name=f"Student {i}",
                                                      answer="Chance: a trial is one draw." if i % 5 == 0 else ""))
    dashboard.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stMetricValue']\")].some(v => v.innerText.trim() === '42')",
        timeout=30_000)
    _shoot(dashboard, "live_dashboard_1920", 1920, 1080)
    dashboard.get_by_role("button", name="Reveal truth").click()
    _settled(dashboard)
    dashboard.wait_for_timeout(1500)
    _shoot(dashboard, "live_dashboard_revealed_1920", 1920, 1080)
    _shoot(dashboard, "live_dashboard_1400", 1400, 1800)
    _shoot(dashboard, "live_dashboard_800", 800, 2400)
    context, student = students[1]
    student.wait_for_selector("text=The truth of your trial", timeout=30_000)  # revealed without a reload
    _shoot(student, "live_student_1400", 1400, 1600)
    _shoot(student, "live_student_800", 800, 2200)
    _shoot(student, "live_student_1920", 1920, 1080)
    for context, _ in students:
        context.close()
    teacher.close()
