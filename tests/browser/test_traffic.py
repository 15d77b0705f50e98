"""The traffic page in a real browser: the charts draw (SVG with visible
lines), the CSP raises no violation, a domain admin gets to one domain."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def counted(app, world, worlds_logs, cli):
    cli("traffic", "ingest")


def test_the_traffic_page_draws_its_charts(panel, counted):
    page = panel.page
    panel.login("root")
    expect(page.locator("#traffic-today [data-counter=received] .num")).to_have_text("4")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Traffic").click()
    expect(page.get_by_role("heading", name="Mail traffic")).to_be_visible()
    chart = page.locator("#chart-mail-day svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 500 and box["height"] > 100
    line = page.locator("#chart-mail-day polyline.s-received")
    assert line.evaluate("el => getComputedStyle(el).stroke") == "rgb(31, 95, 191)"  # coloured by style.css
    assert line.evaluate("el => el.getTotalLength()") > 100
    expect(page.locator("#top-senders-day")).to_contain_text("jack@example.org")
    panel.shot("traffic")
    page.get_by_role("link", name="other.org").click()
    expect(page.get_by_role("heading", name="Mail traffic of other.org")).to_be_visible()
    expect(page.locator("#traffic-totals [data-counter=deferred] .num")).to_have_text("1")


def test_a_domain_admin_sees_one_domain(panel, counted):
    panel.login("dom")
    panel.go("/traffic/")
    expect(panel.page.locator("#traffic-totals [data-counter=received] .num")).to_have_text("3")
    expect(panel.page.locator("#traffic-domains")).not_to_contain_text("other.org")
