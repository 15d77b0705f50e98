"""Panel accounts (superadmin only): create, edit role and domains, disable, reset password."""

import re

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for

from .. import passwords
from ..db import get_session
from ..models import Role
from ..services import ServiceError, admins, lists
from .access import allow, current_actor
from .forms import checkbox, render_form

bp = Blueprint("admins", __name__, url_prefix="/admins")

ROLES = [r.value for r in reversed(list(Role))]


def _domain_names() -> list[str]:
    return [n for n in re.split(r"[\s,;]+", request.form.get("domains", "")) if n]


def _password() -> tuple[str, bool]:
    if checkbox("generate"):
        return passwords.generate(), True
    if request.form.get("password", "") != request.form.get("password_confirm", ""):
        raise ServiceError("password_confirm", "does not match the password")
    return request.form.get("password", ""), False


def _shown_once(admin, password: str, what: str):
    response = make_response(render_template("admins/shown_once.html", admin=admin, password=password, what=what))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@allow(Role.SUPERADMIN)
def index():
    page = lists.admin_page(get_session(), current_actor(), request.args.get("after"), request.args.get("before"))
    return render_template("admins/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def create():
    if request.method == "GET":
        return render_template("admins/form.html", admin=None, roles=ROLES, values={"role": "domainadmin"}, errors={})
    db = get_session()
    try:
        password, generated = _password()
        admin = admins.create_admin(
            db,
            current_actor(),
            request.form.get("username", ""),
            request.form.get("role", ""),
            password,
            _domain_names(),
        )
    except ServiceError as error:
        db.rollback()
        return render_form("admins/form.html", error, admin=None, roles=ROLES)
    db.commit()
    if generated:
        return _shown_once(admin, password, "created")
    flash(f"Account {admin.username} created.")
    return redirect(url_for("admins.index"))


@bp.route("/<username>", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def edit(username):
    db, actor = get_session(), current_actor()
    admin = admins.get_admin(db, username)
    if request.method == "GET":
        values = {"role": admin.role, "domains": " ".join(d.name for d in admin.domains), "active": admin.active}
        return render_template("admins/form.html", admin=admin, roles=ROLES, values=values, errors={})
    try:
        admins.update_admin(
            db, actor, admin, role=request.form.get("role", ""), domain_names=_domain_names(), active=checkbox("active")
        )
    except ServiceError as error:
        db.rollback()
        values = dict(request.form, active=checkbox("active"))
        return render_form("admins/form.html", error, values=values, admin=admins.get_admin(db, username), roles=ROLES)
    db.commit()
    flash(f"Account {admin.username} saved.")
    return redirect(url_for("admins.index"))


@bp.route("/<username>/password", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def password(username):
    db, actor = get_session(), current_actor()
    admin = admins.get_admin(db, username)
    if request.method == "GET":
        return render_template("admins/password.html", admin=admin, values={}, errors={})
    try:
        new_password, generated = _password()
        admins.set_admin_password(db, actor, admin, new_password)
    except ServiceError as error:
        db.rollback()
        return render_form("admins/password.html", error, admin=admins.get_admin(db, username))
    db.commit()
    if generated:
        return _shown_once(admin, new_password, "reset")
    flash(f"The password of {admin.username} has been changed.")
    return redirect(url_for("admins.index"))
