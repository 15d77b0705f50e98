"""Admin two-factor authentication: TOTP (RFC 6238) with recovery codes."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import func, select

from panel.models import Admin, AuditEvent, RecoveryCode
from panel.services import login_guard, second_factor
from tests.helpers import PASSWORD, client_as, login, post


def _text(response) -> str:
    return response.get_data(as_text=True)


def _enrol(app, role="superadmin"):
    """Turn 2FA on through the pages; returns (client, seed, recovery codes)."""
    client = client_as(app, role)
    assert post(client, "/account/2fa/start").status_code == 302
    page = _text(client.get("/account/2fa"))
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, drawn on the server
    seed = re.search(r'<code class="secret-value">([A-Z2-7]+)</code>', page).group(1)
    response = post(client, "/account/2fa/confirm", {"code": pyotp.TOTP(seed).now()})
    assert response.status_code == 302
    shown = _text(client.get(response.headers["Location"]))
    codes = re.findall(r'value="([a-z2-9]{5}-[a-z2-9]{5})"', shown)
    assert len(codes) == second_factor.RECOVERY_CODES
    return client, seed, codes


def _code_step(client, code):
    return post(client, "/login/code", {"code": code})


def _fresh_step(world, username="root"):
    """The next time step's code: the current one was spent by enrolment."""
    with world() as s:
        admin = s.scalar(select(Admin).where(Admin.username == username))
        return admin.totp_last_step


def test_enrolment_needs_a_first_valid_code(app, world):
    client = client_as(app, "superadmin")
    post(client, "/account/2fa/start")
    response = post(client, "/account/2fa/confirm", {"code": "000000"})
    assert response.status_code == 422 and "not the code your app shows" in _text(response)
    with world() as s:
        assert s.scalar(select(Admin.totp_enabled_at).where(Admin.username == "root")) is None


def test_login_asks_for_the_code_and_refuses_a_replay(app, world):
    _, seed, _ = _enrol(app)
    totp = pyotp.TOTP(seed)
    client = app.test_client()
    response = login(client, "root")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # not signed in before the code
    # The code enrolment used is spent: the same time step is refused.
    assert _code_step(client, totp.now()).status_code == 401
    last = _fresh_step(world)
    next_code = totp.generate_otp(last + 1)
    response = _code_step(client, next_code)
    assert response.status_code == 302 and client.get("/").status_code == 200
    other = app.test_client()
    login(other, "root")
    assert _code_step(other, next_code).status_code == 401  # replayed in another browser
    with world() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "admin.totp_enabled"))


def test_a_recovery_code_works_once(app, world):
    _, _, codes = _enrol(app)
    for expected in (302, 401):
        client = app.test_client()
        login(client, "root")
        assert _code_step(client, codes[0].upper()).status_code == expected
    with world() as s:
        spent = s.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None)))
        digests = list(s.scalars(select(RecoveryCode.code_hash)))
    assert spent == 1 and codes[1].replace("-", "") not in digests  # stored hashed


def test_the_throttle_covers_the_code_step(app, world):
    _enrol(app)
    client = app.test_client()
    login(client, "root")
    statuses = [_code_step(client, "123456").status_code for _ in range(login_guard.SLOW_AFTER + 1)]
    assert statuses == [401] * login_guard.SLOW_AFTER + [429]


def test_the_password_alone_is_not_enough_even_with_a_stale_pending_login(app, world):
    _enrol(app)
    client = app.test_client()
    login(client, "root")
    with client.session_transaction() as cookie:
        pending = dict(cookie["pending_login"])
        pending["at"] -= 3600
        cookie["pending_login"] = pending
    response = client.get("/login/code")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


def test_a_required_second_factor_must_be_enrolled_before_anything_else(app, world):
    app.config["REQUIRE_2FA"] = frozenset({"superadmin"})
    client = client_as(app, "superadmin")
    for page in ("/", "/domains/", "/admins/"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"] == "/account/2fa", page
    assert client.get("/account/2fa").status_code == 200
    assert client_as(app, "domainadmin").get("/").status_code == 200  # another role is not forced


def test_turning_it_off_needs_the_password_and_a_code(app, world):
    client, seed, codes = _enrol(app)
    post(client, "/account/2fa/disable", {"password": "wrong", "code": codes[0]})
    with world() as s:
        assert s.scalar(select(Admin.totp_enabled_at).where(Admin.username == "root")) is not None
    post(client, "/account/2fa/disable", {"password": PASSWORD, "code": codes[1]})
    with world() as s:
        assert s.scalar(select(Admin.totp_secret).where(Admin.username == "root")) is None
        assert s.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_the_seed_is_stored_sealed(app, world):
    _, seed, _ = _enrol(app)
    with world() as s:
        stored = s.scalar(select(Admin.totp_secret).where(Admin.username == "root"))
    assert seed not in stored and stored.startswith("gAAAA")  # a Fernet token


@pytest.mark.parametrize("role", ["domainadmin", "helpdesk"])
def test_everyone_can_enrol(app, world, role):
    _, seed, _ = _enrol(app, role)
    assert len(seed) >= 32  # 160 bits
