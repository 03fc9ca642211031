"""A PostgreSQL and a Redis server of the drill's own, in a temporary folder, on free ports.

The drills stop and start them: never the machine's servers, which other work (test runs,
benchmarks, other people's servers) is using meanwhile. PostgreSQL is the machine's own
binaries (``PG_BIN``, else the newest ``/usr/lib/postgresql/<version>/bin``) on a cluster made
by ``initdb``, with the machine's defaults (``fsync`` and ``synchronous_commit`` on: an ack
means what it means in production); run as root, it runs as the ``postgres`` user. Redis keeps
nothing on disk (``--save ''``, no append-only file), as the deployment's does not: a restart
empties it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from bench.load.targets import free_port


def postgres_bin() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("no PostgreSQL binaries: set PG_BIN=/path/to/postgresql/bin")
    return found[-1].parent


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its programs as the postgres user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary folder (one the postgres user can reach,
    when run as root), listening on 127.0.0.1:``port``; its log is copied to ``log_dir`` at the
    end."""

    def __init__(self, log_dir: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="drills-postgres-"))
        self.log_dir = log_dir
        self.data = self.root / "pgdata"
        self.log = self.root / "postgresql.log"
        self.port = free_port()
        self.bin = postgres_bin()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        command = [*_as_postgres(), str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=120)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        subprocess.run(
            [
                *_as_postgres(),
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",  # the cluster's creation only; the server itself syncs as usual
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=200"
        self._ctl("-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "-t", "60", "stop")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        if self.log.exists():
            shutil.copy(self.log, self.log_dir / "postgresql.log")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A Redis server of its own on 127.0.0.1:``port`` that keeps nothing on disk; its log in
    ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, number: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{number}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.root),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        import redis

        deadline = time.monotonic() + timeout
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
        while True:
            try:
                client.ping()
                client.close()
                return
            except redis.ConnectionError:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited; see {self.root / 'redis.log'}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Shut down as ``service redis-server stop`` does (SIGTERM): nothing is saved."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def destroy(self) -> None:
        self.stop()
