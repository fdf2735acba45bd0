"""The Outcomes study and its figures: every published HR beside the simulated trial and the expectation."""

import math

import numpy as np
import pytest

from analysis.model.episodes import expected_episodes
from analysis.plots.outcomes import forest_figure, km_endpoint_figure, mcf_figure
from analysis.simulate.engine import simulate_episodes
from analysis.stats.cox import fit_cox
from analysis.studies.outcomes import trial_outcomes


@pytest.fixture(scope="module")
def outcomes(walkback):
    return trial_outcomes(walkback, seed=3)


def test_forest_rows_are_the_published_simulated_and_expected_figures(walkback, outcomes):
    f = outcomes.forest.set_index(["outcome", "source"])
    assert f.loc[("Activity-limiting recurrence (primary)", "published"), "hr"] == 0.72
    assert f.loc[("Care-seeking recurrence", "published"), "note"] == "CI not published"
    assert math.isnan(f.loc[("Any recurrence", "published"), "hr"])
    assert f.loc[("Any recurrence", "expected"), "hr"] == pytest.approx(expected_episodes(walkback).any_hr)
    cohort, _ = simulate_episodes(walkback, seed=3)
    fit = fit_cox(cohort.time_care_days, cohort.recurrence_care, (cohort.arm == "intervention").to_numpy().astype(float))
    assert f.loc[("Care-seeking recurrence", "simulated"), "hr"] == pytest.approx(math.exp(fit.coef[0]), rel=1e-12)
    assert set(outcomes.to_dict()) == {"seed", "forest", "secondary", "recurrent"}


def test_figures_draw_what_they_are_given(outcomes):
    fig = forest_figure(outcomes.forest)
    drawn = sum(len(t.x) for t in fig.data)
    assert drawn == int(outcomes.forest.hr.notna().sum())
    km = km_endpoint_figure(outcomes.km["recovery"], "Recovery")
    assert len(km.data) == 2 and km.data[0].y[0] == 100.0  # the curves are drawn in percent
    mcf = mcf_figure(outcomes.recurrent.mcf.curves)
    last = outcomes.recurrent.mcf.curves.groupby("arm", sort=False).mcf.last().to_numpy()
    assert np.allclose([t.y[-1] for t in mcf.data if t.showlegend is not False], last)
