"""The panel as deployed (gunicorn) while its PostgreSQL stops and comes back.

While the database is away every page answers the friendly 503 page (it
reads nothing from the database), the API a JSON 503, /health its one word;
never a 500 or a traceback, and one log line per request. When PostgreSQL
is back the same signed-in session and the same token work again, with no
restart of the panel. The cluster is the test's own (tests/pg_cluster.py).
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.helpers import PASSWORD, token_in
from tests.live import gunicorn_server
from tests.pg_cluster import own_cluster, panel_cli

PAGES = ["/", "/domains/", "/domains/outage.example/mailboxes", "/audit/", "/account/"]


@pytest.fixture(scope="module")
def panel_database():
    with own_cluster("mpoutage") as cluster:
        url = cluster.createdb("panel")
        panel_cli(url, "db", "upgrade")
        panel_cli(url, "admin", "create", "root", "--role", "superadmin", "--password-stdin", stdin=PASSWORD + "\n")
        panel_cli(url, "domain", "add", "outage.example")
        token = panel_cli(url, "api-token", "create", "root").strip().splitlines()[-1]
        yield cluster, url, token


def _signed_in(base: str) -> requests.Session:
    http = requests.Session()
    data = {"username": "root", "password": PASSWORD, "csrf_token": token_in(http.get(base + "/login").text)}
    assert http.post(base + "/login", data=data, allow_redirects=False, timeout=30).status_code == 302
    return http


def _wait_until(predicate, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError("the panel did not recover")


def test_pages_api_and_health_while_postgresql_is_away_and_after(panel_database, tmp_path):
    cluster, url, token = panel_database
    api = {"Authorization": f"Bearer {token}"}
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log, gunicorn_server(url, workers=2, log=log) as base:
        http = _signed_in(base)
        stranger = requests.Session()
        login_token = token_in(stranger.get(base + "/login", timeout=30).text)
        form_token = token_in(http.get(base + "/domains/new", timeout=30).text)
        for path in PAGES:
            assert http.get(base + path, timeout=30).status_code == 200, path
        assert requests.get(base + "/api/v1/domains", headers=api, timeout=30).status_code == 200

        cluster.stop()
        log.flush()
        lines_before = log_path.read_text().count("\n")
        answers = {path: http.get(base + path, timeout=30) for path in PAGES}
        answers["POST /login"] = stranger.post(
            base + "/login", data={"username": "root", "password": PASSWORD, "csrf_token": login_token}, timeout=30
        )
        answers["POST /domains/new"] = http.post(
            base + "/domains/new", data={"name": "new.example", "csrf_token": form_token}, timeout=30
        )
        for what, page in answers.items():
            text = page.text
            assert page.status_code == 503, (what, page.status_code, text[:300])
            assert "Try again in a moment" in text and "Internal Server Error" not in text, what
            assert page.headers["Retry-After"] == "5"
        api_answer = requests.get(base + "/api/v1/domains", headers=api, timeout=30)
        assert api_answer.status_code == 503
        assert api_answer.json()["error"] == "the database is busy or unreachable; try again shortly"
        health = requests.get(base + "/health", timeout=30)
        assert (health.status_code, health.text) == (503, "unavailable\n")

        log.flush()
        logged = log_path.read_text().splitlines()[lines_before:]
        assert "Traceback" not in "\n".join(logged)
        unavailable = [line for line in logged if "database unavailable on" in line]
        # One line per refused web or API request (/health says nothing: it is polled).
        assert len(unavailable) == len(answers) + 1, logged

        cluster.start()
        waited = _wait_until(lambda: http.get(base + "/", timeout=30).status_code == 200, timeout=30)
        for path in PAGES:
            assert http.get(base + path, timeout=30).status_code == 200, path
        assert requests.get(base + "/api/v1/domains", headers=api, timeout=30).status_code == 200
    assert waited < 10
