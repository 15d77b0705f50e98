"""A mailbox's own settings: out-of-office, forwarding, app passwords.

The same pages serve its owner in the portal (/me/..., panel/web/me.py)
and the admins who manage its domain (/mailboxes/<address>/..., here);
``Place`` says where the page lives, the services say who may act.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..db import get_session
from ..models import MANAGERS
from ..services import ServiceError, app_passwords, client_settings, forwarding, mailboxes, vacation
from .access import allow, current_actor
from .forms import checkbox, form_errors, render_form
from .shown_once import redirect_to_secret

bp = Blueprint("mailbox_settings", __name__)


@dataclass(frozen=True)
class Place:
    """Where the settings pages of one mailbox live (portal or admin)."""

    endpoint_prefix: str  # "me." or "mailbox_settings."
    address: str | None  # the URL's address argument (admin pages only)
    back: str

    def url(self, page: str, **args) -> str:
        if self.address is not None:
            args["address"] = self.address
        return url_for(self.endpoint_prefix + page, **args)


def _admin_place(mailbox) -> Place:
    return Place("mailbox_settings.", mailbox.address, url_for("mailboxes.edit", address=mailbox.address))


# -- shared handlers -------------------------------------------------------------


def vacation_page(db, actor, mailbox, place: Place):
    if request.method == "GET":
        row = vacation.get_vacation(db, actor, mailbox)
        values = _vacation_values(row)
        return render_template(
            "mailbox_settings/vacation.html",
            mailbox=mailbox,
            place=place,
            values=values,
            errors={},
            current=row,
            state=vacation.reply_state(row),
        )
    form = request.form
    try:
        if form.get("action") == "off":
            vacation.switch_off(db, actor, mailbox)
        else:
            vacation.set_vacation(
                db,
                actor,
                mailbox,
                active=checkbox("active"),
                subject=form.get("subject", ""),
                body=form.get("body", ""),
                first_day=form.get("first_day"),
                last_day=form.get("last_day"),
                interval_days=form.get("interval_days"),
            )
    except ServiceError as error:
        db.rollback()
        values = dict(form, active=checkbox("active"))
        return render_form("mailbox_settings/vacation.html", error, values=values, mailbox=mailbox, place=place)
    db.commit()
    flash(
        gettext("The out-of-office reply has been saved.")
        if checkbox("active") and form.get("action") != "off"
        else gettext("The out-of-office reply is off.")
    )
    return redirect(place.url("vacation"))


def _vacation_values(row) -> dict:
    if row is None:
        return {"interval_days": str(vacation.DEFAULT_INTERVAL)}
    return {
        "active": row.active,
        "subject": row.subject,
        "body": row.body,
        "first_day": row.first_day.isoformat() if row.first_day else "",
        "last_day": row.last_day.isoformat() if row.last_day else "",
        "interval_days": str(row.interval_days),
    }


def forwarding_page(db, actor, mailbox, place: Place):
    if request.method == "GET":
        current = forwarding.get_forwarding(db, actor, mailbox)
        values = (
            {"destinations": "\n".join(current.destinations), "keep_copy": current.keep_copy}
            if current
            else {"keep_copy": True}
        )
        return render_template(
            "mailbox_settings/forwarding.html", mailbox=mailbox, place=place, values=values, errors={}, current=current
        )
    try:
        if request.form.get("action") == "off":
            forwarding.stop_forwarding(db, actor, mailbox)
            message = gettext("Forwarding is off: mail is delivered here only.")
        else:
            forwarding.set_forwarding(db, actor, mailbox, request.form.get("destinations", ""), checkbox("keep_copy"))
            message = gettext("Forwarding has been saved.")
    except ServiceError as error:
        db.rollback()
        values = dict(request.form, keep_copy=checkbox("keep_copy"))
        return render_form(
            "mailbox_settings/forwarding.html",
            error,
            values=values,
            mailbox=mailbox,
            place=place,
            current=forwarding.get_forwarding(db, actor, mailbox),
        )
    db.commit()
    flash(message)
    return redirect(place.url("forwarding"))


def app_passwords_page(db, actor, mailbox, place: Place):
    if request.method == "GET":
        return _app_password_list(db, actor, mailbox, place, {"protocols": list(app_passwords.PROTOCOLS)}, {})
    chosen = request.form.getlist("protocols")
    try:
        row, secret = app_passwords.create(
            db, actor, mailbox, request.form.get("name", ""), chosen, request.form.get("expires")
        )
    except ServiceError as error:
        db.rollback()
        values = {"name": request.form.get("name", ""), "expires": request.form.get("expires", ""), "protocols": chosen}
        errors = form_errors(error)
        page, _ = _app_password_list(db, actor, mailbox, place, values, errors)
        return page, 422
    page = redirect_to_secret(
        db,
        gettext("App password “%(name)s”", name=row.name),
        [(gettext("App password"), secret)],
        intro=gettext("Type it into the mail app instead of the password of %(address)s.", address=mailbox.address),
        back=place.url("app_passwords"),
        back_label=gettext("Back to the app passwords"),
    )
    db.commit()
    return page


def _app_password_list(db, actor, mailbox, place, values, errors):
    rows = app_passwords.list_for(db, actor, mailbox)
    return render_template(
        "mailbox_settings/app_passwords.html",
        mailbox=mailbox,
        place=place,
        rows=rows,
        last_used=app_passwords.last_used(db, mailbox),
        expired={r.id for r in rows if app_passwords.is_expired(r)},
        protocols=app_passwords.PROTOCOLS,
        values=values,
        errors=errors,
    ), 200


def revoke_app_password(db, actor, mailbox, place: Place, ident):
    row = app_passwords.get(db, actor, mailbox, ident)
    app_passwords.revoke(db, actor, mailbox, row)
    db.commit()
    flash(gettext("The app password “%(name)s” no longer works.", name=row.name))
    return redirect(place.url("app_passwords"))


def apple_profile_response(mailbox):
    """Apple Mail's settings for the mailbox, as a download (no password inside)."""
    body = client_settings.apple_profile(mailbox.address, current_app.config["MAIL_HOSTNAME"])
    disposition = 'attachment; filename="mail.mobileconfig"'
    return body, 200, {"Content-Type": "application/x-apple-aspen-config", "Content-Disposition": disposition}


# -- the admin pages -------------------------------------------------------------


def _managed(address: str):
    db, actor = get_session(), current_actor()
    mailbox = mailboxes.get_mailbox(db, actor, address)
    actor.require_manage(mailbox.domain_id)
    return db, actor, mailbox


@bp.route("/mailboxes/<address:address>/vacation", methods=["GET", "POST"], endpoint="vacation")
@allow(*MANAGERS)
def vacation_settings(address):
    db, actor, mailbox = _managed(address)
    return vacation_page(db, actor, mailbox, _admin_place(mailbox))


@bp.route("/mailboxes/<address:address>/forwarding", methods=["GET", "POST"], endpoint="forwarding")
@allow(*MANAGERS)
def forwarding_settings(address):
    db, actor, mailbox = _managed(address)
    return forwarding_page(db, actor, mailbox, _admin_place(mailbox))


@bp.route("/mailboxes/<address:address>/app-passwords", methods=["GET", "POST"], endpoint="app_passwords")
@allow(*MANAGERS)
def app_passwords_list(address):
    db, actor, mailbox = _managed(address)
    return app_passwords_page(db, actor, mailbox, _admin_place(mailbox))


@bp.post("/mailboxes/<address:address>/app-passwords/<ident>/revoke", endpoint="app_password_revoke")
@allow(*MANAGERS)
def app_password_revoke(address, ident):
    db, actor, mailbox = _managed(address)
    return revoke_app_password(db, actor, mailbox, _admin_place(mailbox), ident)


@bp.get("/mailboxes/<address:address>/mail.mobileconfig", endpoint="apple_profile")
@allow(*MANAGERS)
def apple_profile(address):
    _, _, mailbox = _managed(address)
    return apple_profile_response(mailbox)
