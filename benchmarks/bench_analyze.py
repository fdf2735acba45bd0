"""Benchmark: `walkback analyze FILE --json` as a whole process, against R and lifelines on the same file.

    python benchmarks/bench_analyze.py [--n 1000000] [--sizes 10000 100000 1000000 10000000]
                                       [--repeats 3] [--timeout 900] [--no-r] [--no-lifelines]

What is timed is what users run, start to finish (interpreter start-up, imports, reading the
file, every analysis, printing the JSON):

- ours:      ``python -m analysis analyze FILE --json`` (the ``walkback`` command),
- R:         ``Rscript benchmarks/analyze_same_in_r.R FILE`` (base R ``read.csv`` + survival:
             survfit with log-log CIs, survdiff, coxph (Efron), cox.zph, RMST, reverse-KM
             follow-up; skipped with a note when ``Rscript`` is absent),
- lifelines: ``python benchmarks/analyze_same_in_lifelines.py FILE`` (pandas ``read_csv`` +
             lifelines: KM, logrank_test, CoxPHFitter, proportional_hazard_test, RMST).

Each figure is the median of ``--repeats`` runs (wall seconds) and the median peak resident
memory (``/usr/bin/time``'s maximum RSS, or psutil polling where that is missing). A run that
exceeds ``--timeout`` is reported as such and that tool is not run on larger files.

1. Headline: the ``walkback simulate --n N`` export (every column, as a user's file has them),
   ratio of ours to R and to lifelines, and the hazard ratio each tool printed.
2. Scaling: files with the four columns the analysis uses (arm, stratum, time_days,
   recurrence) from 10^4 to 10^7 rows; time and peak memory per tool; a log-log plot in
   ``benchmarks/results/analyze_scaling.html`` and the figures in ``analyze_scaling.json``.

Target (issue 11): at 1,000,000 rows ours takes at most a fifth of R's time, with peak memory no
higher than R's. Not a test; the machine's load average is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DATA = RESULTS / "data"
TOOLS = ("ours", "R", "lifelines")


def command(tool: str, path: Path) -> list[str] | None:
    if tool == "ours":
        return [sys.executable, "-m", "analysis", "analyze", str(path), "--json"]
    if tool == "R":
        rscript = shutil.which("Rscript")
        return None if rscript is None else [rscript, str(ROOT / "benchmarks" / "analyze_same_in_r.R"), str(path)]
    return [sys.executable, str(ROOT / "benchmarks" / "analyze_same_in_lifelines.py"), str(path)]


def run_once(cmd: list[str], timeout: float) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one whole process; wall = inf on timeout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    gnu_time = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile(suffix=".time") as fh:
        full = [str(gnu_time), "-f", "%M", "-o", fh.name, *cmd] if gnu_time.exists() else cmd
        began = time.perf_counter()
        proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True,
                                start_new_session=True)  # its own process group: a timeout ends all of it
        peak = 0.0
        if not gnu_time.exists():
            peak = _poll_rss(proc, began + timeout)
        try:
            out, err = proc.communicate(timeout=max(1.0, began + timeout - time.perf_counter()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # /usr/bin/time and the tool it runs
            proc.communicate()
            return float("inf"), float("nan"), ""
        wall = time.perf_counter() - began
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-500:]}")
        if gnu_time.exists():
            peak = float(Path(fh.name).read_text().split()[-1]) / 1024  # KB -> MB
    return wall, peak, out


def _poll_rss(proc: subprocess.Popen, deadline: float) -> float:  # pragma: no cover - no /usr/bin/time
    import psutil

    peak = 0
    p = psutil.Process(proc.pid)
    while proc.poll() is None and time.perf_counter() < deadline:
        try:
            peak = max(peak, p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True)))
        except psutil.Error:
            break
        time.sleep(0.05)
    return peak / 2**20


def measure(tool: str, path: Path, repeats: int, timeout: float) -> dict:
    cmd = command(tool, path)
    if cmd is None:
        return {"skipped": "Rscript not found"}
    walls, peaks, out = [], [], ""
    for _ in range(repeats):
        wall, peak, out = run_once(cmd, timeout)
        if wall == float("inf"):
            return {"timeout": timeout}
        walls.append(wall)
        peaks.append(peak)
    return {"seconds": statistics.median(walls), "peak_mb": statistics.median(peaks), "runs": walls,
            "hr": _hr(tool, out)}


def _hr(tool: str, out: str) -> float | None:
    if tool == "ours":
        return json.loads(out)["cox"]["hr"]
    for line in out.splitlines():
        if line.startswith("hr "):
            return float(line.split()[1])
    return None


def make_files(n_headline: int, sizes: list[int]) -> tuple[Path, dict[int, Path]]:
    """The headline export (walkback simulate) and the lean scaling files (written once, reused)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from analysis import Scenario, scenario_for_size, simulate_trial

    DATA.mkdir(parents=True, exist_ok=True)
    headline = DATA / f"cohort_{n_headline}.csv"
    if not headline.exists():
        with open(headline, "wb") as fh:
            subprocess.run([sys.executable, "-m", "analysis", "simulate", "--n", str(n_headline), "--seed", "1"],
                           stdout=fh, check=True, cwd=ROOT,
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
    lean = {}
    for n in sizes:
        path = DATA / f"lean_{n}.csv"
        if not path.exists():
            cohort = simulate_trial(scenario_for_size(Scenario(), n), seed=2)
            table = pa.Table.from_pandas(cohort[["arm", "stratum", "time_days", "recurrence"]], preserve_index=False)
            pcsv.write_csv(table, path)
            del cohort, table
        lean[n] = path
    return headline, lean


def fmt(r: dict) -> str:
    if "skipped" in r:
        return f"{'skipped':>22}"
    if "timeout" in r:
        return f"{'> ' + format(r['timeout'], '.0f') + ' s':>22}"
    return f"{r['seconds']:9.2f} s {r['peak_mb']:8.0f} MB"


def plot(scaling: dict, path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("wall time (s)", "peak memory (MB)"))
    for tool in TOOLS:
        rows = [(n, r) for n, r in sorted(scaling.items()) if "seconds" in r.get(tool, {})]
        if not rows:
            continue
        ns = [n for n, _ in rows]
        fig.add_trace(go.Scatter(x=ns, y=[r[tool]["seconds"] for _, r in rows], name=tool, mode="lines+markers",
                                 legendgroup=tool), row=1, col=1)
        fig.add_trace(go.Scatter(x=ns, y=[r[tool]["peak_mb"] for _, r in rows], name=tool, mode="lines+markers",
                                 legendgroup=tool, showlegend=False), row=1, col=2)
    fig.update_xaxes(type="log", title_text="rows")
    fig.update_yaxes(type="log")
    fig.update_layout(title="walkback analyze vs R (survival) vs lifelines: whole processes, same files")
    fig.write_html(path, include_plotlyjs="cdn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows of the headline file")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run before giving up on a tool")
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--no-lifelines", action="store_true")
    args = parser.parse_args()
    tools = [t for t in TOOLS if not (t == "R" and args.no_r) and not (t == "lifelines" and args.no_lifelines)]
    if "R" in tools and shutil.which("Rscript") is None:
        print("note: Rscript not found; R is skipped (install R and the survival package to compare)")
    headline, lean = make_files(args.n, args.sizes)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f} at start; medians of {args.repeats} runs; whole processes",
          flush=True)

    print(f"\n1. `walkback analyze {headline.name} --json` ({args.n:,} rows, {headline.stat().st_size / 1e6:.0f} MB, "
          "every column of `walkback simulate`)")
    head = {t: measure(t, headline, args.repeats, args.timeout) for t in tools}
    for t in tools:
        hr = head[t].get("hr")
        print(f"  {t:<10} {fmt(head[t])}" + (f"   HR {hr:.10f}" if hr is not None else ""), flush=True)
    print("  (HRs differ in the 8th digit: R's coxph stops at eps = 1e-9 and, from survival 3.0, merges times\n"
          "   closer than sqrt(machine eps) into ties (aeqSurv); lifelines stops at its default precision)")
    ours = head["ours"]
    for other in ("R", "lifelines"):
        r = head.get(other, {})
        if "seconds" in r and "seconds" in ours:
            print(f"  ours / {other}: time {ours['seconds'] / r['seconds']:.3f} "
                  f"({r['seconds'] / ours['seconds']:.1f}x faster), memory {ours['peak_mb'] / r['peak_mb']:.2f}")
        elif "timeout" in r:
            print(f"  {other} did not finish within {args.timeout:.0f} s")
    if "seconds" in head.get("R", {}) and "seconds" in ours:
        ok_t = ours["seconds"] <= head["R"]["seconds"] / 5
        ok_m = ours["peak_mb"] <= head["R"]["peak_mb"]
        print(f"  target (time <= R / 5, memory <= R): time {'met' if ok_t else 'NOT met'}, "
              f"memory {'met' if ok_m else 'NOT met'}")

    print("\n2. Scaling (files with arm, stratum, time_days, recurrence)")
    print(f"  {'rows':>10}  " + "  ".join(f"{t:>22}" for t in tools))
    scaling: dict[int, dict] = {}
    # a tool that timed out is not run on files as large or larger
    limit = {t: args.n for t in tools if "timeout" in head[t]}
    for n in sorted(lean):
        row = {}
        for t in tools:
            if n >= limit.get(t, float("inf")):
                row[t] = {"timeout": args.timeout}
                continue
            row[t] = measure(t, lean[n], 1 if n >= 10_000_000 else args.repeats, args.timeout)
            if "timeout" in row[t]:
                limit[t] = n
        scaling[n] = row
        print(f"  {n:>10,}  " + "  ".join(fmt(row[t]) for t in tools), flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "analyze_scaling.json").write_text(json.dumps(
        {"load_average": load, "repeats": args.repeats, "headline": {"rows": args.n, **head},
         "scaling": {str(n): r for n, r in scaling.items()}}, indent=2, default=str))
    plot(scaling, RESULTS / "analyze_scaling.html")
    print(f"\nwrote {RESULTS / 'analyze_scaling.html'} (log-log plot) and {RESULTS / 'analyze_scaling.json'}")


if __name__ == "__main__":
    main()
