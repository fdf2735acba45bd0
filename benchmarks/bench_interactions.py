"""Interaction latency in a real browser: from a widget change to the page redrawn (script done, charts drawn).

A benchmark, not a test: ``python benchmarks/bench_interactions.py [--repeats 5] [--json OUT] [--url URL]``.
It starts the app as ``make app`` does (``streamlit run app_support/serve.py`` from the repository root, so
``.streamlit/config.toml`` applies) unless ``--url`` points at a running server, drives Debian's chromium with
Playwright and prints a Markdown table (median, min, max and the first, usually cold, repeat) per interaction:

a. Adherence: "Never start the programme" slider, one step (arrow key on the thumb);
b. Adherence: dose-response shape, log-linear <-> saturating (Emax);
c. Survival: trial seed typed into the number input + Enter (a fresh seed each repeat);
d. Survival: another tab of the analysis details (Log-rank and Cox <-> Proportional hazards, both with a chart);
e. Survival: the "% recurred" display toggle;
f. Design: "Simulated trials per point" 100 <-> 200 (a click on the row of buttons);
g. Trial: "Draw another trial" (moves the app's seed on by one: a fresh trial each repeat);
h. Outcomes: trial seed typed + Enter (a fresh seed each repeat: a new trial with its episodes);
i. Cost-effectiveness: trial seed typed + Enter (a fresh seed: a new costed trial, its bootstrap, the tornado);
j. Cost-effectiveness: willingness-to-pay slider, one step (reads the study; nothing is re-simulated);
k. Design: seed typed + Enter with "Simulated trials per point" at 1,000 (a fresh seed each repeat: 8,000 trials).

Issue #23's target: every interaction's median within 0.3 s of the floor's median from the same run (the
"over floor" column), except k: a Monte Carlo run of 8,000 fresh trials, compute-bound (~0.5 ms per simulated
trial of 701 participants with adherence and walking dose; rpact's getSimulationSurvival, exponential times only,
~0.3 ms per trial in bench_design.py), which is timed to show its cost; its page answers at once with the formulas' curve and a progress bar.

Floor, measured in the same run with the same clock: a one-slider, one-``st.plotly_chart`` Streamlit app
(Streamlit + Plotly + chromium on this machine, nothing of ours).

How "redrawn" is detected (the clock is the page's ``performance.now()``):
- before each action the page's time is read; the action is done through Playwright (real key presses/clicks);
- a MutationObserver on ``[data-testid='stApp']`` logs every change of ``data-test-script-state``; the run is the
  first ``running`` at or after the action (waited for up to --start-timeout; a very fast run can go from
  notRunning to notRunning without the DOM ever showing ``running``, which is then recorded as "no run seen")
  followed by ``notRunning``;
- a second MutationObserver on the document records the last mutation inside (or adding/removing) any
  ``.js-plotly-plot``, and two ``requestAnimationFrame`` callbacks after it (i.e. the frame that shows it has been
  painted) stamp ``drawn``;
- the page is taken as settled once neither the script state nor any Plotly plot has changed for --quiet-ms; the
  latency is ``max(run finished, last Plotly draw + 2 frames) - action``. The quiet window is only waited for,
  never counted.
Slider keyboard moves include Streamlit's own debounce before the value is sent (users feel it too).
Each repeat is a real change. Seeds (c) and draws (g) are new every time, and the slider (a) always steps on to
a new value; the shape (b), the toggle (e), the tab (d) and trials per point (f) have only a few values, so they
alternate and repeats after the first may find the server's caches warm (the "first" column is the cold one).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_harness import APP_SCRIPT, served  # noqa: E402
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
APP_SELECTOR = "[data-testid='stApp']"

FLOOR_APP = """import plotly.graph_objects as go
import streamlit as st
st.title("Floor: one slider, one chart")
k = st.slider("Slope", 0, 100, 50)
st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[0, k / 100, 2 * k / 100])))
"""

# Installed once per page load; idempotent.
OBSERVE_JS = """() => {
  if (window.__wb) return;
  const app = document.querySelector("[data-testid='stApp']");
  const wb = window.__wb = {runs: [], lastPlot: 0, drawn: 0, stamp: 0};
  let state = app.getAttribute('data-test-script-state');
  new MutationObserver(() => {
    const s = app.getAttribute('data-test-script-state');
    if (s !== state) { state = s; wb.runs.push([s, performance.now()]); }
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const touchesPlot = (m) => {
    const t = m.target.nodeType === 1 ? m.target : m.target.parentElement;
    if (t && t.closest && t.closest('.js-plotly-plot')) return true;
    for (const list of [m.addedNodes, m.removedNodes]) {
      for (const n of list || []) {
        if (n.nodeType === 1 && (n.matches('.js-plotly-plot') || n.querySelector('.js-plotly-plot'))) return true;
      }
    }
    return false;
  };
  new MutationObserver((muts) => {
    if (!muts.some(touchesPlot)) return;
    wb.lastPlot = performance.now();
    const mine = ++wb.stamp;
    requestAnimationFrame(() => requestAnimationFrame(() => { if (mine === wb.stamp) wb.drawn = performance.now(); }));
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""

STATE_JS = f"() => document.querySelector(\"{APP_SELECTOR}\").getAttribute('data-test-script-state')"

SETTLED_JS = """([t0, quiet]) => {
  const wb = window.__wb, now = performance.now();
  const state = document.querySelector("[data-testid='stApp']").getAttribute('data-test-script-state');
  const lastState = wb.runs.length ? wb.runs[wb.runs.length - 1][1] : 0;
  return state === 'notRunning' && now - lastState > quiet && now - wb.lastPlot > quiet && wb.drawn >= wb.lastPlot;
}"""


@dataclass
class Interaction:
    key: str
    label: str
    path: str  # URL path of the page ("" = the default page)
    prepare: Callable  # (page) -> None: anything needed once before the repeats
    act: Callable  # (page, i) -> None: the i-th change


# The servers are started and stopped by the load harness's helper (one way to serve the app in benchmarks/).


# --------------------------------------------------------------------------- measuring
def settle(page, timeout_ms: int, quiet_ms: int) -> None:
    """Wait for a finished run with no Plotly drawing for quiet_ms (used for page loads, not measured)."""
    page.wait_for_selector(f"{APP_SELECTOR}[data-test-script-state='notRunning']", timeout=timeout_ms)
    page.evaluate(OBSERVE_JS)
    page.wait_for_function(SETTLED_JS, arg=[0, quiet_ms], timeout=timeout_ms, polling=50)


def measure(page, action: Callable[[], None], *, start_timeout_ms: int, timeout_ms: int, quiet_ms: int) -> dict:
    page.evaluate(OBSERVE_JS)
    t0 = page.evaluate("() => performance.now()")
    action()
    try:
        page.wait_for_function("t0 => window.__wb.runs.some(r => r[0] === 'running' && r[1] >= t0)", arg=t0,
                               timeout=start_timeout_ms, polling="raf")
        run_seen = True
    except Exception:  # playwright's TimeoutError: a very fast run (or none) never showed "running"
        run_seen = False
    page.wait_for_function(SETTLED_JS, arg=[t0, quiet_ms], timeout=timeout_ms, polling=50)
    wb = page.evaluate("() => window.__wb")
    runs_after = [(s, t) for s, t in wb["runs"] if t >= t0]
    finished = max((t for s, t in runs_after if s == "notRunning"), default=t0)
    drawn = wb["drawn"] if wb["lastPlot"] >= t0 else t0
    return {"seconds": (max(finished, drawn) - t0) / 1000, "run_seen": run_seen, "plot_redrawn": wb["lastPlot"] >= t0,
            "run_s": (finished - t0) / 1000}


# --------------------------------------------------------------------------- the interactions
def slider_thumb(page, label: str):
    return page.locator("[data-testid='stSlider']", has_text=label).get_by_role("slider").first


def key_on_thumb(label: str, keys: tuple[str, str]):
    def act(page, i: int) -> None:
        thumb = slider_thumb(page, label)
        thumb.focus()
        thumb.press(keys[i % 2])
    return act


def focus_only(label: str):
    def prepare(page) -> None:
        slider_thumb(page, label).focus()
    return prepare


def click_text(selector: str, texts: tuple[str, ...]):
    def act(page, i: int) -> None:
        page.locator(selector, has_text=texts[i % len(texts)]).first.click()
    return act


def type_seed(base: int, label: str = "Trial seed"):
    def act(page, i: int) -> None:
        box = page.locator("[data-testid='stNumberInput']", has_text=label).locator("input")
        box.fill(str(base + i))
        box.press("Enter")
    return act


def click_tab(page, i: int) -> None:
    # The two tabs that hold a chart: a switch always redraws one, so it is seen even when the fragment's run is too
    # fast to show "running" (a table-only tab would then leave no trace to time).
    names = ["Proportional hazards", "Log-rank and Cox"]
    page.get_by_role("tab", name=names[i % len(names)]).click()


def flip_toggle(label: str):
    def act(page, i: int) -> None:
        page.locator("[data-testid='stCheckbox']", has_text=label).first.locator("label").first.click()
    return act


def choose_trials(page, label: str, value: str) -> None:
    """Click one button of a trial-count row (app_support.widgets.trial_count)."""
    group = page.locator("[data-testid='stButtonGroup']", has_text=label).first
    group.get_by_role("radio", name=value, exact=True).click()


def design_nsims(page, i: int) -> None:
    choose_trials(page, "Simulated trials per point", "200" if i % 2 == 0 else "100")


def nothing(page) -> None:
    return None


def design_at_most_sims(page) -> None:
    """Trials per point to its largest value (1,000), once, before the timed seed changes."""
    measure(page, lambda: choose_trials(page, "Simulated trials per point", "1,000"), start_timeout_ms=3000,
            timeout_ms=600_000, quiet_ms=600)


INTERACTIONS = [
    # Always one step right: never-start 5% -> 6% -> ... -> 10%, every value new to the server's caches (moving
    # back and forth would time cache hits after the first two)
    Interaction("a", "Adherence: never-start slider, one step (new value)", "adherence", nothing,
                key_on_thumb("Never start the programme", ("ArrowRight", "ArrowRight"))),
    Interaction("b", "Adherence: shape log-linear <-> Emax", "adherence", nothing,
                click_text("button", ("Saturating (Emax)", "Log-linear"))),
    Interaction("c", "Survival: new seed (type + Enter)", "survival", nothing, type_seed(7_000_001)),
    Interaction("d", "Survival: analysis tab Cox <-> PH", "survival", nothing, click_tab),
    Interaction("e", "Survival: '% recurred' toggle", "survival", nothing, flip_toggle("% recurred")),
    Interaction("f", "Design: trials per point 100 <-> 200", "design", nothing, design_nsims),
    Interaction("g", "Trial: Draw another trial", "", nothing,
                lambda page, i: page.get_by_role("button", name="Draw another trial").click()),
    Interaction("h", "Outcomes: new seed (type + Enter)", "outcomes", nothing, type_seed(7_100_001)),
    Interaction("i", "Cost-effectiveness: new seed (type + Enter)", "cost-effectiveness", nothing, type_seed(7_200_001)),
    # 28k -> 50k -> 28k ...: two values, so repeats after the first two are the page's own work at cached inputs
    Interaction("j", "Cost-effectiveness: willingness-to-pay slider, one step", "cost-effectiveness", nothing,
                key_on_thumb("Willingness to pay", ("ArrowRight", "ArrowLeft"))),
    # 1,000 simulated trials at each of the curve's 8 sample sizes (4.5 million simulated participants) for a fresh
    # seed each repeat: the Monte Carlo itself, which no cache can serve
    Interaction("k", "Design: new seed at 1,000 trials per point", "design", design_at_most_sims,
                type_seed(7_300_001, "Seed")),
]
FLOOR = Interaction("floor", "Floor: 1 slider -> 1 st.plotly_chart", "", nothing,
                    key_on_thumb("Slope", ("ArrowRight", "ArrowLeft")))


def run_interaction(browser, url: str, inter: Interaction, repeats: int, args) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{url}/{inter.path}")
        settle(page, args.timeout * 1000, args.quiet_ms)
        inter.prepare(page)
        samples = []
        for i in range(repeats):
            samples.append(measure(page, lambda: inter.act(page, i), start_timeout_ms=args.start_timeout,
                                   timeout_ms=args.timeout * 1000, quiet_ms=args.quiet_ms))
        errors = page.locator("[data-testid='stException']").count()
    finally:
        context.close()
    secs = [s["seconds"] for s in samples]
    return {"key": inter.key, "label": inter.label, "samples": samples, "median": statistics.median(secs),
            "min": min(secs), "max": max(secs), "first": secs[0], "exceptions_on_page": errors,
            "runs_seen": sum(s["run_seen"] for s in samples), "plots_redrawn": sum(s["plot_redrawn"] for s in samples)}


#: Issue #23: each interaction's median within this many seconds of the floor's median (same run).
WITHIN_FLOOR = 0.3


#: Interactions that are a Monte Carlo run the user asked for (8,000 fresh trials): timed to show their cost, not held
#: to the floor (the page draws the formulas' curve and a progress bar at once and each simulated point as it lands).
MONTE_CARLO = {"k"}


def markdown(results: list[dict], repeats: int) -> str:
    floor = next((r["median"] for r in results if r["key"] == "floor"), float("nan"))
    lines = [f"| interaction | median s | floor s | over floor s (target <= {WITHIN_FLOOR}) | min s | max s | first s | "
             f"runs seen / plots redrawn (of {repeats}) |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        over = r["median"] - floor
        verdict = ("" if r["key"] == "floor" else " compute-bound, not a target" if r["key"] in MONTE_CARLO
                   else " ok" if over <= WITHIN_FLOOR else " OVER")
        lines.append(f"| {r['key']}. {r['label']} | {r['median']:.2f} | {floor:.2f} | {over:+.2f}{verdict} | {r['min']:.2f} | "
                     f"{r['max']:.2f} | {r['first']:.2f} | {r['runs_seen']} / {r['plots_redrawn']}"
                     + (f" · {r['exceptions_on_page']} exception(s) shown!" if r["exceptions_on_page"] else "") + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the samples here")
    parser.add_argument("--url", help="attach to a running app (e.g. http://127.0.0.1:8501) instead of starting one")
    parser.add_argument("--only", help="comma-separated interaction keys (a-k)")
    parser.add_argument("--quiet-ms", type=int, default=600, help="settled = no run and no Plotly drawing this long")
    parser.add_argument("--start-timeout", type=int, default=3000, help="ms to wait for a run to show 'running'")
    parser.add_argument("--timeout", type=int, default=240, help="s per interaction before giving up")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"needs Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    chosen = [i for i in INTERACTIONS if not args.only or i.key in args.only.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="walkback-bench-") as tmp, contextlib.ExitStack() as servers:
        # Started as `make app` starts it (streamlit run app_support/serve.py from the repository), always stopped.
        url = args.url.rstrip("/") if args.url else servers.enter_context(served(APP_SCRIPT, ROOT, 180))[0]
        (Path(tmp) / "floor.py").write_text(FLOOR_APP)
        floor_url = servers.enter_context(served("floor.py", Path(tmp), 180))[0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                results.append(run_interaction(browser, floor_url, FLOOR, args.repeats, args))
                for inter in chosen:
                    results.append(run_interaction(browser, url, inter, args.repeats, args))
                    print(f"  {inter.key}: median {results[-1]['median']:.2f} s", file=sys.stderr, flush=True)
            finally:
                browser.close()
    load = os.getloadavg()
    print(f"Widget change -> script finished and Plotly charts drawn, chromium {CHROMIUM} at 1400x1000, "
          f"{args.repeats} repeats each; load average at the start {load_before[0]:.2f} / {load_before[1]:.2f}, "
          f"at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
          f"on {os.cpu_count()} cores; server: {args.url or 'started here (app_support/serve.py)'}\n")
    print(markdown(results, args.repeats))
    if args.json:
        args.json.write_text(json.dumps({"repeats": args.repeats, "load_before": load_before, "load": load, "results": results}, indent=2))


if __name__ == "__main__":
    main()
