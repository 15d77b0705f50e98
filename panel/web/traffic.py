"""The traffic page: the last 24 hours and 30 days of mail and logins as
charts, the top reject reasons and SASL senders, the busiest domains.

Superadmins see every domain, domain admins theirs (the services scope
every read); ``?domain=`` narrows to one. The numbers come from the rollup
that ``flask traffic ingest`` fills (cron, every minute); the page says so
when that has not run lately.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import format_date, get_locale, gettext

from ..db import get_session
from ..languages import DEFAULT, N_
from ..mailserver import traffic as mt
from ..models import Role
from ..services import traffic
from ..services.errors import ServiceError
from . import charts
from .access import allow, current_actor

bp = Blueprint("traffic", __name__, url_prefix="/traffic")

# The counters and their labels in English; _labels() translates them for a page.
MAIL = (
    ("received", N_("Received")),
    ("delivered", N_("Delivered")),
    ("rejected", N_("Rejected")),
    ("sent", N_("Sent (SMTP AUTH)")),
)
TROUBLE = (("deferred", N_("Deferred")), ("bounced", N_("Bounced")))
LOGINS = (
    ("imap_logins", N_("IMAP logins")),
    ("imap_failed", N_("IMAP failed")),
    ("pop3_logins", N_("POP3 logins")),
    ("pop3_failed", N_("POP3 failed")),
    ("smtp_failed", N_("SMTP AUTH failed")),
)


def _labels(names) -> list[tuple[str, str]]:
    return [(name, gettext(label)) for name, label in names]


def _day_label(when) -> str:
    """A day on the 30-day charts' axis: "04 Dec" in English, "04 déc." in French."""
    locale = get_locale()
    if locale is None or locale.language == DEFAULT:
        return f"{when:%d %b}"
    return format_date(when, "dd MMM")


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
        problem, domain = gettext("No domain %(domain)s among yours: showing all of them.", domain=domain), None
        day = traffic.report(db, actor, 24, None)
    month = traffic.daily(db, actor, 30, domain)
    since_month = mt.hour_number(day.hours[-1][0]) - 30 * 24 + 1
    hour_labels = [f"{start:%H}h" for start, _ in day.hours]
    day_labels = [_day_label(when) for when, _ in month]
    charts_ = {
        "mail_day": _chart(gettext("Mail, last 24 hours"), day.hours, hour_labels, _labels(MAIL + TROUBLE), 3),
        "logins_day": _chart(gettext("Logins, last 24 hours"), day.hours, hour_labels, _labels(LOGINS), 3),
        "mail_month": _chart(gettext("Mail, last 30 days"), month, day_labels, _labels(MAIL + TROUBLE), 5),
        "logins_month": _chart(gettext("Logins, last 30 days"), month, day_labels, _labels(LOGINS), 5),
    }
    return render_template(
        "traffic/index.html",
        domain=domain,
        problem=problem,
        day=day,
        month=month,
        charts=charts_,
        names=_labels(MAIL + TROUBLE + LOGINS),
        month_rejects=traffic.top(db, actor, mt.REJECTS, since_month, domain),
        month_senders=traffic.top(db, actor, mt.SENDERS, since_month, domain),
        domains=[] if domain else traffic.by_domain(db, actor, mt.hour_number(day.hours[0][0])),
        freshness=traffic.freshness(db, actor),
        top_kept=traffic.TOP_KEPT,
    )
