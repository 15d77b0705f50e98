"""Login, logout, throttling, session renewal, cookie flags and headers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from panel.models import Admin, AuditEvent, LoginThrottle, as_utc, utcnow
from panel.services import login_guard
from panel.web import devices
from tests.helpers import PASSWORD, client_as, csrf_token, login, post


def _events(world, action):
    with world() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_login_then_logout(app, world):
    client = app.test_client()
    assert login(client, "root").headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert post(client, "/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message_and_audited(app, world):
    client = app.test_client()
    response = login(client, "root", "wrong-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert 'value="root"' in response.get_data(as_text=True)  # username kept, password not
    assert _events(world, "login.failure") == 1
    assert client.get("/").status_code == 302


def test_repeated_failures_slow_down_even_the_right_password(app, world):
    client = app.test_client()
    for _ in range(login_guard.SLOW_AFTER):
        assert login(client, "dom", "nope-nope").status_code == 401
    response = login(client, "dom", PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "Too many failed logins" in response.get_data(as_text=True)


def _attempt(world, username, password, address, device=None):
    """One login through the service's three steps, as the view runs them;
    the account's name on success, else the LoginRefused."""
    with world() as session:
        try:
            attempt = login_guard.begin(session, username, address, device)
        except login_guard.LoginRefused as refused:
            session.rollback()
            return refused
        session.commit()
        try:
            admin = login_guard.finish(session, attempt, login_guard.password_matches(attempt, password))
            return admin.username
        except login_guard.LoginRefused as refused:
            return refused
        finally:
            session.commit()


def _fail(world, username, address, count=1, device=None):
    for _ in range(count):
        _time_passes(world)
        refused = _attempt(world, username, "bad-password", address, device)
        assert isinstance(refused, login_guard.LoginRefused) and refused.message == login_guard.WRONG, refused


def _time_passes(world):
    """Between attempts the delays run out; a lock (longer than any delay) does not."""
    with world() as session:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.locked_until < utcnow() + login_guard.MAX_DELAY + timedelta(seconds=1))
            .values(locked_until=None)
        )
        session.commit()


def _budget(world, key):
    with world() as session:
        return session.get(LoginThrottle, key)


def test_an_account_is_locked_after_many_failures_from_several_addresses(app, world):
    for i in range(login_guard.ACCOUNT_LOCK_AFTER):
        _fail(world, "dom", f"192.0.2.{i}")
    left = as_utc(_budget(world, "u:dom").locked_until) - utcnow()
    assert timedelta(minutes=14) < left <= login_guard.LOCK_FOR
    assert _events(world, "login.lock_account") == 1
    refused = _attempt(world, "dom", PASSWORD, "198.51.100.7")
    assert isinstance(refused, login_guard.LoginRefused) and "minutes" in refused.message
    admins_page = client_as(app, "superadmin").get("/admins/").get_data(as_text=True)
    assert admins_page.count("locked for new browsers until") == 1
    # A password reset by a superadmin unlocks the account.
    post(
        client_as(app, "superadmin"),
        "/admins/dom/password",
        {"password": "fresh-pass-123", "password_confirm": "fresh-pass-123"},
    )
    assert login(app.test_client(), "dom", "fresh-pass-123").status_code == 302


def test_an_address_is_locked_after_many_failures_with_unknown_names(world):
    address = "203.0.113.9"
    for i in range(login_guard.ADDRESS_LOCK_AFTER):
        _fail(world, f"nobody{i}", address)
    assert _events(world, "login.lock_address") == 1
    refused = _attempt(world, "root", PASSWORD, address)
    assert isinstance(refused, login_guard.LoginRefused) and refused.retry_after > 600
    assert _attempt(world, "root", PASSWORD, "198.51.100.8") == "root"  # another address is not affected


def test_success_resets_the_account_budget_but_not_the_address(world):
    _fail(world, "dom", "192.0.2.50", 2)
    _time_passes(world)
    assert _attempt(world, "dom", PASSWORD, "192.0.2.50") == "dom"
    assert _budget(world, "u:dom").failures == 0 and _budget(world, "u:dom").locked_until is None
    # Logging in to one's own account must not reset what an address has tried.
    assert _budget(world, "a:192.0.2.50").failures == 2


def test_unknown_and_known_names_get_the_same_answers(app, world):
    """No enumeration: the same 401s, then the same 429 with Retry-After."""
    answers = {}
    for i, name in enumerate(("dom", "no-such-admin")):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{i + 1}"  # one address each: its budget is not the point
        statuses = [login(client, name, "wrong-password").status_code for _ in range(login_guard.SLOW_AFTER + 1)]
        answers[name] = statuses
    assert answers["dom"] == answers["no-such-admin"] == [401] * login_guard.SLOW_AFTER + [429]


def test_a_browser_that_signed_in_before_keeps_its_own_budget(app, world):
    """An attacker locking the superadmin out of unknown browsers from many
    addresses does not lock out the superadmin's own browser."""
    mine = app.test_client()
    assert login(mine, "root").status_code == 302  # this browser now holds a device cookie
    post(mine, "/logout")
    for i in range(login_guard.ACCOUNT_LOCK_AFTER):
        _fail(world, "root", f"198.51.100.{i}")
    stranger = app.test_client()
    assert login(stranger, "root").status_code == 429  # the right password, from an unknown browser
    assert login(mine, "root").status_code == 302
    # A stolen device cookie for another account is worth nothing.
    thief = app.test_client()
    thief.set_cookie(devices.COOKIE, mine.get_cookie(devices.COOKIE).value)
    assert login(thief, "dom", "wrong-password").status_code == 401
    assert _budget(world, "u:dom").failures == 1


def test_forged_device_cookies_are_ignored(app, world):
    client = app.test_client()
    client.set_cookie(devices.COOKIE, "eyJ1Ijoicm9vdCIsImQiOiJ4In0.forged.signature")
    login(client, "root", "wrong-password")
    assert _budget(world, "u:root").failures == 1


def test_a_disabled_account_cannot_log_in(app, world):
    with world() as session:
        session.scalar(select(Admin).where(Admin.username == "dom")).active = False
        session.commit()
    assert login(app.test_client(), "dom").status_code == 401


def test_session_is_renewed_at_login(app, world):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
    login(client, "root")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"]


def test_next_only_redirects_within_the_site(app, world):
    for target, expected in [
        ("/domains/", "/domains/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        client = app.test_client()
        response = client.post(
            "/login?next=" + target, data={"username": "root", "password": PASSWORD, "csrf_token": csrf_token(client)}
        )
        assert response.headers["Location"] == expected, target


def test_session_cookie_flags(app, world):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    response = login(client, "root")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Expires=" in cookie  # bounded lifetime, not "until the browser closes"
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_security_headers_and_no_inline_script(app, world):
    client = app.test_client()
    login(client, "root")
    for url in ("/login", "/", "/domains/", "/domains/example.org/mailboxes", "/mailboxes/alice@example.org"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        html = response.get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html and " style=" not in html


def test_proxy_headers_are_trusted_only_when_configured(database_url, tmp_path):
    from panel import create_app

    for hops, expected in ((0, "127.0.0.1"), (1, "198.51.100.20")):
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "PROXY_FIX": hops})

        @app.get("/_addr")
        def _addr():
            from flask import request

            return request.remote_addr

        _addr.access = ("public",)
        response = app.test_client().get("/_addr", headers={"X-Forwarded-For": "198.51.100.20"})
        assert response.get_data(as_text=True) == expected
