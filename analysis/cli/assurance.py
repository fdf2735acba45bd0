"""``walkback assurance``: how sure we are that walking works, and how likely a follow-up is to confirm it.

The same functions as the app's "How sure are we" page (:mod:`analysis.studies.assurance`); bad input
raises :class:`~analysis.errors.WalkBackInputError`, which ``walkback`` turns into one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import WalkBackInputError
from ..formats import format_number
from .common import add_execution_options, executor_for, fraction, load_scenario, whole

__all__ = ["add_parser", "run"]

DEFAULT_N_SIMS = 1000


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise WalkBackInputError(f"{text!r} is not a number") from None


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "assurance", help="Bayesian reading of the published HR and the assurance of a follow-up trial",
        description="Reads the published primary result, HR 0.72 (0.60 to 0.85), as a normal likelihood for the "
                    "log hazard ratio under flat, sceptical and enthusiastic priors (and any you add): posterior "
                    "median, 95% credible interval, P(HR < 1), P(HR < the minimal important HR). Then the "
                    "assurance of a follow-up trial: the probability that its log-rank test finds a significant "
                    "benefit, averaged over the posterior, in closed form (Schoenfeld) and by simulating trials "
                    "of the calibrated model with the walking effect drawn from the posterior.")
    p.add_argument("--scenario", metavar="FILE.json", help="scenario JSON (default: the calibrated WalkBack trial)")
    p.add_argument("--n", type=whole, metavar="INT", help="participants in the follow-up (default: the scenario's 701)")
    p.add_argument("--mid", type=_number, default=None, metavar="HR",
                   help="minimal important hazard ratio (default 0.85, an assumption)")
    p.add_argument("--prior", nargs=3, action="append", default=[], metavar=("NAME", "MEDIAN_HR", "P_BENEFIT"),
                   help="add a prior by its median HR and its probability of HR below the minimal important HR, "
                        "e.g. --prior doubtful 0.95 0.2 (repeatable)")
    p.add_argument("--prior-sd", nargs=3, action="append", default=[], metavar=("NAME", "MEDIAN_HR", "SD"),
                   help="add a prior by its median HR and the SD of the log HR (repeatable)")
    p.add_argument("--only", action="store_true", help="only the priors given (not the three presets)")
    p.add_argument("--n-sims", type=whole, default=DEFAULT_N_SIMS, metavar="INT",
                   help=f"simulated trials per prior (default {DEFAULT_N_SIMS}; 0 = closed form only)")
    p.add_argument("--seed", type=whole, metavar="INT", help="random seed (default: the scenario's seed)")
    p.add_argument("--alpha", type=fraction, default=0.05, help="two-sided significance level (default 0.05)")
    p.add_argument("--group-sequential", metavar="KIND", default=None,
                   help="also the assurance of a group-sequential version of the follow-up (closed form): a design "
                        "type of walkback design, e.g. asOF (O'Brien-Fleming-type alpha spending), one-sided alpha "
                        "--alpha / 2")
    p.add_argument("--looks", default="0.3333333333333333,0.6666666666666666,1", metavar="R1,R2,...",
                   help="information rates of the group-sequential looks (default thirds)")
    add_execution_options(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    from ..studies.assurance import DEFAULT_MID_HR, Prior, assurance, bayes_reading, standard_priors
    from ..studies.replicates import check_seed

    mid = DEFAULT_MID_HR if args.mid is None else args.mid
    if not 0 < mid < 1:
        raise WalkBackInputError(f"--mid {mid:g} must be a hazard ratio between 0 and 1 (a benefit)")
    priors = [] if args.only else list(standard_priors(mid))
    for name, median, prob in args.prior:
        priors.append(Prior.from_benefit(name, _number(median), _number(prob), mid))
    for name, median, sd in args.prior_sd:
        priors.append(Prior(name, _number(median), _number(sd)))
    if not priors:
        raise WalkBackInputError("--only needs at least one --prior or --prior-sd")
    scenario = load_scenario(args.scenario)
    seed = check_seed(scenario.seed if args.seed is None else args.seed)
    if not 0 <= args.n_sims <= 100_000:
        raise WalkBackInputError(f"--n-sims {args.n_sims} must be between 0 and 100,000")
    if args.n is not None and not 4 <= args.n <= 100_000:
        raise WalkBackInputError(f"--n {args.n} must be between 4 and 100,000")
    reading = bayes_reading(priors, mid_hr=mid)
    gsd = None
    if args.group_sequential is not None:
        from ..design.boundaries import GroupSequentialDesign

        rates = tuple(_number(r) for r in args.looks.split(","))
        gsd = GroupSequentialDesign(args.group_sequential, rates, alpha=args.alpha / 2)
    with executor_for(args, needed=bool(args.n_sims)) as executor:
        result = assurance(scenario, reading.posteriors, args.n, n_sims=args.n_sims, seed=seed, alpha=args.alpha,
                           executor=executor, group_sequential=gsd)
    if args.json:
        sys.stdout.write(json.dumps({"bayes": reading.to_dict(), "assurance": result.to_dict()}, indent=2,
                                    allow_nan=False) + "\n")
        return 0

    def f(value, digits=3):
        return format_number(value, digits, missing="-")

    lines = [f"Published: HR 0.72 (0.60 to 0.85), read as log HR {f(reading.estimate.log_hr, 4)} with SE "
             f"{f(reading.estimate.se, 4)}; minimal important HR {mid:g}",
             f"{'prior':<14} {'prior median':>12} {'P(<MID)':>8} {'posterior HR (95% CrI)':>26} {'P(HR<1)':>8} "
             f"{'P(HR<MID)':>9}"]
    for row in reading.summary.itertuples():
        prior_p = "flat" if row.prior_sd == float("inf") else f(row.prior_p_beyond_mid, 2)
        lines.append(f"{row.prior[:14]:<14} {f(row.prior_median_hr, 2):>12} {prior_p:>8} "
                     f"{f(row.median_hr) + ' (' + f(row.lower) + ' to ' + f(row.upper) + ')':>26} "
                     f"{'>0.9999' if row.p_hr_below_1 >= 0.99995 else f(row.p_hr_below_1, 4):>8} "
                     f"{f(row.p_hr_below_mid, 3):>9}")
    lines += ["", f"Assurance of a follow-up with {result.n_total} participants (success: log-rank p < {args.alpha:g} "
                  "with HR < 1)" + (f"; {args.n_sims} simulated trials per prior, seed {seed}" if args.n_sims else ""),
              f"{'prior':<14} {'power at median':>15} {'closed form':>12} {'simulated':>10} {'MC SE':>7}"
              + (f" {'group-sequential':>17}" if gsd else "")]
    for row in result.summary.itertuples():
        lines.append(f"{row.prior[:14]:<14} {f(row.power_at_median):>15} {f(row.assurance_closed_form):>12} "
                     f"{f(row.assurance_simulated):>10} {f(row.mc_se):>7}"
                     + (f" {f(row.assurance_group_sequential):>17}" if gsd else ""))
    if gsd:
        lines.append(f"group-sequential: {gsd.kind}, looks at {', '.join(f'{r:.3g}' for r in gsd.information_rates)} "
                     f"of the recurrences, one-sided alpha {gsd.alpha:g} (closed form)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
