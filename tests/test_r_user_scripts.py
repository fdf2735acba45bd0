"""The R scripts users download run and give the library's numbers: the ADTTE export's reanalysis.R
(one trial and several replicates), the R script of every view's "Download as script", and the R steps
of the class set's worksheet.

Each script is run as a user runs it (``Rscript reanalysis.R`` in the export's folder; the worksheet's R
blocks in order in the student's folder), then the values it computed are read back from the same R
session at full precision and compared with what the library reports for the same data: medians and
events exactly (whole days), the log-rank chi-square to 1e-10, Cox hazard ratios to 1e-8 (lifelines
and R's coxph agree to that, tests/test_cox_engines.py). Marker ``r``: fails in CI without R.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from analysis.io.class_set import build_class_set
from analysis.io.export import export_cohorts, export_files, write_export
from analysis.io.scripts import VIEWS, view_script
from analysis.stats.survival import analyze_two_arm
from analysis.trial.scenario import Scenario

SCENARIO = Scenario()
SEED = 5


def _r(rscript, code: str, cwd: Path) -> str:
    run = subprocess.run([rscript, "-e", code], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def _values(rscript, cwd: Path, prelude: str, expression: str) -> list[float]:
    """Run ``prelude`` (the user's script), then print ``expression`` at full precision, one per line."""
    out = _r(rscript, f'{prelude}\ncat("@@", sprintf("%.17g", as.numeric({expression})), sep = "\\n")', cwd)
    return [float(v) for v in out.split("@@", 1)[1].split()]


def _check_against_library(values, cohort):
    """``analyse()``'s c(hr, median_control, median_intervention, events) vs analyze_two_arm."""
    hr, median_control, median_intervention, events = values
    lib = analyze_two_arm(cohort)
    assert hr == pytest.approx(lib.cox.hr, rel=1e-8)
    assert (median_control, median_intervention) == (lib.km.curves[0].median, lib.km.curves[1].median)
    assert events == sum(c.events for c in lib.km.curves)


def _adtte_folder(tmp_path: Path, replicates=None) -> tuple[Path, object]:
    cohort = export_cohorts(SCENARIO, SEED, replicates)
    folder = tmp_path / "export"
    write_export(folder, export_files(cohort, SCENARIO, SEED, "adtte", replicates=replicates), "adtte")
    return folder, cohort


@pytest.mark.r
def test_adtte_reanalysis_script_gives_the_librarys_numbers(tmp_path, rscript):
    folder, cohort = _adtte_folder(tmp_path)
    printed = subprocess.run([rscript, "reanalysis.R"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert printed.returncode == 0, printed.stderr
    lib = analyze_two_arm(cohort)
    assert f"{lib.cox.hr:.7g}" in printed.stdout  # the HR the user reads: R prints 7 significant digits
    _check_against_library(_values(rscript, folder, 'source("reanalysis.R")', "analyse(tte, verbose = FALSE)"),
                           cohort)


@pytest.mark.r
def test_adtte_reanalysis_script_of_several_replicates(tmp_path, rscript):
    folder, stacked = _adtte_folder(tmp_path, replicates=2)
    values = _values(rscript, folder, 'source("reanalysis.R")', "t(per_replicate)")
    for k, row in enumerate(np.reshape(values, (2, 4)), start=1):
        _check_against_library(row, stacked[stacked.replicate == k].drop(columns="replicate"))


@pytest.mark.r
@pytest.mark.parametrize("view", [v for v in VIEWS if v in ("trial", "survival")])
def test_every_views_r_script_gives_the_librarys_numbers(view, tmp_path, rscript):
    """Every view that offers an R script: it re-analyses the adtte.csv its Python script writes
    (``export_files(cohort, SCENARIO, SEED, "adtte")``, written here directly: same bytes)."""
    params = {"seed": SEED} if view == "trial" else {"seed": SEED, "strata": (), "covariates": (), "tau": 365.25,
                                                     "landmarks": (182.625,)}
    script = view_script(view, SCENARIO, **params)
    assert script.r is not None
    folder = tmp_path / view
    folder.mkdir()
    (folder / "reanalysis.R").write_text(script.r)
    cohort = export_cohorts(SCENARIO, SEED)
    (folder / "adtte.csv").write_bytes(export_files(cohort, SCENARIO, SEED, "adtte")["adtte.csv"])
    _check_against_library(_values(rscript, folder, 'source("reanalysis.R")', "analyse(tte, verbose = FALSE)"),
                           cohort)


def test_views_without_r_script_are_the_ones_not_about_one_trials_survival():
    """... or about the posterior of the published HR, which is a few lines of base R."""
    with_r = {v for v in VIEWS if view_script(v, SCENARIO, **_params(v)).r is not None}
    assert with_r == {"trial", "survival", "assurance", "group_sequential", "uploaded"}  # rpact: test_view_scripts.py


def test_assurance_r_script_gives_the_librarys_posteriors(tmp_path, rscript):
    from analysis.studies.assurance import Prior, bayes_reading

    params = _params("assurance")
    (tmp_path / "reanalysis.R").write_text(view_script("assurance", SCENARIO, **params).r)
    values = _values(rscript, tmp_path, 'source("reanalysis.R")',
                     "t(as.matrix(out[, c('median_hr', 'lower', 'upper', 'p_hr_below_1', 'p_hr_below_mid')]))")
    reading = bayes_reading([Prior(*p) for p in params["priors"]], mid_hr=params["mid"])
    for row, p in zip(np.reshape(values, (-1, 5)), reading.posteriors):
        assert row == pytest.approx([p.median_hr, p.lower, p.upper, p.p_benefit, p.p_beyond_mid], rel=1e-12)


def _params(view):
    from analysis.design.boundaries import GroupSequentialDesign
    from analysis.studies.estimands import EstimandSettings

    from analysis.model.costs import Economics

    return {"trial": {"seed": 1}, "survival": {"seed": 1}, "adherence": {"whatif": SCENARIO},
            "outcomes": {"seed": 1},
            "cost_effectiveness": {"seed": 1, "economics": Economics(), "bootstrap": 10, "threshold": 28000.0,
                                   "thresholds": (28000.0,), "expected_trials": 1},
            "replicates": {"seed": 1, "n_replicates": 2}, "estimands": {"seed": 1, "settings": EstimandSettings()},
            "design": {"seed": 1, "power": 0.8, "alpha": 0.05, "parameter": "adherence.mean_adherence",
                       "values": (0.5,), "n_sims": 2, "shares": (0.1,)},
            "assurance": {"seed": 1, "priors": [("flat", 1.0, math.inf), ("sceptical", 1.0, 0.0988), ("mine", 0.8, 0.2)],
                          "mid": 0.85, "n_total": 500, "n_sims": 0, "alpha": 0.05},
            "group_sequential": {"seed": 1, "design": GroupSequentialDesign("asOF"), "n_trials": 0},
            "uploaded": {"file_name": "mine.csv", "file_bytes": b"t,e,g\n1,1,a\n", "time": "t", "event": "e", "group": "g",
                         "reference": "a"}}[view]


@pytest.mark.r
def test_class_set_worksheet_r_steps_give_the_answer_key(tmp_path, rscript):
    """The worksheet's R blocks, run in order in the student's folder, reproduce the instructor's key."""
    class_set = build_class_set(SCENARIO, 1, seed=7)
    folder = tmp_path / "class"
    for name, data in class_set.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    student = folder / "student_01"
    blocks = re.findall(r"```r\n(.*?)```", (student / "worksheet.md").read_text(), re.S)
    steps = {key: next(i for i, b in enumerate(blocks) if key in b)
             for key in ("survdiff(", "summary(fit)$conf.int", "summary(km, times")}
    run_blocks = "values <- list()\n" + "".join(
        f"values[[{i + 1}]] <- withVisible(eval(parse(text = {json.dumps(b)})))$value\n" for i, b in enumerate(blocks))
    lm = f"values[[{steps['summary(km, times'] + 1}]]"
    expression = (f'c(summary(km)$table[, c("median", "0.95LCL", "0.95UCL")], '
                  f'values[[{steps["survdiff("] + 1}]]$chisq, values[[{steps["summary(fit)$conf.int"] + 1}]][1, c(1, 3, 4)], '
                  f'{lm}$surv)')
    values = _values(rscript, student, run_blocks, expression)
    key = class_set.analyses[0]
    groups = key["groups"]
    # summary(km)$table is column-major: medians of both arms, then lower limits, then upper limits
    assert values[:6] == [groups[0]["median"], groups[1]["median"], groups[0]["median_ci"][0],
                          groups[1]["median_ci"][0], groups[0]["median_ci"][1], groups[1]["median_ci"][1]]
    assert values[6] == pytest.approx(key["logrank"]["chisq"], rel=1e-10)
    assert values[7:10] == pytest.approx([key["cox"]["hr"], *key["cox"]["ci"]], rel=1e-8)
    # summary(km, times = landmarks): control's times, then intervention's, as the key's landmark rows
    assert values[10:] == pytest.approx([row["survival"] for row in key["landmarks"]], rel=1e-10)


@pytest.mark.r
@pytest.mark.parametrize("semicolon", [False, True])
def test_uploaded_r_script_gives_the_pages_numbers(tmp_path, rscript, semicolon):
    """The analysis of an uploaded file (three groups, gaps, a clinic column; comma or semicolon CSV with decimal
    commas): R's survival, run on the zip as it is, gives the page's Cox HR with its cluster-robust CI, the
    log-rank chi-square and the groups' medians."""
    import io
    import zipfile

    import pandas as pd
    from test_view_scripts import _awkward_upload

    from analysis.io.cohort_files import read_cohort_file
    from analysis.io.upload_checks import choose_arms, drop_incomplete

    blob = _awkward_upload()
    if semicolon:
        blob = pd.read_csv(io.BytesIO(blob)).to_csv(index=False, sep=";", decimal=",").encode()
    params = dict(file_name="my file.csv", file_bytes=blob, time="weeks", event="relapse", group="group",
                  reference="usual care", arms=("usual care", "walk"), drop_incomplete=True, cluster="site")
    zipfile.ZipFile(io.BytesIO(view_script("uploaded", None, **params).to_zip())).extractall(tmp_path)
    frame = choose_arms(read_cohort_file(blob, "my_file.csv"), "group", ["usual care", "walk"])
    frame, _ = drop_incomplete(frame, ["weeks", "relapse", "group", "site"])
    lib = analyze_two_arm(frame, time="weeks", event="relapse", group="group", reference="usual care", cluster="site")
    values = _values(rscript, tmp_path, 'source("reanalysis.R")',
                     "c(summary(cox)$conf.int[1, c(1, 3, 4)], lr$chisq, summary(km)$table[, 'median'], sum(lr$obs))")
    hr, lower, upper, chisq, median_ref, median_other, events = values
    assert (hr, lower, upper) == pytest.approx((lib.cox.hr, lib.cox.lower, lib.cox.upper), rel=1e-8)
    assert chisq == pytest.approx(lib.logrank.chisq, rel=1e-8)
    assert (median_ref, median_other) == (lib.km.curves[0].median, lib.km.curves[1].median)
    assert events == sum(c.events for c in lib.km.curves)
