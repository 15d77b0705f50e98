"""The panel as a package: a wheel built from the source, installed (not
editable) into a fresh virtualenv outside the checkout, migrates a new SQLite
file, bootstraps its first admin and serves its pages and static files.

Everything runs in subprocesses with the working directory in a temporary
folder, so nothing can come from the checkout: a template, a migration or a
query file missing from the wheel fails here. Dependencies come from pip's
usual indexes and cache (a few seconds once the cache is warm).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.helpers import token_in

pytestmark = pytest.mark.install

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PANEL = PROJECT_ROOT / "panel"
TEST_EXTRAS = ("pytest", "playwright", "schemathesis", "ruff")
# What a copy of the source leaves out, as a fresh clone would not have it.
NOT_SOURCE = shutil.ignore_patterns(
    *".git .venv instance build dist *.egg-info __pycache__ .pytest_cache .hypothesis test-artifacts out".split()
)
PIP_TIMEOUT = 300


def _run(args, *, cwd, env=None, timeout=PIP_TIMEOUT) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A working directory with no panel in it (pytest's tmp is outside the checkout)."""
    path = tmp_path_factory.mktemp("outside")
    assert PROJECT_ROOT not in path.parents
    return path


@pytest.fixture(scope="module")
def wheel(outside) -> Path:
    """Built from a copy of the source, so the build leaves nothing in the checkout."""
    source = outside / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=NOT_SOURCE)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", outside / "dist", source],
        cwd=outside,
    )
    [built] = (outside / "dist").glob("mailpanel-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(outside, wheel) -> Path:
    """No pip of its own (ensurepip costs seconds): this interpreter's pip
    installs into it, compiling nothing ahead (imports write their bytecode)."""
    path = outside / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", path], cwd=outside)
    python = path / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile", wheel], cwd=outside)
    return path


@pytest.fixture(scope="module")
def panel_env(outside) -> dict:
    """The installed panel's environment: a new SQLite file, its own instance folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILPANEL_", "FLASK_", "PYTHON"))}
    env["MAILPANEL_DATABASE_URL"] = "sqlite:///" + str(outside / "data" / "mailpanel.sqlite")
    env["MAILPANEL_INSTANCE_PATH"] = str(outside / "instance")
    (outside / "data").mkdir()
    return env


def test_the_wheel_holds_every_page_static_file_migration_and_query(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for folder in ("templates", "static", "migrations", "mailserver/queries")
        for path in (PANEL / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    assert {"panel/migrations/env.py", "panel/migrations/script.py.mako", "panel/templates/auth/login.html"} <= set(
        needed
    )
    assert [name for name in needed if name not in names] == []
    assert not [name for name in names if name.startswith(("tests/", "bench/", "deploy/", "app.py"))]
    entry_points = zipfile.ZipFile(wheel).read("mailpanel-0.1.0.dist-info/entry_points.txt").decode()
    assert re.search(r"^mailpanel = panel\.cli:main$", entry_points, re.M)


def test_the_installed_panel_has_no_test_extras(venv, outside):
    script = (
        "import importlib.metadata as m, sys\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        print(name, m.version(name))\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
    )
    found = _run([venv / "bin" / "python", "-c", script, *TEST_EXTRAS, "mailpanel", "flask"], cwd=outside).stdout
    assert [line.split()[0] for line in found.splitlines()] == ["mailpanel", "flask"]


def test_the_installed_panel_migrates_bootstraps_and_serves(venv, outside, panel_env):
    where = _run([venv / "bin" / "python", "-c", "import panel; print(panel.__file__)"], cwd=outside, env=panel_env)
    assert Path(where.stdout.strip()).is_relative_to(venv)

    upgraded = _run([venv / "bin" / "flask", "--app", "panel:create_app", "db", "upgrade"], cwd=outside, env=panel_env)
    assert "latest schema" in upgraded.stdout
    assert (outside / "data" / "mailpanel.sqlite").stat().st_size > 0
    assert (outside / "instance" / "secret_key").exists()  # the instance folder is MAILPANEL_INSTANCE_PATH
    again = _run([venv / "bin" / "mailpanel", "db", "upgrade"], cwd=outside, env=panel_env)
    assert "latest schema" in again.stdout
    bootstrap = _run([venv / "bin" / "mailpanel", "admin", "bootstrap"], cwd=outside, env=panel_env)
    [password] = re.findall(r"^admin password \(shown once\): (\S+)$", bootstrap.stdout, re.M)
    _run([venv / "bin" / "python", "-m", "panel", "domain", "add", "example.org"], cwd=outside, env=panel_env)
    listed = _run([venv / "bin" / "mailpanel", "domain", "list"], cwd=outside, env=panel_env)
    assert re.search(r"^example\.org\tyes\t0\t0\t", listed.stdout, re.M), listed.stdout

    with _gunicorn(venv, outside, panel_env) as base:
        _assert_serves(base, password)


def test_mailstack_reads_the_installed_panels_queries(venv, outside):
    """deploy/ alone (no checkout above it), run with the virtualenv's Python:
    the queries come from the installed panel; with a Python that has no panel
    (-S: no site-packages) it says what to do instead of a traceback."""
    deploy = outside / "only-deploy" / "deploy"
    shutil.copytree(PROJECT_ROOT / "deploy", deploy)
    driver = (
        "import importlib.machinery, importlib.util, sys\n"
        "loader = importlib.machinery.SourceFileLoader('mailstack', sys.argv[1])\n"
        "spec = importlib.util.spec_from_loader('mailstack', loader)\n"
        "ms = importlib.util.module_from_spec(spec)\n"
        "loader.exec_module(ms)\n"
        "try:\n"
        "    print(ms.queries().__file__)\n"
        "    print(ms.map_file_text(ms.parse_database(ms.database_url()), 'postfix-domains'))\n"
        "except ms.Failure as exc:\n"
        "    print('Failure:', exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILPANEL_", "PYTHON"))}
    python = venv / "bin" / "python"

    installed = _run([python, "-c", driver, deploy / "mailstack"], cwd=outside, env=env).stdout
    assert Path(installed.splitlines()[0]).is_relative_to(venv)
    assert (
        installed.splitlines()[1]
        == "Failure: set MAILPANEL_DATABASE_URL (or MAILPANEL_INSTANCE_PATH) as for the installed panel"
    )

    env["MAILPANEL_INSTANCE_PATH"] = str(outside / "instance")
    mapped = _run([python, "-c", driver, deploy / "mailstack"], cwd=outside, env=env).stdout
    from panel.mailserver import queries

    assert f"dbpath = {outside / 'instance' / 'mailpanel.sqlite'}\n" in mapped
    assert f"query = {queries.load('postfix-domains', database='sqlite')}\n" in mapped

    bare = _run([python, "-S", "-c", driver, deploy / "mailstack"], cwd=outside, env=env).stdout
    assert bare.startswith(f"Failure: no panel checkout above {deploy} and no panel installed for {python}")

    checkout = _run([python, "-c", driver, PROJECT_ROOT / "deploy" / "mailstack"], cwd=outside, env=env).stdout
    assert Path(checkout.splitlines()[0]) == PANEL / "mailserver" / "queries.py"


class _gunicorn:
    """gunicorn serving 'panel:create_app()' on a port the kernel picks."""

    def __init__(self, venv: Path, cwd: Path, env: dict):
        self.args = [str(venv / "bin" / "gunicorn"), "--bind", "127.0.0.1:0", "--workers", "1", "panel:create_app()"]
        self.cwd, self.env = cwd, env
        self.log = cwd / "gunicorn.log"

    def __enter__(self) -> str:
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.log.read_text())
            if found:
                return found.group(1)
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log.read_text()}"
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not listen within 60 s:\n{self.log.read_text()}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _assert_serves(base: str, password: str) -> None:
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies), _NoRedirect)
    deadline = time.monotonic() + 30
    while True:  # the worker may still be booting
        try:
            login = opener.open(base + "/login", timeout=10)
            break
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    page = login.read().decode()
    assert login.status == 200
    assert re.search(r'<form method="post"', page) and 'name="username"' in page and 'name="password"' in page
    token = token_in(page)

    style = opener.open(base + "/static/style.css", timeout=10)
    assert style.status == 200 and style.headers.get_content_type() == "text/css"
    assert style.read() == (PANEL / "static" / "style.css").read_bytes()

    form = urllib.parse.urlencode({"csrf_token": token, "username": "admin", "password": password}).encode()
    try:
        opener.open(base + "/login", data=form, timeout=10)
        raise AssertionError("the login did not redirect")
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read().decode()
        assert answer.headers["Location"] == "/"
    home = opener.open(base + "/", timeout=10)
    assert home.status == 200 and "Log out" in home.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
