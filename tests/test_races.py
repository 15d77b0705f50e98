"""Limits hold when requests race: two creates for the last free slot, one wins."""

import threading

import pytest
from sqlalchemy import func, select

from panel.db import get_session
from panel.models import Domain, Mailbox
from panel.services import Actor, Conflict, domains, mailboxes

ROUNDS = 8


def _race(app, calls):
    """Run each call in its own thread/app context/session at the same moment;
    return the list of outcomes ('ok' or the exception)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        with app.app_context():
            session = get_session()
            barrier.wait()
            try:
                call(session, Actor.system(f"racer{index}"))
                session.commit()
                outcomes[index] = "ok"
            except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
                session.rollback()
                outcomes[index] = exc

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_creates_for_the_last_mailbox_slot(app, session, actor, round_):
    domains.create_domain(session, actor, "race.example", max_mailboxes=1)
    session.commit()
    outcomes = _race(
        app,
        [
            lambda s, a: mailboxes.create_mailbox(
                s, a, "first@race.example", password="password-1", scheme="SHA512-CRYPT"
            ),
            lambda s, a: mailboxes.create_mailbox(
                s, a, "second@race.example", password="password-1", scheme="SHA512-CRYPT"
            ),
        ],
    )
    assert outcomes.count("ok") == 1, outcomes
    assert any(isinstance(o, Conflict) for o in outcomes), outcomes
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Mailbox)) == 1
    assert session.scalar(select(Domain.mailbox_count)) == 1


@pytest.mark.parametrize("round_", range(ROUNDS // 2))
def test_two_creates_of_the_same_address(app, session, actor, round_):
    domains.create_domain(session, actor, "race.example")
    session.commit()

    def create(s, a):
        return mailboxes.create_mailbox(s, a, "same@race.example", password="password-1", scheme="SHA512-CRYPT")

    outcomes = _race(app, [create, create])
    assert outcomes.count("ok") == 1, outcomes
    assert any(isinstance(o, Conflict) for o in outcomes), outcomes
    session.expire_all()
    # The counter agrees with the rows: the loser's reservation was rolled back.
    assert session.scalar(select(Domain.mailbox_count)) == 1


@pytest.mark.parametrize("round_", range(ROUNDS // 2))
def test_two_creates_for_the_last_quota(app, session, actor, round_):
    domains.create_domain(session, actor, "race.example", total_quota_bytes="1G", default_quota_bytes="600M")
    session.commit()
    outcomes = _race(
        app,
        [
            lambda s, a: mailboxes.create_mailbox(s, a, "a@race.example", password="password-1", scheme="SHA512-CRYPT"),
            lambda s, a: mailboxes.create_mailbox(s, a, "b@race.example", password="password-1", scheme="SHA512-CRYPT"),
        ],
    )
    assert outcomes.count("ok") == 1, outcomes
    session.expire_all()
    assert session.scalar(select(Domain.quota_allocated_bytes)) == 600 * 1024**2
