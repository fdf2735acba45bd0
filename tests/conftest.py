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
R_PACKAGES = ("survival", "jsonlite", "boot", "rpact")


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
