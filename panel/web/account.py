"""My account: any panel user changes their own password."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..db import get_session
from ..services import ServiceError, account
from .access import ALL_ROLES, allow, current_actor
from .forms import render_form

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
@allow(*ALL_ROLES)
def index():
    return render_template("account/index.html", values={}, errors={})


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
        return render_form("account/index.html", error)
    db.commit()
    flash("Your password has been changed.")
    return redirect(url_for("account.index"))
