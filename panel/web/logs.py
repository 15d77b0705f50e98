"""The mail logs: the last lines of Postfix's or Dovecot's log, follow mode,
and one message's journey through both.

Which file is read comes from configuration (``POSTFIX_LOG``,
``DOVECOT_LOG``); the request only names "postfix" or "dovecot".
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext

from ..mailserver import maillog
from ..mailserver.tools import is_queue_id
from ..models import Role
from ..services import status
from .access import allow

bp = Blueprint("logs", __name__, url_prefix="/logs")

LOGS = {"postfix": "POSTFIX_LOG", "dovecot": "DOVECOT_LOG"}
LINE_CHOICES = (50, 200, 500, 1000, 5000)
FILTER_FIELDS = ("text", "queue_id", "address", "severity")


def _log_name() -> str:
    name = request.args.get("log", "postfix")
    return name if name in LOGS else "postfix"


def _path(name: str) -> str:
    return current_app.config[LOGS[name]]


def _args() -> dict[str, str]:
    args = {name: (request.args.get(name) or "").strip()[:254] for name in FILTER_FIELDS}
    if args["severity"] not in maillog.SEVERITIES:
        args["severity"] = ""
    return args


def _filter(args: dict[str, str]) -> maillog.LogFilter:
    return maillog.LogFilter(
        text=args["text"], queue_id=args["queue_id"], address=args["address"], severity=args["severity"]
    )


def _problem(exc: OSError, path: str) -> str:
    return gettext("The log %(path)s cannot be read: %(problem)s", path=path, problem=exc.strerror or exc)


@bp.get("/")
@allow(Role.SUPERADMIN)
def index():
    name, args = _log_name(), _args()
    lines = request.args.get("lines", type=int)
    lines = lines if lines in LINE_CHOICES else maillog.DEFAULT_LINES
    rotated = request.args.get("rotated") == "1"
    path = _path(name)
    result, problem = None, None
    try:
        result = maillog.tail(path, lines, _filter(args), rotated=rotated)
        if result.missing:
            problem = gettext("The log %(path)s does not exist yet.", path=path)
    except OSError as exc:
        problem = _problem(exc, path)
    return render_template(
        "logs/index.html",
        log=name,
        logs=LOGS,
        args=args,
        lines=lines,
        rotated=rotated,
        line_choices=LINE_CHOICES,
        severities=maillog.SEVERITIES,
        result=result,
        problem=problem,
        path=path,
    )


@bp.get("/follow")
@allow(Role.SUPERADMIN)
def follow():
    """New lines since ``cursor`` as JSON; the page's script appends them
    as text (never as HTML)."""
    name, args = _log_name(), _args()
    try:
        result = maillog.follow(_path(name), request.args.get("cursor"), _filter(args))
    except OSError as exc:
        return jsonify(error=_problem(exc, _path(name)), lines=[], cursor=request.args.get("cursor")), 200
    return jsonify(
        lines=[line.display for line in result.lines],
        # The same lines as the page marks them: [before, queue id, after, kind].
        marked=[[*line.parts, line.kind] for line in result.lines],
        cursor=result.cursor,
        rotated=result.rotated,
    )


@bp.get("/journey")
@allow(Role.SUPERADMIN)
def journey():
    queue_id = (request.args.get("queue_id") or "").strip()[:40]
    address = (request.args.get("address") or "").strip().lower()[:254]
    rotated = request.args.get("rotated") == "1"
    result, problem = None, None
    if queue_id and not is_queue_id(queue_id):
        problem = gettext("That is not a Postfix queue id.")
    elif address and "@" not in address:
        problem = gettext("Give a full address (user@example.org).")
    elif queue_id or address:
        try:
            result = maillog.journey(
                current_app.config["POSTFIX_LOG"],
                current_app.config["DOVECOT_LOG"],
                queue_id=queue_id,
                address=address,
                rotated=rotated,
            )
        except OSError as exc:
            problem = gettext("The logs cannot be read: %(problem)s", problem=exc.strerror or exc)
    # A missing or unreadable log is not "no line mentions it".
    unreadable = [r for r in status.check_logs(current_app.config) if r.state != status.OK]
    return render_template(
        "logs/journey.html",
        queue_id=queue_id,
        address=address,
        rotated=rotated,
        result=result,
        problem=problem,
        unreadable=unreadable,
    )
