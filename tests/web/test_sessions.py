"""Sessions that really end (the audit: a cookie captured before logout still
worked after it, and nothing ended another browser's session)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from panel.models import Admin, WebSession, as_utc, utcnow
from panel.services import web_sessions
from tests.helpers import PASSWORD, client_as, login, post


def _signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def _copy(app, client):
    """Another browser holding a copy of ``client``'s cookies (a captured cookie)."""
    other = app.test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def _sessions_of(world, username) -> int:
    with world() as s:
        admin_id = s.scalar(select(Admin.id).where(Admin.username == username))
        return s.scalar(select(func.count()).select_from(WebSession).where(WebSession.admin_id == admin_id))


def test_a_captured_cookie_stops_working_at_logout(app, world):
    client = client_as(app, "domainadmin")
    thief = _copy(app, client)
    assert _signed_in(thief)
    assert post(client, "/logout").status_code == 302
    assert not _signed_in(thief) and not _signed_in(client)
    assert _sessions_of(world, "dom") == 0


def test_changing_ones_password_ends_the_other_sessions_and_keeps_this_one(app, world):
    mine, elsewhere = client_as(app, "domainadmin"), client_as(app, "domainadmin")
    response = post(
        mine,
        "/account/",
        {"current_password": PASSWORD, "new_password": "another-pass-42", "password_confirm": "another-pass-42"},
    )
    assert response.status_code == 302
    assert _signed_in(mine) and not _signed_in(elsewhere)
    assert _sessions_of(world, "dom") == 1


def test_a_reset_by_a_superadmin_ends_every_session_of_the_account(app, world):
    victim = client_as(app, "domainadmin")
    root = client_as(app, "superadmin")
    post(root, "/admins/dom/password", {"password": "fresh-pass-123", "password_confirm": "fresh-pass-123"})
    assert not _signed_in(victim)
    assert _signed_in(root)


def test_disabling_ends_sessions_and_enabling_does_not_revive_them(app, world):
    victim = client_as(app, "domainadmin")
    root = client_as(app, "superadmin")
    assert post(root, "/admins/dom", {"role": "domainadmin", "domains": "example.org"}).status_code == 302  # inactive
    assert not _signed_in(victim)
    form = {"role": "domainadmin", "domains": "example.org", "active": "1"}
    assert post(root, "/admins/dom", form).status_code == 302
    assert not _signed_in(victim)
    assert login(app.test_client(), "dom").status_code == 302  # a new login works again


def test_a_role_or_scope_change_ends_the_sessions(app, world):
    for form in (
        {"role": "domainadmin", "domains": "other.org", "active": "1"},
        {"role": "helpdesk", "domains": "example.org", "active": "1"},
    ):
        victim = client_as(app, "domainadmin")
        assert post(client_as(app, "superadmin"), "/admins/dom", form).status_code == 302
        assert not _signed_in(victim), form
        post(
            client_as(app, "superadmin"),
            "/admins/dom",
            {"role": "domainadmin", "domains": "example.org", "active": "1"},
        )


def test_sign_out_everywhere(app, world):
    first, second = client_as(app, "helpdesk"), client_as(app, "helpdesk")
    response = post(first, "/account/sessions/end")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(first) and not _signed_in(second)
    assert _sessions_of(world, "help") == 0


def test_the_account_page_lists_the_sessions(app, world):
    client = client_as(app, "helpdesk")
    client_as(app, "helpdesk")
    html = client.get("/account/").get_data(as_text=True)
    assert html.count("<tr><td data-label=") == 2 and "(this one)" in html


def test_an_idle_session_expires(app, world):
    client = client_as(app, "superadmin")
    with world() as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - web_sessions.IDLE - timedelta(minutes=1)))
        s.commit()
    assert not _signed_in(client)


def test_a_busy_session_still_ends_after_its_lifetime(app, world):
    client = client_as(app, "superadmin")
    with world() as s:
        s.execute(update(WebSession).values(created_at=utcnow() - web_sessions.LIFETIME - timedelta(minutes=1)))
        s.commit()
    assert not _signed_in(client)


def test_activity_is_recorded_now_and_then(app, world):
    client = client_as(app, "superadmin")
    long_ago = utcnow() - timedelta(hours=1)
    with world() as s:
        s.execute(update(WebSession).values(last_seen_at=long_ago))
        s.commit()
    assert _signed_in(client)
    with world() as s:
        seen = s.scalar(select(WebSession.last_seen_at))
    assert as_utc(seen) > long_ago + timedelta(minutes=50)


def test_only_a_digest_of_the_token_is_stored(app, world):
    client = client_as(app, "superadmin")
    with client.session_transaction() as cookie:
        token = cookie[web_sessions.COOKIE_KEY]
    with world() as s:
        digests = list(s.scalars(select(WebSession.token_digest)))
    assert token not in digests and len(digests) == 1 and len(digests[0]) == 64
