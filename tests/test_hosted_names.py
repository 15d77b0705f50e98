"""Who may bring a name into the server, and one namespace for hosted names.

The audit: a domain admin made gmail.com an alias domain of theirs over the
API (201), so every hosted user's mail to gmail.com went to that tenant; and
22 of 40 concurrent (domain, alias domain) pairs on PostgreSQL made one name
both, since each create checked the other table and then inserted.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from panel.db import engine_for
from panel.models import AliasDomain, Domain, DomainName, Role
from panel.services import Actor, Conflict, Forbidden, ServiceError, aliases, domains


@pytest.fixture
def tenant(session, actor):
    domain = domains.create_domain(session, actor, "a.example")
    session.commit()
    return Actor("dom", Role.DOMAINADMIN, frozenset({domain.id}))


@pytest.mark.parametrize("name", ["gmail.com", "future-tenant.example", "b.example"])
def test_a_domain_admin_cannot_bring_a_name_into_the_server(session, tenant, name):
    with pytest.raises(Forbidden):
        aliases.create_alias_domain(session, tenant, name, "a.example")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AliasDomain)) == 0


def test_a_superadmin_adds_an_alias_domain_and_the_domain_admin_runs_it(session, actor, tenant):
    alias_domain = aliases.create_alias_domain(session, actor, "a.example.net", "a.example")
    session.commit()
    aliases.set_alias_domain_active(session, tenant, alias_domain, False)
    aliases.delete_alias_domain(session, tenant, alias_domain)
    session.commit()
    assert session.scalar(select(func.count()).select_from(DomainName).where(DomainName.name == "a.example.net")) == 0


def test_the_api_refuses_a_domain_admins_alias_domain(app, session, actor, tenant):
    from panel.services import admins, tokens

    dom = admins.create_admin(session, actor, "dom", "domainadmin", "password-123", ["a.example"])
    _, token = tokens.create_token(session, actor, dom, "t")
    session.commit()
    response = app.test_client().post(
        "/api/v1/alias-domains",
        json={"name": "gmail.com", "target": "a.example"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403 and "superadmin" in response.get_json()["error"]


def test_the_servers_own_names_are_never_hostable(app, session, actor):
    app.config["MAIL_HOSTNAME"] = "mx.a.example"
    session.info["reserved_domains"] = frozenset({"mx.a.example", "panel.a.example"})
    for name in ("mx.a.example", "MX.A.Example.", "panel.a.example", "localhost.localdomain"):
        with pytest.raises(ServiceError, match="own name"):
            domains.create_domain(session, actor, name)
    domains.create_domain(session, actor, "a.example")  # the parent domain is an ordinary tenant
    with pytest.raises(ServiceError, match="own name"):
        aliases.create_alias_domain(session, actor, "mx.a.example", "a.example")


def test_reserved_names_come_from_the_configuration(database_url, tmp_path):
    from panel import create_app
    from panel.db import get_session

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "t",
            "MAIL_HOSTNAME": "MX.Example.NET",
            "RESERVED_DOMAINS": "panel.example.net, other.example",
        }
    )
    with app.app_context():
        assert domains.reserved_names(get_session()) >= {"mx.example.net", "panel.example.net", "other.example"}
    from panel import db

    db.engine_for(app).dispose()


def test_one_namespace_in_both_directions(session, actor):
    domains.create_domain(session, actor, "a.example")
    domains.create_domain(session, actor, "b.example")
    aliases.create_alias_domain(session, actor, "c.example", "a.example")
    session.commit()
    with pytest.raises(Conflict, match="already an alias domain"):
        domains.create_domain(session, actor, "c.example")
    with pytest.raises(Conflict, match="already a hosted domain"):
        aliases.create_alias_domain(session, actor, "b.example", "a.example")


def test_the_database_refuses_a_name_that_would_be_both(session, actor):
    """Whoever writes the tables (raw SQL included) cannot make a name both."""
    domains.create_domain(session, actor, "a.example")
    aliases.create_alias_domain(session, actor, "c.example", "a.example")
    session.commit()
    target = session.scalar(select(Domain.id).where(Domain.name == "a.example"))
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO alias_domains (name, target_domain_id, active, target_name, created_at) "
                "VALUES ('a.example', :t, TRUE, 'a.example', CURRENT_TIMESTAMP)"
            ),
            {"t": target},
        )
    session.rollback()
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO domains (name, description, active, max_mailboxes, max_aliases, max_quota_bytes, "
                "total_quota_bytes, default_quota_bytes, mailbox_count, alias_count, quota_allocated_bytes, "
                "used_bytes, used_messages, created_at, updated_at) "
                "VALUES ('c.example', '', TRUE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    session.rollback()
    # Deleting frees the name for the other kind.
    aliases.delete_alias_domain(session, actor, aliases.get_alias_domain(session, actor, "c.example"))
    session.commit()
    domains.create_domain(session, actor, "c.example")
    session.commit()
    assert session.get(DomainName, "c.example").kind == "domain"


def test_racing_domain_and_alias_domain_creates_never_make_a_name_both(app, session, actor):
    domains.create_domain(session, actor, "target.example")
    session.commit()
    factory = sessionmaker(engine_for(app), expire_on_commit=False)
    system = Actor.system("race")
    rounds = 20
    for i in range(rounds):
        name = f"race{i}.example"
        barrier = threading.Barrier(2)
        outcomes = []

        def create(kind, name=name, barrier=barrier, outcomes=outcomes):
            with factory() as s:
                s.info["reserved_domains"] = frozenset()
                barrier.wait()
                try:
                    if kind == "domain":
                        domains.create_domain(s, system, name)
                    else:
                        aliases.create_alias_domain(s, system, name, "target.example")
                    s.commit()
                    outcomes.append("ok")
                except (Conflict, IntegrityError) as exc:
                    s.rollback()
                    outcomes.append(type(exc).__name__)

        threads = [threading.Thread(target=create, args=(kind,)) for kind in ("domain", "alias")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert outcomes.count("ok") == 1, (name, outcomes)
    with factory() as s:
        both = s.scalar(select(func.count()).select_from(Domain).join(AliasDomain, AliasDomain.name == Domain.name))
        assert both == 0
        assert s.scalar(select(func.count()).select_from(DomainName).where(DomainName.name.like("race%"))) == rounds
