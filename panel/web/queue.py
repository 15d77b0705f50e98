"""The Postfix queue page: totals, filters, one page of messages, actions."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext

from ..db import get_session
from ..i18n import in_words, translated
from ..languages import N_
from ..mailserver.queue import QUEUES, SORTS, QueueFilter
from ..mailserver.tools import MailTools
from ..models import Role
from ..services import queue as queue_service
from ..services import status
from ..services.errors import NotFound, ServiceError
from .access import allow, current_actor

bp = Blueprint("queue", __name__, url_prefix="/queue")

# Age choices of the filter form: value -> (label, min_age, max_age) in seconds.
AGES = {
    "": (N_("any age"), None, None),
    "young": (N_("younger than 1 hour"), None, 3600),
    "1h": (N_("older than 1 hour"), 3600, None),
    "6h": (N_("older than 6 hours"), 6 * 3600, None),
    "1d": (N_("older than 1 day"), 24 * 3600, None),
    "7d": (N_("older than 7 days"), 7 * 24 * 3600, None),
}
FILTER_FIELDS = ("queue", "sender", "recipient", "domain", "reason", "age")
PER_PAGE = (25, 50, 100, 200)
# The labels in English; pages show them through _action_labels() (translated).
ACTION_LABELS = {
    "retry": N_("Retry now"),
    "hold": N_("Hold"),
    "release": N_("Release"),
    "requeue": N_("Requeue"),
    "delete": N_("Delete"),
}


def _action_labels() -> dict[str, str]:
    return {name: gettext(label) for name, label in ACTION_LABELS.items()}


def _tools() -> MailTools:
    return MailTools.from_config(current_app.config)


def _filter_args(source) -> dict[str, str]:
    """The filter as plain strings, cut to a sane length (for links and forms)."""
    args = {name: (source.get(name) or "").strip()[:254] for name in FILTER_FIELDS}
    if args["queue"] not in QUEUES:
        args["queue"] = ""
    if args["age"] not in AGES:
        args["age"] = ""
    return args


def _filter(args: dict[str, str]) -> QueueFilter:
    _, min_age, max_age = AGES[args["age"]]
    return QueueFilter(
        queue=args["queue"],
        sender=args["sender"],
        recipient=args["recipient"],
        domain=args["domain"],
        reason=args["reason"],
        min_age=min_age,
        max_age=max_age,
    )


def _per_page() -> int:
    value = request.args.get("per_page", type=int)
    return value if value in PER_PAGE else PER_PAGE[1]


@bp.get("/")
@allow(Role.SUPERADMIN)
def index():
    args = _filter_args(request.args)
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "oldest"
    page, problem, down = None, None, None
    postfix = status.check_postfix(current_app.config)
    try:
        if postfix.state != status.OK:
            # postqueue would read the spool directly and show a normal queue.
            down = gettext(
                "%(reason)s: nothing is being delivered. %(todo)s",
                reason=translated(postfix.reason),
                todo=translated(postfix.todo),
            )
            raise ServiceError(None, down)
        page = queue_service.read_page(
            current_actor(),
            _tools(),
            _filter(args),
            sort=sort,
            per_page=_per_page(),
            after=request.args.get("after"),
            before=request.args.get("before"),
        )
    except ServiceError as exc:
        problem = in_words(exc)
    link_args = {k: v for k, v in args.items() if v}
    link_args.update(sort=sort, per_page=_per_page())
    # 503 when Postfix is down or the queue cannot be read: monitoring and
    # scripts must not take it for an empty queue.
    code = 503 if problem else 200
    return render_template(
        "queue/index.html",
        page=page,
        problem=problem,
        args=args,
        sort=sort,
        link_args=link_args,
        per_page=_per_page(),
        queues=QUEUES,
        ages=AGES,
        sorts=SORTS,
        actions=_action_labels(),
        postfix_down=down,
    ), code


@bp.get("/message/<queue_id>")
@allow(Role.SUPERADMIN)
def show(queue_id: str):
    entry, content, cut, problem, status = None, "", False, None, 200
    try:
        entry, content, cut = queue_service.get_message(current_actor(), _tools(), queue_id)
    except NotFound as exc:
        problem, status = in_words(exc), 404
    except ServiceError as exc:
        problem = in_words(exc)
    return render_template(
        "queue/message.html",
        queue_id=queue_id[:40],
        entry=entry,
        content=content,
        cut=cut,
        problem=problem,
        actions=_action_labels(),
    ), status


@bp.post("/action")
@allow(Role.SUPERADMIN)
def action():
    name = request.form.get("action", "")
    scope = "matching" if request.form.get("scope") == "matching" else "selected"
    ids = request.form.getlist("ids")
    args = _filter_args(request.form)
    back = url_for("queue.index", **{k: v for k, v in args.items() if v})
    if name not in ACTION_LABELS:
        flash(gettext("Choose an action."), "error")
        return redirect(back)
    if scope == "selected" and not ids:
        flash(gettext("Select at least one message."), "error")
        return redirect(back)
    needs_confirmation = name in queue_service.DESTRUCTIVE or scope == "matching"
    if needs_confirmation and request.form.get("confirmed") != "yes":
        return _confirm(name, scope, ids, args)
    return _perform(name, scope, ids, args, back)


def _confirm(name, scope, ids, args):
    count, problem = None, None
    if scope == "matching":
        try:
            count = queue_service.count_matching(current_actor(), _tools(), _filter(args))
        except ServiceError as exc:
            problem = in_words(exc)
    return render_template(
        "queue/confirm.html",
        action=name,
        label=gettext(ACTION_LABELS[name]),
        scope=scope,
        ids=ids[:1000],
        more=max(0, len(ids) - 1000),
        args=args,
        count=count,
        problem=problem,
        ages=AGES,
    )


def _perform(name, scope, ids, args, back):
    db = get_session()
    try:
        if scope == "matching":
            result = queue_service.act_matching(db, current_actor(), _tools(), name, _filter(args))
        else:
            result = queue_service.act(db, current_actor(), _tools(), name, ids)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        label = gettext(ACTION_LABELS[name])
        flash(gettext("%(action)s failed: %(problem)s", action=label, problem=in_words(exc)), "error")
        return redirect(back)
    total = len(result.ids)
    if result.affected is not None:
        done = gettext("%(affected)s of %(total)s", affected=result.affected, total=total)
    else:
        done = f"{total}"
    shown = ", ".join(result.ids[:10]) + (" …" if len(result.ids) > 10 else "")
    label = gettext(ACTION_LABELS[name])
    flash(
        ngettext(
            "%(action)s: %(done)s message (%(ids)s).",
            "%(action)s: %(done)s messages (%(ids)s).",
            total,
            action=label,
            done=done,
            ids=shown,
        )
    )
    return redirect(back)


@bp.post("/flush")
@allow(Role.SUPERADMIN)
def flush():
    db = get_session()
    try:
        queue_service.flush(db, current_actor(), _tools())
        db.commit()
        flash(gettext("Postfix is trying every queued message now."))
    except ServiceError as exc:
        db.rollback()
        flash(gettext("The queue could not be retried: %(problem)s", problem=in_words(exc)), "error")
    return redirect(url_for("queue.index"))
