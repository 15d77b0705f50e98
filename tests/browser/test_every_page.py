"""Every page of the panel in a real browser, for each role that can see it,
in English and in French (the browser's Accept-Language), at 1280 and
390 px wide, light and dark (``prefers-color-scheme``): the page is in the
language asked for, the document never scrolls sideways (French runs
longer), axe-core finds no critical or serious accessibility violation, a
form page's first field has focus, row actions name their target, and a
screenshot of each lands in test-artifacts/browser/every-page/<language>/.

The pages come from the app's URL map (GET routes, their arguments filled
from the ``world`` by tests/helpers.py's sample_url), kept where the role's
answer is an HTML page; a GET route that no role sees as a page fails the
sweep unless NOT_PAGES says why it is no page. So a new page is swept the
day it is added.

One test per language, one browser tab reused, on SQLite only: the pages
render the same on PostgreSQL, and both backends would double a sweep of
~100 pages times four looks.
"""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from panel.db import get_session
from panel.models import Admin
from panel.services import Actor, second_factor
from tests.fixtures.browser import ARTIFACTS
from tests.helpers import MAILBOX_PASSWORD, PASSWORD, USERS, client_as, sample_url

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ARTIFACTS / "every-page"
WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")
LANGUAGES = {"en": "en-GB", "fr": "fr-FR"}  # the page's <html lang> -> the browser's locale

# GET routes that answer no HTML page for a person to read: downloads, JSON, XML, probes.
NOT_PAGES = {
    "static": "stylesheet, script and icon files",
    "autoconfig.thunderbird": "XML for mail clients",
    "autoconfig.thunderbird_well_known": "XML for mail clients",
    "autoconfig.outlook_json": "JSON for mail clients",
    "autoconfig.outlook_json_path": "JSON for mail clients",
    "audit.export": "CSV download",
    "bulk.export": "CSV download",
    "bulk.passwords": "CSV download of an import's generated passwords",
    "bulk.sample": "CSV download: the sample import file",
    "logs.follow": "JSON polled by the log page",
    "mailbox_settings.apple_profile": "Apple configuration profile download",
    "me.apple_profile": "Apple configuration profile download",
    "status.health": "plain-text probe for load balancers",
    "status.metrics": "Prometheus text",
}
NOT_PAGE_PREFIXES = ("api.",)  # the JSON API

# Pages whose purpose is their form: its first field has focus on arrival.
FORM_PAGES = {
    "auth.login",
    "auth.code",
    "admins.create",
    "admins.edit",
    "admins.password",
    "aliases.create",
    "aliases.edit",
    "domains.create",
    "domains.edit",
    "mailboxes.create",
    "mailboxes.edit",
    "mailboxes.password",
    "me.password",
    "bulk.import_page",
}

ROLES = ("superadmin", "domainadmin", "helpdesk", "mailbox")

_MEASURE = "() => [document.documentElement.scrollWidth, window.innerWidth]"

# Every action link or button of a table row names its row: its accessible
# name (aria-label, else its text, visually-hidden part included) holds the
# text of the row's first non-empty cell, e.g. "Delete anna@example.org".
_UNNAMED_ROW_ACTIONS = """() => {
  const out = [];
  for (const row of document.querySelectorAll('main tbody tr')) {
    const cells = [...row.cells].filter(c => !c.classList.contains('actions'));
    const first = cells.map(c => c.innerText.trim().split(/\\s+/)[0]).find(t => t);
    if (!first) continue;
    for (const el of row.querySelectorAll('td.actions a, td.actions button')) {
      const name = (el.getAttribute('aria-label') || el.textContent).replace(/\\s+/g, ' ').trim();
      if (!name.includes(first)) out.push(name + ' (row ' + first + ')');
    }
  }
  return out;
}"""

# The first visible field of the page's main form, and what has focus.
_FOCUS = """() => {
  const form = document.querySelector('main form[method=post], main form:not([method])');
  if (!form) return ['no form', ''];
  const field = [...form.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .find(el => !el.disabled && el.offsetParent !== null);
  const describe = el => el ? (el.id || el.name || el.tagName) : 'nothing';
  return [describe(field), describe(document.activeElement)];
}"""


def _not_a_page(endpoint: str) -> bool:
    return endpoint in NOT_PAGES or endpoint.startswith(NOT_PAGE_PREFIXES)


def _pages_for(app, role) -> dict[str, str]:
    """endpoint -> URL of each GET route that answers ``role`` with an HTML page."""
    client = client_as(app, role)
    pages = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or _not_a_page(rule.endpoint):
            continue
        url = sample_url(app, rule)
        response = client.get(url)
        if response.mimetype == "text/html" and (response.status_code == 200 or rule.endpoint == "shown_once.show"):
            pages[rule.endpoint] = url  # shown_once.show: its "already shown" page (410)
    return pages


class Sweep:
    """One tab visiting pages and collecting every problem, so one run reports them all."""

    def __init__(self, page, base: str, axe_source: str, language: str):
        self.page, self.base, self.axe_source, self.language = page, base, axe_source, language
        self.shots = SHOTS / language
        self.problems: list[str] = []
        self.seen: set[str] = set()

    def visit(self, who: str, endpoint: str, url: str, goto: bool = True) -> None:
        if goto:
            self.page.goto(self.base + url)
        self.seen.add(endpoint)
        where = f"{who} {endpoint} {url} ({self.language})"
        lang = self.page.evaluate("() => document.documentElement.lang")
        if lang != self.language:
            self.problems.append(f"{where}: the page is in {lang!r}")
        if endpoint in FORM_PAGES:
            with contextlib.suppress(PlaywrightTimeout):  # autofocus lands at the next rendering step
                self.page.wait_for_function("document.activeElement !== document.body", timeout=2000)
            first, focused = self.page.evaluate(_FOCUS)
            if first != focused:
                self.problems.append(f"{where}: first field {first} has no focus ({focused} has)")
        for name in self.page.evaluate(_UNNAMED_ROW_ACTIONS):
            self.problems.append(f"{where}: row action {name!r} does not name its target")
        for scheme in SCHEMES:
            self.page.emulate_media(color_scheme=scheme)
            for width in WIDTHS:
                self._look(where, f"{who}-{endpoint}-{width}-{scheme}", width)
        self.page.emulate_media(color_scheme="light")
        self.page.set_viewport_size({"width": 1280, "height": 800})

    def _look(self, where: str, label: str, width: int) -> None:
        self.page.set_viewport_size({"width": width, "height": 800})
        scroll_width, inner_width = self.page.evaluate(_MEASURE)
        if scroll_width > inner_width:
            self.problems.append(f"{where} at {width} px: the page is {scroll_width} px wide")
        self.page.screenshot(path=str(self.shots / f"{re.sub(r'[^a-z0-9]+', '-', label.lower())}.png"), full_page=True)
        for violation in self._audit():
            nodes = "; ".join(node["target"][0] for node in violation["nodes"][:3])
            self.problems.append(f"{where} ({label}): axe {violation['impact']} {violation['id']}: {nodes}")

    def _audit(self) -> list[dict]:
        # The panel's CSP (script-src 'self') blocks an inline <script>, which is
        # what add_script_tag(path=...) writes; page.evaluate runs outside the CSP.
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(self.axe_source)
        result = self.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        return [v for v in result["violations"] if v["impact"] in ("critical", "serious")]

    def log_in(self, username: str, password: str, second_factor: bool = False) -> None:
        self.page.context.clear_cookies()
        self.page.goto(self.base + "/login")  # by field name: the labels are in the sweep's language
        self.page.locator("main input[name=username]").fill(username)
        self.page.locator("main input[name=password]").fill(password)
        self.page.locator("main button[type=submit]").click()
        if second_factor:
            self.page.wait_for_url(self.base + "/login/code")
        else:  # wherever the role lands (a domain admin of one domain: on it)
            self.page.wait_for_url(lambda url: "/login" not in url)


def _axe_source() -> str:
    if not AXE.exists():  # never a skip: CI must run the audit
        pytest.fail(f"axe-core is missing ({AXE}): run `make axe` (npm ci --prefix tests/browser)")
    return AXE.read_text()


def _enrol_two_factor(app, username: str) -> None:
    with app.app_context():
        session = get_session()
        admin = session.query(Admin).filter_by(username=username).one()
        second_factor.enable_now(session, Actor.system("test"), admin)
        session.commit()


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_page_fits_a_phone_and_passes_the_audit_light_and_dark(
    chromium, live_server, queue_app, log_files, world, database_url, language
):
    app, started = queue_app, time.monotonic()
    (SHOTS / language).mkdir(parents=True, exist_ok=True)
    pages = {role: _pages_for(app, role) for role in (None, *ROLES)}
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale=LANGUAGES[language])
    context.set_default_timeout(15000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"{msg.text} ({page.url})") if msg.type == "error" else None)
    sweep = Sweep(page, live_server, _axe_source(), language)
    try:
        for endpoint, url in pages[None].items():
            sweep.visit("anonymous", endpoint, url)
        sweep.visit("anonymous", "error-page", "/no-such-page")
        # The second step of a login: an admin with two factors, after the password.
        _enrol_two_factor(app, USERS["other_domainadmin"])
        sweep.log_in(USERS["other_domainadmin"], PASSWORD, second_factor=True)
        sweep.visit("two-factor", "auth.code", "/login/code", goto=False)
        for role in ROLES:
            username = USERS[role]
            sweep.log_in(username, MAILBOX_PASSWORD if "@" in username else PASSWORD)
            for endpoint, url in pages[role].items():
                sweep.visit(role, endpoint, url)
    finally:
        context.close()
    (SHOTS / language / "problems.txt").write_text("".join(f"{line}\n" for line in sweep.problems))
    print(f"\nswept {len(sweep.seen)} endpoints in {time.monotonic() - started:.0f} s")
    every_get = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and not _not_a_page(r.endpoint)}
    assert every_get - sweep.seen == set(), "GET routes no role saw as a page: list them in NOT_PAGES or fix"
    # A 404 page's own status reaches the console as a failed resource load; anything else is a fault.
    errors = [e for e in errors if not e.startswith("Failed to load resource: the server responded with a status of 4")]
    assert errors == []
    assert sweep.problems == [], "\n".join(sweep.problems)


def _log_in_as_superadmin(page, base: str) -> None:
    """By the English labels (a context without a French locale)."""
    page.goto(base + "/login")
    page.get_by_label("Username").fill(USERS["superadmin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_menu_folds_behind_a_button_on_a_phone_without_script(chromium, live_server, database_url):
    context = chromium.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
    try:
        page = context.new_page()
        _log_in_as_superadmin(page, live_server)
        menu = page.get_by_role("navigation", name="Main")
        expect(menu.get_by_role("link", name="Domains")).to_be_hidden()
        page.get_by_text("Menu", exact=True).click()
        expect(menu.get_by_role("link", name="Domains")).to_be_visible()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        page.set_viewport_size({"width": 1280, "height": 800})
        expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
        page.goto(live_server + "/")  # the menu closed again: a wide screen shows it all the same
        expect(menu.get_by_role("link", name="Domains")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_audit_log_is_a_column_of_cards_on_a_phone_with_every_detail_in_view(
    chromium, live_server, world, database_url
):
    # A table wider than a phone scrolls in its box; the audit table instead
    # shows each event as a card, so its details are read without scrolling
    # sideways (in a box, they sat off to the right of rows a word wide).
    context = chromium.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        _log_in_as_superadmin(page, live_server)
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(live_server + "/audit/")
        cells = page.locator("table.audit td.details")
        filled = cells.filter(has_text=re.compile(r"\S"))
        assert filled.count() > 0
        label = filled.first.evaluate("c => getComputedStyle(c, '::before').content")
        assert label == '"Details: "'  # its label, from data-label
        page.evaluate("() => { document.documentElement.lang = 'fr'; }")  # French typography: « Détails : »
        assert filled.first.evaluate("c => getComputedStyle(c, '::before').content") == '"Details\u00a0: "'
        page.evaluate("() => { document.documentElement.lang = 'en'; }")
        width = page.evaluate("() => window.innerWidth")
        for box in cells.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().toJSON())"):
            if box["width"]:  # an empty cell is hidden
                assert box["right"] <= width and box["width"] > width / 2, box
        page.set_viewport_size({"width": 1280, "height": 800})  # a wide screen keeps the table
        assert page.locator("table.audit thead").evaluate("e => getComputedStyle(e).position") != "absolute"
        assert page.locator("table.audit tr").nth(1).evaluate("e => getComputedStyle(e).display") == "table-row"
        # Tables the sweep's world leaves empty, with a row each, on a phone:
        # a token and a DKIM key, their times with the zone; screenshots to look at.
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(live_server + "/tokens/")
        page.locator("main input[name=name]").fill("script")
        page.get_by_role("button", name="Create token").click()
        page.goto(live_server + "/tokens/")
        created = page.locator("table.cards td[data-label=Created]")
        expect(created).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$"))
        page.goto(live_server + "/domains/example.org/dns")
        page.get_by_role("button", name="Make a new key").click()
        made = page.locator("table.cards td[data-label=Made]")  # a card on a phone, like the token
        expect(made).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$"))
        assert made.evaluate("c => c.getBoundingClientRect().width") > 390 / 2
        assert page.evaluate(_MEASURE)[0] <= 390
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "superadmin-dns-with-a-key-390.png"), full_page=True)
        page.goto(live_server + "/tokens/")
        page.screenshot(path=str(SHOTS / "superadmin-tokens-with-a-token-390.png"), full_page=True)
        page.set_extra_http_headers({"Accept-Language": "fr-FR"})  # and in French
        for url, name in (("/tokens/", "tokens-with-a-token"), ("/domains/example.org/dns", "dns-with-a-key")):
            page.goto(live_server + url)
            expect(page.locator("html")).to_have_attribute("lang", "fr")
            assert page.evaluate(_MEASURE)[0] <= 390
            page.screenshot(path=str(SHOTS / f"superadmin-{name}-390-fr.png"), full_page=True)
    finally:
        context.close()
