"""The issue-20 table: simulated power of each two-arm test at 701 participants, calibrated scenario and what-ifs.

    python benchmarks/power_by_test_table.py [--n-sims 10000] [--seed 20] [--workers 1] [--n 701] [--json]

Calls :func:`analysis.studies.power_by_test.power_by_test_table` (the function behind the Design page's panel
"Which test should the follow-up trial pre-specify?"): the log-rank test, FH(0,1), FH(1,0), MaxCombo and the
RMST difference at 12 months (365.25 days), two-sided alpha 0.05, on the same simulated trials of the
calibrated scenario, of a 52-week programme and of 90% of the extra walking kept after the programme; the
analytic (Schoenfeld) log-rank power beside them. Prints power with its Monte Carlo SE as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.model.default import default_scenario  # noqa: E402
from analysis.studies.power_by_test import power_by_test_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--n", type=int, default=None, help="participants (default: the scenario's 701)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    executor = None
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(args.workers)
    try:
        table = power_by_test_table(default_scenario(), args.n_sims, args.seed, executor=executor, n_total=args.n)
    finally:
        if executor is not None:
            executor.shutdown()
    if args.json:
        print(json.dumps(table.to_dict(), indent=2))
        return
    s = table.summary
    labels = list(dict.fromkeys(s["label"]))
    print(f"Simulated power at {int(s.n_total.iloc[0])} participants, {args.n_sims:,} trials per scenario (seed {args.seed}), "
          "two-sided alpha 0.05, power (MC SE) in %")
    print("| scenario | expected HR | " + " | ".join(labels) + " | log-rank, Schoenfeld |")
    print("|---" * (len(labels) + 3) + "|")
    for what_if, rows in s.groupby("what_if", sort=False):
        # an MC SE below 0.05 points reads "< 0.1", never "0.0"
        cells = [f"{100 * r.power:.1f} ({100 * r.mc_se:.1f})" if 100 * r.mc_se >= 0.05 else
                 f"{100 * r.power:.1f} (< 0.1)" for r in rows.itertuples()]
        first = rows.iloc[0]
        print(f"| {what_if} | {first.hr_expected:.3f} | " + " | ".join(cells)
              + f" | {100 * first.power_logrank_analytic:.1f} |")


if __name__ == "__main__":
    main()
