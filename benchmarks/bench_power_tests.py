"""Benchmark: `walkback power --test maxcombo --n-sims 10000` against `--test logrank`, whole processes.

    python benchmarks/bench_power_tests.py [--n-sims 10000] [--repeats 3] [--workers N]

What is timed is what users run, start to finish: ``python -m analysis power --test T --n-sims N --json`` for
every test of the family (log-rank, FH(0,1), FH(1,0), MaxCombo, RMST), the runs interleaved (log-rank,
maxcombo, ..., then again) so a change in the machine's load hits every test alike. Medians of ``--repeats``
runs, wall and CPU (user + system of the process and its workers: steadier than wall time on a shared
machine). The baseline is ``--test logrank`` measured in the same run.

Target (issue 20): MaxCombo within 1.5x the time of the log-rank test. Its three weighted statistics and the
p-value of their maximum (one piecewise Gauss-Legendre integral per trial, vectorised over trials) ride on the
same simulated trials and the same sort as the log-rank test. Not a test; the load average is printed.
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
TESTS = ("logrank", "fh01", "fh10", "maxcombo", "rmst")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # includes the pool's workers, reaped by their parent
    return usage.ru_utime + usage.ru_stime


def one_run(test: str, n_sims: int, workers: int | None) -> tuple[float, float, dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    argv = [sys.executable, "-m", "analysis", "power", "--test", test, "--n-sims", str(n_sims), "--json"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    cpu0, began = _children_cpu(), time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    wall, cpu = time.perf_counter() - began, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"walkback power --test {test} failed: {proc.stderr.strip()}")
    return wall, cpu, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="passed to walkback power (default: every core)")
    args = parser.parse_args()

    walls: dict[str, list[float]] = {t: [] for t in TESTS}
    cpus: dict[str, list[float]] = {t: [] for t in TESTS}
    power: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeats):
        for test in TESTS:
            wall, cpu, out = one_run(test, args.n_sims, args.workers)
            walls[test].append(wall)
            cpus[test].append(cpu)
            row = out["rows"][0]
            power[test] = (row["power_simulated"], row["mc_se"])
    base = statistics.median(walls["logrank"])
    cpu_base = statistics.median(cpus["logrank"])
    print(f"walkback power --test T --n-sims {args.n_sims} (whole process, median of {args.repeats}; "
          f"load average {os.getloadavg()[0]:.2f})")
    print(f"{'test':>9} {'wall s':>7} {'runs':>22} {'x log-rank':>11} {'CPU s':>6} {'x log-rank':>11} "
          f"{'power':>7} {'MC SE':>6}")
    for test in TESTS:
        med, cpu = statistics.median(walls[test]), statistics.median(cpus[test])
        runs = ", ".join(f"{w:.2f}" for w in walls[test])
        print(f"{test:>9} {med:>7.2f} {runs:>22} {med / base:>11.2f} {cpu:>6.2f} {cpu / cpu_base:>11.2f} "
              f"{power[test][0]:>7.3f} {power[test][1]:>6.3f}")
    ratio = statistics.median(walls["maxcombo"]) / base
    cpu_ratio = statistics.median(cpus["maxcombo"]) / cpu_base
    print(f"MaxCombo / log-rank: wall {ratio:.2f}, CPU {cpu_ratio:.2f} (target at most 1.5): "
          f"{'met' if ratio <= 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
