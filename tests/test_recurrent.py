"""Secondary outcomes and recurrent events against R (tests/r_reference/make_episodes_reference.R -> episodes.json).

Tolerance 1e-6 relative throughout (the R script documents the calls). Data: the committed example
cohort (default scenario, seed 1), its episodes, and a whole-day version with heavy ties.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import WalkBackInputError
from analysis.io.export import EXAMPLE_COHORT_PATH
from analysis.stats import recurrent as R
from analysis.stats.cox import fit_cox
from analysis.stats.survival import kaplan_meier, logrank

HERE = Path(__file__).parent / "r_reference"
REF = json.loads((HERE / "episodes.json").read_text())
REL = 1e-6
ENDPOINTS = {"primary": ("time_days", "recurrence"), "any": ("time_any_days", "recurrence_any"),
             "care": ("time_care_days", "recurrence_care"), "recovery": ("recovery_days_first", "recovered_first")}


@pytest.fixture(scope="module")
def people():
    return pd.read_csv(EXAMPLE_COHORT_PATH, float_precision="round_trip")


@pytest.fixture(scope="module")
def episodes():
    return pd.read_csv(HERE / "data" / "episodes_seed1.csv", float_precision="round_trip")


def test_the_reference_episodes_are_the_example_cohorts(people, episodes):
    from analysis.model.default import default_scenario
    from analysis.simulate.engine import simulate_episodes

    _, fresh = simulate_episodes(default_scenario(), seed=1)
    pd.testing.assert_frame_equal(fresh.astype({"arm": str}).reset_index(drop=True),
                                  episodes.astype({"arm": str}), check_dtype=False, rtol=1e-12)
    assert episodes.groupby("participant_id").size().sum() == people.n_episodes.sum()


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_every_endpoint_km_logrank_cox_match_r(people, name):
    time, event = ENDPOINTS[name]
    d = people[people.recurrence_any == 1] if name == "recovery" else people
    ref = REF["endpoints"][name]
    x = (d.arm == "intervention").to_numpy().astype(float)
    fit = fit_cox(d[time], d[event], x)
    assert fit.coef[0] == pytest.approx(ref["coef"], rel=REL)
    assert fit.se[0] == pytest.approx(ref["se"], rel=REL)
    assert logrank(d, time, event).chisq == pytest.approx(ref["logrank_chisq"], rel=REL)
    km = kaplan_meier(d, time, event, landmarks=[])
    assert [km.curve("control").median, km.curve("intervention").median] == pytest.approx(ref["median"], rel=REL)
    assert [km.curve("control").events, km.curve("intervention").events] == ref["events"]


@pytest.mark.parametrize("key,people_file,episodes_file", [
    ("recurrent", None, "episodes_seed1.csv"),
    ("recurrent_tied", "episodes_tied_people.csv", "episodes_tied.csv"),
])
def test_mcf_and_andersen_gill_match_r(people, key, people_file, episodes_file):
    p = people if people_file is None else pd.read_csv(HERE / "data" / people_file)
    e = pd.read_csv(HERE / "data" / episodes_file, float_precision="round_trip")
    ref = REF[key]
    assert len(R.counting_process(e, p)) == ref["n_rows"]
    curves = R.mean_cumulative_function(e, p).curves
    mcf = ref["mcf"]
    assert curves.arm.tolist() == mcf["arm"]
    np.testing.assert_allclose(curves.time, mcf["time"], rtol=1e-12)
    np.testing.assert_allclose(curves.mcf, mcf["cumhaz"], rtol=REL)
    np.testing.assert_allclose(curves.std_err, mcf["std_chaz"], rtol=REL)
    np.testing.assert_array_equal(curves.n_risk, mcf["n_risk"])
    np.testing.assert_array_equal(curves.n_event, mcf["n_event"])
    ag = R.andersen_gill(e, p)
    assert ag.coef == pytest.approx(ref["andersen_gill"]["coef"], rel=REL)
    assert ag.se_model == pytest.approx(ref["andersen_gill"]["se_model"], rel=REL)
    assert ag.se_robust == pytest.approx(ref["andersen_gill"]["se_robust"], rel=REL)


def test_negative_binomial_matches_glm_nb(people):
    nb = R.negative_binomial_rate(people)
    ref = REF["negative_binomial"]
    assert nb.coef == pytest.approx(ref["coef"], rel=REL)
    assert nb.se == pytest.approx(ref["se"], rel=REL)
    assert nb.intercept == pytest.approx(ref["intercept"], rel=REL)
    # theta: glm.nb stops when successive theta differ by < 1e-6 relative (its own tolerance; see the R script)
    assert nb.theta == pytest.approx(ref["theta"], rel=1e-6)


def test_fisher_matches_r(people):
    f = R.adverse_events_fisher(people)
    assert f.p_value == pytest.approx(REF["fisher"]["p"], rel=REL)
    # fisher.test's own estimate uses uniroot at tol ~1.2e-4; the same code at tol 1e-13 is the reference
    assert f.odds_ratio == pytest.approx(REF["fisher_tight"]["odds_ratio"], rel=REL)
    assert list(f.ci) == pytest.approx(REF["fisher_tight"]["ci"], rel=REL)
    assert f.odds_ratio == pytest.approx(REF["fisher"]["odds_ratio"], rel=1e-4)


def test_worst_pain_difference_matches_t_test(people):
    w = R.worst_pain_difference(people)
    ref = REF["worst_pain"]
    assert w.difference == pytest.approx(ref["difference"], rel=REL)
    assert list(w.ci) == pytest.approx(ref["ci"], rel=REL)
    assert w.p_value == pytest.approx(ref["p"], rel=REL)


def test_bad_input_is_one_clear_error(people, episodes):
    with pytest.raises(WalkBackInputError, match="followup_days"):
        R.counting_process(episodes, people.drop(columns="followup_days"))
    late = episodes.assign(onset_day=episodes.onset_day + 5000)
    with pytest.raises(WalkBackInputError, match="after its participant's follow-up"):
        R.andersen_gill(late, people)
    stranger = episodes.assign(participant_id=episodes.participant_id + 10_000)
    with pytest.raises(WalkBackInputError, match="does not have"):
        R.mean_cumulative_function(stranger, people)
    with pytest.raises(WalkBackInputError, match="0 or 1"):
        R.adverse_events_fisher(people.assign(adverse_event_12m=2))
