"""``walkback analyze FILE``: two-arm time-to-event analysis of a CSV or Parquet file.

Wired into :mod:`analysis.cli` through :func:`add_parser` and :func:`run`. Output goes to
stdout (a readable table, or JSON with ``--json``); bad input gives one line
``walkback analyze: error: <message>`` on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import WalkBackInputError
from ..formats import format_number, format_p

__all__ = ["add_parser", "run"]

PROG = "walkback analyze"


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``analyze`` subcommand to an ``argparse`` subparsers object and return it."""
    p = subparsers.add_parser(
        "analyze", help="analyse a two-arm time-to-event file (CSV or Parquet)",
        description="Kaplan-Meier medians, log-rank test, Cox hazard ratio and RMST difference "
                    "of a two-arm cohort file (CSV or Parquet).")
    p.add_argument("file", metavar="FILE", help="CSV or Parquet file, one row per participant")
    p.add_argument("--time", default="time_days", metavar="COL", help="follow-up time column (default: time_days)")
    p.add_argument("--event", default="recurrence", metavar="COL",
                   help="event column, 0/1 or true/false (default: recurrence)")
    p.add_argument("--group", default="arm", metavar="COL", help="arm column with two levels (default: arm)")
    p.add_argument("--reference", default="control", metavar="LEVEL", help="reference arm (default: control)")
    p.add_argument("--strata", nargs="+", default=[], metavar="COL",
                   help="stratification column(s): adds stratified log-rank and Cox")
    p.add_argument("--tau", type=float, default=None, metavar="TIME",
                   help="RMST horizon, in the file's time unit (default: the smaller of the arms' longest follow-up)")
    p.add_argument("--time-unit", choices=["days", "weeks", "months", "years"], default=None,
                   help="unit of the time column, for the landmarks (6, 12, 24 months) and risk-table times "
                        "(default: the unit the column's name announces, e.g. 'weeks', else days)")
    p.add_argument("--endpoint", choices=["primary", "any", "care", "recovery"], default=None,
                   help="a simulator file's endpoint: primary (time_days), any, care (time_any_days, time_care_days) "
                        "or recovery from the first recurrence (participants with one); sets --time and --event")
    p.add_argument("--episodes", metavar="EPISODES_FILE", default=None,
                   help="episode file (`walkback simulate --episodes`) of the same trial: adds the recurrent-event "
                        "analyses (mean cumulative function, Andersen-Gill, negative binomial), adverse events and pain")
    p.add_argument("--cox-engine", default="auto", choices=["auto", "lifelines", "exact-vectorised"],
                   help="Cox fitter: lifelines (the estimator of record) or the exact vectorised one; "
                        "auto (default) uses lifelines below 5,000 rows (the JSON says which ran)")
    p.add_argument("--cluster", default=None, metavar="COL",
                   help="cluster column (e.g. clinic): adds the Cox model with cluster-robust (sandwich) standard "
                        "errors, as R's coxph(... + cluster(COL)); the JSON has cox_cluster with robust_se and n_clusters")
    p.add_argument("--test", choices=["logrank", "fh", "fh01", "fh10", "maxcombo", "rmst"], default=None,
                   help="also run this two-arm test (stratified by --strata, except rmst): logrank, fh "
                        "(Fleming-Harrington with --rho and --gamma), fh01, fh10, maxcombo (the largest of FH(0,0), "
                        "FH(0,1), FH(1,0) with its multiplicity-adjusted p) or rmst (the RMST difference at --tau); "
                        "the JSON gives it under \"tests\" by its name, e.g. fh_0_1")
    p.add_argument("--rho", type=float, default=None, metavar="R",
                   help="--test fh: weight S(t-)^rho (1 - S(t-))^gamma, rho >= 0 (default 0)")
    p.add_argument("--gamma", type=float, default=None, metavar="G", help="--test fh: gamma >= 0 (default 0)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)
    return p


def _error(message: str) -> int:
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run ``walkback analyze`` with parsed arguments; return the exit status (0 or 2)."""
    from ..io.cohort_files import read_cohort_file, read_two_arm_file
    from ..stats.survival import analyze_two_arm
    from ..stats.time_units import analysis_defaults, unit_or_days

    try:
        choice = _test_choice(args)
        strata = tuple(args.strata or ())
        cluster = args.cluster
        read_strata = strata if cluster is None or cluster in strata else (*strata, cluster)
        time, event = _endpoint_columns(args)
        unit = args.time_unit or unit_or_days(time)
        if args.endpoint == "recovery":  # a subset of participants: read the whole file, keep those with a recurrence
            df = read_cohort_file(args.file)
            if "recurrence_any" not in df.columns:
                raise WalkBackInputError("--endpoint recovery needs the column recurrence_any (a simulator file)")
            df = df[df["recurrence_any"] == 1].reset_index(drop=True)
            res = analyze_two_arm(df, time=time, event=event, group=args.group, reference=args.reference,
                                  strata=strata, tau=args.tau, cox_engine=args.cox_engine, cluster=cluster,
                                  **analysis_defaults(_longest(df, time), unit))
            tested = _run_test(choice, df, time, event, args.group, args.reference, strata)
        else:  # one pass over only the columns the analysis needs
            clean = read_two_arm_file(args.file, time=time, event=event, group=args.group,
                                      reference=args.reference, strata=read_strata)
            res = analyze_two_arm(clean, time="time", event="event", group="group", reference=args.reference,
                                  strata=strata, tau=args.tau, cox_engine=args.cox_engine, cluster=cluster,
                                  **analysis_defaults(_longest(clean, "time"), unit))
            tested = _run_test(choice, clean, "time", "event", "group", args.reference, strata)
        recurrent = None
        if args.episodes is not None:
            from ..stats.recurrent import analyze_recurrent

            recurrent = analyze_recurrent(read_cohort_file(args.episodes), read_cohort_file(args.file))
    except WalkBackInputError as exc:
        return _error(str(exc))
    except MemoryError:
        return _error(f"{args.file}: not enough memory to analyse this file")
    out = res.to_dict()
    if tested is not None:
        out["tests"] = {tested.test: tested.to_dict()}  # by name: "fh_0_1", "maxcombo", ...
    if recurrent is not None:
        out["recurrent"] = recurrent.to_dict()
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    else:
        print(_table(out))
        if tested is not None:
            print(f"{tested.label}{' (stratified)' if tested.details.get('strata') else ''}: chi-square "
                  f"{_fmt(tested.chisq)}, z {_fmt(tested.z, 2)}, {_p(tested.p)}, {tested.direction}")
        if recurrent is not None:
            print(_recurrent_table(recurrent))
    return 0


def _test_choice(args):
    """The ``--test`` asked for (None without one); settings checked before the file is read."""
    if args.test is None:
        if args.rho is not None or args.gamma is not None:
            raise WalkBackInputError("--rho and --gamma go with --test fh")
        return None
    from ..stats.two_arm_tests import choose_test

    if args.test == "rmst" and args.tau is None:
        raise WalkBackInputError("--test rmst needs --tau, the RMST horizon in the file's time unit")
    return choose_test(args.test, rho=args.rho, gamma=args.gamma, tau=args.tau if args.test == "rmst" else None)


def _run_test(choice, df, time: str, event: str, group: str, reference: str, strata: tuple[str, ...]):
    if choice is None:
        return None
    from ..stats.two_arm_tests import two_arm_test

    # the RMST difference is not stratified; the log-rank family is, by --strata
    return two_arm_test(df, choice, time, event, group, reference, strata=() if choice.kind == "rmst" else strata)


def _longest(df, column: str) -> float:
    """The longest time in ``column`` (NaN when it is not numeric: the analysis then says what is wrong)."""
    import pandas as pd

    return float(pd.to_numeric(df[column], errors="coerce").max()) if column in df.columns and len(df) else float("nan")


def _endpoint_columns(args) -> tuple[str, str]:
    """(time column, event column) for ``--endpoint``, or the --time/--event columns as given."""
    if args.endpoint is None:
        return args.time, args.event
    from ..simulate.engine import ENDPOINTS

    if (args.time, args.event) != ("time_days", "recurrence"):
        raise WalkBackInputError("give either --endpoint or --time/--event, not both")
    time, event, _ = ENDPOINTS[args.endpoint]
    return time, event


def _recurrent_table(r) -> str:
    lines = ["", "All episodes (recurrent events)"]
    for row in r.mcf.summary.itertuples():
        lines.append(f"  mean episodes per participant, {row.arm} (to day {_fmt(row.last_time, 0)}): "
                     f"{_fmt(row.mcf_end)} ({_fmt(row.lower_end)} to {_fmt(row.upper_end)})")
    for row in r.summary.itertuples():
        lines.append(f"  {row.estimate}: {_fmt(row.value)} ({_fmt(row.lower)} to {_fmt(row.upper)}), {_p(row.p)}")
    if r.adverse_events is not None:
        (a, b), (c, d) = r.adverse_events.table
        lines.append(f"Adverse events (12 months): control {a}/{a + b}, intervention {c}/{c + d}; "
                     f"Fisher's exact test {_p(r.adverse_events.p_value)}")
    if r.worst_pain is not None:
        w = r.worst_pain
        lines.append(f"Worst pain in the first recurrence, intervention - control: {_fmt(w.difference, 2)} "
                     f"({_fmt(w.ci[0], 2)} to {_fmt(w.ci[1], 2)}), {_p(w.p_value)}")
    return "\n".join(lines)


def _fmt(v, digits=3) -> str:
    return "NR" if v is None else format_number(v, digits, missing="-")


def _p(v) -> str:
    return format_p(v)


def _table(d: dict) -> str:
    lines = ["Arm                       n   events   median (95% CI)"]
    for g in d["groups"]:
        lo, hi = g["median_ci"]
        lines.append(f"{g['level'][:22]:<22} {g['n']:>6} {g['events']:>8}   {_fmt(g['median'], 1)} "
                     f"({_fmt(lo, 1)} to {_fmt(hi, 1)})")
    lines.append("(NR = not reached)")
    lines.append("")
    lr = d["logrank"]
    lines.append(f"Log-rank test:             chi-square {_fmt(lr['chisq'])}, {_p(lr['p'])}")
    if d.get("logrank_stratified"):
        s = d["logrank_stratified"]
        lines.append(f"Stratified log-rank:       chi-square {_fmt(s['chisq'])}, {_p(s['p'])}")
    other = d["groups"][1]["level"]
    c = d["cox"]
    lines.append(f"Cox HR ({other} vs {d['reference']}): {_fmt(c['hr'])} ({_fmt(c['ci'][0])} to {_fmt(c['ci'][1])}), "
                 f"{_p(c['p'])}")
    if d.get("cox_stratified"):
        c = d["cox_stratified"]
        lines.append(f"Stratified Cox HR:         {_fmt(c['hr'])} ({_fmt(c['ci'][0])} to {_fmt(c['ci'][1])}), "
                     f"{_p(c['p'])}")
    if d.get("cox_cluster"):
        c = d["cox_cluster"]
        lines.append(f"Cox HR, robust by {c['cluster']} ({c['n_clusters']} clusters): {_fmt(c['hr'])} "
                     f"({_fmt(c['ci'][0])} to {_fmt(c['ci'][1])}), {_p(c['p'])}; robust SE {_fmt(c['robust_se'])} "
                     f"(model-based {_fmt(c['naive_se'])})")
    r = d["rmst"]
    lines.append(f"RMST difference to {_fmt(r['tau'], 1)}: {_fmt(r['difference'], 2)} "
                 f"({_fmt(r['ci'][0], 2)} to {_fmt(r['ci'][1], 2)}), {_p(r['p'])}")
    ph = [t for t in d["ph_check"]["tests"] if t["term"] == "GLOBAL"]
    if ph:
        lines.append(f"Proportional hazards (cox.zph, global): chi-square {_fmt(ph[0]['chisq'])}, "
                     f"{_p(ph[0]['p'])}")
    return "\n".join(lines)
