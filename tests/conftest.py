"""Shared fixtures. Heavy objects are module-level cached in the library (default_scenario)."""

import os
import shutil
import subprocess

import pytest

from analysis.model.default import default_scenario


@pytest.fixture(scope="session")
def walkback():
    """The calibrated default WalkBack scenario."""
    return default_scenario()


#: R packages the R-running tests (marker ``r``) need.
R_PACKAGES = ("survival", "MASS", "jsonlite", "boot", "rpact")


@pytest.fixture(scope="session")
def rscript():
    """Path of Rscript with the packages the R tests need. Without them the test is skipped on a laptop
    but FAILS in CI (CI=true): .ci/run installs R, so a missing R there is a broken pipeline, not an excuse."""
    found = shutil.which("Rscript")
    problem = None
    if found is None:
        problem = "Rscript is not installed"
    else:
        check = "quit(status = !all(sapply(c({}), requireNamespace, quietly = TRUE)))".format(
            ", ".join(f"'{p}'" for p in R_PACKAGES))
        if subprocess.run([found, "-e", check], capture_output=True, timeout=120).returncode != 0:
            problem = f"R lacks one of the packages {', '.join(R_PACKAGES)}"
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{problem}: CI must run the R tests (.ci/run installs r-base-core and r-cran-*)")
        pytest.skip(problem)
    return found


# --------------------------------------------------------------------------- real-browser tests: one server, one chromium
@pytest.fixture(scope="session")
def server():
    """The app served as `make app` serves it, once for every browser test module (the warm-up is paid once)."""
    import browser_harness as h

    port = h.free_port()
    proc = h.start_server(port)
    try:
        h.wait_healthy(port, proc, timeout=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        h.stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    import os

    import browser_harness as h

    if not os.path.exists(h.CHROMIUM):
        pytest.skip(f"real-browser tests need Debian's chromium at {h.CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=h.CHROMIUM, args=h.CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
