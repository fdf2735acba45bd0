"""``walkback power --clinics K --icc X``: power and design effect of randomising clinics.

The options are added to ``walkback power`` by :func:`add_options`; :func:`run` answers when
``--clinics`` is given (the same function as the Design page's clinics panel,
:func:`analysis.studies.clinics.clinic_design_effect`).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import WalkBackInputError
from ..formats import format_number

__all__ = ["add_options", "run"]


def _icc(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: an intraclass correlation is in [0, 1)")
    return value


def add_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("clinics", "compare randomising K clinics with randomising participants")
    g.add_argument("--clinics", type=int, default=None, metavar="K",
                   help="number of clinics: simulate both designs (participant and clinic randomised) and report "
                        "their power and the design effect, simulated and analytic")
    g.add_argument("--icc", type=_icc, default=None, metavar="X",
                   help="intraclass correlation of the clinic frailty on the log-hazard scale, in [0, 1) "
                        "(default: the scenario's, 0 for WalkBack)")


def run(args, scenario, seed: int, executor=None) -> int:
    from ..studies.clinics import clinic_design_effect

    if args.clinics < 2:
        raise WalkBackInputError(f"--clinics {args.clinics}: a clustered trial needs at least 2 clinics")
    if not args.n_sims:
        raise WalkBackInputError("--clinics needs simulated trials: give --n-sims of at least 1")
    sizes = args.n or [scenario.design.n_total]
    if len(sizes) != 1:
        raise WalkBackInputError("--clinics takes one --n")
    icc = scenario.clinics.icc if args.icc is None else args.icc
    d = clinic_design_effect(scenario, args.clinics, icc, args.n_sims, seed, n_total=sizes[0], alpha=args.alpha,
                             executor=executor)
    if args.json:
        sys.stdout.write(json.dumps(d.to_dict(), indent=2) + "\n")
        return 0

    def f(v, digits=3):
        return format_number(v, digits, missing="-")

    lines = [f"{d.n_total} participants in {d.n_clinics} clinics, ICC {icc:g} (log-hazard scale); "
             f"{d.n_sims} simulated trials per design, seed {seed}, alpha {d.alpha:g}",
             f"{'randomised by':<14} {'power (sim.)':>12} {'MC SE':>7} {'power (analytic)':>16}  test"]
    for row in d.summary.itertuples():
        lines.append(f"{row.design:<14} {f(row.power_simulated):>12} {f(row.mc_se):>7} {f(row.power_analytic):>16}  "
                     f"{row.test}")
    lines.append(f"Design effect: simulated {f(d.design_effect_simulated)} (MC SE {f(d.design_effect_mc_se)}), "
                 f"analytic 1 + ((1 + CV^2) m - 1) ICC = {f(d.design_effect_analytic)}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
