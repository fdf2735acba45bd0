"""``walkback design``: group-sequential boundaries and, with ``--hr``, recurrences, participants and look times
(rpact's getDesignGroupSequential + getSampleSizeSurvival; the same functions as the app and the notebooks).

Picked up by :func:`analysis.cli.main.build_parser`, which calls :func:`add_parser`; bad input raises
:class:`~analysis.errors.WalkBackInputError` (one line, exit 2).

For the design simulated on the calibrated model (``--simulate N``, ``--workers``/``--scheduler``,
``--scenario``): add the flags in :func:`add_simulation_options` (the argument group is already in the help) and
extend the report in :func:`simulation_report`, which :func:`run` calls with the solved boundaries and survival
design; both are the only places meant to change for it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from .common import add_execution_options, executor_for, load_scenario, whole

__all__ = ["add_parser", "run", "parse_futility", "add_simulation_options", "simulation_report", "simulation_text"]

SPENDING = ("OF", "P", "WT", "asOF", "asP", "asKD", "asHSD")
DAYS_PER_YEAR = 365.25


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number")
    return value


def _looks(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 10:
        raise argparse.ArgumentTypeError(f"{text!r} looks: a design has 1 to 10")
    return value


def parse_futility(text: str):
    """``none``, a beta-spending family (``asOF``, ``asP``, ``asKD``, ``asHSD``) or ``z:Z1,Z2,...`` (one z per
    interim look), as :class:`~analysis.design.boundaries.GroupSequentialDesign` takes it.

    Examples
    --------
    >>> parse_futility("none"), parse_futility("asP"), parse_futility("z:0,0.5")
    (None, 'asP', (0.0, 0.5))
    """
    if text == "none":
        return None
    if text in ("asOF", "asP", "asKD", "asHSD"):
        return text
    if text.startswith("z:"):
        try:
            values = tuple(float(v) for v in text[2:].split(","))
        except ValueError:
            values = ()
        if values and all(math.isfinite(v) for v in values):
            return values
    raise argparse.ArgumentTypeError(f"{text!r} must be none, asOF, asP, asKD, asHSD or z:Z1,Z2,... "
                                     "(one z per interim look)")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "design", help="group-sequential boundaries, events and participants (as rpact computes them)",
        description="Efficacy (and futility) boundaries of a group-sequential design by exact recursive "
                    "integration, with the alpha spent, the inflation factor and stopping probabilities; with --hr, "
                    "the recurrences, participants and expected calendar time of each look for an exponential "
                    "control arm, uniform recruitment and exponential loss to follow-up. Names follow rpact.",
        epilog="Example: walkback design --looks 3 --spending asOF --futility asOF --hr 0.72 --median-control 600")
    g = p.add_argument_group("boundaries (rpact's getDesignGroupSequential)")
    g.add_argument("--looks", type=_looks, metavar="K", help="number of looks, interim and final (default 3, "
                   "or as many as --information gives)")
    g.add_argument("--information", type=_number, nargs="+", metavar="F",
                   help="cumulative information fractions F1 ... FK, increasing to 1 (default: equally spaced)")
    g.add_argument("--alpha", type=_number, default=0.025,
                   help="type I error: one-sided, or both sides together with --sided 2 (default 0.025)")
    g.add_argument("--beta", type=_number, default=0.2, help="type II error, 1 - power (default 0.2)")
    g.add_argument("--sided", type=int, choices=(1, 2), default=1, help="1 (default) or 2 (symmetric)")
    g.add_argument("--spending", choices=SPENDING, default="asOF", metavar="TYPE",
                   help="OF, P, WT (classical, with --delta) or alpha spending asOF (default), asP, asKD, asHSD "
                        "(with --gamma)")
    g.add_argument("--gamma", type=_number, help="asKD (0.4 to 8) or asHSD (-10 to 5) parameter")
    g.add_argument("--delta", type=_number, help="Wang-Tsiatis Delta (-0.5 to 1) for --spending WT")
    g.add_argument("--futility", type=parse_futility, default=None, metavar="RULE",
                   help="none (default); beta spending asOF, asP, asKD or asHSD (alpha-spending, one-sided designs); "
                        "or z:Z1,...,Z(K-1), fixed z values at the interim looks")
    g.add_argument("--futility-gamma", type=_number, metavar="G", help="gamma of asKD/asHSD beta spending")
    g.add_argument("--binding", action="store_true",
                   help="binding futility: efficacy bounds count on stopping for futility (default non-binding)")
    s = p.add_argument_group("events and participants (rpact's getSampleSizeSurvival), with --hr")
    s.add_argument("--hr", type=_number, help="hazard ratio, intervention : control, under H1")
    s.add_argument("--median-control", type=_number, metavar="DAYS",
                   help="median time to recurrence in the control arm (exponential)")
    s.add_argument("--accrual", type=_number, nargs="+", default=[DAYS_PER_YEAR], metavar="DAYS",
                   help="recruitment period, uniform (default 365.25); or the ends of its pieces (rpact's accrualTime "
                        "without the 0), with --accrual-intensity")
    s.add_argument("--accrual-intensity", type=_number, nargs="+", metavar="RATE",
                   help="relative recruitment rate of each --accrual piece (default equal)")
    s.add_argument("--follow-up", type=_number, metavar="DAYS",
                   help="follow-up after recruitment ends (default 365.25, unless --n is given)")
    s.add_argument("--n", type=_number, metavar="N", help="participants (the follow-up is then what the events take)")
    s.add_argument("--dropout", type=_number, default=0.0, metavar="RATE",
                   help="share lost to follow-up by --dropout-time (default 0)")
    s.add_argument("--dropout-time", type=_number, default=DAYS_PER_YEAR, metavar="DAYS",
                   help="time at which --dropout is reached (default 365.25)")
    s.add_argument("--allocation", type=_number, default=1.0, metavar="R",
                   help="intervention : control allocation ratio (default 1)")
    add_simulation_options(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON (efficacy_z, futility_z, ...)")
    p.set_defaults(run=run)
    return p


def add_simulation_options(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The design simulated on the calibrated model: ``--simulate N``, ``--scenario``, ``--seed``, ``--look-days``,
    ``--workers``/``--scheduler`` (``--n`` is shared with the events and participants)."""
    g = p.add_argument_group("the design simulated on the calibrated model (with --simulate)")
    g.add_argument("--simulate", type=whole, default=0, metavar="N",
                   help="simulate N trials of the scenario and N under H0 (no walking or education effect), "
                        "analysed by log-rank at each look; operating characteristics with Monte Carlo SEs "
                        "(default 0: boundaries only)")
    g.add_argument("--scenario", metavar="FILE.json", help="scenario JSON (default: the calibrated WalkBack trial)")
    g.add_argument("--seed", type=whole, metavar="INT", help="random seed (default: the scenario's seed)")
    g.add_argument("--look-days", type=_number, nargs="+", metavar="DAY",
                   help="looks on calendar days D1 ... DK since the first randomisation instead of at numbers of "
                        "recurrences (default: look k at information F_k times the design's maximum recurrences, "
                        "sized with --hr or else the scenario's expected hazard ratio)")
    add_execution_options(g)
    return g


#: Simulated participants in one call (trials x 2 hypotheses x participants), as ``walkback power``.
MAX_SIMULATED_PARTICIPANTS = 200_000_000


def _look_events(args, boundaries, survival, scenario) -> tuple[tuple[int, ...], float, str]:
    """Recurrences at the looks: the design's maximum (from --hr, else the scenario's expected HR) times F_k."""
    from ..studies.sequential import look_recurrences

    hr = None if survival is None else args.hr
    events, max_events, used = look_recurrences(scenario, boundaries, hr)
    return events, max_events, f"--hr {hr:g}" if hr is not None else f"the scenario's expected hazard ratio {used:.3f}"


def simulation_report(args, boundaries, survival, report: dict) -> dict:
    """Add the simulated operating characteristics to ``report`` (unchanged without ``--simulate``)."""
    from ..errors import WalkBackInputError

    if not args.simulate:
        for flag in ("scenario", "seed", "look_days", "workers", "scheduler"):
            if getattr(args, flag, None) is not None:
                raise WalkBackInputError(f"--{flag.replace('_', '-')} is for the simulation: add --simulate N")
        return report
    from ..simulate.engine import scenario_for_size
    from ..studies.replicates import MAX_REPLICATES, chunk_size_for
    from ..studies.sequential import simulate_design

    if not 1 <= args.simulate <= MAX_REPLICATES:
        raise WalkBackInputError(f"--simulate {args.simulate} must be between 1 and {MAX_REPLICATES:,}")
    scenario = load_scenario(args.scenario)
    if args.n is not None:
        if args.n != int(args.n):
            raise WalkBackInputError(f"--n {args.n:g} must be a whole number of participants for --simulate")
        scenario = scenario_for_size(scenario, int(args.n))
    seed = scenario.seed if args.seed is None else args.seed
    if not 0 <= seed < 2**63:
        raise WalkBackInputError(f"--seed {seed} must be between 0 and 2^63 - 1")
    work = 2 * args.simulate * scenario.design.n_total
    if work > MAX_SIMULATED_PARTICIPANTS:
        raise WalkBackInputError(f"--simulate x --n asks for {work:,} simulated participants (both hypotheses); the "
                                 f"limit is {MAX_SIMULATED_PARTICIPANTS:,}")
    if args.look_days is not None:
        if len(args.look_days) != boundaries.design.looks:
            raise WalkBackInputError(f"--look-days gives {len(args.look_days)} days but the design has "
                                     f"{boundaries.design.looks} looks")
        looks = {"look_days": tuple(args.look_days)}
        plan = {"look_days": list(args.look_days)}
    else:
        events, max_events, source = _look_events(args, boundaries, survival, scenario)
        looks = {"look_events": events}
        plan = {"look_events": list(events), "max_events": max_events, "sized_for": source}
    with executor_for(args) as executor:
        sim = simulate_design(scenario, boundaries, args.simulate, seed, executor=executor,
                              chunk_size=chunk_size_for(args.simulate, args.parallel_workers), **looks)
    report["simulation"] = {"scenario": scenario.name, **plan, **sim.to_dict()}
    return report


def simulation_text(simulation: dict) -> str:
    """The simulated operating characteristics as a table (simulated +- MC SE beside the analytic PH value)."""
    from ..formats import format_number

    def f(value, digits):
        return format_number(value, digits, missing="–")

    by = (f"looks at {', '.join(str(e) for e in simulation['look_events'])} recurrences"
          if "look_events" in simulation else
          f"looks on days {', '.join(f'{d:g}' for d in simulation['look_days'])}")
    lines = ["", f"Simulated on scenario '{simulation['scenario']}': {simulation['n_trials']:,} trials under the "
                 f"scenario and under H0, {simulation['n_participants']} participants, {by}, seed {simulation['seed']}",
             f"{'quantity':<58} {'simulated':>10} {'MC SE':>8} {'analytic PH':>12}"]
    for row in simulation["summary"]:
        digits = 1 if row["key"].split("_at_stop")[0] in ("recurrences", "participants", "day") else 4
        lines.append(f"{row['quantity'] + (' (H0)' if row['key'].endswith('_null') else ''):<58.58} "
                     f"{f(row['value'], digits):>10} {f(row['mc_se'], digits):>8} {f(row['analytic'], digits):>12}")
    calendar = "look_days" in simulation
    lines.append(f"{'look':>4} {'P(efficacy)':>12} {'analytic':>9} {'P(futility)':>12} {'analytic':>9} "
                 f"{'P(eff.) H0':>11} {'recurrences':>12} {'exp. rec.' if calendar else 'exp. day':>9} {'day':>7} "
                 f"{'participants':>13}")
    for row in simulation["looks"]:
        lines.append(f"{row['look']:>4} {f(row['p_efficacy'], 4):>12} {f(row['p_efficacy_analytic'], 4):>9} "
                     f"{f(row['p_futility'], 4):>12} {f(row['p_futility_analytic'], 4):>9} "
                     f"{f(row['p_efficacy_null'], 4):>11} {f(row['recurrences_mean'], 1):>12} "
                     f"{f(row['expected_recurrences'], 1) if calendar else f(row['expected_day'], 0):>9} "
                     f"{f(row['day_mean'], 0):>7} {f(row['participants_mean'], 0):>13}")
    lines.append(f"simulation {simulation['elapsed_seconds']:.2f} s")
    return "\n".join(lines)


def design_from_args(args):
    from ..design.boundaries import GroupSequentialDesign
    from ..errors import WalkBackInputError

    if args.information is not None:
        if args.looks is not None and args.looks != len(args.information):
            raise WalkBackInputError(f"--looks {args.looks} but --information gives {len(args.information)} fractions")
        rates = tuple(args.information)
    else:
        k = 3 if args.looks is None else args.looks
        rates = tuple(i / k for i in range(1, k + 1))
    if args.futility_gamma is not None and not isinstance(args.futility, str):
        raise WalkBackInputError("--futility-gamma is for beta-spending futility (--futility asKD or asHSD)")
    if args.binding and args.futility is None:
        raise WalkBackInputError("--binding needs a futility rule (--futility)")
    return GroupSequentialDesign(args.spending, rates, alpha=args.alpha, beta=args.beta, sided=args.sided,
                                 gamma=args.gamma, delta=args.delta, futility=args.futility,
                                 futility_gamma=args.futility_gamma, binding_futility=args.binding)


def survival_from_args(args, boundaries):
    from ..design.events import SurvivalAssumptions, sample_size_survival
    from ..errors import WalkBackInputError

    # --n alone sizes the simulated trial (--simulate); with --hr it also gives the follow-up
    survival_flags = ("median_control", "follow_up", "accrual_intensity") + (
        () if getattr(args, "simulate", 0) else ("n",))
    if args.hr is None:
        given = [f"--{f.replace('_', '-')}" for f in survival_flags if getattr(args, f) is not None]
        if given:
            raise WalkBackInputError(f"{given[0]} needs --hr (the hazard ratio to power the design for)")
        return None
    if args.median_control is None:
        raise WalkBackInputError("--hr needs --median-control DAYS (the control arm's median time to recurrence)")
    if args.median_control <= 0:
        raise WalkBackInputError(f"--median-control {args.median_control:g} must be a positive number of days")
    if args.n is not None and args.follow_up is not None:
        raise WalkBackInputError("give --follow-up or --n, not both: one determines the other")
    follow_up = DAYS_PER_YEAR if args.n is None and args.follow_up is None else args.follow_up
    assumptions = SurvivalAssumptions(
        hazard_ratio=args.hr, control_hazards=(math.log(2) / args.median_control,), accrual_time=tuple(args.accrual),
        accrual_intensity=None if args.accrual_intensity is None else tuple(args.accrual_intensity),
        follow_up=follow_up, max_participants=args.n, dropout_rate=args.dropout, dropout_time=args.dropout_time,
        allocation_ratio=args.allocation)
    return sample_size_survival(boundaries, assumptions)


def _fmt(value, digits: int) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _table(boundaries, survival) -> str:
    head = ["look", "info", "efficacy z", "nominal p", "alpha spent", "futility z", "P(reject) H1",
            "P(futility) H1"]
    rows = []
    for k, t in enumerate(boundaries.information_rates):
        rows.append([str(k + 1), _fmt(t, 3), _fmt(boundaries.efficacy_z[k], 4), _fmt(boundaries.stagewise_alpha[k], 5),
                     _fmt(boundaries.cumulative_alpha_spent[k], 5), _fmt(boundaries.futility_z[k], 4),
                     _fmt(float(boundaries.h1.reject[k]), 4), _fmt(float(boundaries.h1.futility[k]), 4)])
    if survival is not None:
        head += ["events", "day", "participants", "efficacy HR", "futility HR"]
        for k, row in enumerate(rows):
            row += [_fmt(survival.events_per_look[k], 1), _fmt(survival.analysis_times[k], 0),
                    _fmt(survival.participants_per_look[k], 0), _fmt(survival.efficacy_hr[k], 3),
                    _fmt(survival.futility_hr[k], 3)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _text(boundaries, survival) -> str:
    d = boundaries.design
    extra = f", Delta {d.delta:g}" if d.delta is not None else (f", gamma {d.gamma:g}" if d.gamma is not None else "")
    futility = "no futility" if d.futility is None else (
        f"futility by {d.futility} beta spending" if isinstance(d.futility, str) else "fixed-z futility")
    if d.futility is not None:
        futility += ", binding" if d.binding_futility else ", non-binding"
    lines = [f"{d.kind}{extra} design, {d.looks} looks, {d.sided}-sided alpha {d.alpha:g}, "
             f"power {1 - d.beta:g}; {futility}",
             _table(boundaries, survival), "",
             f"inflation factor {boundaries.inflation_factor:.4f} (maximum information / fixed design); drift "
             f"{boundaries.drift:.4f}",
             f"expected information (share of maximum): H0 {boundaries.expected_information_h0:.3f}, "
             f"H1 {boundaries.expected_information_h1:.3f}"]
    if survival is not None:
        e = survival.expected_events
        lines += [f"recurrences: maximum {survival.max_events:.1f} (fixed design {survival.events_fixed:.1f}); "
                  f"expected H0 {e['h0']:.1f}, H1 {e['h1']:.1f}",
                  f"participants: {survival.max_participants:.1f} (expected under H1 "
                  f"{survival.expected_participants_h1:.1f}); follow-up after recruitment {survival.follow_up:.0f} "
                  f"days; expected duration under H1 {survival.expected_duration_h1:.0f} days"]
    return "\n".join(lines)


def run(args) -> int:
    from ..design.boundaries import compute_boundaries

    design = design_from_args(args)
    boundaries = compute_boundaries(design)
    survival = survival_from_args(args, boundaries)
    report = boundaries.to_dict()
    if survival is not None:
        report["survival"] = survival.to_dict()
        report["events"] = survival.events_per_look
    report = simulation_report(args, boundaries, survival, report)
    if args.json:
        json.dump(report, sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(_text(boundaries, survival) + "\n")
        if "simulation" in report:
            sys.stdout.write(simulation_text(report["simulation"]) + "\n")
    return 0
