"""A PostgreSQL cluster of the test's own, for tests that stop or restart
the database (never the machine's main cluster on 5432).

Debian's ``pg_createcluster`` makes it (trust authentication on loopback,
a free port), ``pg_ctlcluster`` starts and stops it, and it is dropped when
the test is done, whatever happened. ``own_standby`` adds a hot standby of
such a cluster: another cluster whose data directory is a ``pg_basebackup
-R`` of the first, streaming from it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_port

VERSION = "15"
ROOT = Path(__file__).resolve().parents[1]


def panel_cli(url: str, *args: str, stdin: str = "") -> str:
    """The panel's CLI (``flask --app app.py ...``) on the database at ``url``."""
    env = dict(os.environ, MAILPANEL_DATABASE_URL=url, MAILPANEL_SECRET_KEY="x")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), *args],
        input=stdin, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)


@dataclass
class Cluster:
    name: str
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        _run("pg_ctlcluster", VERSION, self.name, "stop", "-m", "fast")

    def start(self) -> None:
        _run("pg_ctlcluster", VERSION, self.name, "start")

    @property
    def data_directory(self) -> str:
        return f"/var/lib/postgresql/{VERSION}/{self.name}"

    def scalar(self, database: str, sql: str) -> str:
        """One value, by psql (no pool left holding a connection)."""
        result = subprocess.run(
            ["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql],
            check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        return result.stdout.strip()

    def createdb(self, database: str) -> str:
        _run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database)
        return self.url(database)


def _create(prefix: str) -> Cluster:
    cluster = Cluster(f"{prefix}{uuid.uuid4().hex[:8]}", free_port())
    _run(
        "pg_createcluster", VERSION, cluster.name, "-p", str(cluster.port),
        "--", "--auth-local=trust", "--auth-host=trust",
    )  # fmt: skip
    return cluster


def _drop(cluster: Cluster) -> None:
    subprocess.run(["pg_dropcluster", "--stop", VERSION, cluster.name], check=False, capture_output=True)


@contextlib.contextmanager
def own_cluster(prefix: str = "mptest") -> Iterator[Cluster]:
    cluster = _create(prefix)
    try:
        cluster.start()
        yield cluster
    finally:
        _drop(cluster)


@contextlib.contextmanager
def own_standby(primary: Cluster, prefix: str = "mpstandby") -> Iterator[Cluster]:
    """A hot standby of ``primary``, streaming (Debian's pg_createcluster
    gives it a port and a configuration; its data directory is replaced by a
    base backup whose -R writes the primary_conninfo and standby.signal).
    Trust on loopback in both clusters lets the backup and the stream in."""
    standby = _create(prefix)
    try:
        data = Path(standby.data_directory)
        for entry in data.iterdir():  # emptied, kept: its parent is root's, the backup runs as postgres
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        _run(
            "runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", data, "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        standby.start()
        deadline = time.monotonic() + 60
        while standby.scalar("postgres", "SELECT pg_is_in_recovery()") != "t" and time.monotonic() < deadline:
            time.sleep(0.2)
        yield standby
    finally:
        _drop(standby)
