"""Stored mail per domain: kept in SQL by a trigger as Dovecot's quota_clone
writes quota_usage (the same INSERT ... ON CONFLICT DO UPDATE it sends)."""

from sqlalchemy import select, text

from panel.models import Domain
from panel.services import domains, mailboxes

UPSERT = text(
    "INSERT INTO quota_usage (username, bytes, messages) VALUES (:u, :b, :m) "
    "ON CONFLICT (username) DO UPDATE SET bytes = excluded.bytes, messages = excluded.messages"
)


def usage(session, name):
    session.expire_all()
    return tuple(session.execute(select(Domain.used_bytes, Domain.used_messages).where(Domain.name == name)).one())


def test_quota_clone_writes_roll_up_to_the_domain(session, actor):
    domains.create_domain(session, actor, "example.org")
    domains.create_domain(session, actor, "other.org")
    for address in ("a@example.org", "b@example.org", "c@other.org"):
        mailboxes.create_mailbox(session, actor, address, password="password-1", scheme="SHA512-CRYPT")
    session.commit()
    assert usage(session, "example.org") == (0, 0)

    session.execute(UPSERT, {"u": "a@example.org", "b": 1000, "m": 2})
    session.execute(UPSERT, {"u": "b@example.org", "b": 500, "m": 1})
    session.execute(UPSERT, {"u": "c@other.org", "b": 7, "m": 1})
    session.commit()
    assert usage(session, "example.org") == (1500, 3)
    assert usage(session, "other.org") == (7, 1)

    session.execute(UPSERT, {"u": "a@example.org", "b": 400, "m": 1})  # mail expunged: the conflict path
    session.commit()
    assert usage(session, "example.org") == (900, 2)

    mailboxes.delete_mailbox(session, actor, mailboxes.get_mailbox(session, actor, "b@example.org"))
    session.commit()
    assert usage(session, "example.org") == (400, 1)
    assert usage(session, "other.org") == (7, 1)


def test_usage_of_an_unknown_domain_is_ignored(session, actor):
    domains.create_domain(session, actor, "example.org")
    session.commit()
    session.execute(UPSERT, {"u": "ghost@gone.example", "b": 99, "m": 1})
    session.commit()
    assert usage(session, "example.org") == (0, 0)
