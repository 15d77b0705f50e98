"""``flask admin``: the way back for a locked-out superadmin, each command a
thin caller of a service that ends the account's sessions where it should."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import func, select

from panel import passwords
from panel.models import Admin, ApiToken, LoginThrottle, RecoveryCode, WebSession
from panel.services import admins, second_factor, tokens, web_sessions


def run(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input)


def _root(session):
    session.expire_all()
    return session.scalar(select(Admin).where(Admin.username == "root"))


def _with_root(session, actor):
    root = admins.create_admin(session, actor, "root", "superadmin", "password-123")
    web_sessions.start(session, root.id, "192.0.2.1", "browser")
    session.commit()
    return root


def _sessions(session) -> int:
    return session.scalar(select(func.count()).select_from(WebSession))


def test_passwd_sets_the_password_ends_sessions_and_lifts_the_lock(runner, session, actor):
    _with_root(session, actor)
    session.add(LoginThrottle(key="u:root", failures=0))
    session.commit()
    result = run(runner, "admin", "passwd", "root", "--password-stdin", input="brand-new-pass\n")
    assert result.exit_code == 0, result.output
    assert passwords.verify("brand-new-pass", _root(session).password_hash)
    assert _sessions(session) == 0 and session.get(LoginThrottle, "u:root") is None
    generated = run(runner, "admin", "passwd", "root")
    password = re.search(r"shown once\): (\S+)", generated.output).group(1)
    assert passwords.verify(password, _root(session).password_hash)


def test_disable_and_enable(runner, session, actor):
    root = _with_root(session, actor)
    _, token = tokens.create_token(session, actor, root, "script")
    session.commit()
    assert run(runner, "admin", "disable", "root").exit_code == 0
    assert _root(session).active is False and _sessions(session) == 0
    assert run(runner, "admin", "enable", "root").exit_code == 0
    assert _root(session).active is True
    assert tokens.authenticate(session, token) is None  # not revived
    assert session.scalar(select(ApiToken.revoked_at)) is not None


def test_list(runner, session, actor):
    admins.create_admin(session, actor, "root", "superadmin", "password-123")
    admins.create_admin(session, actor, "help", "helpdesk", "password-123", all_domains=True)
    session.commit()
    lines = run(runner, "admin", "list").output.splitlines()
    assert lines == ["help\thelpdesk\tall\tactive\t-", "root\tsuperadmin\tall\tactive\t-"]


def test_totp_enable_prints_the_uri_once_and_disable_turns_it_off(runner, session, actor):
    _with_root(session, actor)
    result = run(runner, "admin", "totp", "enable", "root")
    assert result.exit_code == 0, result.output
    uri = re.search(r"(otpauth://totp/\S+)", result.output).group(1)
    seed = pyotp.parse_uri(uri).secret
    assert second_factor.is_enabled(_root(session))
    assert second_factor.check_code(session, _root(session), pyotp.TOTP(seed).now()) == "totp"
    codes = re.findall(r"^  ([a-z2-9]{5}-[a-z2-9]{5})$", result.output, re.MULTILINE)
    assert len(codes) == second_factor.RECOVERY_CODES
    assert run(runner, "admin", "totp", "enable", "root").exit_code != 0  # already on
    assert run(runner, "admin", "totp", "disable", "root").exit_code == 0
    assert not second_factor.is_enabled(_root(session))
    assert session.scalar(select(func.count()).select_from(RecoveryCode)) == 0


def test_unknown_accounts_are_one_line_errors(runner, session, actor):
    for command in (["passwd", "nobody"], ["disable", "nobody"], ["enable", "nobody"], ["totp", "disable", "nobody"]):
        result = run(runner, "admin", *command, input="long-enough-1\n")
        assert result.exit_code != 0 and "no admin" in result.output, command
