"""Ingesting the mail logs into the traffic rollup, one step at a time.

A step reads at most one chunk of each log after its cursor, counts it and
adds the counts, the top lists and the new cursor in the caller's
transaction: a crash loses the step, never counts it twice. The caller
(``flask traffic ingest``) commits after each step and repeats while a log
has more, so the work is proportional to the new lines and a 2 GB backlog
is a few hundred short transactions.

Two ingestions at once (a slow run overlapping the next cron minute) cannot
both count a chunk: the cursor is moved with ``UPDATE … WHERE offset = <the
offset this step started from>``, and the one that finds the row moved gives
up with :class:`Busy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...languages import N_, Message
from ...mailserver import traffic as mt
from ...models import AliasDomain, Domain, TrafficHour, TrafficLog, TrafficMessage, TrafficTop, utcnow
from ...models.traffic import TOP_NAME_MAX
from ..actor import Actor
from ..errors import Conflict

LOGS = {"postfix": "POSTFIX_LOG", "dovecot": "DOVECOT_LOG"}
TOP_KEPT = 20  # names kept per hour, domain and top list
MESSAGE_DAYS = 7  # a queued message's state is forgotten after this (queue lifetime is 5 days)
_IN_CHUNK = 500  # names per IN (...) list


class Busy(Conflict):
    """Another ingestion moved the cursor meanwhile: this step counted nothing."""

    def __init__(self, log: str):
        super().__init__(
            None, Message(N_("another ingestion of the %(log)s log is running; nothing was counted twice"), log=log)
        )


@dataclass
class Step:
    log: str
    path: str
    bytes_read: int = 0
    lines: int = 0
    more: bool = False  # call again: the log has more after this step
    missing: bool = False
    problem: str = ""  # the log cannot be read, and why
    missed: bool = False  # a rotated file was gone: lines may have been skipped


def ingest_step(session: Session, actor: Actor, config, limit: int = mt.CHUNK, now: datetime | None = None):
    """One chunk of each log into the rollup; old rows past the retention deleted."""
    actor.require_superadmin()
    now = now or utcnow()
    steps = [_ingest_log(session, name, config.get(key) or "", limit, now) for name, key in LOGS.items()]
    expire(session, int(config.get("TRAFFIC_RETENTION_DAYS") or 40), now)
    return steps


def _log_row(session: Session, name: str) -> TrafficLog:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    blank = dict(name=name, path="", inode=0, offset=0, head="", lines=0, totals={})
    session.execute(dialect.insert(TrafficLog).values(**blank).on_conflict_do_nothing(index_elements=["name"]))
    return session.execute(select(TrafficLog).where(TrafficLog.name == name)).scalar_one()


def _ingest_log(session: Session, name: str, path: str, limit: int, now: datetime) -> Step:
    step = Step(name, path)
    row = _log_row(session, name)
    start = mt.Cursor(row.inode, row.offset, row.head) if row.offset else None
    try:
        chunk = mt.read_chunk(path, start, limit)
    except FileNotFoundError:
        step.missing = True
        return step
    except OSError as exc:
        step.problem = f"{path}: {exc.strerror or exc}"
        return step
    _claim(session, row, chunk, path, now)
    tally = mt.Tally(resolve=lambda names: hosted(session, names), clock=mt.Clock(now))
    if name == "postfix":
        tally.messages = _load_messages(session)
    before = {qid: _message_key(m) for qid, m in tally.messages.items()}
    tally.add_lines(chunk.lines)
    _add_counts(session, tally.counts)
    _add_tops(session, tally.tops)
    if name == "postfix":
        tally.forget_before(mt.hour_number(now) - MESSAGE_DAYS * 24)
        _save_messages(session, before, tally.messages)
    _add_totals(session, row, tally.counts)
    step.bytes_read, step.lines, step.more, step.missed = chunk.bytes_read, len(chunk.lines), chunk.more, chunk.missed
    step.more = step.more and chunk.bytes_read > 0
    return step


def _claim(session: Session, row: TrafficLog, chunk: mt.Chunk, path: str, now: datetime) -> None:
    """Move the cursor, only if no one else moved it since we read it."""
    moved = session.execute(
        update(TrafficLog)
        .where(TrafficLog.name == row.name, TrafficLog.inode == row.inode, TrafficLog.offset == row.offset)
        .values(
            path=path,
            inode=chunk.cursor.inode,
            offset=chunk.cursor.offset,
            head=chunk.cursor.head,
            lines=TrafficLog.lines + len(chunk.lines),
            ingested_at=now,
            missed_at=now if chunk.missed else TrafficLog.missed_at,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Busy(row.name)


def hosted(session: Session, names: set[str]) -> dict[str, str]:
    """Which of ``names`` the server hosts: name -> the domain it counts for
    (an alias domain counts for its target)."""
    found: dict[str, str] = {}
    ordered = sorted(names)
    for i in range(0, len(ordered), _IN_CHUNK):
        part = ordered[i : i + _IN_CHUNK]
        found.update((n, n) for n in session.scalars(select(Domain.name).where(Domain.name.in_(part))))
        aliases = select(AliasDomain.name, AliasDomain.target_name).where(AliasDomain.name.in_(part))
        found.update((alias, target) for alias, target in session.execute(aliases))
    return found


def _insert(session: Session, model):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _add_counts(session: Session, counts: dict) -> None:
    """Add to the hour rows in SQL (``INSERT … ON CONFLICT DO UPDATE SET n =
    n + excluded.n``): the Postfix and the Dovecot ingestion may add to the
    same row at the same time."""
    rows = [{"hour": h, "domain": d, **mt.named(values)} for (h, d), values in counts.items()]
    for i in range(0, len(rows), _IN_CHUNK):
        statement = _insert(session, TrafficHour).values(rows[i : i + _IN_CHUNK])
        increments = {c: getattr(TrafficHour, c) + statement.excluded[c] for c in mt.COUNTERS}
        session.execute(statement.on_conflict_do_update(index_elements=["hour", "domain"], set_=increments))


def _add_tops(session: Session, tops: dict) -> None:
    """Merge the batch's top lists into the stored ones (only the Postfix
    ingestion writes them, under its cursor's claim)."""
    for (hour, domain, kind), batch in tops.items():
        batch = _capped(batch)
        where = [TrafficTop.hour == hour, TrafficTop.domain == domain, TrafficTop.kind == kind]
        kept = {name: count for name, count in session.execute(select(TrafficTop.name, TrafficTop.count).where(*where))}
        merged = mt.merge_top(kept, batch, TOP_KEPT)
        gone = [name for name in kept if name not in merged]
        if gone:
            session.execute(delete(TrafficTop).where(*where, TrafficTop.name.in_(gone)))
        changed = [{"n": name, "c": count} for name, count in merged.items() if name in kept and kept[name] != count]
        for item in changed:
            session.execute(update(TrafficTop).where(*where, TrafficTop.name == item["n"]).values(count=item["c"]))
        new = [dict(hour=hour, domain=domain, kind=kind, name=n, count=c) for n, c in merged.items() if n not in kept]
        if new:
            session.execute(_insert(session, TrafficTop).values(new))


def _capped(batch):
    """Names fit the column (a reason is already short; an address may not be)."""
    if all(len(name) <= TOP_NAME_MAX for name in batch):
        return batch
    capped = type(batch)()
    for name, count in batch.items():
        capped[name[:TOP_NAME_MAX]] += count
    return capped


def _add_totals(session: Session, row: TrafficLog, counts: dict) -> None:
    totals = dict(row.totals or {})
    for values in counts.values():
        for name, value in mt.named(values).items():
            if value:
                totals[name] = totals.get(name, 0) + value
    session.execute(update(TrafficLog).where(TrafficLog.name == row.name).values(totals=totals))


def _message_key(message: mt.Message) -> tuple:
    return (message.sender, " ".join(sorted(message.received)), message.hour)


def _load_messages(session: Session) -> dict[str, mt.Message]:
    rows = session.execute(select(TrafficMessage)).scalars()
    return {r.queue_id: mt.Message(r.sender, set(r.received.split()), r.hour) for r in rows}


def _save_messages(session: Session, before: dict[str, tuple], after: dict[str, mt.Message]) -> None:
    gone = [qid for qid in before if qid not in after]
    for i in range(0, len(gone), _IN_CHUNK):
        session.execute(delete(TrafficMessage).where(TrafficMessage.queue_id.in_(gone[i : i + _IN_CHUNK])))
    rows = []
    for qid, message in after.items():
        key = _message_key(message)
        if before.get(qid) != key:
            rows.append({"queue_id": qid[:40], "sender": key[0][:254], "received": key[1], "hour": key[2]})
    for i in range(0, len(rows), _IN_CHUNK):
        statement = _insert(session, TrafficMessage).values(rows[i : i + _IN_CHUNK])
        fields = {name: statement.excluded[name] for name in ("sender", "received", "hour")}
        session.execute(statement.on_conflict_do_update(index_elements=["queue_id"], set_=fields))


def expire(session: Session, days: int, now: datetime) -> None:
    """Delete the hours older than the retention (``TRAFFIC_RETENTION_DAYS``)."""
    oldest = mt.hour_number(now) - days * 24
    session.execute(delete(TrafficHour).where(TrafficHour.hour < oldest))
    session.execute(delete(TrafficTop).where(TrafficTop.hour < oldest))
