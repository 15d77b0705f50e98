"""My account: any panel user changes their own password, sees where they
are signed in and signs out everywhere, and turns a second factor on or off."""

from __future__ import annotations

import base64

import segno
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, logout_user

from ..db import get_session
from ..i18n import translated
from ..languages import SEMICOLONS, joined
from ..services import ServiceError, account, admins, second_factor, web_sessions
from .access import ALL_ROLES, allow, current_actor, must_enrol_second_factor
from .forms import render_form
from .shown_once import redirect_to_secret

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(errors=None, status=200):
    db, actor = get_session(), current_actor()
    sessions = web_sessions.list_own(db, actor)
    return render_template(
        "account/index.html",
        values={},
        errors=errors or {},
        sessions=sessions,
        current_session=actor.session_id,
        two_factor=second_factor.is_enabled(current_user),
    ), status


@bp.get("/")
@allow(*ALL_ROLES)
def index():
    return _page()


@bp.post("/")
@allow(*ALL_ROLES)
def change_password():
    db, form = get_session(), request.form
    try:
        account.change_own_password(
            db,
            current_actor(),
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("password_confirm", ""),
        )
    except ServiceError as error:
        db.rollback()
        return render_form(
            "account/index.html",
            error,
            sessions=web_sessions.list_own(db, current_actor()),
            current_session=current_actor().session_id,
            two_factor=second_factor.is_enabled(current_user),
        )
    db.commit()
    flash(gettext("Your password has been changed. Your other sessions have been signed out."))
    return redirect(url_for("account.index"))


@bp.post("/language")
@allow(*ALL_ROLES)
def language():
    """The pages' language: English, French, or the browser's (empty)."""
    db = get_session()
    account.set_own_language(db, current_actor(), request.form.get("language", ""))
    db.commit()
    return redirect(url_for("account.index"))


@bp.post("/sessions/end")
@allow(*ALL_ROLES)
def end_sessions():
    """Sign out everywhere, this browser included."""
    db = get_session()
    admins.end_sessions(db, current_actor(), admins.get_admin(db, current_user.username))
    db.commit()
    logout_user()
    session.clear()
    flash(gettext("You have been signed out everywhere."))
    return redirect(url_for("auth.login"))


def _qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code, made on the server (no script, and
    the CSP allows data: images)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@bp.get("/2fa")
@allow(*ALL_ROLES)
def two_factor():
    db = get_session()
    admin = admins.get_admin(db, current_user.username)
    seed = second_factor.pending_seed(db, admin)
    uri = second_factor.provisioning_uri(seed, admin.username) if seed else None
    return render_template(
        "account/two_factor.html",
        enabled=second_factor.is_enabled(admin),
        required=must_enrol_second_factor(),
        seed=seed,
        qr=_qr_data_uri(uri) if uri else None,
        codes_left=second_factor.recovery_codes_left(db, admin) if second_factor.is_enabled(admin) else 0,
        values={},
        errors={},
    )


@bp.post("/2fa/start")
@allow(*ALL_ROLES)
def two_factor_start():
    db = get_session()
    try:
        second_factor.start_enrolment(db, current_actor(), admins.get_admin(db, current_user.username))
    except ServiceError as error:
        db.rollback()
        flash(translated(error.message))
        return redirect(url_for("account.two_factor"))
    db.commit()
    return redirect(url_for("account.two_factor"))


@bp.post("/2fa/confirm")
@allow(*ALL_ROLES)
def two_factor_confirm():
    db = get_session()
    admin = admins.get_admin(db, current_user.username)
    try:
        codes = second_factor.confirm_enrolment(db, current_actor(), admin, request.form.get("code", ""))
    except ServiceError as error:
        db.rollback()
        seed = second_factor.pending_seed(db, admin)
        uri = second_factor.provisioning_uri(seed, admin.username) if seed else None
        return render_form(
            "account/two_factor.html",
            error,
            values={},
            enabled=False,
            required=must_enrol_second_factor(),
            seed=seed,
            qr=_qr_data_uri(uri) if uri else None,
            codes_left=0,
        )
    page = redirect_to_secret(
        db,
        gettext("Two-factor authentication is on"),
        [(gettext("Recovery code %(number)d", number=i), code) for i, code in enumerate(codes, 1)],
        intro=gettext("Keep these recovery codes somewhere safe: each signs you in once if your phone is lost."),
        back=url_for("account.index"),
        back_label=gettext("Back to your account"),
    )
    db.commit()
    return page


@bp.post("/2fa/disable")
@allow(*ALL_ROLES)
def two_factor_disable():
    """Turning it off asks for the password and a current code: a stolen
    session alone cannot remove the second factor."""
    db = get_session()
    admin = admins.get_admin(db, current_user.username)
    problems = {}
    if not account.password_is(admin, request.form.get("password", "")):
        problems["password"] = gettext("is not your current password")
    if second_factor.check_code(db, admin, request.form.get("code", "")) is None:
        problems["code"] = gettext("is not a current code or an unused recovery code")
    if problems:
        db.rollback()
        listed = translated(joined(list(problems.values()), SEMICOLONS))
        flash(gettext("Two-factor authentication is still on: %(problems)s", problems=listed))
        return redirect(url_for("account.two_factor"))
    second_factor.disable(db, current_actor(), admin)
    db.commit()
    flash(gettext("Two-factor authentication is off."))
    return redirect(url_for("account.two_factor"))
