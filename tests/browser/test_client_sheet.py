"""The client-setup sheet in a real browser: on the mailbox page (a
superadmin, a domain admin) and in the owner's portal, with the host,
ports and user name of that mailbox; printed, it is the sheet alone; at a
phone's 390 px it does not scroll sideways; the Apple profile it links to
downloads as a real file."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import MAILBOX_PASSWORD

pytestmark = pytest.mark.browser

HOST = "mail.example.net"
EXPECTED_ROWS = [
    ["IMAP (incoming)", HOST, "993", "SSL/TLS"],
    ["IMAP (incoming)", HOST, "143", "STARTTLS"],
    ["POP3 (incoming)", HOST, "995", "SSL/TLS"],
    ["POP3 (incoming)", HOST, "110", "STARTTLS"],
    ["SMTP (outgoing)", HOST, "465", "SSL/TLS"],
    ["SMTP (outgoing)", HOST, "587", "STARTTLS"],
]


@pytest.fixture
def sheet_host(app):
    app.config["MAIL_HOSTNAME"] = HOST


def _login_as(panel, who: str) -> None:
    if "@" not in who:
        panel.login(who)
        return
    panel.go("/login")
    panel.page.get_by_label("Username").fill(who)
    panel.page.get_by_label("Password").fill(MAILBOX_PASSWORD)
    panel.page.get_by_role("button", name="Log in").click()
    panel.page.wait_for_url(panel.base + "/me/")


def _sheet(page):
    return page.locator("section.client-sheet")


def _assert_sheet_of(page, address: str) -> None:
    sheet = _sheet(page)
    expect(sheet).to_be_visible()
    expect(sheet.get_by_role("heading", name="Setting up a mail app")).to_be_visible()
    expect(sheet.locator("dl.sheet-account dt:text-is('Email address') + dd")).to_have_text(address)
    rows = sheet.locator("table.sheet-servers tbody tr")
    expect(rows).to_have_count(len(EXPECTED_ROWS))
    assert [rows.nth(i).locator("td").all_inner_texts() for i in range(len(EXPECTED_ROWS))] == EXPECTED_ROWS
    expect(sheet.locator("dl.sheet-account dt:text-is('User name') + dd strong")).to_have_text(address)
    for app_name in ("Thunderbird", "Outlook", "Apple Mail"):
        expect(sheet.locator("ol.sheet-guide")).to_contain_text(app_name)


@pytest.mark.parametrize(
    "who, address, url",
    [
        ("root", "alice@example.org", "/mailboxes/alice@example.org"),
        ("dom", "alice@example.org", "/mailboxes/alice@example.org"),
        ("otherdom", "olga@other.org", "/mailboxes/olga@other.org"),
        ("alice@example.org", "alice@example.org", "/me/"),
    ],
)
def test_the_sheet_shows_the_settings_of_that_mailbox(panel, sheet_host, who, address, url):
    _login_as(panel, who)
    assert panel.go(url).status == 200
    _assert_sheet_of(panel.page, address)
    panel.shot("sheet")


@pytest.mark.parametrize("who, url", [("dom", "/mailboxes/alice@example.org"), ("alice@example.org", "/me/")])
def test_printed_the_page_is_the_sheet_alone(panel, sheet_host, who, url):
    page = panel.page
    _login_as(panel, who)
    panel.go(url)
    print_button = page.get_by_role("button", name="Print this sheet")
    expect(print_button).to_be_visible()  # panel.js shows it on screen
    page.emulate_media(media="print")
    expect(_sheet(page)).to_be_visible()
    expect(_sheet(page).locator("table.sheet-servers")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    for button in page.locator("main button").all():
        expect(button).to_be_hidden()
    assert page.locator("main form").count() >= 1
    for form in page.locator("main form").all():
        expect(form).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_hidden()  # the rest of the page stays on screen
    # The portal's address is printed beside its link: paper has no links.
    portal_link = _sheet(page).locator("a.print-url[href^='http']").first
    after = portal_link.evaluate("a => getComputedStyle(a, '::after').content")
    assert panel.base in after
    colour = _sheet(page).evaluate("s => getComputedStyle(s).color")
    assert colour == "rgb(0, 0, 0)"
    panel.shot("printed")
    page.emulate_media(media="screen")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


@pytest.mark.parametrize("who, url", [("dom", "/mailboxes/alice@example.org"), ("alice@example.org", "/me/")])
def test_a_phone_shows_the_sheet_without_sideways_scrolling(panel, sheet_host, app, who, url):
    app.config["MAIL_HOSTNAME"] = "a-rather-long-mail-server-name.mail-hosting-provider.example"
    page = panel.page
    _login_as(panel, who)
    page.set_viewport_size({"width": 390, "height": 844})
    panel.go(url)
    expect(_sheet(page)).to_be_visible()
    expect(_sheet(page)).to_contain_text("a-rather-long-mail-server-name")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = _sheet(page).locator("table.sheet-servers").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    panel.shot("phone")


@pytest.mark.parametrize(
    "who, url, address",
    [
        ("alice@example.org", "/me/", "alice@example.org"),
        ("dom", "/mailboxes/alice@example.org", "alice@example.org"),
    ],
)
def test_the_profile_link_downloads_the_mailboxs_profile(panel, sheet_host, who, url, address):
    page = panel.page
    _login_as(panel, who)
    panel.go(url)
    with page.expect_download() as download_info:
        _sheet(page).get_by_role("link", name="the profile for this mailbox").click()
    download = download_info.value
    assert download.suggested_filename == "mail.mobileconfig"
    profile = plistlib.loads(Path(download.path()).read_bytes())
    account = profile["PayloadContent"][0]
    assert account["PayloadType"] == "com.apple.mail.managed"
    assert account["EmailAddress"] == address
    assert account["IncomingMailServerUsername"] == address
    assert (account["IncomingMailServerHostName"], account["IncomingMailServerPortNumber"]) == (HOST, 993)
    assert (account["OutgoingMailServerHostName"], account["OutgoingMailServerPortNumber"]) == (HOST, 465)
