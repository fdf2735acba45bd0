"""The `walkback` command starts fast: building its parser and printing help load no numerical library.

Each case runs in a fresh interpreter (a subprocess, as a user starts the command) and reports which
heavy modules ended up in ``sys.modules``; importing pandas alone costs about a second here.
"""

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "lifelines", "plotly", "scipy", "numpy", "pyarrow", "dask")

PROBE = """
import contextlib, io, json, sys
argv = json.loads(sys.argv[1])
if argv is None:
    from analysis.cli.main import build_parser
    build_parser()
else:
    from analysis.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
print(json.dumps(sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)))
"""


def loaded_heavy_modules(argv, heavy=HEAVY):
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(heavy)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("argv", [None, ["--help"], ["simulate", "--help"], ["power", "--help"],
                                  ["calibrate", "--help"], ["analyze", "--help"], ["cea", "--help"],
                                  ["classroom", "--help"], ["scenario", "--help"],
                                  ["assurance", "--help"], ["design", "--help"]],
                         ids=lambda a: "build_parser" if a is None else " ".join(a))
def test_parser_and_help_load_no_numerical_library(argv):
    assert loaded_heavy_modules(argv) == []


def test_power_with_workers_leaves_pandas_and_scipy_stats_to_a_worker():
    """The main process forks its workers without pandas or scipy.stats (about a second of imports);
    one worker computes the analytic power, the others start simulating at once."""
    loaded = set(loaded_heavy_modules(["power", "--n-sims", "20", "--n", "60", "--workers", "2"],
                                      heavy=HEAVY + ("scipy.stats",)))
    assert "numpy" in loaded and not loaded & {"pandas", "scipy.stats", "lifelines", "plotly"}


def test_the_probe_sees_a_heavy_import():
    """The check above can fail: a command that does simulate loads numpy and pandas."""
    assert {"numpy", "pandas"} <= set(loaded_heavy_modules(["power", "--n-sims", "0", "--n", "100"]))
