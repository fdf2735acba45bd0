"""Benchmark: the Monte Carlo kernel (log-rank and Cox for many trials at once) against a per-trial loop.

Target (moved here from the unit tests, where a wall-clock bound does not belong): 10,000 trials of
701 participants analysed by :func:`analysis.stats.kernels.logrank_cox_batch` in well under 20 s on a
2-core machine. Baseline, measured in the same run: the same trials one at a time with lifelines'
``logrank_test`` and ``CoxPHFitter`` (Efron), timed on a sample and extrapolated. Medians of repeats.

Run: python benchmarks/bench_kernels.py [--trials N] [--repeats N] [--sample N]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

from analysis.stats.kernels import logrank_cox_batch
from bench_simulate import median_time  # the benchmarks' one timing rule (run from benchmarks/ as a script)


def trials(n_trials: int, n: int = 701, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = np.tile(np.r_[np.zeros(n // 2), np.ones(n - n // 2)], (n_trials, 1)).astype(np.int8)
    t = rng.exponential(100.0, (n_trials, n)) * np.where(x == 1, 1.3, 1.0)
    c = rng.uniform(0, 400, (n_trials, n))
    return np.minimum(t, c), (t <= c).astype(np.int8), x


def lifelines_loop(t, e, x) -> None:
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    for r in range(len(t)):
        g = x[r] == 1
        logrank_test(t[r][~g], t[r][g], e[r][~g], e[r][g])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CoxPHFitter().fit(pd.DataFrame({"t": t[r], "e": e[r], "x": x[r]}), "t", "e")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20, help="trials the lifelines baseline is timed on")
    args = parser.parse_args()
    t, e, x = trials(args.trials)
    res = logrank_cox_batch(t, e, x)
    assert res.converged.all()
    kernel = median_time(lambda: logrank_cox_batch(t, e, x), args.repeats)
    baseline = median_time(lambda: lifelines_loop(t[:args.sample], e[:args.sample], x[:args.sample]), 1)
    baseline *= args.trials / args.sample
    print(f"{args.trials:,} trials x 701 participants, log-rank + Cox (Efron)")
    print(f"  kernel (logrank_cox_batch), median of {args.repeats}: {kernel:8.2f} s   target < 20 s: "
          f"{'met' if kernel < 20 else 'MISSED'}")
    print(f"  lifelines per trial (extrapolated from {args.sample}): {baseline:8.1f} s   ratio {baseline / kernel:,.0f}x")


if __name__ == "__main__":
    main()
