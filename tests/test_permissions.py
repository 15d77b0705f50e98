"""Walk the whole URL map × {anonymous, mailbox user, helpdesk, domain admin
of another domain, domain admin, superadmin} against the expected table.

Every endpoint must declare its rule (``view.access``, from @allow or
@public); an endpoint without one fails the test. Endpoints not listed in
EXPECTED (added by later blueprints) are checked against their own
declaration: anonymous is turned away, undeclared roles get 403.
"""

from __future__ import annotations

import os

from tests.helpers import client_as, sample_url, world_state

ANON, MB, HD, OD, DA, SA = "anonymous", "mailbox", "helpdesk", "other_domainadmin", "domainadmin", "superadmin"
ROLES = (ANON, MB, HD, OD, DA, SA)
EVERYONE = {HD, OD, DA, SA}  # every admin role; the mailbox user (alice@example.org) is none of them
MANAGERS_HERE = {DA, SA}  # manage example.org
FINDERS_HERE = {HD, DA, SA}  # may find mailboxes of example.org

# endpoint -> roles whose GET gives 200 (POST-only endpoints: roles allowed to POST).
EXPECTED = {
    "auth.login": "public",
    "status.health": "public",
    "status.page": {SA},
    "auth.logout": EVERYONE | {MB},
    "home.index": EVERYONE,  # a mailbox user is sent on to /me/ (test_home_sends_a_mailbox_user_to_the_portal)
    "account.index": EVERYONE,
    "account.change_password": EVERYONE,
    "domains.index": {OD, DA, SA},
    "domains.create": {SA},
    "domains.edit": {SA},
    "domains.disable": {SA},
    "domains.enable": {SA},
    "domains.delete": {SA},
    "mailboxes.index": FINDERS_HERE,
    "mailboxes.search": EVERYONE,
    "mailboxes.create": MANAGERS_HERE,
    "mailboxes.edit": MANAGERS_HERE,
    "mailboxes.password": FINDERS_HERE,
    "mailboxes.delete": MANAGERS_HERE,
    "mailboxes.bulk": MANAGERS_HERE,  # POST only (tests/web/test_mailbox_bulk.py)
    "aliases.index": MANAGERS_HERE,
    "aliases.create": MANAGERS_HERE,
    "aliases.edit": MANAGERS_HERE,
    "aliases.delete": MANAGERS_HERE,
    "aliases.create_alias_domain": MANAGERS_HERE,
    "aliases.toggle_alias_domain": MANAGERS_HERE,
    "aliases.delete_alias_domain": MANAGERS_HERE,
    "admins.index": {SA},
    "admins.create": {SA},
    "admins.edit": {SA},
    "admins.password": {SA},
    "audit.index": {SA},
    "audit.export": {SA},
    "me.index": {MB},
    "me.password": {MB},
    "me.vacation": {MB},
    "me.forwarding": {MB},
    "me.app_passwords": {MB},
    "me.app_password_revoke": {MB},
    "me.end_sessions": {MB},
    "me.apple_profile": {MB},
    "mailbox_settings.vacation": MANAGERS_HERE,
    "mailbox_settings.forwarding": MANAGERS_HERE,
    "mailbox_settings.app_passwords": MANAGERS_HERE,
    "mailbox_settings.app_password_revoke": MANAGERS_HERE,
    "mailbox_settings.apple_profile": MANAGERS_HERE,
    # Mail clients ask before anyone signs in; the walk sends no address, so 404
    # (tests/web/test_autoconfig.py covers the answers).
    "autoconfig.thunderbird": "client setup",
    "autoconfig.thunderbird_well_known": "client setup",
    "autoconfig.outlook": "client setup",
    "autoconfig.outlook_json": "client setup",
    "autoconfig.outlook_json_path": "client setup",
    "dns.index": MANAGERS_HERE,
    "dns.generate": MANAGERS_HERE,
    "dns.activate": MANAGERS_HERE,
    "dns.retire": MANAGERS_HERE,
    "dns.check": MANAGERS_HERE,
    "traffic.index": {OD, DA, SA},  # each admin their own domains (tests/traffic/test_traffic_page.py)
}


def _declared(app, endpoint):
    return getattr(app.view_functions[endpoint], "access", None)


def test_every_endpoint_declares_its_rule(app):
    missing = [e for e in app.view_functions if e != "static" and _declared(app, e) is None]
    assert missing == [], f"endpoints without @allow/@public: {missing}"


def test_expected_table_matches_declarations(app):
    for endpoint, expected in EXPECTED.items():
        assert endpoint in app.view_functions, f"{endpoint} is in the table but not in the app"
        declared = _declared(app, endpoint)
        if expected in ("public", "client setup"):
            assert declared == ("public",)
        else:
            roles = {r.value for r in declared[1]}
            assert {r for r in expected if r != OD} <= roles | {OD}


def _expectation(app, endpoint, role):
    """'ok', 'login' (anonymous sent to log in), 'forbidden' (403: the
    role may not), 'hidden' (404: another domain's things are not there for
    its admin), 'token' (API: a browser session is no bearer token -> 401), 'answers'
    (a later public endpoint: anything but a server error) or 'unknown'."""
    expected = EXPECTED.get(endpoint)
    declared = _declared(app, endpoint)
    if endpoint == "status.health":
        return "health"  # anonymous; 503 here, where no Postfix runs
    if expected == "public":
        return "ok"
    if declared[0] == "public":  # a mail client's setup, or a later public endpoint
        return "answers"
    if declared[0] == "token":
        return "token"
    if role == ANON:
        return "login"
    if expected is None:  # a later blueprint: judge by its declaration
        roles = {r.value for r in declared[1]}
        base = DA if role == OD else role
        return "unknown" if base in roles else "forbidden"
    if role in expected:
        return "ok"
    if role == MB and endpoint == "home.index":
        return "portal"
    return "hidden" if role == OD and DA in expected else "forbidden"


GOOD = {
    "ok": lambda r: r.status_code == 200,
    "login": lambda r: r.status_code == 401 or (r.status_code == 302 and "/login" in r.headers.get("Location", "")),
    "forbidden": lambda r: r.status_code == 403,
    "hidden": lambda r: r.status_code == 404,
    "token": lambda r: r.status_code == 401,
    "answers": lambda r: r.status_code < 500,
    "health": lambda r: (r.status_code, r.get_data(as_text=True)) in ((200, "ok\n"), (503, "unavailable\n")),
    "portal": lambda r: r.status_code == 302 and r.headers["Location"].endswith("/me/"),
}


def test_url_map_against_expected_table(app, world, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = False  # roles, not CSRF, are under test here
    # A "running" Postfix master (this process), else the queue page answers 503.
    (tmp_path / "master.pid").write_text(f"{os.getpid()}\n")
    app.config["POSTFIX_PID_FILE"] = str(tmp_path / "master.pid")
    before = world_state(world)
    problems = []
    for role in ROLES:
        client = client_as(app, None if role == ANON else role)
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            url = sample_url(app, rule)
            expectation = _expectation(app, rule.endpoint, role)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method != "GET" and expectation in ("ok", "unknown", "answers"):
                    continue  # allowed writes are exercised by the feature tests
                if method == "GET" and expectation == "unknown":
                    continue
                response = client.open(url, method=method)
                if rule.endpoint == "auth.login":
                    # POST: an empty login form, 401 or throttled for anyone;
                    # GET: the form, or home for someone already logged in.
                    if method == "GET":
                        assert response.status_code == (200 if role == ANON else 302), role
                    continue
                if not GOOD[expectation](response):
                    problems.append(f"{role:18} {method:4} {url} -> {response.status_code}, expected {expectation}")
    assert problems == []
    assert world_state(world) == before, "a refused request changed something"


def test_home_sends_a_mailbox_user_to_the_portal(app, world):
    client = client_as(app, MB)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/")
    page = client.get("/me/").get_data(as_text=True)
    assert "alice@example.org" in page and "olga@other.org" not in page
