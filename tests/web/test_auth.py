"""Login, logout, throttling, session renewal, cookie flags and headers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from panel.models import Admin, AuditEvent, LoginThrottle, as_utc, utcnow
from panel.services import login_guard
from tests.web.conftest import PASSWORD, client_as, csrf_token, login, post


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


def _fail(world, username, address, count=1):
    for _ in range(count):
        with world() as session:
            # Time passes between attempts: the delay is over, the lock is not.
            admin = session.scalar(select(Admin).where(Admin.username == username))
            if admin is not None and admin.failed_logins:
                admin.locked_until = None
            row = session.get(LoginThrottle, address)
            if row is not None and row.failures:
                row.locked_until = None
            try:
                login_guard.authenticate(session, username, "bad-password", address)
            except login_guard.LoginRefused as refused:
                assert refused.message == login_guard.WRONG
            session.commit()


def _try(world, username, address):
    with world() as session:
        try:
            return login_guard.authenticate(session, username, PASSWORD, address).username
        except login_guard.LoginRefused as refused:
            return refused
        finally:
            session.commit()


def test_an_account_is_locked_after_many_failures_from_several_addresses(app, world):
    for i in range(login_guard.ACCOUNT_LOCK_AFTER):
        _fail(world, "dom", f"192.0.2.{i}")
    with world() as session:
        admin = session.scalar(select(Admin).where(Admin.username == "dom"))
        left = as_utc(admin.locked_until) - utcnow()
    assert timedelta(minutes=14) < left <= login_guard.LOCK_FOR
    assert _events(world, "login.lock_account") == 1
    refused = _try(world, "dom", "198.51.100.7")
    assert isinstance(refused, login_guard.LoginRefused) and "minutes" in refused.message
    admins_page = client_as(app, "superadmin").get("/admins/").get_data(as_text=True)
    assert admins_page.count("locked until") == 1
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
    refused = _try(world, "root", address)
    assert isinstance(refused, login_guard.LoginRefused) and refused.retry_after > 600
    assert _try(world, "root", "198.51.100.8") == "root"  # another address is not affected


def test_success_resets_the_counters(world):
    _fail(world, "dom", "192.0.2.50", 2)
    assert _try(world, "dom", "192.0.2.50") == "dom"
    with world() as session:
        admin = session.scalar(select(Admin).where(Admin.username == "dom"))
        assert admin.failed_logins == 0 and admin.locked_until is None
        assert session.get(LoginThrottle, "192.0.2.50") is None


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
