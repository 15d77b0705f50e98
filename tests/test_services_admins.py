import pytest
from sqlalchemy import func, select

from panel import passwords
from panel.models import Admin, Role, WebSession
from panel.services import (
    Actor,
    Conflict,
    Forbidden,
    NotFound,
    ServiceError,
    admins,
    domains,
    lists,
    mailboxes,
    tokens,
    web_sessions,
)


@pytest.fixture
def domain(session, actor):
    d = domains.create_domain(session, actor, "example.org")
    session.commit()
    return d


def test_create_admins_of_each_role(session, actor, domain):
    su = admins.create_admin(session, actor, "Root", "superadmin", "password-123")
    da = admins.create_admin(session, actor, "dom", "domainadmin", "password-123", ["example.org"])
    hd = admins.create_admin(session, actor, "help", "helpdesk", "password-123", all_domains=True)
    session.commit()
    assert su.username == "root" and passwords.verify("password-123", su.password_hash)
    assert su.password_hash.startswith("{ARGON2ID}")
    assert [d.name for d in da.domains] == ["example.org"]
    assert Actor.from_admin(hd).domain_ids is None  # the explicit grant: every domain
    assert Actor.from_admin(da).domain_ids == frozenset({domain.id})


def test_scope_rules(session, actor, domain):
    for role in ("domainadmin", "helpdesk"):  # an empty scope is refused, never read as "all"
        with pytest.raises(ServiceError, match="at least one domain, or all domains"):
            admins.create_admin(session, actor, "dom", role, "password-123")
        with pytest.raises(ServiceError, match="not both"):
            admins.create_admin(session, actor, "dom", role, "password-123", ["example.org"], all_domains=True)
    with pytest.raises(ServiceError):
        admins.create_admin(session, actor, "su", "superadmin", "password-123", all_domains=True)
    with pytest.raises(ServiceError):
        admins.create_admin(session, actor, "su", "superadmin", "password-123", ["example.org"])
    with pytest.raises(ServiceError):
        admins.create_admin(session, actor, "x", "emperor", "password-123")
    with pytest.raises(ServiceError):
        admins.create_admin(session, actor, "bad name", "helpdesk", "password-123")
    with pytest.raises(ServiceError):
        admins.create_admin(session, actor, "weak", "helpdesk", "short")


def test_duplicate_admin(session, actor):
    admins.create_admin(session, actor, "root", "superadmin", "password-123")
    session.commit()
    with pytest.raises(Conflict):
        admins.create_admin(session, actor, "ROOT", "helpdesk", "password-123", all_domains=True)


def test_nobody_below_superadmin_manages_accounts(session, actor, domain):
    root = admins.create_admin(session, actor, "root", "superadmin", "password-123")
    session.commit()
    for role, scope in ((Role.DOMAINADMIN, frozenset({domain.id})), (Role.HELPDESK, None)):
        lesser = Actor("lesser", role, scope)
        with pytest.raises(Forbidden):
            admins.create_admin(session, lesser, "new", "helpdesk", "password-123")
        with pytest.raises(Forbidden):
            admins.set_admin_password(session, lesser, root, "hijacked-123")
        with pytest.raises(Forbidden):
            admins.update_admin(session, lesser, root, active=False)


def test_own_password_change_is_allowed(session, actor):
    hd = admins.create_admin(session, actor, "help", "helpdesk", "password-123", all_domains=True)
    session.commit()
    me = Actor.from_admin(hd)
    admins.set_admin_password(session, me, hd, "my-new-password")
    session.commit()
    assert passwords.verify("my-new-password", hd.password_hash)


def test_superadmin_cannot_demote_or_disable_itself(session, actor):
    root = admins.create_admin(session, actor, "root", "superadmin", "password-123")
    session.commit()
    me = Actor.from_admin(root)
    with pytest.raises(ServiceError):
        admins.update_admin(session, me, root, role="helpdesk")
    with pytest.raises(ServiceError):
        admins.update_admin(session, me, root, active=False)


def test_update_role_and_domains(session, actor, domain):
    domains.create_domain(session, actor, "other.org")
    hd = admins.create_admin(session, actor, "help", "helpdesk", "password-123", all_domains=True)
    session.commit()
    admins.update_admin(
        session, actor, hd, role="domainadmin", domain_names=["other.org", "example.org"], all_domains=False
    )
    session.commit()
    assert hd.role == "domainadmin" and not hd.all_domains
    assert sorted(d.name for d in hd.domains) == ["example.org", "other.org"]


def test_deleting_the_only_domain_of_a_helpdesk_leaves_it_no_domain(session, actor, domain):
    """The audit's finding: the cascade emptied the scope and "no domains"
    meant all, so the helpdesk could reset any password anywhere."""
    other = domains.create_domain(session, actor, "other.org")
    mailbox = mailboxes.create_mailbox(session, actor, "olga@other.org", password="password-123")
    hd = admins.create_admin(session, actor, "help", "helpdesk", "password-123", ["example.org"])
    session.commit()
    domains.delete_domain(session, actor, domain)
    session.commit()
    session.expire_all()
    helpdesk = Actor.from_admin(session.get(Admin, hd.id))
    assert helpdesk.domain_ids == frozenset()
    assert not helpdesk.sees_domain(other.id)
    with pytest.raises(NotFound):
        mailboxes.get_mailbox(session, helpdesk, "olga@other.org")
    with pytest.raises(NotFound):  # outside its scope: as absent as a name nobody hosts
        mailboxes.set_password(session, helpdesk, mailbox, password="taken-over-1")
    assert lists.search_mailboxes(session, helpdesk, "olga").rows == []


def test_a_scope_change_ends_the_accounts_sessions(session, actor, domain):
    domains.create_domain(session, actor, "other.org")
    dom = admins.create_admin(session, actor, "dom", "domainadmin", "password-123", ["example.org"])
    session.commit()
    for change in ({"domain_names": ["other.org"]}, {"role": "helpdesk"}, {"active": False}):
        web_sessions.start(session, dom.id, "192.0.2.1", "test")
        session.commit()
        admins.update_admin(session, actor, dom, **change)
        session.commit()
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0, change


def test_disabling_revokes_tokens_and_enabling_does_not_revive_them(session, actor, domain):
    dom = admins.create_admin(session, actor, "dom", "domainadmin", "password-123", ["example.org"])
    _, token = tokens.create_token(session, actor, dom, "script")
    session.commit()
    assert tokens.authenticate(session, token) is not None
    admins.update_admin(session, actor, dom, active=False)
    admins.update_admin(session, actor, dom, active=True)
    session.commit()
    assert tokens.authenticate(session, token) is None


def _lesser_actors(domain):
    return [Actor("lesser", Role.DOMAINADMIN, frozenset({domain.id})), Actor("lesser", Role.HELPDESK, None)]


def test_only_a_superadmin_lists_accounts_or_ends_anothers_sessions(session, actor, domain):
    dom = admins.create_admin(session, actor, "dom", "domainadmin", "password-123", ["example.org"])
    web_sessions.start(session, dom.id, "192.0.2.1", "test")
    session.commit()
    for lesser in _lesser_actors(domain):
        with pytest.raises(Forbidden):
            admins.list_admins(session, lesser)
        with pytest.raises(Forbidden):
            admins.end_sessions(session, lesser, dom)
    assert session.scalar(select(func.count()).select_from(WebSession)) == 1
    assert [a.username for a in admins.list_admins(session, actor)] == ["dom"]
    assert admins.end_sessions(session, Actor.from_admin(dom), dom) == 1  # one's own: allowed


def test_a_password_change_ends_the_other_sessions_and_a_reset_lifts_the_lock(session, actor, domain):
    from panel.models import LoginThrottle

    dom = admins.create_admin(session, actor, "dom", "domainadmin", "password-123", ["example.org"])
    here, _ = web_sessions.start(session, dom.id, "192.0.2.1", "this browser")
    web_sessions.start(session, dom.id, "192.0.2.2", "another browser")
    session.add(LoginThrottle(key="u:dom", failures=9))
    session.commit()
    # One's own change: the session in use stays, the others end, a lock stays (it is not theirs to lift).
    admins.set_admin_password(session, Actor.from_admin(dom, session_id=here.id), dom, "my-new-password-1")
    session.commit()
    assert list(session.scalars(select(WebSession.id))) == [here.id]
    assert session.get(LoginThrottle, "u:dom") is not None
    # A superadmin's reset ends every session of the account and lifts its lock.
    admins.set_admin_password(session, actor, dom, "reset-by-root-1")
    session.commit()
    assert session.scalar(select(func.count()).select_from(WebSession)) == 0
    assert session.get(LoginThrottle, "u:dom") is None
