"""Plotly figure builders: right traces, consistent arm colours, correct transforms, no Streamlit."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analysis.plots import figures as F
from analysis.studies import whatif as W
from analysis.model.expectation import expected_trial
from analysis.stats.survival import analyze_two_arm
from analysis.trial.scenario import with_changes
from analysis.simulate.engine import simulate_trial


@pytest.fixture(scope="module")
def analysed(walkback):
    return analyze_two_arm(simulate_trial(walkback, seed=3), tau=365.25)


def _colours(fig: go.Figure) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for trace in fig.data:
        colour = getattr(getattr(trace, "line", None), "color", None)
        if trace.name and colour:
            out.setdefault(trace.name, set()).add(colour)
    return out


def test_figures_module_does_not_import_streamlit():
    code = "import sys, analysis.plots.figures, analysis.trial.sharing; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_km_figure_has_bands_curves_censor_marks_and_risk_table(analysed):
    curves = F.arm_curves_from_km(analysed.km)
    assert [c.arm for c in curves] == ["intervention", "control"]
    fig = F.km_figure(curves, risk_table=F.risk_table_for_plot(analysed.risk_table))
    names = [t.name for t in fig.data]
    for arm in ("Walking + education", "Control"):
        assert arm in names and f"{arm} 95% CI" in names and f"{arm} censored" in names
    colours = _colours(fig)
    assert colours["Walking + education"] == {F.ARM_COLOURS["intervention"]}
    assert colours["Control"] == {F.ARM_COLOURS["control"]}
    text_traces = [t for t in fig.data if t.mode == "text"]
    assert len(text_traces) == 6  # at risk, events, censored for each arm
    at_risk = [t for t in text_traces if t.textfont.color == F.ARM_TEXT_COLOURS["control"]][0]  # small text at AA contrast
    assert at_risk.text[0] == str(analysed.km.curve("control").n)
    assert fig.layout.xaxis2.title.text == "Days since randomisation"


def test_km_curve_starts_at_one_and_is_a_step_function(analysed):
    c = F.arm_curves_from_km(analysed.km)[1]
    fig = F.km_figure([c], show_bands=False, show_censors=False, show_medians=False)
    line = fig.data[0]
    assert line.y[0] == 100.0
    assert np.all(np.diff(np.asarray(line.y)) <= 1e-12)  # survival never rises
    assert np.all(np.diff(np.asarray(line.x)) >= 0)


def test_cumulative_incidence_is_one_minus_survival(analysed):
    c = F.arm_curves_from_km(analysed.km)[0]
    surv = F.km_figure([c], show_bands=False, show_censors=False, show_medians=False).data[0]
    cum = F.km_figure([c], show_bands=False, show_censors=False, show_medians=False, cumulative=True).data[0]
    np.testing.assert_allclose(np.asarray(cum.y), 100 - np.asarray(surv.y))
    lo, hi = np.asarray(cum.customdata).T
    assert np.all(lo <= np.asarray(cum.y) + 1e-9) and np.all(np.asarray(cum.y) <= hi + 1e-9)
    assert "% recurred" in F.km_figure([c], cumulative=True).layout.yaxis.title.text


def test_km_figure_for_uploaded_group_names_and_other_time_units():
    from analysis.stats.survival import kaplan_meier

    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 7, 8], "e": [1, 0, 1, 1, 0, 1, 1, 0], "g": ["a", "b"] * 4})
    km = kaplan_meier(d, "t", "e", "g", reference="a", landmarks=())
    fig = F.km_figure(F.arm_curves_from_km(km), time_unit="weeks")
    assert "Time (weeks)" == fig.layout.xaxis.title.text
    assert _colours(fig)["b"] == {F.ARM_COLOURS["intervention"]}


def test_expected_and_whatif(walkback):
    base = expected_trial(walkback)
    lower = expected_trial(with_changes(walkback, {"adherence.never_start": 0.5}))
    fig = F.expected_curves_figure([("intervention", "now", base.times, base.survival_intervention, "dash"),
                                    ("intervention", "what-if", lower.times, lower.survival_intervention, "solid")])
    assert [t.line.dash for t in fig.data] == ["dash", "solid"]
    table = W.whatif_table(base, lower)
    row = table.set_index("quantity").loc["Median days to recurrence, walking + education"]
    assert row.baseline == "208" and row.what_if_value < row.baseline_value and row.change.startswith("-")
    nnt = table.set_index("quantity").loc["Number needed to treat at 12 months"]
    assert 0 < nnt.baseline_value < nnt.what_if_value


def test_number_needed_to_treat_edges():
    assert W.number_needed_to_treat(0.5, 0.5) == math.inf
    assert W.number_needed_to_treat(0.4, 0.5) == pytest.approx(-10)


def test_dose_response_and_walking(walkback):
    x, y = W.dose_response_curve(walkback.dose_response, 300)
    assert y[0] == 1.0 and np.all(np.diff(y) < 0)
    traj = W.walking_trajectory(walkback)
    week12 = traj[(traj.arm == "intervention") & (traj.week == 12)].minutes.iloc[0]
    assert week12 == pytest.approx(expected_trial(walkback).walking_week12_intervention, rel=0.02)
    fig = F.walking_over_time_figure(traj, target=150, published_point=(12, 130), programme_weeks=26)
    assert any(t.name and "Published" in t.name for t in fig.data)
    never = W.walking_trajectory(with_changes(walkback, {"adherence.never_start": 1.0}))
    assert never[never.arm == "intervention"].q90.isna().all()
    F.walking_over_time_figure(never)  # no starters: no band, no error


def test_replicate_band_hr_spread_and_readout():
    band = pd.DataFrame({"day": [0, 100, 200] * 2, "arm": ["control"] * 3 + ["intervention"] * 3,
                         "q025": [1, .4, .3, 1, .5, .4], "q50": [1, .5, .4, 1, .6, .5], "q975": [1, .6, .5, 1, .7, .6]})
    fig = F.replicate_band_figure(band, published_medians={"control": 112, "intervention": 208})
    assert sum(1 for t in fig.data if t.fill == "toself") == 2
    hist = F.hr_spread_figure(np.array([0.6, 0.7, np.nan]), published=0.72, published_ci=(0.6, 0.85), true_hr=0.72)
    assert len(hist.data[0].x) == 2
    per_trial = pd.DataFrame({"hr": [0.5, 0.7, 0.8, 0.9], "logrank_p": [0.001, 0.01, 0.2, 0.5]})
    assert W.replicate_readout(per_trial, published_ci=(0.6, 0.85))["hr_q50"] == pytest.approx(0.75)


def test_log_minus_log_and_forest(analysed):
    lml = analysed.ph.loglog.rename(columns={"level": "arm", "log_minus_log_survival": "log_minus_log"})
    fig = F.log_minus_log_figure(lml)
    assert {t.name for t in fig.data} == {"Walking + education", "Control"}
    forest = F.estimate_forest_figure(pd.DataFrame({"label": ["a", "b"], "estimate": [0.7, 0.8],
                                                    "lower": [0.6, math.nan], "upper": [0.85, math.nan],
                                                    "kind": ["published", "expected"]}))
    assert forest.data[0].error_x.array[0] == pytest.approx(0.15)
    assert forest.data[1].error_x.array is None


def test_day_ticks_every_six_months():
    assert F.day_ticks(1095.75)[-1] == 1096
    assert len(F.day_ticks(1095.75)) == 7
