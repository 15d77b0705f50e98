"""Bulk actions on one domain's mailboxes: disable, enable, delete or set
the quota of a selection (ids or addresses) or of every mailbox matching
the list's filter (:class:`Matching`).

Each row goes through the single-row functions of :mod:`.mailboxes`, so
every rule holds (a quota within the domain's maximum and total, sessions
ended on disable, counters released on delete) and each row writes its own
audit event. The actor's right is checked once, for the domain, by the
rule the single-row actions use. A selection naming anything that is not a
mailbox of the domain is refused whole. Every row's problem is collected
and, if any row fails, nothing is changed: the rows are applied in a
savepoint that is rolled back. Never commits.

Scale: rows are read in keyset batches of BATCH (by local part: the
(domain_id, local_part) unique index) and let go after each batch; "all
matching" is counted only up to BULK_MAX + 1. One act touches at most
BULK_MAX mailboxes; more is refused before any row is read, with what to
do instead. It is one transaction, which on SQLite holds the one write
lock (Postfix and Dovecot read on, the panel's other writers wait), so it
must stay short: BULK_MAX rows take a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from ..languages import N_, Message, Nn_
from ..models import Domain, Mailbox
from ..sizes import SizeError, parse_count
from ..text import problem as text_problem
from . import mailboxes
from .actor import Actor
from .errors import Conflict, NotFound, ServiceError
from .lists.mailboxes import filter_clauses

ACTIONS = ("disable", "enable", "quota", "delete")
# The most mailboxes one bulk act touches (docs/web-panel.md).
BULK_MAX = 1000
# Rows read and applied at a time.
BATCH = 200
# Longer than any address (RFC 5321's 254, with room): never looked up.
ADDRESS_MAX = 320
# Addresses a confirmation names before "and N more".
SAMPLE = 3


@dataclass(frozen=True)
class Matching:
    """ "All matching" on a domain's list: its filter, not ids."""

    state: str | None = None
    unused: str | None = None


@dataclass
class Plan:
    """What a bulk act would touch, for its confirmation."""

    domain: Domain
    action: str
    count: int  # BULK_MAX + 1 at most: "more than BULK_MAX"
    sample: list[str]

    @property
    def too_many(self) -> bool:
        return self.count > BULK_MAX


@dataclass
class Outcome:
    changed: int
    unchanged: int  # already as asked (disabling a disabled mailbox)


class BulkRefused(ServiceError):
    """Some rows broke a rule; ``fields`` maps each of their addresses to
    its problem. Nothing was changed."""

    def __init__(self, domain: Domain, total: int, problems: dict[str, str]):
        # The same English either way; a language whose verb follows the
        # count of failing rows has its forms.
        failing = Nn_(
            "nothing was changed: %(count)s of the %(total)s mailboxes cannot be changed",
            "nothing was changed: %(count)s of the %(total)s mailboxes cannot be changed",
        )
        super().__init__(None, Message(failing, count=len(problems), total=total))
        self.fields = problems
        self.rows = total

    def grouped(self) -> dict[str, list[str]]:
        """The addresses of each problem (often one for every row)."""
        groups: dict[str, list[str]] = {}
        for address, problem in self.fields.items():
            groups.setdefault(problem, []).append(address)
        return groups


def plan(session: Session, actor: Actor, domain: Domain, action: str, selection, quota=None) -> Plan:
    """Check the act without doing it: the rights, the action, the quota as
    typed and the selection; count it (up to BULK_MAX + 1)."""
    _check(actor, domain, action)
    if action == "quota":
        mailboxes.parse_quota(domain, _typed_quota(quota))
    where = _where(session, domain, selection)
    count = _bounded_count(session, where)
    sample = list(session.scalars(select(Mailbox.address).where(*where).order_by(Mailbox.local_part).limit(SAMPLE)))
    return Plan(domain, action, count, sample)


def bulk_update(
    session: Session,
    actor: Actor,
    domain: Domain,
    action: str,
    selection,
    *,
    quota=None,
    expected: int | None = None,
) -> Outcome:
    """Apply ``action`` to the selected mailboxes of ``domain``, all or none.

    ``selection``: a list of mailbox ids and/or addresses, or a
    :class:`Matching` filter. ``quota`` (action "quota"): as typed, "2G".
    ``expected``: the count the confirmation showed; another count now
    (rows came or went since) refuses the act, nothing changed.
    """
    _check(actor, domain, action)
    if action == "quota":
        quota = _typed_quota(quota)
    where = _where(session, domain, selection)
    if _bounded_count(session, where) > BULK_MAX:
        raise ServiceError("selection", too_many_message(domain))
    problems: dict[str, str] = {}
    outcome = Outcome(0, 0)
    with session.begin_nested():  # leaving by an exception undoes every row
        for batch in _batches(session, where):
            for mailbox in batch:
                try:
                    changed = _apply(session, actor, mailbox, action, quota)
                except ServiceError as error:
                    if not error.fields:  # a refusal of the act itself
                        raise
                    problems[mailbox.address] = _problem(error)
                    continue
                outcome.changed += changed
                outcome.unchanged += not changed
            session.flush()
            _let_go(session, batch)
        total = outcome.changed + outcome.unchanged + len(problems)
        if total > BULK_MAX:  # rows added while this ran
            raise ServiceError("selection", too_many_message(domain))
        if problems:
            raise BulkRefused(domain, total, problems)
        if expected is not None and total != expected:
            raise Conflict(
                "selection",
                Message(
                    Nn_(
                        "the selection changed since it was confirmed (%(count)s mailbox then, %(total)s now);"
                        " nothing was changed: confirm again",
                        "the selection changed since it was confirmed (%(count)s mailboxes then, %(total)s now);"
                        " nothing was changed: confirm again",
                    ),
                    count=expected,
                    total=total,
                ),
            )
    return outcome


def matching_count(session: Session, actor: Actor, domain: Domain, matching: Matching) -> int:
    """The list's "select all matching (N)": the domain's counter when
    nothing is filtered, else a count that stops past BULK_MAX."""
    actor.require_sight(domain.id)
    if not matching.state and not matching.unused:
        return domain.mailbox_count
    return _bounded_count(session, _where(session, domain, matching))


def _bounded_count(session: Session, where: list) -> int:
    """Stops past BULK_MAX: bounded work in a 2M-mailbox domain."""
    return session.scalar(
        select(func.count()).select_from(select(Mailbox.id).where(*where).limit(BULK_MAX + 1).subquery())
    )


def _problem(error: ServiceError) -> str:
    """A row's problem: its one message as it came (a page translates it),
    or several joined."""
    messages = list(error.fields.values())
    return messages[0] if len(messages) == 1 else error.in_words()


def too_many_message(domain: Domain) -> str:
    return Message(
        N_(
            "one bulk action changes at most %(limit)s mailboxes: narrow the filter, or repeat the action"
            " (a state filter then picks the rest), or use the command line for all of %(domain)s"
        ),
        limit=BULK_MAX,
        domain=domain.name,
    )


def _check(actor: Actor, domain: Domain, action: str) -> None:
    actor.require_manage(domain.id)  # once: every row is of this domain
    if action not in ACTIONS:
        raise ServiceError("action", N_("choose disable, enable, quota or delete"))


def _typed_quota(quota) -> str:
    if quota is None or str(quota).strip() == "":
        raise ServiceError("quota", N_("type the new quota, like 500M or 2G"))
    return str(quota).strip()


def _where(session: Session, domain: Domain, selection) -> list:
    """WHERE clauses picking the selected mailboxes of ``domain``."""
    if isinstance(selection, Matching):
        return [Mailbox.domain_id == domain.id, *filter_clauses(selection.state, selection.unused)]
    return [Mailbox.domain_id == domain.id, Mailbox.id.in_(_selected_ids(session, domain, selection))]


def _selected_ids(session: Session, domain: Domain, selection) -> list[int]:
    """The ids of the listed mailboxes, refused whole if any item is not a
    mailbox of ``domain`` — in words that do not tell whether it is
    another domain's or nobody's."""
    items = list(dict.fromkeys(str(item).strip() for item in selection or ()))
    if not items:
        raise ServiceError("selection", N_("select at least one mailbox"))
    if len(items) > BULK_MAX:
        raise ServiceError("selection", too_many_message(domain))
    ids, addresses, strangers = [], [], []
    for item in items:
        if text_problem(item) or len(item) > ADDRESS_MAX:
            strangers.append(item[:ADDRESS_MAX])  # never sent to the database
        elif "@" in item:
            addresses.append(item.lower())
        else:
            try:
                ids.append(parse_count(item))
            except SizeError:
                strangers.append(item)
    found: dict[str, int] = {}
    for chunk in _chunks(ids):
        query = select(Mailbox.id).where(Mailbox.domain_id == domain.id, Mailbox.id.in_(chunk))
        found.update((str(i), i) for i in session.scalars(query))
    for chunk in _chunks(addresses):
        query = select(Mailbox.address, Mailbox.id).where(Mailbox.domain_id == domain.id, Mailbox.address.in_(chunk))
        found.update({address: id_ for address, id_ in session.execute(query)})
    strangers += [item for item in [*map(str, ids), *addresses] if item not in found]
    if strangers:
        shown, more = ", ".join(strangers[:SAMPLE]), len(strangers) - SAMPLE
        if more > 0:
            message = Message(
                N_("not mailboxes of %(domain)s: %(items)s and %(more)s more; nothing was changed"),
                domain=domain.name,
                items=shown,
                more=more,
            )
        else:
            message = Message(
                N_("not mailboxes of %(domain)s: %(items)s; nothing was changed"), domain=domain.name, items=shown
            )
        raise NotFound("selection", message)
    return sorted(set(found.values()))


def _chunks(values: list) -> list[list]:
    values = iter(values)
    return list(iter(lambda: list(islice(values, BATCH)), []))


def _batches(session: Session, where: list):
    """The selected mailboxes, BATCH at a time, by local part (keyset: a
    row changed or deleted by this act is behind the next batch's start)."""
    last = None
    while True:
        query = select(Mailbox).where(*where)
        if last is not None:
            query = query.where(Mailbox.local_part > last)
        batch = list(session.scalars(query.order_by(Mailbox.local_part).limit(BATCH)))
        if not batch:
            return
        last = batch[-1].local_part
        yield batch


def _apply(session: Session, actor: Actor, mailbox: Mailbox, action: str, quota: str | None) -> bool:
    """One row through the single-row service; did it change?"""
    if action == "delete":
        mailboxes.delete_mailbox(session, actor, mailbox)
        return True
    before = (mailbox.active, mailbox.quota_bytes)
    if action == "quota":
        mailboxes.update_mailbox(session, actor, mailbox, quota=quota)
    else:
        mailboxes.set_mailbox_active(session, actor, mailbox, action == "enable")
    return (mailbox.active, mailbox.quota_bytes) != before


def _let_go(session: Session, batch: list[Mailbox]) -> None:
    """Keep memory flat: a flushed batch leaves the session."""
    for mailbox in batch:
        if inspect(mailbox).persistent:
            session.expunge(mailbox)
