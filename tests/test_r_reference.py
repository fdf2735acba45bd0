"""Every script under tests/r_reference/ still gives the committed numbers.

The tests of the estimators read the committed JSON (no R needed). Here each script is run again, in a
copy of the folder, and everything it writes must equal what is committed: JSON numbers to 1e-9
relative (the same R and packages give the same bits; the tolerance only absorbs a printing change),
every other file byte for byte, and nothing new appears. The R scripts run under the marker ``r``
(.ci/run installs R; without R the test fails in CI and is skipped elsewhere).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "r_reference"
R_SCRIPTS = sorted(p.name for p in REFERENCE.glob("*.R"))
PY_SCRIPTS = sorted(p.name for p in REFERENCE.glob("*.py"))


def _same(a, b, where="") -> list[str]:
    """Differences between two JSON values: numbers to 1e-9 relative, everything else exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(set(a) ^ set(b))} differ"]
        return [d for k in a if k != "meta" for d in _same(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} entries"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _same(x, y, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            return []
        return [f"{where}: {a!r} now, {b!r} committed"]
    return [] if a == b else [f"{where}: {a!r} now, {b!r} committed"]


def test_the_json_comparison_sees_a_changed_number():
    assert _same({"x": [1.0, 2.0]}, {"x": [1.0, 2.0 + 1e-12]}) == []
    assert _same({"x": [1.0, 2.0]}, {"x": [1.0, 2.001]}) and _same({"x": 1}, {"y": 1})


def _rerun(command: list[str], script: str, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(REFERENCE, root / "tests" / "r_reference")
    # scripts run from the repository root and may read the package data (episodes: the example cohort)
    shutil.copytree(ROOT / "analysis" / "data", root / "analysis" / "data")
    copy = root / "tests" / "r_reference"
    before = {p.relative_to(copy): p.stat().st_mtime_ns for p in copy.rglob("*") if p.is_file()}
    run = subprocess.run([*command, str(copy / script)], cwd=root, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    after = {p.relative_to(copy): p.stat().st_mtime_ns for p in copy.rglob("*") if p.is_file()}
    assert set(after) == set(before), f"{script} wrote files that are not committed: {set(after) - set(before)}"
    written = [name for name in after if after[name] != before[name]]
    assert written, f"{script} wrote nothing"
    problems = []
    for name in written:
        now, committed = copy / name, REFERENCE / name
        if name.suffix == ".json":
            problems += [f"{name}{d}" for d in _same(json.loads(now.read_text()), json.loads(committed.read_text()))]
        elif now.read_bytes() != committed.read_bytes():
            problems.append(f"{name}: bytes differ from the committed file")
    assert not problems, f"{script} no longer gives the committed numbers:\n" + "\n".join(problems[:20])


@pytest.mark.r
@pytest.mark.parametrize("script", R_SCRIPTS)
def test_r_script_still_gives_the_committed_numbers(script, tmp_path, rscript):
    _rerun([rscript], script, tmp_path)


@pytest.mark.parametrize("script", PY_SCRIPTS)
def test_python_data_script_still_gives_the_committed_data(script, tmp_path):
    _rerun([sys.executable], script, tmp_path)


def test_every_reference_script_is_rerun():
    assert R_SCRIPTS and {p.suffix for p in REFERENCE.iterdir() if p.is_file()} <= {".R", ".py", ".json"}
