"""Helpdesk resets a password in the browser; the new password logs in over
real IMAP on deploy/mailstack (Postfix + Dovecot reading the same database).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import MAILBOX_PASSWORD, USERS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_helpdesk_resets_a_password_that_then_works_over_imap(panel, mailstack):
    assert mailstack.imap_login_ok("alice@example.org", MAILBOX_PASSWORD)
    page = panel.page
    panel.login(USERS["helpdesk"])
    panel.shot("helpdesk-home")
    page.get_by_label("Find a mailbox").fill("alice")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="alice@example.org")
    expect(row.get_by_role("link", name="Edit")).to_have_count(0)  # helpdesk only resets
    panel.shot("helpdesk-search")
    row.get_by_role("link", name="Reset password").click()
    page.get_by_label("Generate a strong password (shown once)").check()
    expect(page.get_by_label("New password")).to_be_disabled()  # panel.js
    page.get_by_role("button", name="Set password").click()
    secret = page.get_by_label("Password")
    expect(secret).to_have_attribute("readonly", "")
    new_password = secret.input_value()
    assert len(new_password) >= 16
    panel.shot("helpdesk-password-shown-once")

    assert mailstack.imap_login_ok("alice@example.org", new_password)
    assert not mailstack.imap_login_ok("alice@example.org", MAILBOX_PASSWORD)
    # Shown once: the page is not cached, and going back to the form shows no password.
    panel.go("/mailboxes/alice@example.org/password")
    expect(page.locator("main")).not_to_contain_text(new_password)
