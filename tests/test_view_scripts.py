"""The code behind every view: each page's "Download as script" runs in a fresh process and reproduces
the page's numbers exactly (full precision, so to the last digit shown a fortiori)."""

from __future__ import annotations

import io
import json
import math
import os
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.io.scripts import VIEWS, view_script
from analysis.model.default import default_scenario
from analysis.model.expectation import expected_trial
from analysis.errors import WalkBackInputError
from analysis.simulate.engine import simulate_trial
from analysis.trial.scenario import with_changes

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = default_scenario()


def _plain(value):
    """As the scripts write numbers: JSON-safe, non-finite -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_script(tmp_path: Path, view: str, scenario=SCENARIO, **params) -> dict:
    """Unzip the page's download into a fresh folder, run it as a user would, return its numbers."""
    blob = view_script(view, scenario, **params).to_zip()
    zipfile.ZipFile(io.BytesIO(blob)).extractall(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, f"walkback_{view}.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert list(tmp_path.glob(f"{view}_*.html")), "the script writes its figures as HTML"
    return json.loads((tmp_path / f"{view}_numbers.json").read_text())


@pytest.mark.slow
def test_trial_script_matches_the_library_and_the_page(tmp_path):
    from streamlit.testing.v1 import AppTest

    from analysis.stats.survival import cox, kaplan_meier

    numbers = run_script(tmp_path, "trial", seed=SCENARIO.seed)
    cohort = simulate_trial(SCENARIO, seed=SCENARIO.seed)  # what app_support.survival_view.simulated_headline runs
    km, model, expected = kaplan_meier(cohort, landmarks=()), cox(cohort), expected_trial(SCENARIO)
    assert numbers["groups"] == _plain([c.to_dict() for c in km.curves])
    assert numbers["cox"] == _plain(model.to_dict())
    assert numbers["expected"]["cox_hr"] == expected.cox_hr
    assert numbers["expected"]["median_intervention"] == expected.median_intervention
    # and what the page itself shows: the third card table (published, expected, then one simulated trial) holds it
    import re

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/trial.py")
    at.run()
    assert not at.exception
    cards = [m.value for m in at.markdown if "| Hazard ratio |" in m.value]
    assert len(cards) == 3, cards
    shown = dict(re.findall(r"^\| (.+?) \| \*\*(.+?)\*\* \|", cards[2], flags=re.M))
    lead = dict(re.findall(r"^\| (.+?) \| \*\*(.+?)\*\* \|", cards[1], flags=re.M))  # the model's expectation
    assert lead["Hazard ratio"] == f"{numbers['expected']['cox_hr']:.2f}"
    groups = {g["level"]: g for g in numbers["groups"]}
    assert shown["Median days to recurrence, walking + education"] == f"{groups['intervention']['median']:.0f}"
    assert shown["Median days to recurrence, control"] == f"{groups['control']['median']:.0f}"
    assert shown["Hazard ratio"] == f"{numbers['cox']['hr']:.2f}"
    assert at.get("download_button"), "the page offers the script"


@pytest.mark.slow
def test_survival_script_reproduces_the_full_analysis(tmp_path):
    from analysis.stats.survival import analyze_two_arm
    from analysis.stats.time_units import risk_times

    options = {"strata": ("history_gt2_episodes", "referral"), "covariates": ("age_years", "sex"),
               "tau": 12 * 365.25 / 12, "landmarks": (182.625, 365.25, 730.5)}
    numbers = run_script(tmp_path, "survival", seed=11, **options)
    cohort = simulate_trial(SCENARIO, seed=11)
    # the page's risk-table times: the one time-unit policy, as simulated_analysis calls it
    expected = analyze_two_arm(cohort, risk_times=risk_times(float(cohort.time_days.max()), "days"), **options).to_dict()
    assert numbers == _plain(expected)
    assert (tmp_path / "adtte.csv").is_file() and (tmp_path / "reanalysis.R").is_file()
    command = (tmp_path / "walkback_command.sh").read_text()
    assert "--seed 11" in command and "--strata history_gt2_episodes referral" in command


@pytest.mark.slow
def test_adherence_script_reproduces_the_what_if(tmp_path):
    from analysis.studies.whatif import whatif_table

    whatif = with_changes(SCENARIO, {"adherence.never_start": 0.3, "walking.target_minutes": 120.0})
    numbers = run_script(tmp_path, "adherence", whatif=whatif)
    base, new = expected_trial(SCENARIO), expected_trial(whatif)
    assert numbers["whatif"]["cox_hr"] == new.cox_hr and numbers["current"]["cox_hr"] == base.cox_hr
    assert numbers["whatif"]["median_intervention"] == new.median_intervention
    assert numbers["table"] == _plain(whatif_table(base, new).to_dict(orient="records"))


@pytest.mark.slow
def test_replicates_script_reproduces_the_run(tmp_path):
    from analysis.studies.replicates import run_replicates
    from analysis.studies.whatif import replicate_readout
    from analysis.trial.published import published_figures

    numbers = run_script(tmp_path, "replicates", n_replicates=60, seed=8)
    result = run_replicates(SCENARIO, 60, 8, chunk_size=25)  # the app's job runs in chunks; the result does not care
    readout = replicate_readout(result.per_trial, published_ci=tuple(published_figures()["hazard_ratio"].ci),
                                alpha=result.alpha)
    assert numbers["readout"] == _plain(readout)
    assert numbers["summary"] == _plain(result.summary.to_dict(orient="records"))


@pytest.mark.slow
def test_estimands_script_reproduces_one_trial(tmp_path):
    from analysis.studies.estimands import EstimandSettings, estimate_estimands

    scenario = with_changes(SCENARIO, {"outcome.baseline_risk_sd": 0.8, "adherence.healthy_adherer_correlation": 0.6})
    settings = EstimandSettings(adherence_threshold=0.6, dose_threshold_minutes=120.0, landmark_days=365.25,
                                tau_days=365.25, complier="started")
    numbers = run_script(tmp_path, "estimands", scenario, seed=5, settings=settings)
    result = estimate_estimands(simulate_trial(scenario, seed=5, potential_outcomes=True), scenario, settings)
    assert numbers["complier_share"] == result.complier_share
    assert numbers["summary"] == _plain(result.summary.to_dict(orient="records"))


@pytest.mark.slow
def test_design_script_reproduces_sample_size_power_and_dilution(tmp_path):
    from analysis.studies.power import dilution_table, power_curve, sample_size

    params = dict(power=0.9, alpha=0.05, parameter="n", values=[300, 701], n_sims=40, seed=3, shares=(0.0, 0.2, 0.4))
    numbers = run_script(tmp_path, "design", **params)
    assert numbers["sample_size"] == _plain(sample_size(SCENARIO, power=0.9, alpha=0.05).summary.to_dict("records"))
    curve = power_curve(SCENARIO, "n", [300, 701], 40, 3, alpha=0.05).summary.drop(columns="seconds")
    assert [{k: v for k, v in row.items() if k != "seconds"} for row in numbers["power_curve"]] == \
        _plain(curve.to_dict("records"))  # 'seconds' is the wall time of each point, not a result
    assert numbers["dilution"] == _plain(dilution_table(SCENARIO, [0.0, 0.2, 0.4], alpha=0.05, power=0.9)
                                         .to_dict("records"))


def test_assurance_script_reproduces_the_page(tmp_path):
    import math

    from analysis.studies.assurance import Prior, assurance, bayes_reading

    priors = [("flat", 1.0, math.inf), ("sceptical", 1.0, 0.0988), ("mine", 0.8, 0.2)]
    params = dict(priors=priors, mid=0.85, n_total=500, n_sims=0, seed=2, alpha=0.05)
    numbers = run_script(tmp_path, "assurance", **params)
    reading = bayes_reading([Prior(*p) for p in priors], mid_hr=0.85)
    assert numbers["bayes"] == _plain(reading.to_dict())
    expected = assurance(SCENARIO, reading.posteriors, 500, seed=2).to_dict()
    assert numbers["assurance"] == _plain(expected)


def test_every_view_has_a_script_and_bad_requests_are_one_clear_error():
    assert set(VIEWS) == {"trial", "survival", "adherence", "replicates", "estimands", "design", "assurance",
                          "group_sequential", "outcomes", "cost_effectiveness", "uploaded"}
    with pytest.raises(WalkBackInputError, match="unknown view"):
        view_script("nope", SCENARIO)
    with pytest.raises(WalkBackInputError, match="missing seed"):
        view_script("trial", SCENARIO)
    assert view_script("adherence", SCENARIO, whatif=SCENARIO).r is None
    assert "survival" in view_script("survival", SCENARIO, seed=1).r


@pytest.mark.slow
def test_outcomes_script_reproduces_the_page(tmp_path):
    """Finding 6 of issue #23: Outcomes had no "Download as script"."""
    from analysis.studies.outcomes import trial_outcomes

    numbers = run_script(tmp_path, "outcomes", seed=4)
    assert numbers == _plain(trial_outcomes(SCENARIO, 4).to_dict())


@pytest.mark.slow
def test_cost_effectiveness_script_reproduces_the_page(tmp_path):
    """Finding 6 of issue #23: Cost-effectiveness had no "Download as script"; the page's study, same numbers."""
    from analysis.model.costs import Economics
    from analysis.studies.economics import CEASettings, cea_study

    economics = Economics(sessions=8, session_price=120.0)
    thresholds = (28000.0, 50000.0)
    numbers = run_script(tmp_path, "cost_effectiveness", seed=6, economics=economics, bootstrap=400,
                         threshold=50000.0, thresholds=thresholds, expected_trials=3)
    study = cea_study(SCENARIO, economics, 6, CEASettings(bootstrap=400, thresholds=thresholds), expected_trials=3)
    assert numbers["result"] == _plain(study.result.to_dict())
    assert numbers["expected"] == _plain(dict(vars(study.expected_at(50000.0))))
    assert numbers["expected_icer_se"] == study.expected_icer_se
    assert numbers["tornado"] == _plain(study.tornado_at(50000.0).to_dict(orient="records"))


def test_scripts_say_they_need_the_analysis_package(tmp_path):
    """Finding 6 of issue #23: run where `analysis` is not importable, a script says what it needs in one line."""
    blob = view_script("outcomes", SCENARIO, seed=1).to_zip()
    zipfile.ZipFile(io.BytesIO(blob)).extractall(tmp_path)
    text = (tmp_path / "walkback_outcomes.py").read_text()
    assert "pip install -e ." in text.split('"""')[1]  # the docstring says how to install it
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-S", "walkback_outcomes.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0 and "needs the `analysis` package" in proc.stderr
    assert "Traceback" not in proc.stderr


def _sequential_params():
    from analysis.design.boundaries import GroupSequentialDesign

    return dict(design=GroupSequentialDesign("asOF", (0.4, 0.7, 1.0), futility="asOF"), n_trials=30, seed=4)


@pytest.mark.slow
def test_group_sequential_script_reproduces_the_study(tmp_path):
    from analysis.studies.sequential import group_sequential_study

    params = _sequential_params()
    numbers = run_script(tmp_path, "group_sequential", **params)
    study = group_sequential_study(SCENARIO, params["design"], 30, 4).to_dict()
    for part in (numbers, study):
        part["simulation"].pop("elapsed_seconds")
    assert numbers == json.loads(json.dumps(_plain(study)))
    command = (tmp_path / "walkback_command.sh").read_text()
    assert "walkback design --information 0.4 0.7 1.0" in command and "--futility asOF --scenario scenario.json" in command


@pytest.mark.r
def test_group_sequential_rpact_script_gives_the_boundaries_and_recurrences(tmp_path, rscript):
    from analysis.design.boundaries import compute_boundaries
    from analysis.studies.sequential import look_recurrences

    params = _sequential_params()
    zipfile.ZipFile(io.BytesIO(view_script("group_sequential", SCENARIO, **params).to_zip())).extractall(tmp_path)
    proc = subprocess.run([rscript, "rpact_design.R"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = {line.split(":")[0]: line.split(":")[1].split() for line in proc.stdout.splitlines() if ":" in line}
    b = compute_boundaries(params["design"])
    assert np.allclose([float(v) for v in lines["efficacy z"]], b.efficacy_z, atol=1e-6)
    assert np.allclose([float(v) for v in lines["futility z"]], b.futility_z[:-1], atol=1e-6)
    # rpact's maximum recurrences at the scenario's HR and allocation: the page's looks round them up
    _, max_events, _ = look_recurrences(SCENARIO, b)
    assert float(lines["maximum recurrences"][0]) == pytest.approx(max_events, rel=1e-6)


def _awkward_upload() -> bytes:
    """Three groups, missing values, a clinic column: what a user's own file looks like (as in test_app_uploads)."""
    rng = np.random.default_rng(23)
    n = 240
    frame = pd.DataFrame({"weeks": np.round(rng.exponential(30, n), 1) + 0.5, "relapse": rng.integers(0, 2, n),
                          "group": np.resize(["walk", "usual care", "yoga"], n), "site": rng.integers(1, 9, n)})
    frame.loc[[3, 17], "weeks"] = np.nan
    frame.loc[40, "relapse"] = np.nan
    return frame.to_csv(index=False).encode()


@pytest.mark.slow
def test_uploaded_script_reproduces_the_analysis_of_an_awkward_file(tmp_path):
    """Finding 6 of issue #23: the analysis of an uploaded file had no "Download as script". The zip carries the
    file; the script picks the same two groups, drops the same incomplete rows and gives the library's numbers."""
    from analysis.io.cohort_files import read_cohort_file
    from analysis.io.upload_checks import choose_arms, drop_incomplete
    from analysis.stats.survival import analyze_two_arm
    from analysis.stats.time_units import risk_times, unit_or_days
    from analysis.stats.two_arm_tests import TestChoice, two_arm_test

    blob, test = _awkward_upload(), TestChoice("fh", rho=0.0, gamma=1.0)
    params = dict(file_name="C:\\Users\\me\\my trial (final).csv", file_bytes=blob, time="weeks", event="relapse",
                  group="group", reference="usual care", arms=("usual care", "walk"), drop_incomplete=True,
                  strata=(), covariates=(), tau=40.0, landmarks=(26.0,), cluster="site", test=test)
    numbers = run_script(tmp_path, "uploaded", None, **params)
    assert (tmp_path / "my_trial_final_.csv").read_bytes() == blob  # the file travels with the script, safely named

    frame = choose_arms(read_cohort_file(blob, "x.csv"), "group", ["usual care", "walk"])
    frame, dropped = drop_incomplete(frame, ["weeks", "relapse", "group", "site"])
    assert dropped == 2  # rows 3 and 40 are walk / usual care; row 17 is yoga and left with the third group
    expected = analyze_two_arm(frame, time="weeks", event="relapse", group="group", reference="usual care", tau=40.0,
                               landmarks=(26.0,), cluster="site",
                               risk_times=risk_times(float(frame["weeks"].max()), unit_or_days("weeks")))
    tested = two_arm_test(frame, test, "weeks", "relapse", "group", "usual care")
    assert numbers["tests"] == _plain({tested.test: tested.to_dict()})
    for key in ("cox", "logrank", "rmst"):
        assert numbers[key] == _plain(expected.to_dict()[key]), key
    command = (tmp_path / "walkback_command.sh").read_text()
    assert "in the Python script only" in command  # the CLI takes two groups without gaps: said, not hidden


@pytest.mark.slow
def test_uploaded_command_gives_the_scripts_hazard_ratio(tmp_path):
    """On a clean two-group file the zip's walkback command and its Python script agree."""
    clean = pd.read_csv(io.BytesIO(_awkward_upload())).dropna()
    clean = clean[clean.group != "yoga"]
    blob = clean.to_csv(index=False).encode()
    numbers = run_script(tmp_path, "uploaded", None, file_name="clean.csv", file_bytes=blob, time="weeks",
                         event="relapse", group="group", reference="usual care")
    command = (tmp_path / "walkback_command.sh").read_text().strip().splitlines()[-1]
    assert command.startswith("walkback analyze clean.csv --time weeks --event relapse --group group "
                              "--reference 'usual care'"), command
    args = shlex.split(command)[1:] + ["--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cli = json.loads(proc.stdout)
    assert cli["cox"]["hr"] == pytest.approx(numbers["cox"]["hr"], rel=1e-9)
