"""Follow mode in a real browser (Debian's headless Chromium through
Playwright): new log lines appear without a reload, as text, under the
panel's CSP (no inline script), and hostile lines stay inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, USERS
from tests.live import live_server, logged_in_page

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
HOSTILE = b"Nov 26 10:00:00 mx postfix/smtpd[1]: warning: <script>window.pwned = 1</script>\n"


@pytest.fixture
def tab(app, world, log_files, chromium):
    with live_server(app) as base, logged_in_page(chromium, base, USERS["superadmin"], PASSWORD) as page:
        yield page, base


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

    appended = lines.locator(".ll").last
    expect(appended.get_by_role("link", name="3F2A1B0C9D")).to_have_attribute(
        "href", "/logs/journey?queue_id=3F2A1B0C9D"
    )
    with open(postfix, "ab") as fh:
        fh.write(b"Nov 26 10:00:06 mx postfix/smtp[3]: 3F2A1B0C9E: to=<a@b.test>, status=deferred (timeout)\n")
    expect(lines.locator('.ll[data-kind="deferred"]')).to_contain_text("status=deferred", timeout=10000)
    assert lines.locator(".ll[data-kind]").count() == 2  # the warning on the page, the deferral appended
    assert lines.locator("img, script").count() == 0
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("#log-lines").inner_text().count("first line") == 1  # nothing re-read
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "logs-follow.png"), full_page=True)


def test_follow_mode_speaks_the_pages_language(tab, log_files):
    page, base = tab
    page.context.set_extra_http_headers({"Accept-Language": "fr"})
    page.goto(base + "/logs/")
    page.get_by_role("button", name="Suivre les nouvelles lignes").click()
    expect(page.locator("#follow-status")).to_have_text("Suivi en cours…")
    page.get_by_role("button", name="Arrêter le suivi").click()
    expect(page.get_by_role("button", name="Suivre les nouvelles lignes")).to_be_visible()


def test_the_page_opens_at_the_newest_line(tab, log_files):
    page, base = tab
    postfix, _ = log_files
    postfix.write_bytes(b"".join(b"Nov 26 10:00:00 mx postfix/qmgr[2]: line %d\n" % n for n in range(500)))
    page.goto(base + "/logs/?lines=500")
    lines = page.locator("#log-lines")
    expect(lines).to_contain_text("line 499")
    page.wait_for_function(
        "() => { const o = document.getElementById('log-lines');"
        " return o.scrollHeight > o.clientHeight && o.scrollTop + o.clientHeight >= o.scrollHeight - 2; }"
    )
    assert lines.get_by_text("line 499").is_visible()
