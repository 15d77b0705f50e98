"""The portal in a real browser: a mailbox's owner signs in with their
address, sets an out-of-office, forwards, makes an app password and sees
their mailbox; an admin sees the same on the mailbox's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import MAILBOX_PASSWORD

pytestmark = pytest.mark.browser


def _login_as_owner(panel) -> None:
    panel.go("/login")
    panel.page.get_by_label("Username").fill("alice@example.org")
    panel.page.get_by_label("Password").fill(MAILBOX_PASSWORD)
    panel.page.get_by_role("button", name="Log in").click()
    panel.page.wait_for_url(panel.base + "/me/")


def test_the_owner_uses_the_portal(panel):
    page = panel.page
    _login_as_owner(panel)
    expect(page.get_by_role("heading", name="alice@example.org")).to_be_visible()
    expect(page.locator("main")).to_contain_text("info@example.org")
    panel.shot("portal")

    page.get_by_role("link", name="change").first.click()
    page.get_by_label("Answer mail automatically").check()
    page.get_by_label("Subject of the reply").fill("On holiday")
    page.get_by_label("Reply", exact=True).fill("I am away until Monday.\nUrgent: info@example.org")
    page.get_by_label("Last day").fill("2030-08-31")
    panel.shot("vacation")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("has been saved")

    panel.go("/me/forwarding")
    page.get_by_label("Forward to").fill("friend@elsewhere.net")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("outside this server")  # the domain's default
    panel.shot("forwarding-refused")
    page.get_by_label("Forward to").fill("olga@other.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Forwarding has been saved")

    panel.go("/me/app-passwords")
    page.get_by_label("Name").fill("Phone")
    page.get_by_label("POP3 (downloading mail)").uncheck()
    page.get_by_role("button", name="Make an app password").click()
    expect(page.locator("main")).to_contain_text("Type it into the mail app")
    panel.shot("app-password-shown-once")
    page.get_by_role("link", name="Back to the app passwords").click()
    expect(page.get_by_role("row").filter(has_text="Phone")).to_be_visible()
    panel.shot("app-passwords")

    panel.go("/me/password")
    expect(page.get_by_label("Current password")).to_be_focused()
    panel.shot("password")
    panel.go("/me/")
    expect(page.locator("main")).to_contain_text("until 2030-08-31")
    expect(page.locator("main")).to_contain_text("olga@other.org")
    panel.shot("portal-after")


def test_an_admin_sees_the_same_on_the_mailbox_page(panel):
    page = panel.page
    panel.login("dom")
    panel.go("/mailboxes/alice@example.org")
    expect(page.get_by_role("heading", name="alice@example.org").first).to_be_visible()
    panel.shot("mailbox-page")
    panel.go("/mailboxes/alice@example.org/vacation")
    page.get_by_label("Answer mail automatically").check()
    page.get_by_label("Reply", exact=True).fill("Alice is on leave; write to info@example.org.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("has been saved")
    panel.go("/mailboxes/alice@example.org/password")
    expect(page.locator("main")).to_contain_text("Can they log in?")
    panel.shot("password-reset-with-login-help")
