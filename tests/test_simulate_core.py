"""One simulator: simulate_trial is the batch core (simulate_trials / simulate_cohorts) with one seed.

Row r of any batch is the trial of seed r on its own, bit for bit, whatever the other seeds;
the permuted-block allocation (including the rare pool extension to earlier blocks) gives the
requested arm sizes exactly; event times do not depend on how many rows are computed at once.
"""


import numpy as np
import pandas as pd
import pytest

from analysis.simulate import engine as S
from analysis.errors import ScenarioError
from analysis.model.default import default_scenario
from analysis.model.hazard import (
    BaselineHazard,
    dose_pieces,
    event_times_piecewise,
    week12_fraction,
)
from analysis.studies.replicates import replicate_seeds, simulate_batch
from analysis.trial.scenario import DoseResponse, Outcome, Walking, with_changes
from analysis.simulate.engine import simulate_cohorts, simulate_trial, simulate_trials


def _scenarios(base):
    return {
        "default": base,
        "three_to_one": with_changes(base, {"design.n_intervention": 90, "design.n_control": 30}),
        "three_to_one_big_blocks": with_changes(base, {"design.n_intervention": 150, "design.n_control": 50,
                                                       "design.block_sizes": (4, 8, 12)}),
        "tiny": with_changes(base, {"design.n_intervention": 3, "design.n_control": 2}),
        "tiny_one_sided": with_changes(base, {"design.n_intervention": 1, "design.n_control": 7,
                                              "design.block_sizes": (2,)}),
        "extreme": with_changes(base, {"design.n_intervention": 1000, "design.n_control": 10}),
        "potential_healthy_adherer": with_changes(base, {"outcome.baseline_risk_sd": 0.9,
                                                         "adherence.healthy_adherer_correlation": 0.6}),
    }


def _extended_from_counts(scenario, draws, reps):
    # A pool is extended when more blocks are pooled than there are incomplete final blocks.
    sizes = draws.block_sizes
    ends = np.cumsum(sizes)
    first = np.cumsum(draws.group_blocks) - draws.group_blocks
    group_m = np.bincount((np.arange(reps)[:, None] * 4 + draws.stratum).ravel(), minlength=4 * reps)
    incomplete = np.zeros(4 * reps, dtype=np.int64)
    for g in np.flatnonzero(draws.group_blocks):
        lo = ends[first[g]] - sizes[first[g]]
        incomplete[g] = int(ends[first[g] + draws.group_blocks[g] - 1] - lo != group_m[g])
    return (draws.group_pooled > incomplete).reshape(reps, 4).any(axis=1)


@pytest.mark.parametrize("name", ["default", "three_to_one", "three_to_one_big_blocks", "tiny", "tiny_one_sided",
                                  "extreme", "potential_healthy_adherer"])
def test_simulate_trial_is_row_r_of_the_batch(walkback, name):
    scenario = _scenarios(walkback)[name]
    seeds = replicate_seeds(2024, 40 if scenario.design.n_total < 200 else 12)
    batch = simulate_trials(scenario, seeds)
    stacked = simulate_cohorts(scenario, seeds, potential_outcomes=True)
    n = scenario.design.n_total
    for r, seed in enumerate(seeds):
        cohort = simulate_trial(scenario, seed=int(seed), potential_outcomes=True)
        pd.testing.assert_frame_equal(stacked.iloc[r * n:(r + 1) * n].reset_index(drop=True), cohort, check_exact=True)
        assert np.array_equal(batch.time_days[r], cohort.time_days.to_numpy())
        assert np.array_equal(batch.recurrence[r], cohort.recurrence.to_numpy().astype(bool))
        assert np.array_equal(batch.intervention[r], (cohort.arm == "intervention").to_numpy())
        assert np.array_equal(batch.stratum[r], cohort.stratum.cat.codes.to_numpy())
        # the arms have exactly the requested sizes
        assert int((cohort.arm == "intervention").sum()) == scenario.design.n_intervention
    assert (batch.intervention.sum(axis=1) == scenario.design.n_intervention).all()
    if name in ("three_to_one", "tiny_one_sided", "extreme"):
        # these scenarios do exercise the extension of the pool to earlier blocks
        assert _extended_from_counts(scenario, S._draw(scenario, seeds, details=False), len(seeds)).any()


@pytest.mark.parametrize("name", ["default", "three_to_one", "tiny", "extreme"])
def test_batch_of_one_equals_the_rows_of_a_batch_of_many(walkback, name):
    scenario = _scenarios(walkback)[name]
    seeds = replicate_seeds(7, 25)
    many = simulate_trials(scenario, seeds)
    for r in (0, 3, 24):
        one = simulate_trials(scenario, seeds[r:r + 1])
        for field in ("intervention", "time_days", "recurrence", "stratum"):
            assert np.array_equal(getattr(one, field)[0], getattr(many, field)[r]), field
    reversed_batch = simulate_batch(scenario, seeds[::-1])
    assert np.array_equal(reversed_batch.time_days[::-1], many.time_days)
    assert np.array_equal(reversed_batch.intervention[::-1], many.intervention)


def test_batches_larger_than_one_call_are_split_without_changing_rows(walkback, monkeypatch):
    scenario = _scenarios(walkback)["three_to_one"]
    seeds = replicate_seeds(3, 9)
    whole = simulate_trials(scenario, seeds)
    monkeypatch.setattr(S, "_MAX_CELLS", 2 * scenario.design.n_total)  # calls of two trials
    split = simulate_trials(scenario, seeds)
    for field in ("intervention", "time_days", "recurrence", "stratum"):
        assert np.array_equal(getattr(whole, field), getattr(split, field))


@pytest.mark.parametrize("n1, n0, blocks", [(1, 1, (2,)), (2, 1, (2, 4)), (1, 9, (4, 6, 8)), (30, 10, (2,)),
                                            (99, 1, (4,)), (7, 7, (100,)), (500, 20, (2, 4)), (3, 60, (6,))])
def test_arm_sizes_are_exact_in_every_trial(walkback, n1, n0, blocks):
    scenario = with_changes(walkback, {"design.n_intervention": n1, "design.n_control": n0,
                                       "design.block_sizes": blocks})
    batch = simulate_trials(scenario, np.arange(60))
    assert (batch.intervention.sum(axis=1) == n1).all()


def test_complete_unpooled_blocks_stay_balanced(walkback):
    cohort = simulate_cohorts(_scenarios(walkback)["three_to_one_big_blocks"], np.arange(30))
    cohort["trial"] = np.repeat(np.arange(30), 200)
    blocks = cohort.groupby(["trial", "block_id"]).agg(size=("arm", "size"), planned=("block_size", "first"),
                                                      n_int=("arm", lambda a: int((a == "intervention").sum())),
                                                      strata=("stratum", "nunique"))
    assert (blocks.strata == 1).all()
    complete = blocks[blocks["size"] == blocks.planned]
    # 3:1 allocation: rint(3/4 * size) of a block; only pooled blocks (at the ends of strata) may differ
    balanced = complete.n_int == np.rint(0.75 * complete.planned)
    assert balanced.mean() > 0.9


def test_event_times_do_not_depend_on_the_number_of_rows_in_the_call():
    rng = np.random.default_rng(5)
    n = 9000  # above the size at which the two-pass route is used
    target = rng.standard_exponential(n)
    risk = np.exp(0.5 * rng.standard_normal(n))
    plateau = rng.uniform(0, 150, n)
    for dose in (DoseResponse(shape="log_linear", log_hr_per_100_min=0.8), DoseResponse(shape="emax", emax=0.7)):
        for outcome in (Outcome(), Outcome(baseline="piecewise_exponential"), Outcome(baseline="exponential")):
            pieces, base = dose_pieces(Walking()), BaselineHazard.from_outcome(outcome)
            whole = event_times_piecewise(target, risk, plateau, 0.9, dose, pieces, base)
            for lo, hi in ((0, 1), (17, 718), (4000, 9000), (0, 4097)):
                part = event_times_piecewise(target[lo:hi], risk[lo:hi], plateau[lo:hi], 0.9, dose, pieces, base)
                assert np.array_equal(part, whole[lo:hi]), (lo, hi)
            small_chunks = event_times_piecewise(target, risk, plateau, 0.9, dose, pieces, base, chunk=100)
            assert np.array_equal(small_chunks, whole)


@pytest.mark.parametrize("ramp_weeks, programme_weeks", [(8, 26), (24, 26)])
def test_simulated_and_expected_week12_walking_read_the_same_week(ramp_weeks, programme_weeks):
    """Week 12 is where the walking ramp is read out by the simulator and by the exact expectation alike:
    with a ramp that ends before week 12 (fraction 1) and one still halfway up (fraction 0.5), the mean
    simulated week-12 walking of the intervention arm is the expected one. 200,000 participants; the
    tolerance is 4 Monte Carlo standard errors of that mean (sample sd / sqrt(n))."""
    from analysis.model.expectation import expected_trial
    from analysis.simulate.engine import scenario_for_size

    scenario = with_changes(default_scenario(), {"walking.ramp_weeks": ramp_weeks,
                                                 "walking.programme_weeks": programme_weeks})
    frac = week12_fraction(dose_pieces(scenario.walking))
    assert frac == (1.0 if ramp_weeks < 12 else 0.5)
    cohort = simulate_trial(scenario_for_size(scenario, 200_000), seed=12)
    walk = cohort.loc[cohort.arm == "intervention", "walking_minutes_week12"].to_numpy(float)
    expected = expected_trial(scenario).walking_week12_intervention
    assert abs(walk.mean() - expected) <= 4 * walk.std(ddof=1) / np.sqrt(len(walk)), (walk.mean(), expected)


def test_simulate_trial_is_the_batch_core_with_one_seed(walkback):
    """simulate_trial draws nothing of its own: it is simulate_cohorts (and simulate_trials) with one seed."""
    one = simulate_trial(walkback, seed=77)
    pd.testing.assert_frame_equal(one, simulate_cohorts(walkback, [77]))
    batch = simulate_trials(walkback, [5, 77])
    assert np.array_equal(batch.time_days[1], one.time_days.to_numpy())
    assert np.array_equal(batch.intervention[1], (one.arm == "intervention").to_numpy())


def test_a_hazard_too_high_for_episodes_is_refused_with_one_message():
    """~385,000 episodes per participant (Weibull scale 5 days, shape 2.5): 270 million would exhaust memory."""
    absurd = with_changes(default_scenario(), {"outcome.scale_days": 5.0, "outcome.shape": 2.5})
    with pytest.raises(ScenarioError, match=r"about 270,\d{3},\d{3} back-pain episodes \(385,\d{3} per participant.*fit in memory"):
        simulate_trial(absurd, seed=1)
