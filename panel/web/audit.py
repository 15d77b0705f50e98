"""The audit log (superadmin): filters by actor, action, target and date; newest first."""

from flask import Blueprint, render_template, request

from ..db import get_session
from ..models import Role
from ..services import Forbidden, ServiceError, lists
from .access import allow, current_actor

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@allow(Role.SUPERADMIN)
def index():
    db, actor = get_session(), current_actor()
    values = {k: request.args.get(k, "") for k in ("actor", "action", "target", "since", "until")}
    try:
        filters = lists.AuditFilter.parse(request.args)
        page = lists.audit_page(db, actor, filters, request.args.get("after"), request.args.get("before"))
    except ServiceError as error:
        if isinstance(error, Forbidden):
            raise
        return render_template(
            "audit/index.html", page=None, values=values, errors=error.fields, details=lists.audit_details
        ), 422
    return render_template("audit/index.html", page=page, values=values, errors={}, details=lists.audit_details)
