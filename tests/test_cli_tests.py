"""`walkback analyze --test` and `walkback power --test`: the two-arm test family from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.model.default import default_scenario
from analysis.stats.two_arm_tests import two_arm_test
from analysis.studies.power import simulated_power
from analysis.studies.power_by_test import simulated_power_by_test

DATA = Path(__file__).parent / "r_reference" / "data" / "walkback_seed1.csv"
REFERENCE = json.loads((Path(__file__).parent / "r_reference" / "fh_reference.json").read_text())


def _json(argv, capsys) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_analyze_fh_matches_r_and_names_the_test(capsys):
    # R: survdiff(Surv(time_days, recurrence) ~ arm + strata(stratum), rho = 1) (fh_reference.json)
    r = next(f for f in REFERENCE["sets"]["walkback_seed1"]["fits"] if f["rho"] == 1 and f["stratified"])
    out = _json(["analyze", str(DATA), "--test", "fh", "--rho", "1", "--gamma", "0", "--strata", "stratum", "--json"],
                capsys)
    fh = out["tests"]["fh_1_0"]
    assert fh["chisq"] == pytest.approx(r["chisq"], rel=1e-8)
    assert 0 < fh["p"] < 1 and fh["direction"] == "favours intervention"


@pytest.mark.parametrize(("argv", "key"), [(["--test", "maxcombo"], "maxcombo"), (["--test", "fh01"], "fh_0_1"),
                                           (["--test", "rmst", "--tau", "365.25"], "rmst")])
def test_analyze_test_equals_the_library(argv, key, capsys):
    out = _json(["analyze", str(DATA), *argv, "--json"], capsys)
    df = pd.read_csv(DATA)
    tau = 365.25 if key == "rmst" else None
    expected = two_arm_test(df, argv[1], tau=tau)
    assert out["tests"][key]["p"] == pytest.approx(expected.p, rel=1e-12)
    assert out["tests"][key]["chisq"] == pytest.approx(expected.chisq, rel=1e-12)


def test_analyze_text_says_the_test(capsys):
    assert main(["analyze", str(DATA), "--test", "fh", "--gamma", "1"]) == 0
    assert "Fleming-Harrington FH(0, 1): chi-square" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "needle"), [
    (["--test", "fh", "--rho", "-1"], "rho = -1"),
    (["--test", "fh", "--gamma", "-0.5"], "gamma = -0.5"),
    (["--test", "rmst"], "needs --tau"),
    (["--test", "rmst", "--tau", "0"], "positive"),
    (["--test", "rmst", "--tau", "100000"], "beyond the follow-up"),
    (["--rho", "1"], "go with --test fh"),
    (["--test", "maxcombo", "--gamma", "1"], "go with the test 'fh'"),
])
def test_analyze_bad_settings_one_line_exit_2(argv, needle, capsys):
    assert main(["analyze", str(DATA), *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_power_by_test_from_the_cli_equals_the_library(capsys):
    out = _json(["power", "--test", "maxcombo", "--n-sims", "60", "--seed", "5", "--n", "300", "--json",
                 "--workers", "1"], capsys)
    assert out["test"] == "maxcombo" and out["analytic_test"].startswith("two-sided log-rank")
    from analysis.simulate.engine import scenario_for_size

    lib = simulated_power_by_test(scenario_for_size(default_scenario(), 300), 60, 5, ["maxcombo"])
    assert out["rows"][0]["power_simulated"] == lib.power[0]


def test_power_logrank_by_test_rejects_the_same_trials_as_the_log_rank_kernel():
    s = default_scenario()
    assert simulated_power_by_test(s, 200, 11, ["logrank"]).power[0] == simulated_power(s, 200, 11).power


@pytest.mark.parametrize(("argv", "needle"), [
    (["--test", "rmst", "--tau", "5000"], "at most the longest follow-up"),
    (["--tau", "300"], "give it with --test rmst"),
    (["--test", "wilcoxon"], "invalid choice"),
])
def test_power_bad_settings_one_line_exit_2(argv, needle, capsys):
    with pytest.raises(SystemExit) if argv[1] == "wilcoxon" else _nothing():
        assert main(["power", "--n-sims", "10", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.slow
def test_survival_script_carries_the_picked_test_in_python_the_command_and_r(tmp_path):
    import io
    import os
    import subprocess
    import sys
    import zipfile

    from analysis.io.scripts import view_script
    from analysis.simulate.engine import simulate_trial
    from analysis.stats.two_arm_tests import choose_test

    strata = ("history_gt2_episodes", "referral")
    test = choose_test("fh", rho=1, gamma=0)
    blob = view_script("survival", default_scenario(), seed=11, strata=strata, covariates=(), tau=365.25,
                       landmarks=(), test=test).to_zip()
    zipfile.ZipFile(io.BytesIO(blob)).extractall(tmp_path)
    proc = subprocess.run([sys.executable, "walkback_survival.py"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    numbers = json.loads((tmp_path / "survival_numbers.json").read_text())
    expected = two_arm_test(simulate_trial(default_scenario(), seed=11), test, strata=strata)
    assert numbers["tests"]["fh_1_0"]["chisq"] == pytest.approx(expected.chisq, rel=1e-12)
    assert "--test fh --rho 1.0 --gamma 0.0" in (tmp_path / "walkback_command.sh").read_text()
    r_code = (tmp_path / "reanalysis.R").read_text()
    assert "strata(STRAT1R, STRAT2R), data = tte, rho = 1.0" in r_code


@pytest.mark.r
def test_survival_scripts_r_gives_the_picked_fh_test(tmp_path, rscript):
    import io
    import re
    import subprocess
    import zipfile

    from analysis.io.scripts import view_script
    from analysis.simulate.engine import simulate_trial
    from analysis.stats.two_arm_tests import choose_test

    strata = ("history_gt2_episodes", "referral")
    test = choose_test("fh", rho=1, gamma=0)
    cohort = simulate_trial(default_scenario(), seed=11)
    files = view_script("survival", default_scenario(), seed=11, strata=strata, covariates=(), tau=365.25,
                        landmarks=(), test=test).files()
    (tmp_path / "reanalysis.R").write_bytes(files["reanalysis.R"])
    from analysis.io.export import export_files

    (tmp_path / "adtte.csv").write_bytes(export_files(cohort, default_scenario(), 11, "adtte")["adtte.csv"])
    run = subprocess.run([rscript, "reanalysis.R"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    printed = re.findall(r"Chisq= *([0-9.]+)", run.stdout)[-1]  # print.survdiff rounds to 1 decimal
    expected = two_arm_test(cohort, test, strata=strata)
    assert abs(float(printed) - expected.chisq) <= 0.05 + 1e-9


@pytest.mark.slow
def test_design_script_carries_the_power_by_test_panel(tmp_path):
    import io
    import os
    import subprocess
    import sys
    import zipfile

    from analysis.io.scripts import view_script
    from analysis.studies.power_by_test import power_by_test_table

    panel = {"n_sims": 30, "seed": 4, "programme_weeks": 40, "maintained_fraction": 0.8, "n_total": 300}
    blob = view_script("design", default_scenario(), power=0.9, alpha=0.05, parameter="n", values=[300], n_sims=0,
                       seed=3, shares=(0.0,), power_by_test=panel).to_zip()
    zipfile.ZipFile(io.BytesIO(blob)).extractall(tmp_path)
    proc = subprocess.run([sys.executable, "walkback_design.py"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    numbers = json.loads((tmp_path / "design_numbers.json").read_text())
    expected = power_by_test_table(default_scenario(), 30, 4, alpha=0.05, programme_weeks=40, maintained_fraction=0.8,
                                   n_total=300).summary
    assert [r["power"] for r in numbers["power_by_test"]] == expected["power"].tolist()
    assert (tmp_path / "design_power_by_test.html").is_file()
    command = (tmp_path / "walkback_command.sh").read_text()
    assert "--n 300 --n-sims 30 --seed 4 --alpha 0.05 --test maxcombo" in command
