"""A keyboard user moving a slider: how many page runs five arrow keys cost, and how long until the page is settled.

A benchmark, not a test: ``python benchmarks/bench_slider_keys.py [--root CHECKOUT] [--url URL] [--page estimands]
[--slider "Healthy-adherer correlation"] [--keys 5] [--gap-ms 250] [--apply "Apply these settings"]``.

Starts the app from ``--root`` as ``make app`` does (unless ``--url``), opens the page, focuses the slider's thumb
and presses ArrowRight ``--keys`` times, ``--gap-ms`` apart (someone stepping to a value). With ``--apply`` the
named button is then clicked (a form: the value is committed once). A MutationObserver on the app's
``data-test-script-state`` counts the runs; the time is from the first key to the last run's end (waited for until
the page has been quiet for 2 s, the quiet not counted). Prints one Markdown row.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "tests"))

import browser_harness as h  # noqa: E402

OBSERVE_JS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  const wb = window.__keys = {runs: [], t0: performance.now()};
  let state = app.getAttribute('data-test-script-state');
  new MutationObserver(() => {
    const s = app.getAttribute('data-test-script-state');
    if (s !== state) { state = s; wb.runs.push([s, performance.now()]); }
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def measure(page, url: str, path: str, slider: str, keys: int, gap_ms: int, apply: str | None) -> dict:
    page.goto(f"{url}/{path}")
    h.wait_for_run(page, timeout_ms=180_000)
    page.evaluate(OBSERVE_JS)
    thumb = page.get_by_role("slider", name=slider).first
    thumb.focus()
    start = page.evaluate("() => performance.now()")
    for _ in range(keys):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(gap_ms)
    if apply:
        page.get_by_role("button", name=apply).click()
    quiet_since = time.monotonic()
    seen = 0
    while time.monotonic() - quiet_since < 2.0:  # settled: no new script-state change for 2 s
        runs = page.evaluate("() => window.__keys.runs.length")
        if runs != seen:
            seen, quiet_since = runs, time.monotonic()
        page.wait_for_timeout(100)
    h.wait_for_run(page)
    runs = page.evaluate("() => window.__keys.runs")
    started = sum(1 for state, _ in runs if state == "running")
    ends = [t for state, t in runs if state == "notRunning"]
    return {"runs": started, "seconds": ((max(ends) - start) / 1000) if ends else 0.0,
            "value": thumb.get_attribute("aria-valuetext") or thumb.get_attribute("aria-valuenow")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE)
    parser.add_argument("--url")
    parser.add_argument("--page", default="estimands")
    parser.add_argument("--slider", default="Healthy-adherer correlation")
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--gap-ms", type=int, default=250)
    parser.add_argument("--apply", help="button that commits the value (a form), clicked after the keys")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    proc, url = None, args.url
    if url is None:
        h.ROOT = args.root.resolve()
        port = h.free_port()
        proc = h.start_server(port)
        h.wait_healthy(port, proc, timeout=240)
        url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=h.CHROMIUM, args=h.CHROMIUM_ARGS)
            try:
                for _ in range(args.repeats):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    try:
                        rows.append(measure(context.new_page(), url, args.page, args.slider, args.keys, args.gap_ms,
                                            args.apply))
                    finally:
                        context.close()
            finally:
                browser.close()
    finally:
        if proc is not None:
            h.stop_server(proc)
    seconds = sorted(r["seconds"] for r in rows)
    print("| page | slider | keys | runs per repeat | median s (first key to last run's end) | value reached |")
    print("|---|---|---|---|---|---|")
    print(f"| /{args.page} | {args.slider} | {args.keys} x ArrowRight{' + ' + args.apply if args.apply else ''} | "
          f"{', '.join(str(r['runs']) for r in rows)} | {seconds[len(seconds) // 2]:.2f} | {rows[-1]['value']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
