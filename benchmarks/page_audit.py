"""Every page of the app, looked at: screenshots at three sizes, axe-core findings by impact, cut elements at 800 px.

Not a test (the browser tests assert; this writes what a person looks at):
``python benchmarks/page_audit.py [--root CHECKOUT] [--url URL] [--out artifacts/audit] [--pages trial,survival]``.

It starts the app as ``make app`` does (``streamlit run app_support/serve.py``) from ``--root`` (default: this
checkout; another checkout measures "before") unless ``--url`` points at a running server, and for each page of
the page registry (``app_support.pages.PAGES``):

- screenshots of the first screen at 1400x1000, 800x900 and 1920x1080 in ``OUT/screenshots/`` (an ignored folder);
- axe-core (bundled in ``axe-playwright-python``, no download) at 1400x1000: the count of findings (nodes) per
  impact, and the rules, in ``OUT/axe.json``;
- at 800x900, the elements cut by their box (``tests/layout_widths.js``, the check the browser tests assert).

Prints a Markdown table: page, critical, serious, moderate, minor, rules (serious and critical first), cut at 800 px.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "tests"))
sys.path.insert(0, str(HERE))

import browser_harness as h  # noqa: E402  (the tests' harness: one way to start and wait for the app)

SIZES = ((1400, 1000), (800, 900), (1920, 1080))
IMPACTS = ("critical", "serious", "moderate", "minor")


def audit_page(browser, url: str, path: str, out: Path, widths_js: str) -> dict:
    """Screenshots, axe counts and cut elements of one page."""
    from axe_playwright_python.sync_playwright import Axe

    row: dict = {"page": path}
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            page.goto(f"{url}/{path}")
            h.wait_for_run(page, timeout_ms=180_000)
            if path == "replicates":  # the background run draws its results after the first run
                page.wait_for_selector("[data-testid='stMetric']", timeout=120_000)
                h.wait_for_run(page)
            page.screenshot(path=str(out / "screenshots" / f"{path}_{width}x{height}.png"))
            if width == 1400:
                violations = Axe().run(page).response["violations"]
                counts = Counter()
                for v in violations:
                    counts[v["impact"]] += len(v["nodes"])
                row.update({impact: counts.get(impact, 0) for impact in IMPACTS})
                row["rules"] = sorted(((IMPACTS.index(v["impact"]), v["id"], len(v["nodes"])) for v in violations))
            if width == 800:
                row["cut"] = page.evaluate(widths_js)
        finally:
            context.close()
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="checkout whose app is served (default: this one)")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--out", type=Path, default=HERE / "artifacts" / "audit")
    parser.add_argument("--pages", help="comma-separated url paths (default: every page of the registry)")
    args = parser.parse_args(argv)
    from app_support.pages import PAGES
    from playwright.sync_api import sync_playwright

    paths = args.pages.split(",") if args.pages else [p.url_path for p in PAGES]
    (args.out / "screenshots").mkdir(parents=True, exist_ok=True)
    widths_js = (HERE / "tests" / "layout_widths.js").read_text()
    proc = None
    url = args.url
    if url is None:
        h.ROOT = args.root.resolve()  # start_server serves ROOT's app_support/serve.py from ROOT
        port = h.free_port()
        proc = h.start_server(port)
        h.wait_healthy(port, proc, timeout=240)
        url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=h.CHROMIUM, args=h.CHROMIUM_ARGS)
            try:
                for path in paths:
                    rows.append(audit_page(browser, url, path, args.out, widths_js))
                    print(f"audited /{path}", file=sys.stderr)
            finally:
                browser.close()
    finally:
        if proc is not None:
            h.stop_server(proc)
    (args.out / "axe.json").write_text(json.dumps(rows, indent=1))
    print("| page | critical | serious | moderate | minor | rules (nodes) | cut at 800 px |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        rules = ", ".join(f"{rule} ({n})" for _, rule, n in r["rules"]) or "none"
        cut = "; ".join(f"{kind} '{label}'" for kind, label, *_ in r["cut"]) or "none"
        print(f"| /{r['page']} | {r['critical']} | {r['serious']} | {r['moderate']} | {r['minor']} | {rules} | {cut} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
