"""Every write leaves an audit event, in the same transaction as the change."""

import json

from sqlalchemy import func, select

from panel.models import AuditEvent, Mailbox
from panel.services import admins, aliases, domains, mailboxes


def test_every_service_write_is_audited(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    domains.update_domain(session, actor, domain, max_mailboxes=10)
    domains.set_domain_active(session, actor, domain, False)
    domains.set_domain_active(session, actor, domain, True)
    mb = mailboxes.create_mailbox(session, actor, "a@example.org", password="password-1")
    mailboxes.update_mailbox(session, actor, mb, name="A", quota="1G")
    mailboxes.set_password(session, actor, mb, password="password-2")
    alias = aliases.create_alias(session, actor, "x@example.org", ["a@example.org", "b@x.org"])
    aliases.update_alias(session, actor, alias, destinations=["b@x.org"])
    aliases.delete_alias(session, actor, alias)
    ad = aliases.create_alias_domain(session, actor, "example.net", "example.org")
    aliases.set_alias_domain_active(session, actor, ad, False)
    aliases.delete_alias_domain(session, actor, ad)
    admin = admins.create_admin(session, actor, "help", "helpdesk", "password-1", all_domains=True)
    admins.update_admin(session, actor, admin, active=False)
    admins.set_admin_password(session, actor, admin, "password-3")
    mailboxes.delete_mailbox(session, actor, mb)
    domains.delete_domain(session, actor, domain)
    session.commit()
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == [
        "domain.create",
        "domain.update",
        "domain.disable",
        "domain.enable",
        "mailbox.create",
        "mailbox.update",
        "mailbox.password",
        "alias.create",
        "alias.update",
        "alias.delete",
        "alias_domain.create",
        "alias_domain.disable",
        "alias_domain.delete",
        "admin.create",
        "admin.update",
        "admin.password",
        "mailbox.delete",
        "domain.delete",
    ]
    details = " ".join(session.scalars(select(AuditEvent.details)))
    assert "password-1" not in details and "password-2" not in details and "password-3" not in details


def test_no_op_update_writes_no_event(session, actor):
    domain = domains.create_domain(session, actor, "example.org", max_mailboxes=5)
    session.commit()
    domains.update_domain(session, actor, domain, max_mailboxes=5)
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


def test_rolled_back_change_leaves_no_event(session, actor):
    domains.create_domain(session, actor, "example.org")
    session.commit()
    mailboxes.create_mailbox(session, actor, "a@example.org", password="password-1")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Mailbox)) == 0
    assert session.scalars(select(AuditEvent.action)).all() == ["domain.create"]


def test_event_records_actor_and_address(session, actor):
    from dataclasses import replace

    web_actor = replace(actor, username="alice", remote_addr="192.0.2.7")
    domains.create_domain(session, web_actor, "example.org")
    session.commit()
    event = session.scalar(select(AuditEvent))
    assert (event.actor, event.remote_addr, event.target) == ("alice", "192.0.2.7", "example.org")
    assert json.loads(event.details)["active"] is True


def test_prefix_filters_find_their_events_through_an_index(session, actor, backend):
    from sqlalchemy import event

    from panel.services import lists

    domains.create_domain(session, actor, "example.org")
    for local in ("ann", "anna", "bob", "an_x"):
        mailboxes.create_mailbox(session, actor, f"{local}@example.org", password="password-1")
    session.commit()
    statements = []
    listen = lambda conn, cursor, statement, params, *rest: statements.append((statement, params))  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listen)
    try:
        page = lists.audit_page(session, actor, lists.AuditFilter(target="ANN*", action="mailbox.*"))
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listen)
    assert sorted(e.target for (e,) in page.rows) == ["ann@example.org", "anna@example.org"]
    # "_" in a prefix is literal, not LIKE's any-character.
    assert [e.target for (e,) in lists.audit_page(session, actor, lists.AuditFilter(target="an_*")).rows] == [
        "an_x@example.org"
    ]
    if backend == "postgresql":  # a prefix must not make PostgreSQL walk every event (migration 0010)
        statement, params = statements[-1]
        cursor = session.connection().connection.cursor()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Cond" in plan and "~>=~" in plan, plan


def test_the_audit_page_reads_each_change_as_old_to_new_and_actions_in_words(app, world, session, actor):
    from panel.services import lists
    from tests.helpers import client_as

    domain = domains.create_domain(session, actor, "audit.example")
    domains.update_domain(session, actor, domain, max_mailboxes=10, max_quota_bytes="2G", default_quota_bytes="1G")
    domains.update_domain(session, actor, domain, max_mailboxes=0)
    mb = mailboxes.create_mailbox(session, actor, "a@audit.example", password="password-1", quota="1G")
    mailboxes.update_mailbox(session, actor, mb, name="Ann", quota="2G", active=False)
    alias = aliases.create_alias(session, actor, "x@audit.example", ["a@audit.example"])
    aliases.update_alias(session, actor, alias, destinations=["a@audit.example", "b@x.org"])
    admin = admins.create_admin(session, actor, "help2", "helpdesk", "password-1", all_domains=True)
    admins.update_admin(session, actor, admin, all_domains=False, domain_names=["audit.example"])
    session.commit()
    ordered = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    events = {e.action + ":" + e.target: e for e in ordered}
    shown = {key: lists.audit_details(e) for key, e in events.items()}
    assert (
        shown["mailbox.update:a@audit.example"] == "active yes → no; name none → Ann; quota 1G → 2G; sessions ended: 0"
    )
    assert shown["alias.update:x@audit.example"] == "destinations a@audit.example → a@audit.example, b@x.org"
    assert shown["admin.update:help2"].startswith("domains (all domains) → audit.example;")
    first, second = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "domain.update").order_by(AuditEvent.id)
    )
    assert "max mailboxes unlimited → 10" in lists.audit_details(first)
    assert "max quota unlimited → 2G" in lists.audit_details(first)
    assert lists.audit_details(second) == "max mailboxes 10 → unlimited"
    # The stored details still hold the new values where they always were.
    assert json.loads(events["mailbox.update:a@audit.example"].details)["quota_bytes"] == 2 * 1024**3
    page = client_as(app, "superadmin").get("/audit/").get_data(as_text=True)
    assert "quota 1G → 2G" in page and "mailbox changed" in page and "alias created" in page
    assert '<code class="action-code">mailbox.update</code>' in page
