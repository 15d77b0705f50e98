import pytest

from panel import passwords
from panel.models import Role
from panel.services import Actor, Conflict, Forbidden, ServiceError, admins, domains


@pytest.fixture
def domain(session, actor):
    d = domains.create_domain(session, actor, "example.org")
    session.commit()
    return d


def test_create_admins_of_each_role(session, actor, domain):
    su = admins.create_admin(session, actor, "Root", "superadmin", "password-123")
    da = admins.create_admin(session, actor, "dom", "domainadmin", "password-123", ["example.org"])
    hd = admins.create_admin(session, actor, "help", "helpdesk", "password-123")
    session.commit()
    assert su.username == "root" and passwords.verify("password-123", su.password_hash)
    assert su.password_hash.startswith("{ARGON2ID}")
    assert [d.name for d in da.domains] == ["example.org"]
    assert Actor.from_admin(hd).domain_ids is None  # unscoped helpdesk searches all
    assert Actor.from_admin(da).domain_ids == frozenset({domain.id})


def test_scope_rules(session, actor, domain):
    with pytest.raises(ServiceError):
        admins.create_admin(session, actor, "dom", "domainadmin", "password-123")
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
        admins.create_admin(session, actor, "ROOT", "helpdesk", "password-123")


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
    hd = admins.create_admin(session, actor, "help", "helpdesk", "password-123")
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
    hd = admins.create_admin(session, actor, "help", "helpdesk", "password-123")
    session.commit()
    admins.update_admin(session, actor, hd, role="domainadmin", domain_names=["other.org", "example.org"])
    session.commit()
    assert hd.role == "domainadmin"
    assert sorted(d.name for d in hd.domains) == ["example.org", "other.org"]
