"""The project's own log-rank test and Cox fits against R at every size, not only where they run by default.

``analysis.stats.logrank`` uses lifelines' ``logrank_test`` below 5,000 rows (COX_EXACT_MIN_ROWS) and its
own sums (:func:`analysis.stats.logrank_test.logrank_parts`, the counting kernel) from there on; the Monte
Carlo kernel (:func:`analysis.stats.kernels.logrank_cox_batch`) computes log-rank and Cox for every
simulated trial. Here each path is compared with R on the small reference files (23 to 701 rows,
``reference.json`` from ``Rscript tests/r_reference/make_reference.R``) and on 5,000 and 10,000 rows
(``logrank.json`` from ``Rscript tests/r_reference/logrank.R``). The exact vectorised Cox is compared with R
on the same small files in tests/test_cox_engines.py::test_both_engines_match_r.

Tolerances: the log-rank is a closed form (sums and one division), so 1e-10 relative; the Cox fits stop at
their convergence tolerance (the kernel: 1e-10 on the log hazard ratio; R's reference.json coxph at its
default eps = 1e-9, logrank.json at eps = 1e-12), so 1e-7 relative for those.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analysis.io.cohort_files import read_cohort_file
from analysis.stats.coxph import COX_EXACT_MIN_ROWS, cox
from analysis.stats.kernels import logrank_cox_batch
from analysis.stats.logrank_test import logrank, logrank_parts
from analysis.stats.validation import strata_codes, two_arm_input

HERE = Path(__file__).parent / "r_reference"
SMALL = {k: v for k, v in json.loads((HERE / "reference.json").read_text()).items() if k != "meta"}
LARGE = {k: v for k, v in json.loads((HERE / "logrank.json").read_text()).items() if k != "meta"}


def _small(name):
    c = SMALL[name]["config"]
    df = read_cohort_file(HERE / "data" / f"{name}.csv")
    strata = (c["strata"],) if c["strata"] else ()
    clean, ref, other = two_arm_input(df, c["time"], c["event"], c["group"], c["reference"], strata)
    return clean, other, strata


def _large(name):
    n = LARGE[name]["n"]
    df = read_cohort_file(HERE / "data" / "sim_cox.csv").iloc[:n]
    clean, ref, other = two_arm_input(df, "time", "status", "arm", "0", ("stratum",))
    return clean, other, ("stratum",)


def _arrays(clean, other, strata):
    t = clean["time"].to_numpy(float)
    e = clean["event"].to_numpy(np.int64)
    x = (clean["group"].to_numpy() == other).astype(np.int64)
    return t, e, x, strata_codes(clean, strata)


def _check_logrank(parts, r, with_var=True):
    oe, v, e1, etot = parts
    np.testing.assert_allclose(oe * oe / v, r["chisq"], rtol=1e-10)  # survdiff(...)$chisq
    np.testing.assert_allclose([etot - e1, e1], r["exp"], rtol=1e-10)  # survdiff(...)$exp
    if with_var:
        np.testing.assert_allclose(v, r["var"], rtol=1e-10)  # survdiff(...)$var[2, 2]


@pytest.mark.parametrize("name", sorted(SMALL))
def test_own_logrank_sums_match_r_at_small_sizes(name):
    """23 to 701 rows, where the default path is lifelines: the own sums still give R's survdiff."""
    clean, other, strata = _small(name)
    t, e, x, s = _arrays(clean, other, strata)
    assert len(t) < COX_EXACT_MIN_ROWS
    # survdiff(Surv(time, event) ~ group, data = d)
    _check_logrank(logrank_parts(t, e, x, np.zeros_like(s)), SMALL[name]["logrank"], with_var=False)
    if strata:  # survdiff(Surv(time, event) ~ group + strata(s), data = d)
        oe, v, _, _ = logrank_parts(t, e, x, s)
        np.testing.assert_allclose(oe * oe / v, SMALL[name]["logrank_strat"]["chisq"], rtol=1e-10)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_logrank_public_and_lifelines_paths_match_r(name):
    """What logrank() reports below 5,000 rows (lifelines' logrank_test) is R's survdiff too."""
    c = SMALL[name]["config"]
    df = read_cohort_file(HERE / "data" / f"{name}.csv")
    res = logrank(df, c["time"], c["event"], c["group"], c["reference"])
    np.testing.assert_allclose(res.chisq, SMALL[name]["logrank"]["chisq"], rtol=1e-10)
    np.testing.assert_allclose(res.p, SMALL[name]["logrank"]["p"], rtol=1e-8)


@pytest.mark.parametrize("name", sorted(LARGE))
def test_own_logrank_matches_r_where_it_is_the_default(name):
    """5,000 and 10,000 rows: logrank() computes the statistic itself; R's survdiff agrees."""
    clean, other, strata = _large(name)
    t, e, x, s = _arrays(clean, other, strata)
    assert len(t) >= COX_EXACT_MIN_ROWS
    r = LARGE[name]
    _check_logrank(logrank_parts(t, e, x, np.zeros_like(s)), r["logrank"])
    _check_logrank(logrank_parts(t, e, x, s), r["logrank_strat"])
    public = logrank(clean, "time", "event", "group", "0")
    np.testing.assert_allclose(public.chisq, r["logrank"]["chisq"], rtol=1e-10)
    np.testing.assert_allclose(public.expected, r["logrank"]["exp"], rtol=1e-10)
    assert list(public.observed) == r["logrank"]["obs"]


def _r_cox(name):
    if name in SMALL:
        return SMALL[name]["cox"]["coef"], SMALL[name]["cox"]["se"]
    return LARGE[name]["cox"]["coef"], LARGE[name]["cox"]["se"]


@pytest.mark.parametrize("name", sorted(SMALL) + sorted(LARGE))
def test_monte_carlo_kernel_matches_r(name):
    """The kernel every power and replicate study runs, on one trial: survdiff's chi-square and coxph's
    log hazard ratio and standard error (Efron ties)."""
    clean, other, strata = (_small if name in SMALL else _large)(name)
    t, e, x, _ = _arrays(clean, other, strata)
    fit = logrank_cox_batch(t[None, :], e[None, :], x[None, :])
    r_logrank = (SMALL.get(name) or LARGE[name])["logrank"]
    np.testing.assert_allclose(fit.logrank_chisq[0], r_logrank["chisq"], rtol=1e-10)
    coef, se = _r_cox(name)  # coxph(Surv(time, event) ~ group, ties = "efron")
    assert fit.converged[0]
    np.testing.assert_allclose(fit.log_hr[0], coef, rtol=1e-7)
    np.testing.assert_allclose(fit.se[0], se, rtol=1e-7)


def test_the_large_files_cross_the_engine_threshold():
    assert {v["n"] for v in LARGE.values()} == {COX_EXACT_MIN_ROWS, 2 * COX_EXACT_MIN_ROWS}


@pytest.mark.parametrize("name", sorted(LARGE))
def test_exact_cox_matches_r_where_it_is_the_default(name):
    """cox() from 5,000 rows runs the exact vectorised fitter; coxph(..., eps = 1e-12) agrees to 1e-8."""
    clean, _, _ = _large(name)
    fit = cox(clean, "time", "event", "group", "0")
    assert fit.engine == "exact-vectorised"
    r = LARGE[name]["cox"]
    np.testing.assert_allclose([fit.coef, fit.se, fit.loglik], [r["coef"], r["se"], r["loglik"][1]], rtol=1e-8)
