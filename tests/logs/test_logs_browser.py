"""Follow mode in a real browser (Debian's headless Chromium through
Playwright): new log lines appear without a reload, as text, under the
panel's CSP (no inline script), and hostile lines stay inert."""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from logs_web import PASSWORD, ROLES

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
HOSTILE = b"Nov 26 10:00:00 mx postfix/smtpd[1]: warning: <script>window.pwned = 1</script>\n"


@pytest.fixture
def live_logs(app, log_accounts, log_files):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def tab(live_logs, chromium):
    with contextlib.closing(chromium.new_context()) as browser:
        page = browser.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(live_logs + "/login")
        page.get_by_label("Username").fill(ROLES["superadmin"][0])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(live_logs + "/")
        yield page, live_logs
        assert errors == []   # CSP violations and script errors show up here


def test_follow_mode_appends_new_lines_as_text(tab, log_files):
    page, base = tab
    postfix, _ = log_files
    postfix.write_bytes(b"first line\n" + HOSTILE)

    page.goto(base + "/logs/")
    lines = page.locator("#log-lines")
    expect(lines).to_contain_text("<script>window.pwned = 1</script>")
    page.get_by_role("button", name="Follow new lines").click()
    expect(page.locator("#follow-status")).to_have_text("Following…")

    with open(postfix, "ab") as fh:
        fh.write(b"Nov 26 10:00:05 mx postfix/qmgr[2]: 3F2A1B0C9D: removed <img src=x onerror=window.pwned=2>\n")
    expect(lines).to_contain_text("3F2A1B0C9D: removed <img src=x onerror=window.pwned=2>", timeout=10000)

    assert lines.locator("img, script").count() == 0
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("#log-lines").inner_text().count("first line") == 1   # nothing re-read
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "logs-follow.png"), full_page=True)
