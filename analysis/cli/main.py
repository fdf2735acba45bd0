"""The ``walkback`` command: the same library functions the app and the notebooks call.

Every failure caused by the user's input ends with exit status 2 and one line on stderr;
no traceback is ever shown for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from . import analyze as cli_analyze
from . import assurance as cli_assurance
from . import cea as cli_cea
from . import classroom as cli_classroom
from . import design as cli_design
from . import power as cli_power
from ..errors import WalkBackInputError
from .common import Parser, load_scenario, positive_int, seed

__all__ = ["main", "build_parser"]

PROG = "walkback"


# --------------------------------------------------------------------------- simulate
MAX_CLI_PARTICIPANTS = 10_000_000  # kept for callers; exports are capped by analysis.io.export.MAX_EXPORT_*


def _add_simulate(sub) -> None:
    from ..io.limits import EXPORT_FORMATS, MAX_EXPORT_PARTICIPANTS, MAX_EXPORT_ROWS, MAX_EXPORT_REPLICATES

    p = sub.add_parser("simulate", help="simulate a cohort (default: the calibrated WalkBack trial, CSV to stdout)",
                       description="Simulate one trial (or K replicate trials) of a scenario and export it: one row "
                                   "per participant (csv, parquet) or CDISC ADaM ADTTE records (adtte). With --out, "
                                   "the data dictionary, provenance (scenario, seed, version, sha256) and, for "
                                   "adtte, an R re-analysis script are written with the data.",
                       epilog=f"Limits per export: {MAX_EXPORT_PARTICIPANTS:,} participants, {MAX_EXPORT_REPLICATES:,} "
                              f"replicates, {MAX_EXPORT_ROWS:,} rows in all.")
    p.add_argument("--scenario", metavar="FILE.json", help="scenario JSON (see `walkback scenario --default`); "
                   "fields left out keep the calibrated WalkBack values")
    p.add_argument("--seed", type=seed, help="random seed (default: the scenario's seed)")
    p.add_argument("--n", type=positive_int, metavar="INT",
                   help="total participants, allocated by the scenario's design (default: 351 + 350)")
    p.add_argument("--replicates", type=positive_int, metavar="K",
                   help="simulate K trials into one table with a 'replicate' column; replicate i is seeded from "
                        "child i of numpy SeedSequence(seed).spawn(K)")
    p.add_argument("--episodes", action="store_true",
                   help="write one row per episode of low back pain (participant_id, arm, episode, onset_day, "
                        "recovery_day, activity_limiting, care_seeking, worst_pain) instead of one row per "
                        "participant; csv or parquet")
    p.add_argument("--format", default="csv", choices=list(EXPORT_FORMATS),
                   help="csv or parquet (one row per participant) or adtte (ADaM ADTTE, CSV); default csv")
    p.add_argument("--out", metavar="PATH",
                   help="FILE.csv / FILE.parquet: the data file with FILE.dictionary.json, FILE.provenance.json, "
                        "FILE.scenario.json (and FILE.R for adtte) beside it; BUNDLE.zip: everything in one zip; "
                        "any other name: a new folder holding everything. Default: data only, to standard output")
    p.set_defaults(run=_run_simulate)


def _check_out(out: str, fmt: str) -> None:
    """Refuse an unusable --out before simulating anything (so nothing is written on failure)."""
    import os

    from ..io.export import export_layout

    layout = export_layout(out, fmt)
    target = out.rstrip("/\\") or out
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise WalkBackInputError(f"cannot write '{out}': folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK):
        raise WalkBackInputError(f"cannot write '{out}': folder '{folder}' is not writable")
    if layout == "folder":
        if os.path.lexists(target) and not os.path.isdir(target):
            raise WalkBackInputError(f"cannot write folder '{out}': a file of that name exists")
        if os.path.isdir(target) and os.listdir(target):
            raise WalkBackInputError(f"cannot write folder '{out}': it exists and is not empty; "
                                     "choose a new folder name or remove it")
    elif os.path.isdir(target):
        raise WalkBackInputError(f"cannot write '{out}': it is a directory")


def _run_simulate(args) -> int:
    try:
        return _simulate(args)
    except WalkBackInputError as exc:
        text = str(exc)
        if "\n" in text or "\r" in text:  # e.g. a field name with a line break quoted from a scenario file
            raise type(exc)(text.replace("\r", "\\r").replace("\n", "\\n")) from None
        raise


def _simulate(args) -> int:
    from ..io.export import (
        MAX_EXPORT_PARTICIPANTS,
        MAX_EXPORT_REPLICATES,
        check_export_size,
        export_cohorts,
        export_episodes,
        export_files,
        write_export,
    )
    from ..simulate.engine import scenario_for_size

    # Every check that needs no simulation comes first, so bad input fails fast and writes nothing.
    if args.n is not None and not 2 <= args.n <= MAX_EXPORT_PARTICIPANTS:
        raise WalkBackInputError(f"--n {args.n:,} must be between 2 and {MAX_EXPORT_PARTICIPANTS:,} "
                                 "(the export limit per cohort)")
    if args.replicates is not None and args.replicates > MAX_EXPORT_REPLICATES:
        raise WalkBackInputError(f"--replicates {args.replicates:,} must be between 1 and {MAX_EXPORT_REPLICATES:,} "
                                 "(the export limit)")
    if args.n is not None:
        check_export_size(args.n, args.replicates)
    elif args.replicates is not None:
        check_export_size(1, args.replicates)
    if args.episodes and args.format == "adtte":
        raise WalkBackInputError("--episodes writes csv or parquet; ADTTE (without --episodes) holds the time-to-event "
                                 "parameters of every endpoint")
    if args.out is not None:
        if not args.out.strip():
            raise WalkBackInputError("--out is empty: give a file, .zip or folder name")
        _check_out(args.out, args.format)
    elif args.format == "parquet" and sys.stdout.isatty():
        raise WalkBackInputError("Parquet is binary: give --out FILE.parquet or redirect standard output")

    scenario = load_scenario(args.scenario)
    if args.n is not None:
        scenario = scenario_for_size(scenario, args.n)
    check_export_size(scenario.design.n_total, args.replicates)
    seed = scenario.seed if args.seed is None else args.seed
    dataset = "episodes" if args.episodes else "cohort"
    table = (export_episodes if args.episodes else export_cohorts)(scenario, seed, args.replicates)
    files = export_files(table, scenario, seed, args.format, replicates=args.replicates, dataset=dataset)
    if args.out:
        write_export(args.out, files, args.format)
        return 0
    # Standard output carries the data file only (for pipes; Parquet still embeds its dictionary
    # and provenance); use --out for the sidecar files.
    data = next(iter(files.values()))
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------- scenario
def _add_scenario(sub) -> None:
    p = sub.add_parser("scenario", help="print or check scenario JSON",
                       description="Print the calibrated default scenario, or validate a scenario file.")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--default", action="store_true", help="print the calibrated WalkBack scenario as JSON")
    group.add_argument("--check", metavar="FILE.json", help="validate a scenario file and print it in full")
    p.set_defaults(run=_run_scenario)


def _run_scenario(args) -> int:
    scenario = load_scenario(None if args.default else args.check)
    sys.stdout.write(scenario.to_json() + "\n")
    return 0


# --------------------------------------------------------------------------- calibrate
def _add_calibrate(sub) -> None:
    p = sub.add_parser("calibrate", help="solve a scenario's free parameters against the published results",
                       description="Solve the baseline hazard, walking effect and loss to follow-up so the scenario "
                                   "reproduces the published medians, hazard ratio and event count.")
    p.add_argument("--scenario", metavar="FILE.json", help="assumptions to calibrate (default: WalkBack defaults)")
    p.add_argument("--keep-loss-to-followup", action="store_true",
                   help="keep the scenario's loss to follow-up instead of solving it from the event count")
    p.add_argument("--json", action="store_true", help="print the report and the calibrated scenario as JSON")
    p.set_defaults(run=_run_calibrate)


def _run_calibrate(args) -> int:
    from ..model.calibration import calibrate

    scenario = load_scenario(args.scenario)
    report = calibrate(scenario, fit_loss_to_followup=not args.keep_loss_to_followup)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
        return 0
    table = report.summary[["target", "published", "achieved", "relative_residual", "met", "kind", "role"]]
    sys.stdout.write(table.to_string(index=False, float_format=lambda v: f"{v:.4g}") + "\n\n")
    for name, value in report.free_parameters.items():
        shown = value if isinstance(value, list) else f"{value:.6g}"
        sys.stdout.write(f"{name} = {shown}\n")
    sys.stdout.write("\n" + report.message + "\n")
    return 0


# --------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="WalkBack Explorer: simulate and analyse the WalkBack trial.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    _add_simulate(sub)
    _add_scenario(sub)
    _add_calibrate(sub)
    cli_analyze.add_parser(sub)
    cli_power.add_parser(sub)
    cli_cea.add_parser(sub)
    cli_classroom.add_parser(sub)
    cli_assurance.add_parser(sub)
    cli_design.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except WalkBackInputError as exc:
        sys.stderr.write(f"{PROG} {args.command}: error: {exc}\n")
        return 2
    except BrokenPipeError:  # e.g. `walkback simulate | head`
        try:
            sys.stdout = open("/dev/null", "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
