"""Servers the live-class tests start themselves: a throwaway PostgreSQL cluster and Debian's nginx.

Like the cluster test's dask scheduler, each runs on a free loopback port from a temporary folder and is
stopped afterwards; nothing depends on (or touches) a system service. PostgreSQL refuses to run as root, so as
root (CI) the cluster runs as the ``postgres`` user of Debian's package (else ``nobody``), which owns its folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's binaries (Debian: /usr/lib/postgresql/N/bin), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def nginx_bin() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)


class Postgres:
    """A PostgreSQL cluster in a temporary folder on a free loopback port (trust auth, loopback only)."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="walkback-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._user = None
        if os.geteuid() == 0:
            name = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(name)
            self._user = (entry.pw_uid, entry.pw_gid)
            os.chown(self.root, *self._user)
            self.root.chmod(0o700)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://walkback@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        extra = {}
        if self._user is not None:
            extra = {"user": self._user[0], "group": self._user[1], "extra_groups": []}
        return subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=self.root, capture_output=True, text=True,
                              check=check, timeout=timeout, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"},
                              **extra)

    def init(self) -> "Postgres":
        self._run("initdb", "-D", str(self.data), "-U", "walkback", "--auth=trust", "-E", "UTF8", "--no-sync",
                  "--locale=C.UTF-8")
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB")
        result = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
                           "start", check=False)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {result.stderr}\n{self.log_tail()}")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-2000:]
        return ""

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def postgres_server():
    """Yield a started :class:`Postgres`; always stopped and removed afterwards."""
    server = Postgres()
    try:
        server.init().start()
        yield server
    finally:
        server.cleanup()


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "nginx-lecture-hall.conf"


class Nginx:
    """Debian's nginx running the committed lecture-hall configuration, with its ports replaced by free ones.

    The configuration file is used as it is committed (only ``listen`` and the two ``server`` lines change), inside
    a minimal main configuration of our own (foreground, temporary paths, an access log naming the upstream).
    """

    def __init__(self, backends: list[int]) -> None:
        self.binary = nginx_bin()
        if self.binary is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="walkback-nginx-"))
        self.root.chmod(0o755)  # as root, nginx's workers run as nobody
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.root / name).mkdir(mode=0o777)
            (self.root / name).chmod(0o777)
        text = CONFIG.read_text()
        text = text.replace("listen 8080;", f"listen 127.0.0.1:{self.port};")
        lines = [f"    server 127.0.0.1:{port};" for port in backends]
        text = text.replace("    server 127.0.0.1:8501;\n    server 127.0.0.1:8502;", "\n".join(lines))
        assert all(line in text for line in lines), "the committed configuration's upstream block has changed"
        (self.root / "lecture-hall.conf").write_text(text)
        self.access_log = self.root / "access.log"
        (self.root / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {self.root}/nginx.pid;
error_log {self.root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$upstream_addr $request_uri $status';
    access_log {self.access_log} upstream;
    client_body_temp_path {self.root}/body;
    proxy_temp_path {self.root}/proxy;
    fastcgi_temp_path {self.root}/fastcgi;
    uwsgi_temp_path {self.root}/uwsgi;
    scgi_temp_path {self.root}/scgi;
    include {self.root}/lecture-hall.conf;
}}
""")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        self.proc = subprocess.Popen([self.binary, "-c", str(self.root / "nginx.conf"), "-p", str(self.root),
                                      "-e", str(self.root / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"nginx did not start: {(self.root / 'error.log').read_text(errors='replace')}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def upstreams(self, path_prefix: str) -> dict[str, int]:
        """How many logged requests for ``path_prefix`` each upstream served."""
        counts: dict[str, int] = {}
        for line in self.access_log.read_text().splitlines():
            upstream, uri, _status = line.split(" ", 2)
            if uri.startswith(path_prefix):
                counts[upstream] = counts.get(upstream, 0) + 1
        return counts
