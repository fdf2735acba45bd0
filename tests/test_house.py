"""The house rules of ARCHITECTURE.md, checked: layers import only the layers before them, no import
circle between modules (imports inside functions included) or between packages, no module imports
another module's private names, the library never imports Streamlit, the app reaches the library only
through its public names, and a wheel installs and runs outside the source tree."""

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
    "stats": {"errors", "formats"},
    "design": {"errors"},  # pure computations (boundaries, spending, events): no simulator, no model
    "studies": {"trial", "model", "simulate", "stats", "errors", "design"},
    "io": {"trial", "model", "simulate", "stats", "studies", "errors"},
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


#: Every Python file of the project whose imports the circle checks follow: the library and the app.
PROJECT_FILES = sorted([*LIBRARY.rglob("*.py"), ROOT / "app.py", *(ROOT / "app_support").rglob("*.py"),
                        *(ROOT / "app_pages").rglob("*.py")])
#: What a page may import besides the library's public names and app_support (drawing and tables only).
PAGE_THIRD_PARTY = {"streamlit", "pandas"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PROJECT_FILES}


def _edges(path: Path, known: dict[str, Path]):
    """(imported project module, names) for EVERY import statement in a file, inside functions too.

    ``from a.b import c`` is an edge to ``a.b.c`` when that is a module, else to ``a.b``.
    """
    own = _module_name(path)
    package = own.split(".") if path.name == "__init__.py" else own.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = (package[: len(package) - node.level + 1] if node.level else [])
            module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                if f"{module}.{alias.name}" in known:
                    yield f"{module}.{alias.name}", []
                elif module in known:
                    yield module, [alias.name]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name, []


def _import_graph() -> dict[str, set[str]]:
    known = _project_modules()
    return {name: {target for target, _ in _edges(path, known) if target != name} for name, path in known.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "analysis" else parts[0]


def test_the_circle_finder_finds_circles():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_between_modules():
    """Imports inside functions count: a circle hidden in a function is still a circle."""
    circles = _circles(_import_graph())
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_no_import_circle_between_packages():
    """``analysis.io`` and ``analysis.studies`` (say) must not reach each other through any two modules."""
    packages: dict[str, set[str]] = {}
    for module, targets in _import_graph().items():
        mine = _package(module)
        packages.setdefault(mine, set()).update(_package(t) for t in targets if _package(t) != mine)
    circles = _circles(packages)
    assert not circles, "package circles: " + "; ".join(" <-> ".join(c) for c in circles)


def _public_names(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def test_the_app_reaches_the_library_only_through_public_names():
    """Pages and app_support import ``analysis`` or a library module's declared public names (its
    ``__all__``), never the command line; pages import nothing else but app_support, the standard
    library, Streamlit and pandas (so a page cannot compute with numpy or draw its own figures)."""
    known = _project_modules()
    wrong = []
    app_files = [p for p in PROJECT_FILES if not p.is_relative_to(LIBRARY)]
    for path in app_files:
        is_page = path.parent.name == "app_pages" or path.name == "app.py"
        for target, names in _edges(path, known):
            if not target.startswith("analysis"):
                continue
            if target.startswith("analysis.cli") or any(part.startswith("_") for part in target.split(".")):
                wrong.append(f"{path.relative_to(ROOT)} imports {target}")
                continue
            public = _public_names(target, known[target])
            for name in names:
                if name not in public:
                    wrong.append(f"{path.relative_to(ROOT)}: from {target} import {name} (not in its __all__)")
        if not is_page:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            roots = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            for root in (r.split(".")[0] for r in roots):
                if root not in {"analysis", "app_support", "__future__", *PAGE_THIRD_PARTY, *sys.stdlib_module_names}:
                    wrong.append(f"{path.relative_to(ROOT)} imports {root}")
    assert not wrong, "\n".join(wrong)


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
