"""The portal of a mailbox's owner (/me/): signed in with the address and
the mailbox password, they see only their own mailbox and change what is
theirs to change. Every page is for the MAILBOX role alone; the services
check again that the mailbox acted on is the signed-in one."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, logout_user

from .. import passwords
from ..db import get_session
from ..models import Mailbox, Role
from ..services import ServiceError, account, client_settings, mailboxes, portal, web_sessions
from .access import allow, current_actor
from .forms import render_form
from .mailbox_settings import (
    Place,
    app_passwords_page,
    apple_profile_response,
    forwarding_page,
    revoke_app_password,
    vacation_page,
)

bp = Blueprint("me", __name__, url_prefix="/me")
OWNER = Role.MAILBOX
PLACE = Place("me.", None, "/me/")


def _mine():
    db = get_session()
    mailbox = db.get(Mailbox, current_user.id)
    return db, current_actor(), mailbox


@bp.get("/")
@allow(OWNER)
def index():
    db, actor, mailbox = _mine()
    return render_template(
        "me/index.html",
        view=portal.overview(db, actor, mailbox),
        sessions=web_sessions.list_own(db, actor),
        current_session=actor.session_id,
        clients=client_settings.servers(current_app.config["MAIL_HOSTNAME"]),
    )


@bp.get("/mail.mobileconfig")
@allow(OWNER)
def apple_profile():
    """Apple Mail's settings for this mailbox (no password inside)."""
    return apple_profile_response(_mine()[2])


@bp.route("/password", methods=["GET", "POST"])
@allow(OWNER)
def password():
    if request.method == "GET":
        db, _, mailbox = _mine()
        return render_template(
            "me/password.html", mailbox=mailbox, values={}, errors={}, min_length=passwords.MIN_LENGTH
        )
    scheme = current_app.config["HASH_SCHEME"].upper()
    new = passwords.prepare(request.form.get("new_password", ""), scheme)  # first: the hash holds no lock
    db, actor, mailbox = _mine()
    try:
        mailboxes.change_own_password(
            db,
            actor,
            mailbox,
            request.form.get("current_password", ""),
            new,
            request.form.get("password_confirm", ""),
            scheme,
        )
    except ServiceError as error:
        db.rollback()
        return render_form("me/password.html", error, mailbox=mailbox, min_length=passwords.MIN_LENGTH)
    db.commit()
    flash(
        gettext(
            "Your password has been changed: use it in your mail apps now. Your other sessions have been signed out."
        )
    )
    return redirect(url_for("me.index"))


@bp.route("/vacation", methods=["GET", "POST"])
@allow(OWNER)
def vacation():
    return vacation_page(*_mine(), PLACE)


@bp.route("/forwarding", methods=["GET", "POST"])
@allow(OWNER)
def forwarding():
    return forwarding_page(*_mine(), PLACE)


@bp.route("/app-passwords", methods=["GET", "POST"])
@allow(OWNER)
def app_passwords():
    return app_passwords_page(*_mine(), PLACE)


@bp.post("/app-passwords/<ident>/revoke")
@allow(OWNER)
def app_password_revoke(ident):
    return revoke_app_password(*_mine(), PLACE, ident)


@bp.post("/language")
@allow(OWNER)
def language():
    """The portal's language: English, French, or the browser's (empty)."""
    db, actor, mailbox = _mine()
    account.set_mailbox_language(db, actor, mailbox, request.form.get("language", ""))
    db.commit()
    return redirect(url_for("me.index"))


@bp.post("/sessions/end")
@allow(OWNER)
def end_sessions():
    """Sign out everywhere, this browser included."""
    db, actor, mailbox = _mine()
    portal.sign_out_everywhere(db, actor, mailbox)
    db.commit()
    logout_user()
    session.clear()
    flash(gettext("You have been signed out everywhere."))
    return redirect(url_for("auth.login"))
