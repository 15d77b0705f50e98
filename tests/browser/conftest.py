"""Real-browser tests: Debian's headless Chromium, driven by Python
Playwright, against the panel served by werkzeug in a thread on 127.0.0.1.

Screenshots go to test-artifacts/browser/ (git-ignored) so people can look
at every page the tests visit. Never `playwright install`: the browser is
the system's /usr/bin/chromium (installed by `make test` via TEST_DEBS).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.live import live_server as serve
from tests.web.conftest import PASSWORD, world  # noqa: F401  (fixture)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture
def live_server(app, world):  # noqa: F811
    """The app on a free port, one thread per request like gunicorn's workers."""
    with serve(app) as base:
        yield base


@pytest.fixture(scope="session")
def browser(chromium):
    return chromium  # the session's one Chromium (tests/conftest.py)


class Panel:
    """One browser tab on the live server, with screenshot and login helpers."""

    def __init__(self, page, base: str, name: str):
        self.page, self.base, self.name, self.shots = page, base, name, 0
        self.console_errors: list[str] = []
        page.on("console", self._console)

    def _console(self, msg) -> None:
        """Script errors, CSP violations and sub-resources that fail; a page
        whose own status is 4xx (a form error, a 404 page) is expected."""
        if msg.type != "error":
            return
        if msg.text.startswith("Failed to load resource") and msg.location.get("url") == self.page.url:
            return
        self.console_errors.append(f"{msg.text} ({msg.location.get('url')})")

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def shot(self, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower())}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.go("/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(self.base + "/")


@pytest.fixture
def panel(browser, live_server, request):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    tab = Panel(context.new_page(), live_server, name)
    try:
        yield tab
    finally:
        context.close()
    # CSP violations and script errors show up in the console.
    assert tab.console_errors == [], tab.console_errors
