"""The Postfix queue: what a superadmin may see and do, and its audit trail.

Reading goes through :mod:`panel.mailserver.queue` (streamed ``postqueue -j``),
acting through :mod:`panel.mailserver.tools`. Every action is recorded with the ids
it was given; the caller commits, so a failed command leaves no event. A
program that is missing, refused or timed out becomes
:class:`QueueUnavailable`, which pages show as a message.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ..languages import N_, Message, why
from ..mailserver import queue as mailqueue
from ..mailserver.queue import QueuedMessage, QueueFilter, QueuePage
from ..mailserver.tools import ActionResult, MailToolError, MailTools, validate_queue_ids
from . import audit
from .actor import Actor
from .errors import NotFound, ServiceError

ACTIONS = ("retry", "hold", "release", "requeue", "delete")
# Actions that cannot be undone ask for a confirmation first.
DESTRUCTIVE = frozenset({"delete"})
# postqueue -i takes one id per run; beyond this, flushing the queue is the tool.
MAX_RETRY_IDS = 200


class QueueUnavailable(ServiceError):
    """The queue programs could not run (missing, refused, timed out)."""

    status = 503

    def __init__(self, error: MailToolError):
        self.reason = error.reason
        super().__init__(None, why(error))


@contextmanager
def _tool_errors():
    try:
        yield
    except MailToolError as exc:
        if exc.reason == "invalid":
            raise ServiceError("ids", why(exc)) from None
        raise QueueUnavailable(exc) from None


def read_page(
    actor: Actor,
    tools: MailTools,
    filt: QueueFilter,
    *,
    sort: str = mailqueue.DEFAULT_SORT,
    per_page: int = 50,
    after: str | None = None,
    before: str | None = None,
) -> QueuePage:
    actor.require_superadmin()
    with _tool_errors(), tools.queue_lines() as lines:
        return mailqueue.read_page(lines, filt, sort, per_page, after, before)


def count_matching(actor: Actor, tools: MailTools, filt: QueueFilter) -> int:
    actor.require_superadmin()
    with _tool_errors(), tools.queue_lines() as lines:
        return sum(1 for _ in mailqueue.matching_ids(lines, filt))


def get_message(actor: Actor, tools: MailTools, queue_id: str) -> tuple[QueuedMessage | None, str, bool]:
    """The queue entry (None if it just left the queue) and ``postcat`` text,
    size-capped; the text is shown escaped."""
    actor.require_superadmin()
    with _tool_errors():
        (queue_id,) = validate_queue_ids([queue_id])
        with tools.queue_lines() as lines:
            entry = mailqueue.find(lines, queue_id)
        try:
            content, cut = tools.show_message(queue_id)
        except MailToolError as exc:
            if entry is None and exc.reason == "refused":
                raise NotFound("queue_id", Message(N_("%(queue_id)s is not in the queue"), queue_id=queue_id)) from None
            raise
    return entry, content.decode("utf-8", "replace"), cut


def _check_action(action: str, ids: list[str]) -> None:
    if action not in ACTIONS:
        raise ServiceError("action", _unknown(action))
    if not ids:
        raise ServiceError("ids", N_("no message selected"))
    if action == "retry" and len(ids) > MAX_RETRY_IDS:
        raise ServiceError(
            "ids",
            Message(
                N_("retry works on at most %(limit)s messages at once; flush the whole queue instead"),
                limit=MAX_RETRY_IDS,
            ),
        )


def _unknown(action: str) -> str:
    return Message(N_("unknown action %(action)s"), action=repr(action))


def _run(tools: MailTools, action: str, ids: list[str]) -> ActionResult:
    if action == "retry":
        return tools.retry(ids)
    return tools.postsuper_action(action, ids)


def act(session: Session, actor: Actor, tools: MailTools, action: str, ids) -> ActionResult:
    """One action on the given messages (one, or a selection)."""
    actor.require_superadmin()
    with _tool_errors():
        valid = validate_queue_ids(ids)
        _check_action(action, valid)
        result = _run(tools, action, valid)
    audit.record(session, actor, f"queue.{action}", _target(valid), ids=valid, affected=result.affected)
    return result


def act_matching(session: Session, actor: Actor, tools: MailTools, action: str, filt: QueueFilter) -> ActionResult:
    """One action on every message that matches the filter *now*."""
    actor.require_superadmin()
    if action not in ACTIONS:
        raise ServiceError("action", _unknown(action))
    with _tool_errors():
        with tools.queue_lines() as lines:
            ids = list(mailqueue.matching_ids(lines, filt, time.time()))
        _check_action(action, ids)
        result = _run(tools, action, ids)
    audit.record(
        session,
        actor,
        f"queue.{action}",
        "matching",
        ids=ids,
        affected=result.affected,
        filter={k: v for k, v in vars(filt).items() if v not in ("", None)},
    )
    return result


def flush(session: Session, actor: Actor, tools: MailTools) -> ActionResult:
    """``postqueue -f``: try every queued message now."""
    actor.require_superadmin()
    with _tool_errors():
        result = tools.flush()
    audit.record(session, actor, "queue.flush", "queue")
    return result


def _target(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else f"{len(ids)} messages"
