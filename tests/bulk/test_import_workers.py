"""The hashing workers of an import die with it.

Plain passwords are hashed by a process pool (panel/bulk/hashing.py). A
SIGKILL of the importer alone (not its process group: an OOM kill, a
``kill -9``, gunicorn killing a worker that ran past its timeout) used to
leave the four workers hashing forever. Here only the importer is killed and
every process it started must be gone within seconds, with no row written.

The processes are recognized by a marker in their environment, which every
descendant inherits; /proc/PID/environ is readable here (the tests run as
root or as the processes' owner).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import func, select

from panel.models import Mailbox
from tests.helpers import PASSWORD, token_in
from tests.live import gunicorn_server

ROOT = Path(__file__).resolve().parents[2]
ROWS = 400  # ~40 s of argon2id on two cores: long enough to be killed mid-hash
MARK = "MAILPANEL_TEST_IMPORT_MARK"


def _csv(path: Path) -> Path:
    with path.open("w") as out:
        out.write("email,password\n")
        for i in range(ROWS):
            out.write(f"user{i}@kill.example,Plain-password-{i}\n")
    return path


def _marked(mark: str) -> dict[int, str]:
    """pid → command line of every live process carrying ``mark``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile
            continue
        if f"{MARK}={mark}".encode() in environ.split(b"\0") and state != "Z":
            found[int(entry.name)] = cmdline
    return found


def _workers(mark: str) -> dict[int, str]:
    return {pid: cmd for pid, cmd in _marked(mark).items() if "from multiprocessing." in cmd}


def _wait_for(predicate, what: str, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _assert_all_gone(mark: str, keep: set[int] = frozenset()) -> None:
    try:
        _wait_for(lambda: not (set(_workers(mark)) - keep), "the hashing workers to exit", 15)
    finally:
        for pid in _workers(mark):  # never leave orphans behind a failed test
            os.kill(pid, signal.SIGKILL)


def _mailboxes(app) -> int:
    from panel.db import get_session

    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(Mailbox))


def test_killing_flask_users_import_ends_its_hashing_workers(app, world, database_url, tmp_path):
    mark = uuid.uuid4().hex
    env = dict(os.environ, MAILPANEL_DATABASE_URL=database_url, MAILPANEL_SECRET_KEY="x", **{MARK: mark})
    before = _mailboxes(app)
    importer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            str(ROOT / "app.py"),
            "users",
            "import",
            "--create-domains",
            str(_csv(tmp_path / "u.csv")),
        ],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        workers = _wait_for(lambda: len(_workers(mark)) >= 2 and _workers(mark), "hashing workers", 120)
        assert importer.poll() is None, "the import ended before it could be killed"
        os.kill(importer.pid, signal.SIGKILL)  # the importer only, not its group
        importer.wait(timeout=10)
        _assert_all_gone(mark)
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
    assert len(workers) >= 2
    assert _mailboxes(app) == before


def test_killing_the_web_worker_of_an_import_ends_its_hashing_workers(app, world, database_url, monkeypatch):
    mark = uuid.uuid4().hex
    monkeypatch.setenv(MARK, mark)  # gunicorn_server passes the environment on
    before = _mailboxes(app)
    body = "email,password\n" + "".join(f"user{i}@kill.example,Plain-password-{i}\n" for i in range(ROWS))
    with gunicorn_server(database_url, workers=1) as base:
        http = requests.Session()
        login = {"username": "root", "password": PASSWORD, "csrf_token": token_in(http.get(base + "/login").text)}
        assert http.post(base + "/login", data=login, allow_redirects=False, timeout=60).status_code == 302
        token = token_in(http.get(base + "/import", timeout=30).text)
        with ThreadPoolExecutor(1) as pool:
            upload = pool.submit(
                http.post,
                base + "/import",
                data={"csrf_token": token, "create_domains": "1"},
                files={"file": ("u.csv", body)},
                timeout=300,
            )
            _wait_for(lambda: len(_workers(mark)) >= 2, "hashing workers", 120)
            # The gunicorn worker is the marked gunicorn process whose parent is another (the master).
            gunicorns = {pid for pid, cmd in _marked(mark).items() if "gunicorn" in cmd and pid not in _workers(mark)}
            [worker] = [pid for pid in gunicorns if _parent(pid) in gunicorns]
            os.kill(worker, signal.SIGKILL)
            _assert_all_gone(mark)
            assert upload.exception() is not None or upload.result().status_code >= 500  # the request died with it
    assert _mailboxes(app) == before


def _parent(pid: int) -> int:
    return int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
