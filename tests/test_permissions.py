"""Walk the whole URL map × {anonymous, helpdesk, domain admin of another
domain, domain admin, superadmin} against the expected table.

Every endpoint must declare its rule (``view.access``, from @allow or
@public); an endpoint without one fails the test. Endpoints not listed in
EXPECTED (added by later blueprints) are checked against their own
declaration: anonymous is turned away, undeclared roles get 403.
"""

from __future__ import annotations

from sqlalchemy import func, select

from panel.models import Admin, Alias, AliasDomain, Domain, Mailbox
from tests.web.conftest import client_as, world  # noqa: F401 (fixture)

ANON, HD, OD, DA, SA = "anonymous", "helpdesk", "other_domainadmin", "domainadmin", "superadmin"
ROLES = (ANON, HD, OD, DA, SA)
EVERYONE = {HD, OD, DA, SA}
MANAGERS_HERE = {DA, SA}  # manage example.org
FINDERS_HERE = {HD, DA, SA}  # may find mailboxes of example.org

# endpoint -> roles whose GET gives 200 (POST-only endpoints: roles allowed to POST).
EXPECTED = {
    "auth.login": "public",
    "auth.logout": EVERYONE,
    "home.index": EVERYONE,
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
}

# URL arguments by name: everything points into example.org.
SAMPLE_ARGS = {"domain": "example.org", "name": "example.net", "username": "help", "filename": "style.css"}
ADDRESS_BY_BLUEPRINT = {"mailboxes": "alice@example.org", "aliases": "info@example.org"}


def _url(app, rule) -> str:
    args = {}
    for arg in rule.arguments:
        if arg in ("address", "email"):  # the <address:...> converter needs an @
            args[arg] = ADDRESS_BY_BLUEPRINT.get(rule.endpoint.split(".")[0], "alice@example.org")
        else:
            args[arg] = SAMPLE_ARGS.get(arg, "x1")
    with app.test_request_context():
        from flask import url_for

        try:
            return url_for(rule.endpoint, **args)
        except ValueError:  # an <int:...> argument
            return url_for(rule.endpoint, **{k: (1 if v == "x1" else v) for k, v in args.items()})


def _state(world) -> tuple:
    """What a refused POST must not change."""
    with world() as session:
        return (
            session.scalar(select(func.count()).select_from(Mailbox)),
            session.scalar(select(func.count()).select_from(Alias)),
            session.scalar(select(func.count()).select_from(AliasDomain)),
            tuple(session.execute(select(Domain.name, Domain.active, Domain.description).order_by(Domain.name))),
            tuple(
                session.execute(
                    select(Admin.username, Admin.role, Admin.active, Admin.password_hash).order_by(Admin.username)
                )
            ),
            tuple(
                session.execute(
                    select(Mailbox.address, Mailbox.password_hash, Mailbox.active).order_by(Mailbox.address)
                )
            ),
        )


def _declared(app, endpoint):
    return getattr(app.view_functions[endpoint], "access", None)


def test_every_endpoint_declares_its_rule(app):
    missing = [e for e in app.view_functions if e != "static" and _declared(app, e) is None]
    assert missing == [], f"endpoints without @allow/@public: {missing}"


def test_expected_table_matches_declarations(app):
    for endpoint, expected in EXPECTED.items():
        assert endpoint in app.view_functions, f"{endpoint} is in the table but not in the app"
        declared = _declared(app, endpoint)
        if expected == "public":
            assert declared == ("public",)
        else:
            roles = {r.value for r in declared[1]}
            assert {r for r in expected if r != OD} <= roles | {OD}


def _expectation(app, endpoint, role):
    """'ok', 'login' (anonymous sent to log in), 'refused' (403/404),
    'token' (API: a browser session is no bearer token -> 401), 'answers'
    (a later public endpoint: anything but a server error) or 'unknown'."""
    expected = EXPECTED.get(endpoint)
    declared = _declared(app, endpoint)
    if expected == "public":
        return "ok"
    if declared[0] == "public":
        return "answers"
    if declared[0] == "token":
        return "token"
    if role == ANON:
        return "login"
    if expected is None:  # a later blueprint: judge by its declaration
        roles = {r.value for r in declared[1]}
        base = DA if role == OD else role
        return "unknown" if base in roles else "refused"
    return "ok" if role in expected else "refused"


GOOD = {
    "ok": lambda r: r.status_code == 200,
    "login": lambda r: r.status_code == 401 or (r.status_code == 302 and "/login" in r.headers.get("Location", "")),
    "refused": lambda r: r.status_code in (403, 404),
    "token": lambda r: r.status_code == 401,
    "answers": lambda r: r.status_code < 500,
}


def test_url_map_against_expected_table(app, world):
    app.config["WTF_CSRF_ENABLED"] = False  # roles, not CSRF, are under test here
    before = _state(world)
    problems = []
    for role in ROLES:
        client = client_as(app, None if role == ANON else role)
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            url = _url(app, rule)
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
    assert _state(world) == before, "a refused request changed something"
