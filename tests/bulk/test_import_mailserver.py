"""What the importer writes is what Postfix and Dovecot read: the very
query texts of panel/mailserver/queries/ run against imported rows."""

from __future__ import annotations

from sqlalchemy import text

from panel.mailserver import queries as mailserver_queries
from panel.services import domains
from tests.bulk.imports import do_import


def _lookup(session, name: str, key: str) -> list:
    dialect = "dovecot" if name.startswith("dovecot") else "postfix"
    sql = mailserver_queries.render(
        mailserver_queries.load(name, "/var/vmail", database=session.bind.dialect.name), key, dialect
    )
    return session.execute(text(sql)).all()


def test_imported_mailbox_and_alias_are_visible_to_postfix(session, actor):
    domains.create_domain(session, actor, "example.org")
    session.commit()
    assert do_import(session, actor, "email,password,aliases\na@example.org,secret123,info@example.org\n").ok
    assert _lookup(session, "postfix-mailboxes", "a@example.org") == [("a@example.org",)]
    assert "a@example.org" in str(_lookup(session, "postfix-aliases", "info@example.org"))


def test_import_into_a_disabled_domain_stays_invisible_to_the_mail_servers(session, actor):
    domain = domains.create_domain(session, actor, "example.org")
    domains.set_domain_active(session, actor, domain, False)
    session.commit()
    assert do_import(session, actor, "email,password,aliases\na@example.org,secret123,info@example.org\n").ok
    assert _lookup(session, "postfix-mailboxes", "a@example.org") == []
    assert _lookup(session, "dovecot-password", "a@example.org") == []
    domains.set_domain_active(session, actor, domains.get_domain(session, "example.org"), True)
    session.commit()
    assert _lookup(session, "postfix-mailboxes", "a@example.org") == [("a@example.org",)]
    assert len(_lookup(session, "dovecot-password", "a@example.org")) == 1
