"""Bulk actions in a real browser: a domain admin ticks two mailboxes,
disables them after one confirmation and is back on the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from panel import passwords
from panel.models import Mailbox
from panel.services import Actor, mailboxes

pytestmark = pytest.mark.browser


def test_a_domain_admin_disables_two_ticked_mailboxes(panel, world):
    with world() as session:
        stored = passwords.hash_password("long-enough-1", "SHA512-CRYPT")
        for local in ("bob", "cid"):
            mailboxes.create_mailbox(session, Actor.system("test"), f"{local}@example.org", password_hash=stored)
        session.commit()
    page = panel.page
    panel.login("dom")
    panel.go("/domains/example.org/mailboxes")
    page.get_by_role("checkbox", name="Select bob@example.org").check()
    page.get_by_role("checkbox", name="Select cid@example.org").check()
    panel.shot("bulk-selected")
    page.get_by_role("button", name="Disable…").click()
    expect(page.get_by_role("heading", name="Disable 2 mailboxes in example.org?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("bob@example.org, cid@example.org")
    panel.shot("bulk-confirmation")
    page.get_by_role("button", name="Disable 2 mailboxes").click()
    expect(page.get_by_role("status")).to_contain_text("Disabled 2 mailboxes in example.org.")
    expect(page.locator("#mailbox-rows").get_by_role("row").filter(has_text="bob@example.org")).to_contain_text(
        "disabled"
    )
    expect(page.locator("#mailbox-rows").get_by_role("row").filter(has_text="alice@example.org")).to_contain_text(
        "active"
    )
    panel.shot("bulk-done")
    with world() as session:
        states = {a: on for a, on in session.execute(select(Mailbox.address, Mailbox.active))}
    assert states == {
        "alice@example.org": True,
        "bob@example.org": False,
        "cid@example.org": False,
        "olga@other.org": True,
    }
    assert panel.console_errors == []
