"""A lecture hall on loopback ports: a PostgreSQL server, two Streamlit processes and nginx with sticky sessions
(the committed deploy/nginx-lecture-hall.conf). The load harness drives 60 students through nginx; afterwards the
instructor's dashboard on EACH process counts all 60, and the database holds 60 rows: 0 lost, 0 duplicated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from live_servers import Nginx, free_port, nginx_bin, postgres_bin, postgres_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import load_harness  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def hall():
    if postgres_bin() is None or nginx_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install postgresql and nginx (.ci/run)")
        pytest.skip("needs Debian's postgresql and nginx (apt-get install postgresql nginx)")
    with postgres_server() as database:
        apps, ports = [], [free_port(), free_port()]
        try:
            for port in ports:
                apps.append(load_harness.start_server(load_harness.APP_SCRIPT, ROOT, port,
                                                      env={"WALKBACK_DATABASE_URL": database.url,
                                                           "PYTHONWARNINGS": "ignore"}))
            for port, proc in zip(ports, apps):
                load_harness.wait_healthy(f"http://127.0.0.1:{port}", 180, proc)
            proxy = Nginx(ports).start()
            try:
                yield database, ports, proxy
            finally:
                proxy.stop()
        finally:
            for proc in apps:
                load_harness.stop_server(proc)


def test_sixty_students_across_two_processes_behind_nginx(hall, tmp_path):
    database, ports, proxy = hall
    out = tmp_path / "class.json"
    backends = [f"http://127.0.0.1:{port}" for port in ports]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load_harness.py"), "--class", "--users", "60", "--ramp", "15",
         "--think", "1", "--poll", "2", "--timeout", "120", "--url", f"http://127.0.0.1:{proxy.port}",
         "--database-url", database.url, *[a for url in backends for a in ("--check-url", url)], "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    app = json.loads(out.read_text())["app"]
    counts = app["class"]
    assert counts["stored"] == 60 and counts["lost"] == 0 and counts["duplicates"] == 0
    assert counts["confirmed"] == 60 and app["errors"] == 0 and app["exceptions"] == 0
    assert counts["instructor_counts_by_url"] == {url: 60 for url in backends}
    # Sticky sessions spread the students' websockets over both processes.
    spread = proxy.upstreams("/_stcore/stream")
    assert set(spread) == {f"127.0.0.1:{port}" for port in ports}, spread
    assert min(spread.values()) >= 10, spread
    print(proc.stdout)
