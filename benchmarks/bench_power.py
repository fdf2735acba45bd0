"""Benchmark: `walkback power --n-sims 10000` as a whole process, with default settings.

    python benchmarks/bench_power.py [--n-sims 10000] [--repeats 3] [--sample 100]

What is timed is what users run, start to finish: ``python -m analysis power --n-sims N --json``
(interpreter start-up, imports, the analytic power, N simulated WalkBack trials of 701
participants, each with a log-rank test, a Cox hazard ratio and Kaplan-Meier medians, on every
core by default). Also timed: the same with ``--workers 1`` (everything in one process), to show
what the default's process pool brings. Medians of ``--repeats`` runs.

Baseline, measured in the same run: the obvious implementation -- a Python loop that simulates
each trial as a DataFrame (``simulate_trial``) and analyses it with lifelines (``logrank_test``,
``CoxPHFitter``, ``KaplanMeierFitter``) -- timed on ``--sample`` trials in one process and
extrapolated to N. The batched kernels' hazard ratios are checked against lifelines' on those
trials.

Target (issue 11): 10,000 trials in at most 5 s, whole process, default settings. Not a test;
the machine's load average is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.model.default import default_scenario  # noqa: E402
from analysis.simulate.engine import simulate_trial  # noqa: E402
from analysis.stats.kernels import logrank_cox_batch  # noqa: E402
from analysis.studies.replicates import replicate_seeds, simulate_batch  # noqa: E402


def whole_process(args: list[str], repeats: int) -> tuple[float, list[float], dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    walls, out = [], {}
    for _ in range(repeats):
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "analysis", "power", *args, "--json"], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=3600)
        walls.append(time.perf_counter() - began)
        if proc.returncode != 0:
            raise SystemExit(f"walkback power {' '.join(args)} failed: {proc.stderr.strip()}")
        out = json.loads(proc.stdout)
    return statistics.median(walls), walls, out


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
    parser.add_argument("--n-sims", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=100, help="trials in the lifelines baseline (extrapolated)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # lifelines' own deprecation chatter is not what we time
    n = args.n_sims
    from analysis.cli.common import default_workers

    load = os.getloadavg()[0]
    print(f"`walkback power --n-sims {n}`: {n:,} simulated trials of 701 participants; {default_workers()} cores "
          f"usable; load average {load:.1f} at start; medians of {args.repeats} whole-process runs")

    default, runs, out = whole_process(["--n-sims", str(n)], args.repeats)
    row = out["rows"][0]
    print(f"  default settings (every core)      {default:8.2f} s   runs {', '.join(f'{r:.2f}' for r in runs)}; "
          f"power {row['power_simulated']:.4f} (MC SE {row['mc_se']:.4f})")
    single, runs1, out1 = whole_process(["--n-sims", str(n), "--workers", "1"], args.repeats)
    same = out1["rows"][0]["power_simulated"] == row["power_simulated"]
    print(f"  --workers 1 (one process)          {single:8.2f} s   runs {', '.join(f'{r:.2f}' for r in runs1)}; "
          f"{'identical' if same else 'DIFFERENT'} results")
    startup, _, _ = whole_process(["--n-sims", "0"], args.repeats)
    print(f"  --n-sims 0 (start-up + analytic)   {startup:8.2f} s")

    scenario = default_scenario()
    sample = replicate_seeds(int(out["seed"]), args.sample)
    began = time.perf_counter()
    rows = lifelines_loop(scenario, sample)
    per_trial = (time.perf_counter() - began) / args.sample
    batch = simulate_batch(scenario, sample)
    with np.errstate(all="ignore"):
        fit = logrank_cox_batch(batch.time_days, batch.recurrence, batch.intervention)
    worst = float(np.max(np.abs(fit.hr - np.array([r[1] for r in rows])) / fit.hr))
    baseline = per_trial * n
    print(f"  baseline: simulate_trial + lifelines loop, one process  {baseline:8.1f} s   (extrapolated from "
          f"{args.sample} trials, {1e3 * per_trial:.1f} ms per trial; max relative HR difference vs the kernels "
          f"{worst:.1e})")
    print(f"speed-up of the default command vs the lifelines loop: {baseline / default:.0f}x")
    print(f"target: {n:,} trials in at most 5 s, whole process, default settings -> "
          f"{'met' if default <= 5 else 'NOT met'} ({default:.2f} s)")


if __name__ == "__main__":
    main()
