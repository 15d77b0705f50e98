"""Dashboard: totals and the largest domains, near-full mailboxes, recent events."""

from flask import Blueprint, current_app, render_template

from ..db import get_session
from ..models import Role
from ..services import lists, status, traffic
from .access import ALL_ROLES, allow, current_actor

bp = Blueprint("home", __name__)


@bp.get("/")
@allow(*ALL_ROLES)
def index():
    db, actor = get_session(), current_actor()
    if actor.role is Role.HELPDESK:
        return render_template("home/helpdesk.html")
    # Superadmins see the mail system's state first (the failing checks).
    checks = status.cached(db, current_app.config) if actor.role is Role.SUPERADMIN else None
    return render_template(
        "home/index.html",
        checks=checks,
        checks_state=status.worst(checks) if checks else None,
        totals=lists.domain_totals(db, actor),
        domains=lists.largest_domains(db, actor),
        near_quota=lists.near_quota(db, actor),
        events=lists.recent_events(db, actor),
        near_share=int(lists.NEAR_QUOTA * 100),
        traffic_today=traffic.today(db, actor),
    )
