"""Benchmark: ``walkback cea`` with 5,000 bootstrap replicates of the default trial, whole process.

    python benchmarks/bench_cea.py [--repeats 3] [--bootstrap 5000]

Times (median of ``--repeats``):

- cli:        ``python -m analysis.cli cea --bootstrap B`` as a subprocess (import, simulate, cost,
              bootstrap, acceptability curve, print): what a user waits for. Target: under 5 s.
- episodes:   simulate the trial with its episodes and cost it (:func:`analysis.model.costs.participant_costs`:
              overlapping episodes merged, cut at 12 months and end of follow-up), no bootstrap.
- analysis:   :func:`analysis.studies.economics.cost_effectiveness` alone on the same cost table.
- loop:       the baseline: the same stratified bootstrap written as a Python loop per replicate
              (``rng.choice`` per arm, then means), plus the acceptability curve.
- R boot:     ``boot::boot(..., strata = arm)`` on the same table with the same B, when Rscript is installed.

Prints seconds and ratios to the loop baseline. Not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.model.default import default_scenario  # noqa: E402
from analysis.model.costs import participant_costs  # noqa: E402
from analysis.simulate.engine import simulate_episodes  # noqa: E402
from analysis.studies.economics import CEASettings, cost_effectiveness, trial_cost_effectiveness  # noqa: E402

R_SCRIPT = """
suppressPackageStartupMessages(library(boot))
d <- read.csv(commandArgs(TRUE)[1]); B <- as.integer(commandArgs(TRUE)[2])
d$treat <- as.integer(d$arm == "intervention")
f <- function(x, i) { x <- x[i, ]; t <- x$treat == 1
  c(mean(x$cost[t]) - mean(x$cost[!t]), mean(x$qaly[t]) - mean(x$qaly[!t])) }
set.seed(1); t0 <- proc.time()[["elapsed"]]
b <- boot(d, f, R = B, strata = d$treat)
p <- sapply(seq(0, 1e5, length.out = 101), function(l) mean(l * b$t[, 2] - b$t[, 1] > 0))
cat(proc.time()[["elapsed"]] - t0, "\\n")
"""


def loop_bootstrap(table, replicates: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    arms = {a: table.loc[table["arm"] == a, ["cost", "qaly"]].to_numpy() for a in ("intervention", "control")}
    out = np.empty((replicates, 2))
    for b in range(replicates):  # the baseline: one Python iteration per replicate
        means = {a: v[rng.choice(len(v), len(v))].mean(axis=0) for a, v in arms.items()}
        out[b] = means["intervention"] - means["control"]
    lam = np.linspace(0, 1e5, 101)
    return np.mean(out[:, 1:2] * lam - out[:, 0:1] > 0, axis=0)


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bootstrap", type=int, default=5000)
    args = parser.parse_args()
    B = args.bootstrap
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "analysis.cli", "cea", "--bootstrap", str(B)]

    cpu = []

    def cli():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

    table, _ = trial_cost_effectiveness(default_scenario(), settings=CEASettings(bootstrap=10))
    rows = {
        "cli (whole process)": timed(cli, args.repeats),
        "simulate episodes + cost table": timed(
            lambda: participant_costs(*simulate_episodes(default_scenario(), seed=1)), args.repeats),
        "analysis only": timed(lambda: cost_effectiveness(table, CEASettings(bootstrap=B)), args.repeats),
        "loop per replicate (baseline)": timed(lambda: loop_bootstrap(table, B), max(1, args.repeats // 2)),
    }
    if shutil.which("Rscript"):
        with tempfile.TemporaryDirectory() as tmp:
            data, script = Path(tmp) / "cea.csv", Path(tmp) / "boot.R"
            table[["arm", "cost", "qaly"]].to_csv(data, index=False)
            script.write_text(R_SCRIPT)
            try:
                out = subprocess.run(["Rscript", str(script), str(data), str(B)], capture_output=True, text=True,
                                     check=True, timeout=600)
                rows["R boot (in-R time)"] = float(out.stdout.split()[-1])
            except (subprocess.SubprocessError, ValueError, IndexError):
                pass
    base = rows["loop per replicate (baseline)"]
    print(f"walkback cea, default trial (701 participants), {B:,} bootstrap replicates; median of {args.repeats}")
    print(f"{'what':<32} {'seconds':>8} {'x faster than loop':>19}")
    for name, seconds in rows.items():
        print(f"{name:<32} {seconds:>8.3f} {base / seconds:>19.1f}")
    target = rows["cli (whole process)"]
    print(f"cli CPU time (user + system, median): {statistics.median(cpu):.2f} s; wall time counts waiting for a "
          "core on a busy machine")
    print(f"target: whole process under 5 s -> {'met' if target < 5 else 'NOT met'} ({target:.2f} s wall)")


if __name__ == "__main__":
    main()
