"""The notebooks run end to end (small Monte Carlo settings), are committed without outputs and copy no helpers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["01_reproduce_walkback.ipynb", "02_adherence_and_dose.ipynb", "03_design_follow_up_trial.ipynb"]


def test_the_three_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs"
    assert book.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_import_analysis_and_define_no_helpers(path):
    book = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "from analysis" in code or "import analysis" in code
    # Helpers live in the library: no function or class definitions in a notebook.
    assert "\ndef " not in "\n" + code and "\nclass " not in "\n" + code
    assert "WALKBACK_SMALL" in code


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A "python3" kernel spec that runs *this* interpreter, whatever kernels the machine has installed."""
    pytest.importorskip("ipykernel")
    jupyter_path = tmp_path_factory.mktemp("jupyter")
    spec_dir = jupyter_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (tests)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return {
        "JUPYTER_PATH": str(jupyter_path),  # searched before the user and system kernel folders
        "JUPYTER_PLATFORM_DIRS": "1",  # silences jupyter_core's migration DeprecationWarning
        "WALKBACK_SMALL": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, kernel_env, monkeypatch):
    from nbclient import NotebookClient

    for key, value in kernel_env.items():
        monkeypatch.setenv(key, value)
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, kernel_name="python3", timeout=600, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"
                and "Traceback" in o.text]
