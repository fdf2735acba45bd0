"""``walkback power``: analytic and simulated power side by side (the same functions as the app).

Picked up by :func:`analysis.cli.build_parser`, which calls :func:`add_parser`; bad input raises
:class:`~analysis.errors.WalkBackInputError`, which ``walkback`` turns into one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import NamedTuple

from ..errors import WalkBackInputError
from ..formats import format_number
from . import clinics as cli_clinics
from .common import add_execution_options, executor_for, fraction, load_scenario, whole

#: ``--test`` choices (the names of :data:`analysis.stats.two_arm_tests.POWER_TEST_NAMES`; not imported: the
#: parser is built without numerical libraries).
POWER_TESTS = ("logrank", "fh01", "fh10", "maxcombo", "rmst")

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
    p.add_argument("--test", choices=list(POWER_TESTS), default="logrank",
                   help="the test whose simulated power is counted: logrank (default), fh01 (Fleming-Harrington "
                        "FH(0,1), late differences weighted up), fh10 (FH(1,0), early ones), maxcombo (the largest of "
                        "FH(0,0), FH(0,1), FH(1,0), multiplicity-adjusted) or rmst (restricted mean at --tau); the "
                        "analytic columns stay those of the log-rank test")
    p.add_argument("--tau", type=float, default=None, metavar="DAYS",
                   help="RMST horizon for --test rmst (default 365.25 days, 12 months, or the longest follow-up if shorter)")
    add_execution_options(p)
    cli_clinics.add_options(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)
    return p


def analytic_records(scenario, sizes, alpha: float, endpoint: str) -> list[dict]:
    """:func:`analysis.studies.power.analytic_power` as plain records (picklable without pandas)."""
    from ..studies.power import analytic_power

    return analytic_power(scenario, sizes, alpha=alpha, endpoint=endpoint).to_dict(orient="records")


class _Simulated(NamedTuple):
    power: float
    mc_se: float
    events_mean: float
    elapsed_seconds: float


def _test_words(test: str, tau: float) -> str:
    return {"logrank": "two-sided log-rank (unstratified)", "fh01": "two-sided Fleming-Harrington FH(0,1)",
            "fh10": "two-sided Fleming-Harrington FH(1,0)", "maxcombo": "two-sided MaxCombo (FH(0,0), FH(0,1), FH(1,0))",
            "rmst": f"two-sided RMST difference at {tau:g} days"}[test]


def run(args) -> int:
    from ..studies.power import simulated_power
    from ..studies.power_by_test import simulated_power_by_test
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
    if args.tau is not None and args.test != "rmst":
        raise WalkBackInputError("--tau is the RMST horizon: give it with --test rmst")
    # the library's default horizon: 12 months, or the longest follow-up when that is shorter
    tau = min(365.25, scenario.design.max_followup_days) if args.tau is None else args.tau
    if args.test == "rmst" and not 0 < tau <= scenario.design.max_followup_days:
        raise WalkBackInputError(f"--tau {tau:g} must be above 0 and at most the longest follow-up, "
                                 f"{scenario.design.max_followup_days:g} days")
    if work > MAX_SIMULATED_PARTICIPANTS:
        raise WalkBackInputError(f"--n x --n-sims asks for {work:,} simulated participants; the limit is "
                                 f"{MAX_SIMULATED_PARTICIPANTS:,} (lower --n-sims or use --n-sims 0)")

    if args.clinics is not None:
        with executor_for(args, needed=True) as executor:
            return cli_clinics.run(args, scenario, seed, executor)
    began = time.perf_counter()
    analytic_args = (scenario, sizes, args.alpha, args.endpoint)
    simulated = []
    with executor_for(args, needed=bool(args.n_sims)) as executor:
        # With workers, one of them computes the analytic power (its expectation needs scipy's Sobol
        # points and pandas, a second of imports) while the others start on the simulated trials.
        pending = None if executor is None else executor.submit(analytic_records, *analytic_args)
        for n in sizes if args.n_sims else ():
            chunk = chunk_size_for(args.n_sims, args.parallel_workers)
            if args.test == "logrank":  # the log-rank kernel, which also gives the Cox HR of each trial
                simulated.append(simulated_power(scenario_for_size(scenario, n), args.n_sims, seed, executor=executor,
                                                 alpha=args.alpha, endpoint=args.endpoint, chunk_size=chunk))
            else:
                by_test = simulated_power_by_test(scenario_for_size(scenario, n), args.n_sims, seed, (args.test,),
                                                  tau_days=tau, alpha=args.alpha, executor=executor,
                                                  chunk_size=chunk, endpoint=args.endpoint)
                simulated.append(_Simulated(by_test.power[0], by_test.mc_se[0], by_test.events_mean,
                                            by_test.elapsed_seconds))
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
               "test": args.test, "test_label": _test_words(args.test, tau),
               "analytic_test": "two-sided log-rank (unstratified)", "endpoint": args.endpoint, "rows": rows, "wall_seconds": wall}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0

    def fmt(value, spec):
        return format_number(value, int(spec[1]), missing="-")

    lines = [f"Simulated power of the {_test_words(args.test, tau)} test"
             + ("" if args.test == "logrank" else " (analytic columns: the log-rank test)") + f" at alpha {args.alpha:g}; endpoint {args.endpoint}; scenario '{scenario.name}'"
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
