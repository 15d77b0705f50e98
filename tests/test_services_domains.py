import json

import pytest
from sqlalchemy import create_engine, event, func, select, text

from panel.models import AuditEvent, Domain, Role
from panel.services import Actor, Conflict, Forbidden, NotFound, ServiceError, aliases, domains, mailboxes


def test_create_domain_normalises_and_audits(session, actor):
    domain = domains.create_domain(session, actor, "Bücher.Example", max_mailboxes="5", default_quota_bytes="1G")
    session.commit()
    assert domain.name == "xn--bcher-kva.example"
    assert domain.max_mailboxes == 5 and domain.default_quota_bytes == 1024**3
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "domain.create"))
    assert event.target == "xn--bcher-kva.example" and event.actor == "test"
    assert json.loads(event.details)["max_mailboxes"] == 5


def test_duplicate_domain_is_a_conflict(session, actor):
    domains.create_domain(session, actor, "example.org")
    session.commit()
    with pytest.raises(Conflict) as err:
        domains.create_domain(session, actor, "EXAMPLE.org")
    assert "name" in err.value.fields


def test_database_enforces_domain_uniqueness(session, actor):
    # Even bypassing the service's check, the unique index refuses a duplicate.
    from sqlalchemy.exc import IntegrityError

    domains.create_domain(session, actor, "example.org")
    session.commit()
    session.add(
        Domain(
            name="example.org",
            description="",
            active=True,
            max_mailboxes=0,
            max_aliases=0,
            max_quota_bytes=0,
            total_quota_bytes=0,
            default_quota_bytes=0,
            mailbox_count=0,
            alias_count=0,
            quota_allocated_bytes=0,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_mailboxes", "abc"),
        ("max_mailboxes", "-1"),
        ("max_aliases", "1.5"),
        ("default_quota_bytes", "lots"),
        ("total_quota_bytes", "-5M"),
    ],
)
def test_malformed_limits_are_field_errors(session, actor, field, value):
    with pytest.raises(ServiceError) as err:
        domains.create_domain(session, actor, "example.org", **{field: value})
    assert field in err.value.fields


def test_quota_limit_requires_a_default_quota(session, actor):
    with pytest.raises(ServiceError) as err:
        domains.create_domain(session, actor, "example.org", max_quota_bytes="1G")
    assert "default_quota_bytes" in err.value.fields


def test_limit_cannot_drop_below_usage(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    for name in ("a", "b", "c"):
        mailboxes.create_mailbox(session, actor, f"{name}@example.org", password="password1")
    session.commit()
    with pytest.raises(ServiceError) as err:
        domains.update_domain(session, actor, domain, max_mailboxes=2)
    assert "max_mailboxes" in err.value.fields
    session.rollback()
    domains.update_domain(session, actor, domain, max_mailboxes=3)
    session.commit()
    assert session.get(Domain, domain.id).max_mailboxes == 3


def test_only_superadmins_manage_domains(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    session.commit()
    scoped = Actor("dom", Role.DOMAINADMIN, frozenset({domain.id}))
    with pytest.raises(Forbidden):
        domains.create_domain(session, scoped, "other.org")
    with pytest.raises(Forbidden):
        domains.update_domain(session, scoped, domain, max_mailboxes=10)
    with pytest.raises(Forbidden):
        domains.set_domain_active(session, scoped, domain, False)


def test_only_empty_domain_can_be_deleted(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    mailbox = mailboxes.create_mailbox(session, actor, "a@example.org", password="password1")
    session.commit()
    with pytest.raises(Conflict):
        domains.delete_domain(session, actor, domain)
    mailboxes.delete_mailbox(session, actor, mailbox)
    domains.delete_domain(session, actor, domain)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Domain)) == 0


def test_alias_domain_blocks_deletion_of_its_target(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    session.commit()
    with pytest.raises(Conflict):
        domains.delete_domain(session, actor, domain)


def test_domain_cannot_shadow_an_alias_domain(session, actor):
    domains.create_domain(session, actor, "example.org")
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    session.commit()
    with pytest.raises(Conflict):
        domains.create_domain(session, actor, "example.net")


def test_disable_and_enable_are_audited(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    domains.set_domain_active(session, actor, domain, False)
    domains.set_domain_active(session, actor, domain, True)
    session.commit()
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["domain.create", "domain.disable", "domain.enable"]


def test_a_disable_writes_the_domain_row_alone_and_every_lookup_sees_it_at_commit(session, actor):
    """Migration 0025: the mail servers read the domain's own flag, so a
    disable is one row however big the domain (at 10M it used to rewrite 4M
    copies in one transaction), seen at commit from another connection."""
    domain = domains.create_domain(session, actor, "big.example")
    domains.create_domain(session, actor, "other.example")
    for n in range(5):
        mailboxes.create_mailbox(session, actor, f"u{n}@big.example", password="password-1")
        aliases.create_alias(session, actor, f"a{n}@big.example", [f"u{n}@big.example"])
    mailboxes.create_mailbox(session, actor, "keep@other.example", password="password-1")
    aliases.create_alias_domain(session, actor, "alias.example", "big.example")
    session.commit()
    engine = session.get_bind()
    # A plain reader of its own, as Postfix and Dovecot are (the panel's
    # engine would BEGIN IMMEDIATE on SQLite and wait for the writer).
    reader = create_engine(engine.url.render_as_string(hide_password=False))

    def visible() -> dict:
        with reader.connect() as conn:
            return {
                view: sorted(conn.execute(text(f"SELECT {column} FROM {view}")).scalars())
                for view, column in (
                    ("mailserver_mailboxes", "address"),
                    ("mailserver_aliases", "address"),
                    ("mailserver_alias_domains", "name"),
                )
            }

    try:
        before = visible()
        assert "u3@big.example" in before["mailserver_mailboxes"]
        assert before["mailserver_alias_domains"] == ["alias.example"]
        writes = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
                writes.append(statement.split("(")[0].split(" SET ")[0].strip())

        event.listen(engine, "before_cursor_execute", record)
        try:
            domains.set_domain_active(session, actor, domain, False)
            session.flush()
            assert visible() == before  # not committed yet: the servers see the old state
            session.commit()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert sorted(set(writes)) == ["INSERT INTO audit_events", "UPDATE domains"], writes
        assert visible() == {
            "mailserver_mailboxes": ["keep@other.example"],
            "mailserver_aliases": [],
            "mailserver_alias_domains": [],
        }
        domains.set_domain_active(session, actor, domain, True)
        session.commit()
        assert visible() == before
    finally:
        reader.dispose()


def test_over_limits_names_each_limit_a_batch_would_break(session, actor):
    domain = domains.create_domain(
        session,
        actor,
        "example.org",
        max_mailboxes=2,
        max_aliases=1,
        total_quota_bytes="1G",
        default_quota_bytes="500M",
    )
    mailboxes.create_mailbox(session, actor, "a@example.org", password="password1")
    session.commit()
    assert domains.over_limits(domain, mailboxes=1, quota_bytes=500 * 1024**2, aliases=1) == {}
    over = domains.over_limits(domain, mailboxes=2, quota_bytes=600 * 1024**2, aliases=2)
    assert set(over) == {"email", "quota", "aliases"}
    assert "allows 2 mailboxes; it has 1 and this would add 2" in over["email"]


def test_only_the_domains_admins_set_its_users_rights(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    other = domains.create_domain(session, actor, "other.org")
    session.commit()
    for refused in (
        Actor("help", Role.HELPDESK, frozenset({domain.id})),
        Actor("otherdom", Role.DOMAINADMIN, frozenset({other.id})),
    ):
        with pytest.raises((Forbidden, NotFound)):
            domains.set_user_rights(session, refused, domain, forward_outside=not domain.users_forward_outside)
    before = domain.users_forward_outside
    domains.set_user_rights(
        session, Actor("dom", Role.DOMAINADMIN, frozenset({domain.id})), domain, forward_outside=not before
    )
    assert domain.users_forward_outside is (not before)


def test_another_tenants_domain_and_alias_domain_answer_like_a_name_nobody_hosts(session, actor):
    """managed_domain (creating an alias or a mailbox at a domain): which
    other domains exist is not the actor's to learn, word for word."""
    domains.create_domain(session, actor, "example.org")
    other = domains.create_domain(session, actor, "other.org")
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    session.commit()
    outsider = Actor("otherdom", Role.DOMAINADMIN, frozenset({other.id}))

    def answer(name):
        with pytest.raises(ServiceError) as refused:
            domains.managed_domain(session, outsider, name)
        # The answer names what was typed: compare it with the name taken out.
        return str(refused.value).replace(name, "NAME"), {
            k: v.replace(name, "NAME") for k, v in refused.value.fields.items()
        }

    nobody = answer("nobody.example")
    assert answer("example.org") == nobody and answer("example.net") == nobody
    assert "is not one of your domains" in nobody[0]
