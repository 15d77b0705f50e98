"""The traffic page: the last 24 hours and 30 days of mail and logins as
charts, the top reject reasons and SASL senders, the busiest domains.

Superadmins see every domain, domain admins theirs (the services scope
every read); ``?domain=`` narrows to one. The numbers come from the rollup
that ``flask traffic ingest`` fills (cron, every minute); the page says so
when that has not run lately.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..db import get_session
from ..mailserver import traffic as mt
from ..models import Role
from ..services import traffic
from ..services.errors import ServiceError
from . import charts
from .access import allow, current_actor

bp = Blueprint("traffic", __name__, url_prefix="/traffic")

MAIL = (("received", "Received"), ("delivered", "Delivered"), ("rejected", "Rejected"), ("sent", "Sent (SMTP AUTH)"))
TROUBLE = (("deferred", "Deferred"), ("bounced", "Bounced"))
LOGINS = (
    ("imap_logins", "IMAP logins"),
    ("imap_failed", "IMAP failed"),
    ("pop3_logins", "POP3 logins"),
    ("pop3_failed", "POP3 failed"),
    ("smtp_failed", "SMTP AUTH failed"),
)


def _chart(title: str, rows: list, labels: list[str], names, every: int) -> charts.Chart:
    series = [(name, label, [counts[name] for _, counts in rows]) for name, label in names]
    return charts.line_chart(title, labels, series, every)


@bp.get("/")
@allow(Role.SUPERADMIN, Role.DOMAINADMIN)
def index():
    db, actor = get_session(), current_actor()
    domain = (request.args.get("domain") or "").strip().lower()[:253] or None
    problem = None
    try:
        day = traffic.report(db, actor, 24, domain)
    except ServiceError as exc:
        if exc.status != 404:
            raise
        problem, domain = f"No domain {domain} among yours: showing all of them.", None
        day = traffic.report(db, actor, 24, None)
    month = traffic.daily(db, actor, 30, domain)
    since_month = mt.hour_number(day.hours[-1][0]) - 30 * 24 + 1
    hour_labels = [f"{start:%H}h" for start, _ in day.hours]
    day_labels = [f"{when:%d %b}" for when, _ in month]
    charts_ = {
        "mail_day": _chart("Mail, last 24 hours", day.hours, hour_labels, MAIL + TROUBLE, 3),
        "logins_day": _chart("Logins, last 24 hours", day.hours, hour_labels, LOGINS, 3),
        "mail_month": _chart("Mail, last 30 days", month, day_labels, MAIL + TROUBLE, 5),
        "logins_month": _chart("Logins, last 30 days", month, day_labels, LOGINS, 5),
    }
    return render_template(
        "traffic/index.html",
        domain=domain,
        problem=problem,
        day=day,
        month=month,
        charts=charts_,
        names=MAIL + TROUBLE + LOGINS,
        month_rejects=traffic.top(db, actor, mt.REJECTS, since_month, domain),
        month_senders=traffic.top(db, actor, mt.SENDERS, since_month, domain),
        domains=[] if domain else traffic.by_domain(db, actor, mt.hour_number(day.hours[0][0])),
        freshness=traffic.freshness(db, actor),
        top_kept=traffic.TOP_KEPT,
    )
