"""`walkback power --scheduler`: a real dask cluster, started as users start one.

A ``dask scheduler`` and two ``dask worker`` processes run as separate processes on 127.0.0.1
(free ports picked by the OS, no dashboards); the CLI, itself a separate process, sends its
replicates there. The JSON must be bit-identical to ``--workers 1`` (only the timings differ).
Every process is bounded in time and always torn down. Also: an unreachable scheduler gives
exit status 2 and one line within the documented timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # real processes: about 30 s in all on a busy 2-core machine

ROOT = Path(__file__).resolve().parents[1]
WALKBACK = [sys.executable, "-m", "analysis"]
TIMINGS = ("wall_seconds", "seconds")


def _dask() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dask")
    if found is None:
        pytest.skip("the `dask` command is not installed")
    return [found]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"
    return env


def _without_timings(obj):
    if isinstance(obj, dict):
        return {k: _without_timings(v) for k, v in obj.items() if k not in TIMINGS}
    if isinstance(obj, list):
        return [_without_timings(v) for v in obj]
    return obj


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path):
    """tcp://127.0.0.1:PORT of a scheduler with two single-threaded workers (separate processes)."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = []

    def start(name, args):
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
        logs.append(log)
        procs.append(subprocess.Popen([*_dask(), *args], stdout=log, stderr=subprocess.STDOUT, env=_env(),
                                      cwd=tmp_path, start_new_session=True))

    try:
        start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"])
        for i in (1, 2):
            start(f"worker{i}", ["worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1",
                                 "--no-dashboard", "--name", f"walkback-test-{i}"])
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        _stop(procs)
        for log in logs:
            log.close()


def test_power_on_a_dask_cluster_is_bit_identical_to_one_process(cluster):
    common = ["power", "--n-sims", "200", "--seed", "20240611", "--json"]
    remote = subprocess.run([*WALKBACK, *common, "--scheduler", cluster], capture_output=True, text=True,
                            timeout=300, env=_env(), cwd=ROOT)
    assert remote.returncode == 0, remote.stderr
    local = subprocess.run([*WALKBACK, *common, "--workers", "1"], capture_output=True, text=True, timeout=300,
                           env=_env(), cwd=ROOT)
    assert local.returncode == 0, local.stderr
    a, b = json.loads(remote.stdout), json.loads(local.stdout)
    assert _without_timings(a) == _without_timings(b)  # every number, to the last bit (JSON repr)
    assert a["rows"][0]["power_simulated"] is not None


def test_unreachable_scheduler_is_one_line_and_exit_2():
    from analysis.cli.common import SCHEDULER_TIMEOUT_SECONDS

    address = f"tcp://127.0.0.1:{_free_port()}"  # nobody listens there
    began = time.monotonic()
    out = subprocess.run([*WALKBACK, "power", "--n-sims", "10", "--scheduler", address], capture_output=True,
                         text=True, timeout=120, env=_env(), cwd=ROOT)
    elapsed = time.monotonic() - began
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("walkback power: error: --scheduler")
    assert "Traceback" not in out.stderr
    assert elapsed < SCHEDULER_TIMEOUT_SECONDS + 30  # interpreter start-up and imports on a busy machine


def test_scheduler_address_without_protocol_is_one_line():
    out = subprocess.run([*WALKBACK, "power", "--n-sims", "10", "--scheduler", "localhost:8786"],
                         capture_output=True, text=True, timeout=120, env=_env(), cwd=ROOT)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "tcp://HOST:PORT" in out.stderr
