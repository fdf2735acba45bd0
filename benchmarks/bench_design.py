"""Benchmark: group-sequential designs as users run them, beside rpact in the same run.

    python benchmarks/bench_design.py [--n-sims 10000] [--repeats 3]

1. Boundaries of a 5-look design (O'Brien-Fleming-type alpha spending with O'Brien-Fleming-type beta spending):
   the compute time of ``compute_boundaries`` (median of 20 calls in this process) and the whole process
   ``walkback design --looks 5 --futility asOF --json``; beside rpact's ``getDesignGroupSequential`` with the same
   arguments (median of 20 calls inside R). Target (issue 19): at most 50 ms of compute.
2. ``walkback design --simulate N --json`` as a whole process with default settings (3 looks, asOF, one-sided
   alpha 0.025, power 0.8; the calibrated WalkBack trial of 701 participants; every core): N trials under the
   scenario and N under H0, cut at each look, log-rank at each look, Cox HR at stopping. Beside it rpact's
   ``getSimulationSurvival`` with the same number of trials per hypothesis, the same boundaries and looks (the
   recurrences our run used), 701 participants and an exponential approximation of the scenario (control median,
   recruitment, loss to follow-up), under HR 0.72 and under HR 1 (the same work as ours), timed inside R.
   Target (issue 19): 10,000 trials in at most 10 s on this 2-core machine.

Medians of ``--repeats`` runs; the machine's load average is printed (the machine is shared). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

R_BOUNDARIES = """
suppressPackageStartupMessages(library(rpact))
times <- replicate(20, system.time(getDesignGroupSequential(kMax = 5, alpha = 0.025, beta = 0.2,
                   typeOfDesign = "asOF", typeBetaSpending = "bsOF"))[["elapsed"]])
cat(median(times), "\\n")
"""

R_SIMULATION = """
suppressPackageStartupMessages(library(rpact))
args <- commandArgs(trailingOnly = TRUE)
n_sims <- as.integer(args[1]); events <- as.numeric(strsplit(args[2], ",")[[1]])
median_control <- as.numeric(args[3]); accrual <- as.numeric(args[4]); dropout <- as.numeric(args[5])
design <- getDesignGroupSequential(kMax = length(events), alpha = 0.025, beta = 0.2, typeOfDesign = "asOF")
elapsed <- 0
for (hr in c(0.72, 1)) {
  elapsed <- elapsed + system.time(sim <- getSimulationSurvival(design, hazardRatio = hr,
    lambda2 = log(2) / median_control, accrualTime = c(0, accrual), maxNumberOfSubjects = 701,
    plannedEvents = events, dropoutRate1 = dropout, dropoutRate2 = dropout, dropoutTime = 365.25,
    directionUpper = FALSE, maxNumberOfIterations = n_sims, seed = 1))[["elapsed"]]
  cat("reject at HR", hr, ":", sim$overallReject, "\\n")
}
cat("elapsed", elapsed, "\\n")
"""


#: CPU seconds (user + system) of every whole process run, workers included: what the machine's load cannot stretch.
CPU: list[float] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # terminated, reaped children and their reaped children
    return usage.ru_utime + usage.ru_stime


def whole_process(args: list[str], repeats: int) -> tuple[float, list[float], dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    walls, out = [], {}
    CPU.clear()
    for _ in range(repeats):
        cpu = _children_cpu()
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "analysis", "design", *args, "--json"], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=3600)
        walls.append(time.perf_counter() - began)
        CPU.append(_children_cpu() - cpu)
        if proc.returncode != 0:
            raise SystemExit(f"walkback design {' '.join(args)} failed: {proc.stderr.strip()}")
        out = json.loads(proc.stdout)
    return statistics.median(walls), walls, out


def rscript(code: str, *args: str) -> tuple[str, float]:
    began = time.perf_counter()
    proc = subprocess.run(["Rscript", "-e", code, *args], capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"Rscript failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from analysis.cli.common import default_workers
    from analysis.design.boundaries import GroupSequentialDesign, compute_boundaries
    from analysis.model.default import default_scenario
    from analysis.model.expectation import expected_trial

    print(f"load average {os.getloadavg()[0]:.1f} at start; {default_workers()} cores usable; "
          f"medians of {args.repeats} whole-process runs")

    design = GroupSequentialDesign("asOF", tuple(k / 5 for k in range(1, 6)), futility="asOF")
    compute_boundaries(design)  # imports and first-call costs are the process's, not the compute's
    calls = []
    for _ in range(20):
        began = time.perf_counter()
        compute_boundaries(design)
        calls.append(time.perf_counter() - began)
    compute = statistics.median(calls)
    wall, _, _ = whole_process(["--looks", "5", "--futility", "asOF"], args.repeats)
    r_out, _ = rscript(R_BOUNDARIES)
    r_compute = float(r_out.split()[0])
    print(f"1. boundaries, 5 looks, asOF + asOF beta spending: compute {1e3 * compute:.1f} ms (median of 20); "
          f"whole process `walkback design --looks 5 --futility asOF` {wall:.2f} s; rpact getDesignGroupSequential "
          f"{1e3 * r_compute:.1f} ms (ratio ours/rpact {compute / max(r_compute, 1e-9):.2f}); target <= 50 ms of "
          f"compute -> {'met' if compute <= 0.05 else 'NOT met'}")

    n = args.n_sims
    default, runs, out = whole_process(["--simulate", str(n)], args.repeats)
    sim = out["simulation"]
    summary = {row["key"]: row for row in sim["summary"]}
    print(f"2. `walkback design --simulate {n}` (default settings, every core): {default:.2f} s (runs "
          f"{', '.join(f'{r:.2f}' for r in runs)}); looks at {sim['look_events']} recurrences; {n:,} trials under "
          f"the scenario (power {summary['power']['value']:.4f} +- {summary['power']['mc_se']:.4f}) and {n:,} "
          f"under H0 (type I error {summary['type_i_error']['value']:.4f}); simulation itself (last run) "
          f"{sim['elapsed_seconds']:.2f} s; CPU (user + system, workers included) {statistics.median(CPU):.2f} s, "
          f"i.e. {statistics.median(CPU) / default_workers():.2f} s of wall on {default_workers()} idle cores")
    e = expected_trial(default_scenario())
    d = default_scenario().design
    cpu = _children_cpu()
    r_out, r_wall = rscript(R_SIMULATION, str(n), ",".join(str(v) for v in sim["look_events"]),
                            repr(e.latent_median_control), repr(float(d.recruitment_days + 1)),
                            repr(d.annual_loss_to_followup))
    r_cpu = _children_cpu() - cpu
    r_elapsed = float(r_out.split("elapsed")[1].split()[0])
    print(f"   rpact getSimulationSurvival, {n:,} trials at HR 0.72 and {n:,} at HR 1 (one R process): "
          f"{r_elapsed:.2f} s inside R, {r_wall:.2f} s whole Rscript (CPU {r_cpu:.2f} s); "
          + "; ".join(line.strip() for line in r_out.splitlines() if line.startswith("reject")))
    print(f"   ratio, whole `walkback design --simulate` / rpact's simulation time: {default / r_elapsed:.2f}; "
          f"our simulation time / rpact's: {sim['elapsed_seconds'] / r_elapsed:.2f}")
    print(f"   target: {n:,} three-look trials in at most 10 s, whole process -> "
          f"{'met' if default <= 10 else 'NOT met'} ({default:.2f} s; load average now {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
