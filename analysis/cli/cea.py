"""``walkback cea``: cost-effectiveness of one simulated trial (the same functions as the app's page).

Picked up by :func:`analysis.cli.main.build_parser`, which calls :func:`add_parser`. A scenario file
may carry an ``"economics"`` section (fields of :class:`analysis.model.costs.Economics`) beside the
usual scenario sections; fields left out keep their defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..errors import WalkBackInputError
from .common import check_out_file, nonnegative_number, positive_int, seed

__all__ = ["add_parser", "run", "load_cea_inputs", "CALIBRATION_TRIALS"]

#: Trials' worth of participants pooled to stand for the expectation when calibrating.
CALIBRATION_TRIALS = 2000
#: The calibration trials are the replicates of this seed (tests check the result on another seed).
CALIBRATION_SEED = 0
#: How the cost table was made (printed, and written into the export's dictionary).
EPISODES_NOTE = ("Costed from the simulated episodes over 12 months (overlapping episodes merged; the part of the "
                 "horizon lost to follow-up filled in at the arm's rates).")


def add_parser(subparsers) -> argparse.ArgumentParser:
    from ..studies.limits import MAX_BOOTSTRAP

    p = subparsers.add_parser(
        "cea", help="cost-effectiveness of a simulated trial: ICER, plane, acceptability, net benefit",
        description="Simulate one trial, cost it (societal perspective; every unit cost and utility an adjustable "
                    "assumption) and analyse it as trial-based economic evaluations do: incremental costs and QALYs, "
                    "the ICER with a quadrant-aware statement, a stratified non-parametric bootstrap, the probability "
                    "of cost-effectiveness at each threshold and the acceptability curve. Costs and QALYs come from "
                    "the simulated episodes (care seeking, activity-limiting days, utility decrements).",
        epilog="Scenario files may hold an \"economics\" object, e.g. {\"economics\": {\"sessions\": 4, "
               "\"session_price\": 80}}.")
    p.add_argument("--scenario", metavar="FILE.json", help="scenario JSON, optionally with an \"economics\" section")
    p.add_argument("--seed", type=seed, help="trial seed (default: the scenario's seed)")
    p.add_argument("--bootstrap", type=positive_int, default=5000, metavar="INT",
                   help=f"bootstrap replicates, stratified by arm (default 5000, at most {MAX_BOOTSTRAP:,})")
    p.add_argument("--bootstrap-seed", type=seed, default=20240619, metavar="INT", help="bootstrap seed (default 20240619)")
    p.add_argument("--wtp", type=nonnegative_number, nargs="+", metavar="NUMBER",
                   help="willingness-to-pay thresholds, AU$ per QALY (AU$28,000 is always included)")
    p.add_argument("--calibrate", action="store_true",
                   help=f"solve the two calibrated economics assumptions on {CALIBRATION_TRIALS:,} simulated trials (the "
                        "replicates of --seed, default 0) and print targets, achieved values and residuals instead")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--out", metavar="FILE.csv",
                   help="also write the per-participant cost/QALY table to FILE.csv with FILE.dictionary.json beside it")
    p.set_defaults(run=run)
    return p


def load_cea_inputs(path: str | None):
    """(scenario, economics) from a scenario file with an optional ``economics`` section."""
    from ..model.default import default_scenario
    from ..model.costs import Economics, EconomicsError, economics_from_dict
    from ..trial.scenario import MAX_SCENARIO_BYTES, ScenarioError, scenario_from_dict
    from ..errors import read_input_file

    base = default_scenario()
    if path is None:
        return base, Economics()
    raw = read_input_file(path, label=f"scenario file '{path}'", error=ScenarioError, max_bytes=MAX_SCENARIO_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(f"scenario file '{path}': is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError(f"scenario file '{path}': is not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario file '{path}': must hold a JSON object")
    economics_part = data.pop("economics", None) or {}
    try:
        scenario = scenario_from_dict(data, base=base)
        economics = economics_from_dict(economics_part)
    except (ScenarioError, EconomicsError) as exc:
        raise type(exc)(f"scenario file '{path}': {exc}") from None
    except TypeError as exc:  # a wrongly typed economics value reaching the dataclass
        raise EconomicsError(f"scenario file '{path}': economics: {exc}") from None
    return scenario, economics


def _money(value: float) -> str:
    return f"{'-' if value < 0 else ''}AU${abs(value):,.0f}"


def _calibrate(args, scenario, economics) -> int:
    from ..model.costs import calibrate_economics
    from ..studies.economics import stacked_trials

    first = CALIBRATION_SEED if args.seed is None else args.seed
    big, episodes = stacked_trials(scenario, CALIBRATION_TRIALS, seed=first)
    report = calibrate_economics(big, episodes, economics,
                                 n_intervention=scenario.design.n_intervention, n_control=scenario.design.n_control)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
        return 0
    sys.stdout.write(report.summary.to_string(index=False, float_format=lambda v: f"{v:.6g}") + "\n\n")
    for name, value in report.free_parameters.items():
        sys.stdout.write(f"{name} = {value:.6g}\n")
    sys.stdout.write("\n" + report.message + "\n")
    return 0


def run(args) -> int:
    from ..model.costs import COST_TABLE_COLUMNS
    from ..studies.economics import CEASettings, MAX_BOOTSTRAP, trial_cost_effectiveness
    from ..trial.published import published_value

    if args.bootstrap > MAX_BOOTSTRAP:
        raise WalkBackInputError(f"--bootstrap {args.bootstrap:,} must be between 1 and {MAX_BOOTSTRAP:,}")
    if args.out is not None:
        check_out_file(args.out, ".csv", why=" (the cost table; its dictionary goes beside it)")
    scenario, economics = load_cea_inputs(args.scenario)
    if args.calibrate:
        return _calibrate(args, scenario, economics)
    published_wtp = float(published_value("cea_wtp_threshold"))
    thresholds = tuple(sorted({published_wtp, *(args.wtp or ())}))
    settings = CEASettings(bootstrap=args.bootstrap, seed=args.bootstrap_seed, thresholds=thresholds,
                           wtp_max=max(100_000.0, max(thresholds)))
    trial_seed = scenario.seed if args.seed is None else args.seed
    table, result = trial_cost_effectiveness(scenario, economics, trial_seed, settings)

    if args.out is not None:
        from ..io.export import write_files_atomic  # imported only when writing: it costs 0.7 s at start-up

        stem = os.path.splitext(args.out)[0]
        dictionary = {"table": os.path.basename(args.out), "columns": COST_TABLE_COLUMNS,
                      "economics": economics.to_dict(), "scenario": scenario.name, "seed": trial_seed,
                      "episodes": EPISODES_NOTE}
        write_files_atomic({stem + ".dictionary.json": (json.dumps(dictionary, indent=2) + "\n").encode("utf-8"),
                            args.out: table.to_csv(index=False).encode("utf-8")})
    if args.json:
        out = {"scenario": scenario.name, "trial_seed": trial_seed, "economics": economics.to_dict(),
               "episodes": "episode_engine", "published": {
                   "icer_aud_per_qaly": published_value("icer_aud_per_qaly"),
                   "prob_cost_effective": published_value("prob_cost_effective"), "wtp": published_wtp},
               **result.to_dict()}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0
    level = f"{settings.confidence:.0%}"
    lines = [f"Cost-effectiveness of one simulated trial: scenario '{scenario.name}', seed {trial_seed}; "
             f"societal perspective, horizon {economics.horizon_days:g} days; {settings.bootstrap:,} bootstrap "
             f"replicates (stratified by arm, seed {settings.seed})",
             EPISODES_NOTE,
             "",
             f"Incremental cost  AU${result.delta_cost:,.0f}  ({level} CI {result.delta_cost_ci[0]:,.0f} to "
             f"{result.delta_cost_ci[1]:,.0f})",
             f"Incremental QALY  {result.delta_qaly:.4f}  ({level} CI {result.delta_qaly_ci[0]:.4f} to "
             f"{result.delta_qaly_ci[1]:.4f})",
             f"ICER: {result.statement}   (published: AU${published_value('icer_aud_per_qaly'):,} per QALY gained)"]
    lo, hi, kind = result.fieller
    if kind == "bounded":
        lines.append(f"Fieller {level} CI for the ICER: {_money(lo)} to {_money(hi)}")
    elif kind == "exclusive":
        lines.append(f"Fieller {level} CI for the ICER: below {_money(lo)} or above {_money(hi)} (QALY difference "
                     "not significant)")
    else:
        lines.append(f"Fieller {level} CI for the ICER: unbounded")
    shares = "  ".join(f"{q} {result.quadrant_shares[q]:.1%}" for q in ("NE", "SE", "SW", "NW"))
    lines.append(f"Bootstrap replicates by quadrant: {shares}")
    if result.recurrence_statement:
        lines.append(f"Recurrences prevented per participant {result.recurrences_prevented:.3f}; "
                     f"{result.recurrence_statement}")
    lines += ["", "Probability cost-effective at each threshold "
              f"(published: {published_value('prob_cost_effective'):.0%} at AU${published_wtp:,.0f})"]
    for row in result.thresholds.itertuples():
        lines.append(f"  AU${row.wtp:>10,.0f}  bootstrap {row.probability:.3f}  normal approx. "
                     f"{row.probability_normal:.3f}  INMB AU${row.inmb:,.0f} ({row.inmb_lower:,.0f} to "
                     f"{row.inmb_upper:,.0f})")
    lines += ["", "Acceptability curve (every 10,000):",
              f"  {'WTP (AU$/QALY)':>14} {'P(CE) boot':>10} {'P(CE) normal':>12} {'INMB (AU$)':>11}"]
    curve = result.acceptability
    shown = curve[(curve["wtp"] % 10_000 == 0) | curve["wtp"].isin(thresholds)]
    for row in shown.itertuples():
        lines.append(f"  {row.wtp:>14,.0f} {row.probability:>10.3f} {row.probability_normal:>12.3f} {row.inmb:>11,.0f}")
    if args.out is not None:
        lines.append(f"\nwrote {args.out} and {os.path.splitext(args.out)[0]}.dictionary.json")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
