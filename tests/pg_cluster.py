"""A PostgreSQL cluster of the test's own, for tests that stop or restart
the database (never the machine's main cluster on 5432).

Debian's ``pg_createcluster`` makes it (trust authentication on loopback,
a free port), ``pg_ctlcluster`` starts and stops it, and it is dropped when
the test is done, whatever happened.
"""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from tests.live import free_port

VERSION = "15"


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

    def createdb(self, database: str) -> str:
        _run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", database)
        return self.url(database)


@contextlib.contextmanager
def own_cluster(prefix: str = "mptest") -> Iterator[Cluster]:
    cluster = Cluster(f"{prefix}{uuid.uuid4().hex[:8]}", free_port())
    _run(
        "pg_createcluster", VERSION, cluster.name, "-p", str(cluster.port),
        "--", "--auth-local=trust", "--auth-host=trust",
    )  # fmt: skip
    try:
        cluster.start()
        yield cluster
    finally:
        subprocess.run(["pg_dropcluster", "--stop", VERSION, cluster.name], check=False, capture_output=True)
