"""The queue page in a real browser (Debian's headless Chromium through
Playwright), with the fake queue programs behind the command prefix:
select, act, confirm; hostile fields stay inert; no CSP violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, USERS
from tests.live import live_server, logged_in_page
from tests.queue.queue_fakes import queue_line

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture
def tab(queue_app, world, chromium):
    with (
        live_server(queue_app) as base,
        logged_in_page(chromium, base, USERS["superadmin"], PASSWORD, viewport={"width": 1280, "height": 900}) as page,
    ):
        yield page, base


def test_select_delete_confirm_in_the_browser(tab, fake_queue):
    page, base = tab
    fake_queue.write(
        [
            queue_line(1, sender="<img src=x onerror=window.pwned=1>@evil.test"),
            queue_line(2),
            queue_line(3, queue="hold"),
        ]
    )

    page.goto(base + "/queue/")
    expect(page.locator("#queue-table")).to_contain_text("<img src=x onerror=window.pwned=1>@evil.test")
    page.get_by_label("Select A000001").check()
    page.get_by_label("Select A000003").check()
    page.get_by_label("Action").select_option("delete")
    page.get_by_role("button", name="Apply to selected").click()

    expect(page.locator("#confirm-ids")).to_contain_text("A000001")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-confirm-delete.png"), full_page=True)
    page.get_by_role("button", name="Yes, delete").click()

    expect(page.locator(".flash")).to_contain_text("Delete: 2 of 2 messages (A000001, A000003).")
    assert [m["queue_id"] for m in fake_queue.messages()] == ["A000002"]
    assert page.evaluate("typeof window.pwned") == "undefined"
    page.screenshot(path=str(ARTIFACTS / "queue-after-delete.png"), full_page=True)
