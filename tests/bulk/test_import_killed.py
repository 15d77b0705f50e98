"""An import killed half-way (SIGKILL, mid-write) leaves no rows: one transaction.

The real `flask users import` runs in a pseudo-terminal, so its progress
line ("writing N/M rows") shows it is in the middle of writing when killed.
"""

from __future__ import annotations

import os
import pty
import re
import select as selectmodule
import signal
import subprocess
import sys
import time
from pathlib import Path

from panel import passwords
from panel.services import domains
from tests.bulk.imports import mailbox_count

ROOT = Path(__file__).resolve().parents[2]
ROWS = 30000
WRITING = re.compile(rb"writing (\d+)/(\d+) rows")


def _big_file(path: Path) -> None:
    digest = passwords.hash_password("secret123", "SHA512-CRYPT")
    with path.open("w") as out:
        out.write("email,name,password_hash\n")
        for i in range(ROWS):
            out.write(f"user{i}@example.org,User {i},{digest}\n")


def _run_until_half_written(database_url: str, csv_path: Path) -> bytes:
    master, slave = pty.openpty()
    env = dict(os.environ, MAILPANEL_DATABASE_URL=database_url, MAILPANEL_SECRET_KEY="x")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", str(ROOT / "app.py"), "users", "import", str(csv_path)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = selectmodule.select([master], [], [], 1)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
            progress = WRITING.findall(seen)
            if progress and 0 < int(progress[-1][0]) < int(progress[-1][1]):
                os.killpg(process.pid, signal.SIGKILL)
                break
            if process.poll() is not None:
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        os.close(master)
    return seen


def test_import_killed_mid_write_leaves_no_rows(app, session, actor, database_url, tmp_path):
    domains.create_domain(session, actor, "example.org")
    session.commit()
    csv_path = tmp_path / "big.csv"
    _big_file(csv_path)
    output = _run_until_half_written(database_url, csv_path)
    progress = WRITING.findall(output)
    assert progress, output[-2000:]
    done, total = map(int, progress[-1])
    assert 0 < done < total == ROWS  # killed in the middle of writing, on a terminal with progress
    assert b"rows/s" in output and b"ETA" in output
    session.rollback()
    session.expire_all()
    assert mailbox_count(session) == 0
    assert domains.get_domain(session, "example.org").mailbox_count == 0
