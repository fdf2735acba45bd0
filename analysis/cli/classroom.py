"""``walkback classroom``: a zip with one simulated trial, data dictionary and worksheet per student,
and the instructor's answer key (:func:`analysis.io.class_set.build_class_set`).

Bad input (student count, seed, --vary, scenario file, output path) gives one line on stderr and
exit status 2; the zip is written through a temporary file and a rename, so nothing half-written
is ever left behind.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import WalkBackInputError
from .common import check_out_file, load_scenario, positive_int, seed

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``classroom`` subcommand to an ``argparse`` subparsers object and return it."""
    from ..studies.limits import MAX_STUDENTS

    p = subparsers.add_parser(
        "classroom", help="a class set: one simulated trial and worksheet per student, with an answer key",
        description="Build one zip holding, for each student, a simulated trial of the scenario (CSV with its data "
                    "dictionary; the student's own seed is derived from the class seed) and a worksheet (Markdown "
                    "and HTML), plus the instructor's answer key computed exactly as `walkback analyze` does.")
    p.add_argument("--students", type=positive_int, required=True, metavar="N",
                   help=f"number of students, 1 to {MAX_STUDENTS}")
    p.add_argument("--scenario", metavar="FILE.json", help="scenario JSON (default: the calibrated WalkBack trial)")
    p.add_argument("--seed", type=seed, help="class seed (default: the scenario's seed)")
    p.add_argument("--out", default="class.zip", metavar="FILE.zip", help="the zip to write (default: class.zip)")
    p.add_argument("--vary", metavar="FIELD=V1,V2,...",
                   help="give students different values of one scenario field in turn, e.g. "
                        "adherence.mean_adherence=0.4,0.6,0.87, so the class can pool results by value")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``walkback classroom`` with parsed arguments; return the exit status."""
    from ..io.export import write_atomic
    from ..io.class_set import build_class_set
    from ..studies.classroom import MAX_STUDENTS, parse_vary, student_plan

    if args.students > MAX_STUDENTS:
        raise WalkBackInputError(f"--students {args.students} must be between 1 and {MAX_STUDENTS}")
    check_out_file(args.out, ".zip")
    vary = parse_vary(args.vary) if args.vary is not None else None
    scenario = load_scenario(args.scenario)
    class_seed = scenario.seed if args.seed is None else args.seed
    student_plan(scenario, args.students, class_seed, vary)  # every input checked before any simulation
    class_set = build_class_set(scenario, args.students, class_seed, vary)
    write_atomic(args.out, class_set.to_zip())
    sys.stdout.write(f"wrote {args.out}: {args.students} students (class seed {class_seed})"
                     + (f", {vary[0]} in {', '.join(map(str, vary[1]))}" if vary else "") + "\n")
    return 0
