"""The house rules of ARCHITECTURE.md, checked: layers import only the layers before them, no module
imports another module's private names, the library never imports Streamlit, and a wheel installs
and runs outside the source tree."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "analysis"

#: subpackage -> subpackages (and top-level modules) it may import. Data flows one way.
ALLOWED = {
    "errors": set(),
    "formats": set(),
    "trial": {"errors"},
    "model": {"trial", "errors"},
    "simulate": {"model", "trial", "errors"},
    "stats": {"io", "errors", "formats"},
    "design": {"errors"},  # pure computations (boundaries, spending, events): no simulator, no model
    "studies": {"trial", "model", "simulate", "stats", "io", "errors", "design"},  # io: classroom writes its class set with the export functions
    "io": {"trial", "model", "simulate", "studies", "errors"},
    "plots": {"trial", "model", "stats", "studies", "design", "errors", "formats"},
    "cli": {"trial", "model", "simulate", "stats", "studies", "design", "io", "plots", "errors", "formats"},
}


def _modules():
    for path in sorted(LIBRARY.rglob("*.py")):
        parts = path.relative_to(LIBRARY).with_suffix("").parts
        yield path, parts


def _imports(path: Path, parts: tuple[str, ...]):
    """(absolute module, imported names) for every ``from analysis... import`` in a file."""
    package = ["analysis", *parts[:-1]] if parts[-1] != "__init__" else ["analysis", *parts[:-1]]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] == "analysis":
                yield module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ("analysis", "streamlit", "app_support", "app_pages"):
                    yield alias.name, []


def test_each_layer_imports_only_the_layers_before_it():
    wrong = []
    for path, parts in _modules():
        if len(parts) == 1 or parts[0] not in ALLOWED:  # analysis/__init__.py, __main__.py: the public face
            continue
        layer = parts[0]
        for module, _ in _imports(path, parts):
            target = module.split(".")
            if target[0] != "analysis" or len(target) < 2:
                continue
            other = target[1]
            if other != layer and other not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_private_names_of_another():
    wrong = []
    for path, parts in _modules():
        own = ".".join(["analysis", *parts])
        for module, names in _imports(path, parts):
            for name in names:
                if name.startswith("_") and module != own:
                    wrong.append(f"{path.relative_to(ROOT)}: from {module} import {name}")
    assert not wrong, "\n".join(wrong)


def test_library_never_imports_streamlit_or_the_app():
    for path, parts in _modules():
        for module, _ in _imports(path, parts):
            assert module.split(".")[0] not in ("streamlit", "app_support", "app_pages"), path
    # and at run time, importing every module leaves Streamlit unloaded
    code = ("import pkgutil, importlib, sys, analysis\n"
            "for m in pkgutil.walk_packages(analysis.__path__, 'analysis.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('streamlit', 'app_support', 'app_pages')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path):
    """`pip install` of the built wheel (not editable), then `walkback` from another folder: the published
    figures and the calibrated default must come from inside the package, not from the checkout."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, text=True)
    wheel = next(wheels.glob("walkback_explorer-*.whl"))
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # Dependencies come from this test environment's site-packages (a plain path: its .pth files, including
    # the editable install's, are not processed), so only the wheel can provide `analysis`.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "test_dependencies.pth").write_text("\n".join(deps) + "\n")
    # --ignore-installed: the test environment's own (editable) walkback-explorer is visible through that path and
    # must neither satisfy the request nor be uninstalled.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--ignore-installed",
                    "-q", str(wheel)],
                   check=True, capture_output=True, text=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run([str(python), "-c", "import analysis; print(analysis.__file__)"], cwd=work, env=env,
                           check=True, capture_output=True, text=True).stdout
    assert str(env_dir) in where, where  # the installed copy, not the checkout
    run = subprocess.run([str(env_dir / "bin" / "walkback"), "simulate", "--n", "60", "--seed", "3", "--out",
                          "cohort.csv"], cwd=work, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (work / "cohort.csv").read_text().count("\n") == 61
    assert {"cohort.provenance.json", "cohort.scenario.json"} <= {p.name for p in work.iterdir()} or \
        len(list(work.iterdir())) > 1
    check = subprocess.run([str(env_dir / "bin" / "walkback"), "calibrate", "--json"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
