"""Run every benchmark in turn (`make bench`). Each prints its own table of medians and ratios
against a baseline measured in the same run. The load harness is separate (it starts a server and
speaks Streamlit's websocket protocol for N concurrent users): python benchmarks/load_harness.py --users 30
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_simulate.py", "bench_analyze.py", "bench_power.py", "bench_kernels.py", "bench_app.py"]


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, str(HERE / name)], cwd=HERE.parent).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
