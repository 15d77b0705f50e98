"""The audit log (superadmin): filters by actor, action, target and date;
newest first; the same filtered list as CSV."""

import csv
import io

from flask import Blueprint, Response, render_template, request, stream_with_context

from ..bulk.exporter import neutralise
from ..db import get_session
from ..models import Role, utc_iso
from ..services import ServiceError, lists
from .access import allow, current_actor
from .filters import shown_details
from .forms import form_errors

bp = Blueprint("audit", __name__, url_prefix="/audit")

FILTERS = ("actor", "action", "target", "since", "until")
CSV_COLUMNS = ["at", "actor", "action", "target", "details", "remote_addr"]


def _render(page, values, errors, status=200):
    return render_template(
        "audit/index.html",
        page=page,
        values=values,
        errors=errors,
        details=shown_details,
        csv_args={k: v for k, v in values.items() if v},
    ), status


@bp.get("/")
@allow(Role.SUPERADMIN)
def index():
    db, actor = get_session(), current_actor()
    values = {k: request.args.get(k, "") for k in FILTERS}
    try:
        filters = lists.AuditFilter.parse(request.args)
        page = lists.audit_page(db, actor, filters, request.args.get("after"), request.args.get("before"))
    except ServiceError as error:
        return _render(None, values, form_errors(error), 422)
    return _render(page, values, {})


@bp.get("/export.csv")
@allow(Role.SUPERADMIN)
def export():
    """What the page's filters match, every page of it, streamed."""
    actor = current_actor()
    values = {k: request.args.get(k, "") for k in FILTERS}
    try:
        filters = lists.AuditFilter.parse(request.args)
    except ServiceError as error:
        return _render(None, values, form_errors(error), 422)
    return Response(
        stream_with_context(_csv(actor, filters)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


def _csv(actor, filters):
    # The request's session is gone once the view returns: read through the
    # session of the context the stream runs in (as the mailbox export does).
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for chunk in lists.audit_rows(get_session(), actor, filters):
        for event in chunk:
            cells = [
                utc_iso(event.at),
                event.actor,
                event.action,
                event.target,
                event.details or "",
                event.remote_addr or "",
            ]
            writer.writerow([neutralise(cell) for cell in cells])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
