"""The panel in a real browser: a superadmin builds a domain, a domain admin
is fenced into theirs, a bad input shows its error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_superadmin_creates_a_domain_a_mailbox_and_an_alias(panel):
    page = panel.page
    panel.login("root")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    panel.shot("dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Domains").click()
    panel.shot("domains")
    page.get_by_role("link", name="New domain").click()
    page.get_by_label("Domain name").fill("Shop.Example")
    page.get_by_label("Description").fill("The shop")
    page.get_by_label("Maximum mailboxes").fill("50")
    page.get_by_label("Default quota of a new mailbox").fill("1G")
    panel.shot("new-domain")
    page.get_by_role("button", name="Create domain").click()
    expect(page.get_by_role("heading", name="shop.example", exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Domain shop.example created.")

    page.get_by_role("link", name="New mailbox").click()
    page.get_by_label("Address").fill("anna")
    page.get_by_label("Full name").fill("Anna Example")
    page.get_by_label("New password").fill("anna-password-1")
    page.get_by_label("Repeat the password").fill("anna-password-1")
    panel.shot("new-mailbox")
    page.get_by_role("button", name="Create mailbox").click()
    expect(page.get_by_role("status")).to_contain_text("Mailbox anna@shop.example created.")
    row = page.locator("#mailbox-rows").get_by_role("row").filter(has_text="anna@shop.example")
    expect(row).to_contain_text("Anna Example")
    expect(row).to_contain_text("active")
    expect(row.locator("meter")).to_have_count(1)
    panel.shot("mailboxes")

    page.get_by_role("link", name="Aliases & alias domains").click()
    page.get_by_role("link", name="New alias").click()
    page.get_by_label("Address").fill("sales")
    page.get_by_label("Deliver to").fill("anna@shop.example\nboss@example.com")
    page.get_by_role("button", name="Create alias").click()
    expect(page.get_by_role("status")).to_contain_text("Alias sales@shop.example created.")
    expect(page.get_by_role("row").filter(has_text="sales@shop.example")).to_contain_text("boss@example.com")
    page.get_by_label("Add an alias domain").fill("shop.example.net")
    page.get_by_role("button", name="Add alias domain").click()
    expect(page.get_by_role("status")).to_contain_text("shop.example.net is now an alias domain")
    panel.shot("aliases")

    # The disable confirmation says what stops working; nothing changes until confirmed.
    panel.go("/domains/")
    page.get_by_role("row").filter(has_text="shop.example").get_by_role("link", name="Disable").click()
    expect(page.get_by_role("heading", name="Disable shop.example?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Mail to shop.example is refused")
    panel.shot("disable-confirmation")
    page.get_by_role("button", name="Disable shop.example").click()
    expect(page.get_by_role("row").filter(has_text="shop.example")).to_contain_text("disabled")

    panel.go("/audit/?target=shop.example")
    expect(page.locator("table.audit")).to_contain_text("domain.create")
    panel.shot("audit")
    panel.go("/admins/")
    panel.shot("admins")


def test_a_bad_input_shows_its_error_next_to_the_field(panel):
    page = panel.page
    panel.login("dom")
    panel.go("/domains/example.org/mailboxes/new")
    page.get_by_label("Address").fill("bob")
    page.get_by_label("Full name").fill("Bob Typed")
    page.get_by_label("Quota").fill("a lot")
    page.get_by_label("New password").fill("bob-password-1")
    page.get_by_label("Repeat the password").fill("bob-password-1")
    page.get_by_role("button", name="Create mailbox").click()
    quota = page.get_by_label("Quota")
    expect(quota).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#e-quota")).to_contain_text("is not a size")
    expect(page.get_by_label("Full name")).to_have_value("Bob Typed")
    expect(page.get_by_label("New password")).to_have_value("")
    panel.shot("quota-error")


def test_a_domain_admin_cannot_see_or_reach_another_domain(panel):
    page = panel.page
    panel.login("dom")
    panel.go("/domains/")
    expect(page.locator("main table")).to_contain_text("example.org")
    expect(page.locator("main")).not_to_contain_text("other.org")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Admins")).to_have_count(0)
    panel.shot("domain-admin-domains")
    response = panel.go("/domains/other.org/mailboxes")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    panel.shot("other-domain-404")
    response = panel.go("/mailboxes/olga@other.org")
    assert response.status == 404
    panel.go("/mailboxes?q=olga")
    expect(page.locator("main")).to_contain_text("No mailbox matches")
    response = panel.go("/admins/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_keyboard_only_login(panel):
    page = panel.page
    panel.go("/login")
    # The first field has focus already (autofocus): type at once.
    assert page.evaluate("document.activeElement.id") == "f-username"
    page.keyboard.type("root")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/$"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


TOUR = [
    ("root", "/domains/example.org/edit"),
    ("root", "/domains/example.org/delete"),
    ("root", "/domains/example.org/mailboxes?sort=usage"),
    ("root", "/mailboxes?q=example"),
    ("root", "/mailboxes?q=example&sort=changed"),
    ("root", "/mailboxes/alice@example.org"),
    ("root", "/mailboxes/alice@example.org/password"),
    ("root", "/mailboxes/alice@example.org/delete"),
    ("root", "/aliases/info@example.org"),
    ("root", "/aliases/info@example.org/delete"),
    ("root", "/alias-domains/example.net/delete"),
    ("root", "/admins/new"),
    ("root", "/admins/dom"),
    ("root", "/admins/dom/password"),
    ("root", "/account/"),
    ("dom", "/"),
    ("help", "/"),
]


def test_every_page_renders_cleanly(panel):
    """A screenshot of each remaining page; no script error or CSP violation (checked by the fixture)."""
    page, who = panel.page, None
    for username, path in TOUR:
        if username != who:
            panel.page.context.clear_cookies()
            panel.login(username)
            who = username
        response = panel.go(path)
        assert response.status == 200, path
        expect(page.locator("main h1").first).to_be_visible()
        panel.shot(f"{username}-{path}")
