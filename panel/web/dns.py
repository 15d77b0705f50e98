"""A domain's DNS tab: the records to publish, the last live check of them
("Check now" runs one), and its DKIM keys (generate, activate, retire).
Public keys only: no page reads a private key."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext

from ..db import get_session
from ..i18n import translated
from ..languages import Message
from ..models import Role
from ..services import ServiceError, dkim, dns_check, dns_records, lists
from .access import allow, current_actor

bp = Blueprint("dns", __name__)

MANAGERS = (Role.SUPERADMIN, Role.DOMAINADMIN)


def _domain(name: str):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, name)
    actor.require_manage(row.id)
    return db, actor, row


@bp.get("/domains/<domain>/dns")
@allow(*MANAGERS)
def index(domain):
    db, actor, row = _domain(domain)
    keys = dkim.list_keys(db, actor, row)
    live = [key for key in keys if key.state in dkim.LIVE_STATES]
    records = dns_records.zone_lines(row.name, current_app.config["MAIL_HOSTNAME"], live)
    report = dns_check.last(db, actor, row)
    # The comments in the page's language; the records as they are.
    text = "\n".join(translated(line) if isinstance(line, Message) else line for line in records)
    return render_template("dns/index.html", domain=row, records=text, keys=keys, report=report)


@bp.post("/domains/<domain>/dns/check")
@allow(*MANAGERS)
def check(domain):
    """Ask DNS now (a few seconds at most: short timeouts), keep the result, show it."""
    db, actor, row = _domain(domain)
    config = current_app.config
    report = dns_check.run(db, actor, row, config["MAIL_HOSTNAME"], dns_check.lookup_for(config))
    db.commit()
    if not report.reached:
        flash(
            gettext(
                "DNS could not be asked (%(reason)s); the previous result is shown.",
                reason=translated(report.findings[0].reason),
            ),
            "error",
        )
    elif report.problems:
        flash(
            ngettext(
                "%(num)s of the records of %(domain)s are missing or wrong: see below.",
                "%(num)s of the records of %(domain)s are missing or wrong: see below.",
                len(report.problems),
                domain=row.name,
            ),
            "error",
        )
    elif report.unknown:
        flash(
            ngettext(
                "DNS stopped answering during the check: %(num)s records are unknown.",
                "DNS stopped answering during the check: %(num)s records are unknown.",
                len(report.unknown),
            ),
            "error",
        )
    else:
        flash(gettext("The records of %(domain)s are published as they should be.", domain=row.name))
    return redirect(url_for("dns.index", domain=row.name, _anchor="check"))


def _back(row):
    return redirect(url_for("dns.index", domain=row.name))


@bp.post("/domains/<domain>/dkim")
@allow(*MANAGERS)
def generate(domain):
    db, actor, row = _domain(domain)
    try:
        key = dkim.generate(db, actor, row, request.form.get("selector") or None, request.form.get("algorithm"))
    except ServiceError as error:
        db.rollback()
        flash(gettext("No key was made: %(error)s", error=error), "error")
        return _back(row)
    db.commit()
    flash(
        gettext(
            "Key %(selector)s made. Publish its TXT record, wait for it to spread, then activate it.",
            selector=key.selector,
        )
    )
    return _back(row)


@bp.post("/domains/<domain>/dkim/<selector>/activate")
@allow(*MANAGERS)
def activate(domain, selector):
    db, actor, row = _domain(domain)
    key = dkim.activate(db, actor, row, selector)
    db.commit()
    flash(
        gettext(
            "%(domain)s now signs with %(selector)s; the previous key stays published until you retire it.",
            domain=row.name,
            selector=key.selector,
        )
    )
    return _back(row)


@bp.post("/domains/<domain>/dkim/<selector>/retire")
@allow(*MANAGERS)
def retire(domain, selector):
    db, actor, row = _domain(domain)
    key = dkim.retire(db, actor, row, selector)
    db.commit()
    flash(gettext("Key %(selector)s retired: remove its TXT record.", selector=key.selector))
    return _back(row)
