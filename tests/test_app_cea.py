"""AppTest: the Cost-effectiveness page renders by default, after what-ifs and on edge scenarios."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app.py"


def run_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=180)
    if query:
        at.query_params.update(query)
    at.run()  # st.navigation registers the pages on the first run
    at.switch_page("app_pages/cost_effectiveness.py")
    at.run()
    return at


def _metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


@pytest.mark.slow
def test_page_renders_and_a_cheaper_programme_costs_less():
    at = run_page()
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[0].value
    assert "Published" in table.columns
    assert not any("nterim" in w.value for w in at.warning)  # costed from the episode engine, no interim banner
    absence = table.set_index("").loc["Work absence ratio"]
    assert absence["Published"] == "about half" and 0 < float(absence["This trial"]) < 1
    before = float(_metric(at, "Incremental cost").replace("AU$", "").replace(",", ""))
    at.slider(key="cea_price").set_value(50).run()
    assert not at.exception
    after = float(_metric(at, "Incremental cost").replace("AU$", "").replace(",", ""))
    assert after < before
    at.select_slider(key="cea_threshold").set_value(50_000).run()
    assert not at.exception and _metric(at, "P(cost-effective) at AU$50k")


@pytest.mark.slow
@pytest.mark.parametrize("query", [{"ns": "1"}, {"ma": "0"}, {"n1": "4", "n0": "3", "blocks": "2"}])
def test_edge_scenarios_render_without_exception(query):
    at = run_page(query)
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.slow
def test_the_rows_labelled_at_28k_do_not_follow_the_slider():
    """Finding 1 of issue #23: at AU$50k the row "P(cost-effective), AU$28k" showed the probability at 50k."""
    at = run_page()
    row = "P(cost-effective), AU$28k"
    before = at.table[0].value.set_index("").loc[row]
    at.select_slider(key="cea_threshold").set_value(50_000).run()
    assert not at.exception
    after = at.table[0].value.set_index("").loc[row]
    assert list(after) == list(before)
    # ...and the slider did move what it labels: the metric at 50k (this trial's bootstrap) is on screen
    assert _metric(at, "P(cost-effective) at AU$50k")


def test_comparison_rows_read_every_probability_at_the_published_threshold():
    from analysis.studies.economics import CEASettings, cea_study
    from analysis.trial.scenario import Scenario
    from app_support.cea_view import cea_comparison_rows

    study = cea_study(Scenario(), seed=3, settings=CEASettings(bootstrap=300, thresholds=(28000.0, 100000.0)),
                      expected_trials=4)
    rows = cea_comparison_rows(study, published_icer=7802, published_p=0.94, published_wtp=28000.0).set_index("")
    p28 = study.result.thresholds.set_index("wtp").loc[28000.0, "probability"]
    assert rows.loc["P(cost-effective), AU$28k", "This trial"] == f"{p28:.0%}"
    assert rows.loc["P(cost-effective), AU$28k", "Expected"] == f"{study.expected_at(28000.0).probability:.0%}"
    # the two thresholds give different expected probabilities here, so reading the wrong one would show
    assert study.expected_at(28000.0).probability != study.expected_at(100000.0).probability
    assert "±" in rows.loc["ICER (AU$/QALY)", "Expected"] or study.expected_at(28000.0).delta_qaly <= 0


@pytest.mark.slow
def test_the_link_carries_the_cost_inputs_both_ways():
    """Finding 3 of issue #23: the recipient of a link saw "Dominant" where the sender saw AU$12,393."""
    at = run_page({"sess": "9", "price": "120", "wtp": "50000", "boot": "1000", "cns": "0.2", "cma": "0.5"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="cea_sessions").value == 9 and at.slider(key="cea_price").value == 120
    assert at.select_slider(key="cea_threshold").value == 50000 and at.select_slider(key="cea_bootstrap").value == 1000
    assert at.slider(key="cea_never_start").value == pytest.approx(0.2)
    assert at.slider(key="cea_adherence").value == pytest.approx(0.5)
    at.slider(key="cea_price").set_value(200).run()
    assert at.query_params["price"] == "200" and at.query_params["sess"] == "9"
    at.slider(key="cea_sessions").set_value(6).run()  # back to the default: the link no longer names it
    assert "sess" not in at.query_params


@pytest.mark.slow
def test_a_bad_cost_input_in_the_link_is_reported_and_the_default_kept():
    at = run_page({"price": "banana", "wtp": "12345"})
    assert not at.exception, [e.value for e in at.exception]
    from analysis.model.costs import Economics

    assert at.slider(key="cea_price").value == int(Economics().session_price)
    assert at.select_slider(key="cea_threshold").value == 28000
    assert any("price=banana" in w.value and "wtp=12345" in w.value for w in at.warning)


def test_the_page_caches_keep_expectations_across_seeds_and_give_the_library_numbers():
    """Issue #23 (interactions): a new seed must not recompute the seed-free expectations, and the caches that keep
    them give exactly what the library gives for that seed."""
    import warnings

    from analysis.model.costs import Economics
    from analysis.model.default import default_scenario
    from analysis.studies.economics import CEASettings, cea_study
    from analysis.studies.outcomes import trial_outcomes
    from analysis.trial.scenario import with_changes
    from app_support.studies_cache import CEA_EXPECTED_TRIALS, CEA_THRESHOLDS, cached_cea_study, cached_outcomes

    scenario = with_changes(default_scenario(), {"seed": 5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no script run context": the caches used outside a session
        page = cached_cea_study(scenario, Economics(), 5, 1000)
        outcomes = cached_outcomes(scenario, 5)
    direct = cea_study(scenario, Economics(), 5, CEASettings(bootstrap=1000, thresholds=CEA_THRESHOLDS),
                       expected_trials=CEA_EXPECTED_TRIALS)
    assert page.expected == direct.expected and page.expected_icer_se == direct.expected_icer_se
    assert page.result.to_dict() == direct.result.to_dict()
    assert outcomes.to_dict() == trial_outcomes(scenario, 5).to_dict()
