"""``walkback power``: analytic and simulated power side by side (the same functions as the app).

Picked up by :func:`analysis.cli.build_parser`, which calls :func:`add_parser`; bad input raises
:class:`~analysis.errors.WalkBackInputError`, which ``walkback`` turns into one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..errors import WalkBackInputError
from ..formats import format_number
from .common import add_execution_options, executor_for, fraction, load_scenario, whole

__all__ = ["add_parser", "run", "MAX_SIMULATED_PARTICIPANTS"]

#: Simulated participants in one call (sizes x simulations); about a minute on a laptop core.
MAX_SIMULATED_PARTICIPANTS = 200_000_000
DEFAULT_N_SIMS = 1000


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "power", help="analytic (Schoenfeld, Freedman) and simulated power of the log-rank test",
        description="Power of the two-sided log-rank test for a scenario at one or more sample sizes: "
                    "Schoenfeld and Freedman from the scenario's expected events and hazard ratio, next to "
                    "Monte Carlo power from simulated trials with its Monte Carlo standard error.")
    p.add_argument("--scenario", metavar="FILE.json", help="scenario JSON (default: the calibrated WalkBack trial)")
    p.add_argument("--n-sims", type=whole, default=DEFAULT_N_SIMS, metavar="INT",
                   help=f"simulated trials per sample size (default {DEFAULT_N_SIMS}; 0 = analytic only)")
    p.add_argument("--seed", type=whole, metavar="INT", help="random seed (default: the scenario's seed)")
    p.add_argument("--n", type=whole, nargs="+", metavar="INT",
                   help="total participants, one or more (default: the scenario's 701)")
    p.add_argument("--alpha", type=fraction, default=0.05, help="two-sided significance level (default 0.05)")
    p.add_argument("--endpoint", choices=["primary", "any", "care"], default="primary",
                   help="time to first activity-limiting (primary, default), any or care-seeking recurrence")
    add_execution_options(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)
    return p


def analytic_records(scenario, sizes, alpha: float, endpoint: str) -> list[dict]:
    """:func:`analysis.studies.power.analytic_power` as plain records (picklable without pandas)."""
    from ..studies.power import analytic_power

    return analytic_power(scenario, sizes, alpha=alpha, endpoint=endpoint).to_dict(orient="records")


def run(args) -> int:
    from ..studies.power import simulated_power
    from ..studies.replicates import chunk_size_for
    from ..simulate.engine import scenario_for_size

    scenario = load_scenario(args.scenario)
    if not 0 <= args.n_sims <= 100_000:
        raise WalkBackInputError(f"--n-sims {args.n_sims} must be between 0 and 100,000")
    from ..simulate.seeds import check_seed

    seed = check_seed(scenario.seed if args.seed is None else args.seed, name="--seed")
    sizes = args.n or [scenario.design.n_total]
    for n in sizes:
        if not 4 <= n <= 10_000_000:
            raise WalkBackInputError(f"--n {n} must be between 4 and 10,000,000")
    if len(sizes) > 50:
        raise WalkBackInputError(f"--n has {len(sizes)} sizes; give at most 50")
    work = sum(sizes) * args.n_sims
    if work > MAX_SIMULATED_PARTICIPANTS:
        raise WalkBackInputError(f"--n x --n-sims asks for {work:,} simulated participants; the limit is "
                                 f"{MAX_SIMULATED_PARTICIPANTS:,} (lower --n-sims or use --n-sims 0)")

    began = time.perf_counter()
    analytic_args = (scenario, sizes, args.alpha, args.endpoint)
    simulated = []
    with executor_for(args, needed=bool(args.n_sims)) as executor:
        # With workers, one of them computes the analytic power (its expectation needs scipy's Sobol
        # points and pandas, a second of imports) while the others start on the simulated trials.
        pending = None if executor is None else executor.submit(analytic_records, *analytic_args)
        for n in sizes if args.n_sims else ():
            simulated.append(simulated_power(scenario_for_size(scenario, n), args.n_sims, seed, executor=executor,
                                             alpha=args.alpha, endpoint=args.endpoint,
                                             chunk_size=chunk_size_for(args.n_sims, args.parallel_workers)))
        analytic = analytic_records(*analytic_args) if pending is None else pending.result()
    rows = []
    for i, (n, a) in enumerate(zip(sizes, analytic)):
        row = {"n": n, "hr_expected": a["hr"], "events_expected": a["events_expected"],
               "power_schoenfeld": a["power_schoenfeld"], "power_freedman": a["power_freedman"],
               "power_simulated": None, "mc_se": None, "events_simulated": None, "seconds": None}
        if simulated:
            sp = simulated[i]
            row.update(power_simulated=sp.power, mc_se=sp.mc_se, events_simulated=sp.events_mean,
                       seconds=sp.elapsed_seconds)
        rows.append(row)
    wall = time.perf_counter() - began

    if args.json:
        out = {"scenario": scenario.name, "alpha": args.alpha, "n_sims": args.n_sims, "seed": seed,
               "test": "two-sided log-rank (unstratified)", "endpoint": args.endpoint, "rows": rows, "wall_seconds": wall}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0

    def fmt(value, spec):
        return format_number(value, int(spec[1]), missing="-")

    lines = [f"Power of the two-sided log-rank test at alpha {args.alpha:g}; endpoint {args.endpoint}; scenario '{scenario.name}'"
             + (f"; {args.n_sims} simulated trials per size, seed {seed}" if args.n_sims else "; analytic only"),
             f"{'n':>9} {'exp. HR':>8} {'exp. events':>12} {'Schoenfeld':>11} {'Freedman':>9} "
             f"{'simulated':>10} {'MC SE':>7} {'sim. events':>12} {'seconds':>8}"]
    for r in rows:
        lines.append(f"{r['n']:>9} {fmt(r['hr_expected'], '.3f'):>8} {fmt(r['events_expected'], '.1f'):>12} "
                     f"{fmt(r['power_schoenfeld'], '.3f'):>11} {fmt(r['power_freedman'], '.3f'):>9} "
                     f"{fmt(r['power_simulated'], '.3f'):>10} {fmt(r['mc_se'], '.3f'):>7} "
                     f"{fmt(r['events_simulated'], '.1f'):>12} {fmt(r['seconds'], '.2f'):>8}")
    lines.append(f"wall time {wall:.2f} s")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
