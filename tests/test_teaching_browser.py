"""Real-browser journeys for the teaching features: a student reads the lesson and draws another trial; an
analyst downloads the trial page's script, runs it, and gets the numbers the page shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from browser_harness import ROOT, SHOTS, assert_no_exception, full_screenshot, wait_for_run

pytestmark = pytest.mark.browser


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


@pytest.mark.slow
def test_student_reads_the_lesson_and_draws_another_trial(server, page):
    page.goto(f"{server}/lesson")
    wait_for_run(page, timeout_ms=120_000)
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == "A guided lesson: reading the WalkBack trial"
    assert [h.inner_text().strip()[:6] for h in page.locator("h2").all()][:5] == ["Step 1", "Step 2", "Step 3",
                                                                                 "Step 4", "Step 5"]
    first = _metric(page, "Hazard ratio, this trial")
    page.get_by_role("button", name="Draw another trial").click()
    page.wait_for_function(
        "(first) => [...document.querySelectorAll(\"[data-testid='stMetric']\")].some(m => "
        "m.innerText.includes('Hazard ratio, this trial') && !m.innerText.includes(first))", arg=first,
        timeout=60_000)
    wait_for_run(page)
    assert _metric(page, "Hazard ratio, this trial") != first
    SHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SHOTS / "lesson.png")


@pytest.mark.slow
def test_trial_page_script_reproduces_the_page(server, page, tmp_path):
    page.goto(f"{server}/")
    wait_for_run(page, timeout_ms=120_000)
    # the third card table (published, the model's expectation, then one simulated trial): its "Hazard ratio" cell
    shown_hr = page.locator("tr", has_text="Hazard ratio").nth(2).locator("td").nth(1).inner_text().strip()
    expected_hr = page.locator("tr", has_text="Hazard ratio").nth(1).locator("td").nth(1).inner_text().strip()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download as script").click()
    with zipfile.ZipFile(info.value.path()) as archive:
        archive.extractall(tmp_path)
    proc = subprocess.run([sys.executable, "walkback_trial.py"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    numbers = json.loads((tmp_path / "trial_numbers.json").read_text())
    assert f"{numbers['cox']['hr']:.2f}" == shown_hr
    assert f"{numbers['expected']['cox_hr']:.2f}" == expected_hr
