"""Keyboard use of the trial counts in a real browser (issue #23, finding 11).

Every "how many trials" choice (Design, How sure, the clinic and test panels, group-sequential, Estimands' replicates)
is a row of buttons (``app_support.widgets.trial_count``), not a select-slider: on a slider each arrow key on the way
from 200 to 1,000 started a Monte Carlo run of its own; here arrow keys only move the focus (which is drawn) and
Enter commits one value, one run.
"""

from __future__ import annotations

import pytest

from browser_harness import assert_no_exception, wait_for_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNT_RUNS_JS = """() => { const app = document.querySelector("[data-testid='stApp']"); window.__runs = 0;
  new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.__runs++; })
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""


@pytest.mark.parametrize("path, label", [("how-sure", "Simulated trials per prior"),
                                         ("design", "Simulated trials per point")])
def test_arrow_keys_move_focus_and_enter_commits_one_run(server, browser, path, label):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{server}/{path}")
        wait_for_run(page, timeout_ms=120_000)
        page.evaluate(COUNT_RUNS_JS)
        group = page.locator("[data-testid='stButtonGroup']", has_text=label).first
        before = group.get_by_role("radio", checked=True).inner_text()
        group.get_by_role("radio", checked=True).focus()
        for _ in range(2):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(400)  # longer than Streamlit's slider debounce: a slider would have run by now
        focused = page.evaluate("document.activeElement.innerText")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                                "getComputedStyle(document.activeElement).boxShadow")
        assert page.evaluate("window.__runs") == 0, "an arrow key ran the page"
        assert focused != before and group.get_by_role("radio", checked=True).inner_text() == before
        assert outline.split()[0] != "none" or "rgb" in outline, f"no visible focus on '{focused}': {outline}"
        page.keyboard.press("Enter")
        page.wait_for_function("() => window.__runs >= 1", timeout=10_000)
        wait_for_run(page, timeout_ms=180_000)
        assert_no_exception(page)
        assert page.evaluate("window.__runs") == 1
        assert group.get_by_role("radio", checked=True).inner_text() == focused
    finally:
        context.close()
