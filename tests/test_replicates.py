"""Monte Carlo replicates: seeding rule, bit-identity with simulate_trial, executors, KM band."""

import json
import math
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from analysis.studies import replicates as R
from analysis.errors import ScenarioError, WalkBackInputError
from analysis.stats.kernels import logrank_cox
from analysis.trial.scenario import Scenario, with_changes
from analysis.simulate.engine import simulate_trial

PER_TRIAL_COLUMNS = ["replicate", "hr", "hr_lower", "hr_upper", "logrank_chisq", "logrank_p", "median_control",
                     "median_intervention", "events"]


def scenarios(base):
    return {
        "default": base,
        "healthy_adherer": with_changes(base, {"outcome.baseline_risk_sd": 0.9, "adherence.healthy_adherer_correlation": 0.6,
                                               "adherence.never_start": 0.2}),
        "exponential_ph": with_changes(base, {"outcome.baseline": "exponential", "dose_response.shape": "none",
                                              "dose_response.education_hr": 0.7}),
        "piecewise_emax_no_loss": with_changes(base, {"outcome.baseline": "piecewise_exponential",
                                                      "dose_response.shape": "emax",
                                                      "design.annual_loss_to_followup": 0.0}),
        "small_odd": with_changes(base, {"design.n_intervention": 31, "design.n_control": 30}),
        "two_to_one": with_changes(base, {"design.n_intervention": 400, "design.n_control": 200}),
        # extreme ratio: the final-block pool must be extended to earlier blocks
        "ten_to_one": with_changes(base, {"design.n_intervention": 300, "design.n_control": 30,
                                          "design.block_sizes": (2, 4)}),
        # more than 4096 starters per trial: event_times_piecewise's two-pass route
        "large": with_changes(base, {"design.n_intervention": 9001, "design.n_control": 9000}),
    }


def test_replicate_seed_is_child_i_of_the_spawned_sequence():
    children = np.random.SeedSequence(20240704).spawn(50)
    for i in (0, 1, 17, 49):
        expected = int(children[i].generate_state(1, np.uint64)[0]) >> 1
        assert R.replicate_seed(20240704, i) == expected
    seeds = R.replicate_seeds(20240704, 5, start=45)
    assert seeds.dtype == np.int64 and seeds.tolist() == [R.replicate_seed(20240704, i) for i in range(45, 50)]
    assert (seeds >= 0).all()


@pytest.mark.parametrize("name", ["default", "healthy_adherer", "exponential_ph", "piecewise_emax_no_loss", "small_odd",
                                  "two_to_one", "ten_to_one", "large"])
def test_batched_simulation_is_bit_identical_to_simulate_trial(walkback, name):
    scenario = scenarios(walkback)[name]
    seeds = R.replicate_seeds(11, 3 if name == "large" else 9)
    batch = R.simulate_batch(scenario, seeds)
    for r, seed in enumerate(seeds):
        cohort = simulate_trial(scenario, seed=int(seed))
        assert np.array_equal(batch.time_days[r], cohort.time_days.to_numpy())
        assert np.array_equal(batch.recurrence[r], cohort.recurrence.to_numpy().astype(bool))
        assert np.array_equal(batch.intervention[r], (cohort.arm == "intervention").to_numpy())
        assert np.array_equal(batch.stratum[r], cohort.stratum.cat.codes.to_numpy())
    # position inside the batch does not matter
    sub = R.simulate_batch(scenario, seeds[1:3])
    assert np.array_equal(sub.time_days, batch.time_days[1:3])


def test_there_is_one_simulator_and_no_fallback_path():
    """simulate_batch is the simulator's batch core; the old duplicate and its run-time check are gone."""
    from analysis.simulate import engine as S

    for name in ("_simulate_batch_fast", "_draw_one_original", "_simulate_batch_reference", "_fast_path_agrees",
                 "_piecewise_like_per_trial", "_PIECEWISE_ONE_PASS_MAX", "_allocate"):
        assert not hasattr(R, name), name
    assert not hasattr(S, "_randomise")
    assert R.TrialBatch is S.TrialBatch
    # the batch is the simulator's own batch, and its errors reach the caller (no fallback swallows them)
    scenario = Scenario()
    for endpoint in ("primary", "any"):
        a, b = R.simulate_batch(scenario, [3, 4], endpoint), S.simulate_trials(scenario, [3, 4], endpoint)
        assert np.array_equal(a.time_days, b.time_days) and np.array_equal(a.recurrence, b.recurrence)
    with pytest.raises(ScenarioError, match="trial seeds"):
        R.simulate_batch(scenario, [-1])
    with pytest.raises(ScenarioError, match="endpoint"):
        R.simulate_batch(scenario, [1], "no such endpoint")


def test_run_replicates_shape_and_agreement_with_single_trial_analysis(walkback):
    result = R.run_replicates(walkback, 30, seed=3, chunk_size=8)
    assert list(result.per_trial.columns[:len(PER_TRIAL_COLUMNS)]) == PER_TRIAL_COLUMNS
    assert result.per_trial.replicate.tolist() == list(range(30))
    assert list(result.km_band.columns) == ["day", "arm", "q025", "q50", "q975"]
    assert set(result.km_band.arm) == {"intervention", "control"}
    band = result.km_band
    assert ((band.q025 <= band.q50) & (band.q50 <= band.q975)).all()
    # replicate 7 is simulate_trial(seed=trial_seed) analysed on its own
    row = result.per_trial.iloc[7]
    # (read the seed from its int64 column: a mixed-type row would turn it into an inexact float)
    cohort = simulate_trial(walkback, seed=int(result.per_trial.trial_seed.iloc[7]))
    single = logrank_cox(cohort.time_days, cohort.recurrence, (cohort.arm == "intervention").astype(int))
    assert row.hr == pytest.approx(single["hr"], rel=1e-12)
    assert row.logrank_chisq == pytest.approx(single["logrank_chisq"], rel=1e-12)
    assert row.events == int(cohort.recurrence.sum())
    json.dumps(result.to_dict())
    summary = result.summary.set_index("quantity")
    assert summary.loc["replicates", "value"] == 30


def test_results_do_not_depend_on_chunking_or_executor(walkback):
    base = R.run_replicates(walkback, 23, seed=99, chunk_size=500)
    small = R.run_replicates(walkback, 23, seed=99, chunk_size=4)
    with ThreadPoolExecutor(2) as pool:
        threaded = R.run_replicates(walkback, 23, seed=99, chunk_size=6, executor=pool)
    with ProcessPoolExecutor(2) as pool:
        processes = R.run_replicates(walkback, 23, seed=99, chunk_size=5, executor=pool)
    for other in (small, threaded, processes):
        pd.testing.assert_frame_equal(base.per_trial, other.per_trial, check_exact=True)
        pd.testing.assert_frame_equal(base.km_band, other.km_band, check_exact=True)
    # replicate i is the same trial in a longer run
    longer = R.run_replicates(walkback, 30, seed=99)
    pd.testing.assert_frame_equal(base.per_trial, longer.per_trial.iloc[:23], check_exact=True)


def test_dask_distributed_executor_is_bit_identical_to_sequential(walkback):
    """About 2 s (in-process LocalCluster, two worker threads), so not marked slow."""
    distributed = pytest.importorskip("distributed")
    sequential = R.run_replicates(walkback, 40, seed=2024, chunk_size=40)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = R.run_replicates(walkback, 40, seed=2024, chunk_size=7, executor=client.get_executor())
    pd.testing.assert_frame_equal(sequential.per_trial, on_dask.per_trial, check_exact=True)
    pd.testing.assert_frame_equal(sequential.km_band, on_dask.km_band, check_exact=True)


def test_progress_is_reported_per_chunk(walkback):
    calls = []
    R.run_replicates(walkback, 10, seed=1, chunk_size=4, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(4, 10), (8, 10), (10, 10)]
    calls.clear()
    with ThreadPoolExecutor(2) as pool:
        R.run_replicates(walkback, 10, seed=1, chunk_size=4, executor=pool,
                         progress=lambda done, total: calls.append((done, total)))
    assert sorted(d for d, _ in calls)[-1] == 10 and len(calls) == 3 and all(t == 10 for _, t in calls)


def test_km_on_grid_matches_lifelines(walkback):
    cohort = simulate_trial(walkback, seed=8)
    grid = np.arange(0.0, 1100.0, 7.0)
    curves = R.km_on_grid_batch(cohort.time_days.to_numpy()[None], cohort.recurrence.to_numpy()[None],
                                (cohort.arm == "intervention").to_numpy()[None], grid)
    for index, arm in ((0, "control"), (1, "intervention")):
        sub = cohort[cohort.arm == arm]
        fit = KaplanMeierFitter().fit(sub.time_days, sub.recurrence)
        np.testing.assert_allclose(curves[0, index], fit.survival_function_at_times(grid).to_numpy(), atol=1e-12)


def test_km_on_grid_handles_ties_like_lifelines():
    rng = np.random.default_rng(4)
    t = rng.integers(1, 15, size=(3, 60)).astype(float)
    e = rng.random((3, 60)) < 0.7
    g = rng.random((3, 60)) < 0.5
    grid = np.arange(0.0, 16.0)
    curves = R.km_on_grid_batch(t, e, g, grid)
    for r in range(3):
        for index, mask in ((0, ~g[r]), (1, g[r])):
            fit = KaplanMeierFitter().fit(t[r][mask], e[r][mask])
            np.testing.assert_allclose(curves[r, index], fit.survival_function_at_times(grid).to_numpy(), atol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_replicates": 0}, "n_replicates"),
    ({"n_replicates": 2.5}, "n_replicates"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**63}, "seed"),
    ({"grid_days": [5, 3]}, "grid_days"),
    ({"grid_days": []}, "grid_days"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"alpha": 1.5}, "alpha"),
])
def test_bad_input_is_a_one_line_input_error(walkback, kwargs, message):
    args = {"n_replicates": 3, "seed": 1, **kwargs}
    with pytest.raises(WalkBackInputError, match=message) as info:
        R.run_replicates(walkback, args.pop("n_replicates"), args.pop("seed"), **args)
    assert "\n" not in str(info.value)


def test_power_line_of_the_summary_matches_the_per_trial_table(walkback):
    result = R.run_replicates(walkback, 40, seed=6)
    power = float((result.per_trial.logrank_p < 0.05).mean())
    assert result.power == power
    line = result.summary.set_index("quantity").loc["power (two-sided log-rank p < 0.05)"]
    assert line.value == power and math.isclose(line.mc_se, math.sqrt(power * (1 - power) / 40))
