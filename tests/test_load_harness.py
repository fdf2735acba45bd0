"""Smoke test of the websocket load harness (benchmarks/load_harness.py) against the real app.

Runs the harness as a user would, in a subprocess: it starts the app as ``make app`` does, discovers
the pages from Streamlit's navigation message and visits each once after a warm-up pass.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_harness_visits_every_page_without_errors(tmp_path):
    out = tmp_path / "harness.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load_harness.py"), "--users", "1", "--repeats", "1",
         "--timeout", "120", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    app = json.loads(out.read_text())["app"]
    assert app["pages_discovered"] >= 9
    assert app["errors"] == 0, app["error_kinds"]
    assert app["exceptions"] == 0
    assert all(page["n"] == 1 for page in app["pages"].values())
    assert "| **all pages** |" in proc.stdout
