"""Cluster-robust (sandwich) Cox standard errors equal R's ``coxph(... + cluster(clinic))`` to 1e-6.

Reference numbers: ``Rscript tests/r_reference/clinics_cox.R`` (rerun by tests/test_r_reference.py) (R 4.2, survival; writes
tests/r_reference/clinics_cox.json and the data, 400 participants in 23 clinics with a shared
clinic frailty and whole-day times, so events tie). The R call of each model is in the JSON
(``call``), e.g. ``coxph(Surv(time, status) ~ x + strata(history) + cluster(clinic), ties = "efron")``.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import CohortFileError
from analysis.stats.cox import fit_cox
from analysis.stats.survival import analyze_two_arm, cox

HERE = Path(__file__).parent / "r_reference"
with open(HERE / "clinics_cox.json", encoding="utf-8") as fh:
    R = json.load(fh)
DATA = pd.read_csv(HERE / "data" / "clinics_cox.csv")
MODELS = [k for k in R if k != "meta"]


def _fit(name, data=DATA):
    ties = "breslow" if name.startswith("breslow") else "efron"
    x = (data["arm"] == "intervention").to_numpy(float)
    X = np.column_stack([x, data["age"].to_numpy(float)]) if name.endswith("_age") else x
    strata = data["history"].to_numpy() if name.endswith("_strata") else None
    return fit_cox(data["time"], data["status"], X, strata=strata, ties=ties, tol=1e-12, max_iter=100,
                   cluster=data["clinic"].to_numpy())


def test_data_has_ties_and_clusters():
    assert R["meta"]["ties_in_data"] > 50
    assert DATA["clinic"].nunique() == R["efron"]["n_clusters"]


@pytest.mark.parametrize("name", MODELS)
def test_robust_se_equals_r(name):
    fit, r = _fit(name), R[name]
    np.testing.assert_allclose(fit.coef, np.atleast_1d(r["coef"]), rtol=1e-6, atol=0)
    np.testing.assert_allclose(fit.se, np.atleast_1d(r["se"]), rtol=1e-6, atol=0)
    np.testing.assert_allclose(fit.robust_se, np.atleast_1d(r["robust_se"]), rtol=1e-6, atol=0)
    p = fit.coef.size
    np.testing.assert_allclose(fit.robust_var, np.reshape(r["robust_var"], (p, p), order="F"), rtol=1e-6, atol=1e-12)
    assert fit.n_clusters == r["n_clusters"]


def test_row_order_and_labels_do_not_matter():
    shuffled = DATA.sample(frac=1.0, random_state=3).reset_index(drop=True)
    shuffled["clinic"] = "c" + shuffled["clinic"].str[-2:]
    np.testing.assert_allclose(_fit("efron_strata", shuffled).robust_se, R["efron_strata"]["robust_se"], rtol=1e-6)


def test_cox_and_analysis_use_the_robust_se():
    m = cox(DATA, "time", "status", cluster="clinic")
    assert m.se == pytest.approx(R["efron"]["robust_se"], rel=1e-6)
    assert m.naive_se == pytest.approx(R["efron"]["se"], rel=1e-6)
    z = m.coef / m.se
    assert m.p == pytest.approx(2 * __import__("scipy").stats.norm.sf(abs(z)), rel=1e-9)
    d = analyze_two_arm(DATA, "time", "status", strata=["history"], cluster="clinic").to_dict()["cox_cluster"]
    assert d["robust_se"] == pytest.approx(R["efron_strata"]["robust_se"], rel=1e-6)
    assert d["n_clusters"] == R["efron_strata"]["n_clusters"]


def test_one_cluster_is_refused():
    with pytest.raises(CohortFileError, match="at least two clusters"):
        cox(DATA.assign(site="one"), "time", "status", cluster="site")
    with pytest.raises(CohortFileError, match="nope"):
        cox(DATA, "time", "status", cluster="nope")


def test_cli_cluster_json_and_bad_column(capsys):
    from analysis.cli.main import main

    path = str(HERE / "data" / "clinics_cox.csv")
    assert main(["analyze", path, "--time", "time", "--event", "status", "--cluster", "clinic", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["cox_cluster"]
    assert out["robust_se"] == pytest.approx(R["efron"]["robust_se"], rel=1e-6)
    assert out["n_clusters"] == R["efron"]["n_clusters"]
    assert main(["analyze", path, "--time", "time", "--event", "status", "--cluster", "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and len(err.strip().splitlines()) == 1
