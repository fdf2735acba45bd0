"""Benchmark: Monte Carlo power -- many simulated WalkBack-size trials, each analysed.

Target (issue 5), on a 2-core machine: 10,000 simulated 701-participant trials, each with a
log-rank test, a Cox hazard ratio and Kaplan-Meier medians per arm, in under 10 s. Baseline,
measured in the same run: the obvious implementation -- a Python loop that simulates each trial
as a DataFrame (``simulate_trial``) and analyses it with lifelines (``logrank_test``,
``CoxPHFitter``, ``KaplanMeierFitter``) -- timed on a sample of trials and extrapolated.
Medians of repeats are quoted, because these machines are noisy (and shared).

Run: python benchmarks/bench_power.py [--replicates 10000] [--repeats 3] [--workers 2] [--sample 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from analysis.model.calibration import default_scenario
from analysis.stats.kernels import km_median_batch, logrank_cox_batch
from analysis.studies.replicates import analyse_chunk, map_replicate_chunks, replicate_seeds, simulate_batch
from analysis.simulate.engine import simulate_trial


CPU_TIMES: dict[str, float] = {}


def median_time(fn, repeats: int, label: str | None = None) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls (and, under ``label``, the median CPU time of this process)."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    if label:
        CPU_TIMES[label] = statistics.median(cpu)
    return statistics.median(times), out


def batched_run(scenario, n: int, seed: int, executor=None, chunk: int = 500) -> np.ndarray:
    """What simulated_power does: simulate, then log-rank, Cox and KM medians on (replicates, n) arrays."""
    parts = map_replicate_chunks(analyse_chunk, n, chunk, executor, None, args=(scenario, seed))
    return np.concatenate([p["logrank_p"] for p in parts])


def lifelines_loop(scenario, seeds) -> list[tuple[float, float, float, float]]:
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test

    out = []
    for seed in seeds:
        cohort = simulate_trial(scenario, seed=int(seed))
        arm = (cohort.arm == "intervention").astype(int)
        lr = logrank_test(cohort.time_days[arm == 1], cohort.time_days[arm == 0],
                          cohort.recurrence[arm == 1], cohort.recurrence[arm == 0])
        cph = CoxPHFitter().fit(cohort.assign(intervention=arm)[["time_days", "recurrence", "intervention"]],
                                "time_days", "recurrence")
        medians = [KaplanMeierFitter().fit(cohort.time_days[arm == a], cohort.recurrence[arm == a]).median_survival_time_
                   for a in (0, 1)]
        out.append((lr.p_value, float(np.exp(cph.params_["intervention"])), *medians))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=100, help="trials in the lifelines baseline (extrapolated)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # lifelines' own deprecation chatter is not what we time

    scenario = default_scenario()
    n, seed = args.replicates, 20240704
    print(f"{n:,} simulated trials of {scenario.design.n_total} participants; {os.cpu_count()} CPUs; "
          f"medians of {args.repeats} repeats")
    batched_run(scenario, 50, seed)  # warm caches (fast-path check, expected trial)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    seq, p_seq = median_time(lambda: batched_run(scenario, n, seed), args.repeats, "seq")
    print(f"  batched, sequential                         {seq:8.2f} s   ({1e3 * seq / n:.2f} ms per trial; "
          f"CPU {CPU_TIMES['seq']:.2f} s; load average {load:.1f} at start)")
    par = None
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            batched_run(scenario, 2 * args.workers, seed, pool, chunk=1)  # start the workers
            par, p_par = median_time(lambda: batched_run(scenario, n, seed, pool), args.repeats)
        assert np.array_equal(p_seq, p_par), "process pool gave different results"
        print(f"  batched, {args.workers} worker processes                  {par:8.2f} s   "
              f"(identical results to sequential)")

    seeds = replicate_seeds(seed, n)
    sim, batch = median_time(lambda: simulate_batch(scenario, seeds), args.repeats)

    def analyse():
        with np.errstate(all="ignore"):
            logrank_cox_batch(batch.time_days, batch.recurrence, batch.intervention)
            km_median_batch(batch.time_days, batch.recurrence, batch.intervention)

    ana, _ = median_time(analyse, args.repeats)
    print(f"    of which simulation (sequential)          {sim:8.2f} s")
    print(f"    of which log-rank + Cox + KM medians       {ana:8.2f} s   ({1e6 * ana / n:.0f} us per trial)")

    sample = replicate_seeds(seed, args.sample)
    base, rows = median_time(lambda: lifelines_loop(scenario, sample), 1)
    per_trial = base / args.sample
    extrapolated = per_trial * n
    # the kernels give the same numbers as lifelines on the same trials
    batch_sample = simulate_batch(scenario, sample)
    fit = logrank_cox_batch(batch_sample.time_days, batch_sample.recurrence, batch_sample.intervention)
    worst = float(np.max(np.abs(fit.hr - np.array([r[1] for r in rows])) / fit.hr))
    print(f"  baseline: simulate_trial + lifelines loop    {extrapolated:8.2f} s   (extrapolated from {args.sample} "
          f"trials, {1e3 * per_trial:.1f} ms per trial; max relative HR difference vs kernels {worst:.1e})")
    best = min(seq, par) if par is not None else seq
    print(f"speed-up vs the lifelines loop: {extrapolated / seq:.0f}x sequential"
          + (f", {extrapolated / par:.0f}x with {args.workers} workers" if par is not None else ""))
    print(f"target: {n:,} trials under 10 s -> {'met' if best < 10 else 'NOT met'} ({best:.2f} s best configuration)")


if __name__ == "__main__":
    main()
