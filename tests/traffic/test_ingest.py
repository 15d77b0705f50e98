"""Ingestion into the rollup and the scoped reads, on PostgreSQL and SQLite."""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from panel.mailserver import traffic as mt
from panel.models import Admin, TrafficHour, TrafficLog, TrafficTop
from panel.services import Actor, Forbidden, NotFound, ServiceError, traffic
from panel.services.traffic import ingest as ingest_module
from tests.fixtures.traffic import EXPECTED, nonzero, worlds_lines


def by_domain(session) -> dict:
    found: dict[str, Counter] = {}
    for row in session.scalars(select(TrafficHour)):
        found.setdefault(row.domain, Counter()).update({c: getattr(row, c) for c in mt.COUNTERS})
    session.rollback()  # on SQLite an open transaction holds the write lock ingestion needs
    return {domain: nonzero(counts) for domain, counts in found.items()}


def admin_actor(session, username: str) -> Actor:
    return Actor.from_admin(session.scalar(select(Admin).where(Admin.username == username)))


def test_the_logs_count_exactly_once_in_small_steps(app, world, worlds_logs, ingest, session):
    steps = ingest(limit=700)  # a step is a few lines: messages cross steps, and commits
    assert len(steps) > 20
    assert by_domain(session) == EXPECTED
    again = ingest()
    assert sum(step.lines for step in again) == 0
    session.expire_all()
    assert by_domain(session) == EXPECTED


def test_only_new_lines_are_read(app, world, worlds_logs, ingest, session):
    postfix, _ = worlds_logs
    ingest()
    with open(postfix, "ab") as fh:
        fh.write(worlds_lines("postfix.log").split(b"\n", 11)[-1])  # the kate message's delivery and on, again
    read = sum(step.bytes_read for step in ingest())
    assert read == len(worlds_lines("postfix.log").split(b"\n", 11)[-1])


def test_a_rotation_is_followed_without_counting_a_line_twice(app, world, worlds_logs, ingest, session):
    postfix, dovecot = worlds_logs
    ingest()
    half = worlds_lines("dovecot.log").splitlines(keepends=True)
    with open(dovecot, "ab") as fh:
        fh.writelines(half[:3])  # after the last run, before the rotation: in the renamed file
    os.rename(dovecot, f"{dovecot}.1")
    dovecot.write_bytes(b"".join(half[3:]))  # the new file
    os.rename(postfix, f"{postfix}.1")
    postfix.write_bytes(b"")
    steps = ingest()
    assert not any(step.missed for step in steps)
    session.expire_all()
    counted = by_domain(session)
    twice = {k: 2 * v for k, v in EXPECTED["example.org"].items() if "imap" in k or "pop3" in k}
    assert {k: v for k, v in counted["example.org"].items() if "imap" in k or "pop3" in k} == twice
    assert sum(step.lines for step in ingest()) == 0


def test_a_domain_admin_reads_their_domains_only(app, world, worlds_logs, ingest, session):
    ingest()
    dom = admin_actor(session, "dom")  # example.org
    assert nonzero(traffic.report(session, dom).totals) == EXPECTED["example.org"]
    assert nonzero(traffic.today(session, dom)) == EXPECTED["example.org"]
    assert [name for name, _ in traffic.by_domain(session, dom, 0)] == ["example.org"]
    with pytest.raises(NotFound):
        traffic.report(session, dom, 24, "other.org")
    senders = traffic.report(session, dom).top_senders
    assert senders == [("jack@example.org", 1)]
    everything = traffic.report(session, Actor.system()).totals
    assert everything["rejected"] == 5 and everything["received"] == 4


def test_helpdesk_reads_no_traffic(app, world, worlds_logs, ingest, session):
    ingest()
    with pytest.raises(Forbidden):
        traffic.report(session, admin_actor(session, "help"))


def test_hours_out_of_range_are_refused_in_the_users_units(session, world):
    with pytest.raises(ServiceError) as error:
        traffic.report(session, Actor.system(), 0)
    assert "1 to 2160 hours (90 days)" in str(error.value)


def test_old_hours_are_deleted_past_the_retention(app, world, worlds_logs, ingest, session):
    ingest()
    assert session.scalar(select(func.count()).select_from(TrafficHour)) > 0
    session.rollback()
    app.config["TRAFFIC_RETENTION_DAYS"] = 2
    ingest(now=datetime.now(timezone.utc) + timedelta(days=2, hours=2))
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TrafficHour)) == 0
    assert session.scalar(select(func.count()).select_from(TrafficTop)) == 0


def test_top_senders_stay_bounded_and_keep_the_busiest(app, world, log_files, ingest, session):
    postfix, _ = log_files
    stamp = datetime.now().strftime("%b %d %H:%M:%S")
    line = "{t} mx postfix/submission/smtpd[1]: {q}: client=localhost[127.0.0.1], sasl_method=PLAIN, sasl_username={u}"
    users = [f"user{n}@example.org" for n in range(60)] + ["hijacked@example.org"] * 100
    postfix.write_text("".join(line.format(t=stamp, q=f"A{n:09X}", u=u) + "\n" for n, u in enumerate(users)))
    ingest(limit=2000)
    kept = session.scalar(select(func.count()).select_from(TrafficTop).where(TrafficTop.kind == "sender"))
    assert kept <= traffic.TOP_KEPT
    top = traffic.report(session, Actor.system()).top_senders
    assert top[0][0] == "hijacked@example.org" and top[0][1] >= 100
    assert traffic.report(session, Actor.system()).totals["sent"] == 160  # the counts stay exact


def test_a_cursor_moved_by_another_run_counts_nothing(app, world, worlds_logs, session, monkeypatch):
    real = ingest_module.mt.read_chunk

    def another_run_moves_the_cursor(path, cursor, limit):
        chunk = real(path, cursor, limit)
        # Another connection's commit: this session's TrafficLog object keeps the old offset.
        moved = update(TrafficLog).values(offset=TrafficLog.offset + 1).execution_options(synchronize_session=False)
        session.execute(moved)
        return chunk

    monkeypatch.setattr(ingest_module.mt, "read_chunk", another_run_moves_the_cursor)
    with pytest.raises(traffic.Busy):
        traffic.ingest_step(session, Actor.system(), app.config)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(TrafficHour)) == 0


def test_missing_logs_are_reported_not_fatal(app, world, session, tmp_path):
    app.config.update(POSTFIX_LOG=str(tmp_path / "none.log"), DOVECOT_LOG=str(tmp_path / "none2.log"))
    steps = traffic.ingest_step(session, Actor.system(), app.config)
    assert [s.missing for s in steps] == [True, True]
