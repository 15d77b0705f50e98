"""The DNS & DKIM tab in a real browser, as the domain's admin: make a key,
sign with it, see its TXT record among the records to publish, and the copy
button (shown only when the script runs). The live check against a real
nsd is tests/web/test_dns_page.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_domain_admin_makes_a_key_and_signs_with_it(panel, world):
    page = panel.page
    panel.login("dom")
    panel.go("/domains/example.org/dns")
    expect(page.get_by_role("heading", name="Records to publish")).to_be_visible()
    records = page.locator("#dns-records")
    expect(records).not_to_contain_text("_domainkey")
    page.get_by_role("button", name="Make a new key").click()
    expect(page.get_by_text("Publish its TXT record")).to_be_visible()
    expect(records).to_contain_text("_domainkey.example.org.")
    page.get_by_role("button", name="Sign with this key").click()
    expect(page.get_by_text("now signs with")).to_be_visible()
    expect(records).to_contain_text("v=DMARC1")
    expect(page.get_by_role("button", name="Copy the records")).to_be_visible()
    assert "PRIVATE KEY" not in page.content()
    panel.shot("dns-tab")
    # A DKIM record is one long line: it scrolls inside its box instead of
    # widening the page (it did, to 4,400 px); so does the keys table.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = records.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    panel.shot("dns-tab-phone")
