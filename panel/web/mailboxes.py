"""Mailboxes: per-domain list and global search (keyset pages), create, edit,
reset password (typed, or generated and shown once), delete with confirmation."""

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for

from .. import passwords
from ..db import get_session
from ..models import Role
from ..services import ServiceError, lists, mailboxes
from ..sizes import format_size
from .access import ALL_ROLES, allow, current_actor
from .forms import checkbox, render_form

bp = Blueprint("mailboxes", __name__)

MANAGERS = (Role.SUPERADMIN, Role.DOMAINADMIN)


def _chosen_password() -> tuple[str, bool]:
    """(password, generated?): the typed one, or a fresh one when asked for."""
    if checkbox("generate"):
        return passwords.generate(), True
    typed = request.form.get("password", "")
    if typed != request.form.get("password_confirm", ""):
        raise ServiceError("password_confirm", "does not match the password")
    return typed, False


def _shown_once(mailbox, password: str, what: str):
    """The generated password, on a page that is not cached and not re-shown."""
    response = make_response(
        render_template("mailboxes/shown_once.html", mailbox=mailbox, password=password, what=what)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/domains/<domain>/mailboxes")
@allow(*ALL_ROLES)
def index(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    sort = request.args.get("sort", "address")
    page = lists.mailbox_page(db, actor, row, sort, request.args.get("after"), request.args.get("before"))
    return render_template("mailboxes/index.html", domain=row, page=page, sort=sort, sorts=lists.MAILBOX_SORTS)


@bp.get("/mailboxes")
@allow(*ALL_ROLES)
def search():
    db, actor = get_session(), current_actor()
    text, sort = request.args.get("q", ""), request.args.get("sort", "address")
    page, error = None, None
    if text.strip():
        try:
            page = lists.search_mailboxes(db, actor, text, sort, request.args.get("after"), request.args.get("before"))
        except ServiceError as exc:
            error = exc.fields.get("q") or exc.fields.get("sort") or exc.message
    return render_template(
        "mailboxes/search.html", q=text, page=page, error=error, sort=sort, sorts=lists.MAILBOX_SORTS
    )


@bp.route("/domains/<domain>/mailboxes/new", methods=["GET", "POST"])
@allow(*MANAGERS)
def create(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    actor.require_manage(row.id)
    if request.method == "GET":
        values = {"quota": format_size(row.default_quota_bytes, exact=True), "active": True}
        return render_template("mailboxes/new.html", domain=row, values=values, errors={})
    try:
        password, generated = _chosen_password()
        local = request.form.get("local_part", "").strip()
        mailbox = mailboxes.create_mailbox(
            db,
            actor,
            f"{local}@{row.name}",
            password=password,
            quota=request.form.get("quota", "").strip(),
            name=request.form.get("name", ""),
            active=checkbox("active"),
            scheme=current_app.config["HASH_SCHEME"].upper(),
        )
    except ServiceError as error:
        db.rollback()
        if "address" in error.fields:
            error.fields["local_part"] = error.fields.pop("address")
        return render_form("mailboxes/new.html", error, domain=lists.visible_domain(db, actor, domain))
    db.commit()
    if generated:
        return _shown_once(mailbox, password, "created")
    flash(f"Mailbox {mailbox.address} created.")
    return redirect(url_for("mailboxes.index", domain=row.name))


@bp.route("/mailboxes/<address>", methods=["GET", "POST"])
@allow(*MANAGERS)
def edit(address):
    db, actor = get_session(), current_actor()
    mailbox = mailboxes.get_mailbox(db, actor, address)
    actor.require_manage(mailbox.domain_id)
    if request.method == "GET":
        values = {
            "name": mailbox.name,
            "quota": format_size(mailbox.quota_bytes, exact=True),
            "active": mailbox.active,
        }
        return render_template("mailboxes/edit.html", mailbox=mailbox, values=values, errors={})
    try:
        mailboxes.update_mailbox(
            db,
            actor,
            mailbox,
            name=request.form.get("name", ""),
            quota=request.form.get("quota", "").strip(),
            active=checkbox("active"),
        )
    except ServiceError as error:
        db.rollback()
        values = dict(request.form, active=checkbox("active"))
        return render_form(
            "mailboxes/edit.html", error, values=values, mailbox=mailboxes.get_mailbox(db, actor, address)
        )
    db.commit()
    flash(f"Mailbox {mailbox.address} saved.")
    return redirect(url_for("mailboxes.index", domain=mailbox.domain.name))


@bp.route("/mailboxes/<address>/password", methods=["GET", "POST"])
@allow(*ALL_ROLES)
def password(address):
    db, actor = get_session(), current_actor()
    mailbox = mailboxes.get_mailbox(db, actor, address)
    actor.require_password_reset(mailbox.domain_id)
    if request.method == "GET":
        return render_template("mailboxes/password.html", mailbox=mailbox, values={}, errors={})
    try:
        new_password, generated = _chosen_password()
        mailboxes.set_password(
            db, actor, mailbox, password=new_password, scheme=current_app.config["HASH_SCHEME"].upper()
        )
    except ServiceError as error:
        db.rollback()
        return render_form("mailboxes/password.html", error, mailbox=mailboxes.get_mailbox(db, actor, address))
    db.commit()
    if generated:
        return _shown_once(mailbox, new_password, "reset")
    flash(f"The password of {mailbox.address} has been changed.")
    if actor.role is Role.HELPDESK:
        return redirect(url_for("mailboxes.search", q=mailbox.address))
    return redirect(url_for("mailboxes.index", domain=mailbox.domain.name))


@bp.route("/mailboxes/<address>/delete", methods=["GET", "POST"])
@allow(*MANAGERS)
def delete(address):
    db, actor = get_session(), current_actor()
    mailbox = mailboxes.get_mailbox(db, actor, address)
    actor.require_manage(mailbox.domain_id)
    if request.method == "GET":
        return render_template("mailboxes/delete.html", mailbox=mailbox)
    domain = mailbox.domain.name
    mailboxes.delete_mailbox(db, actor, mailbox)
    db.commit()
    flash(f"Mailbox {address} deleted. Its mail stays on disk ({mailbox.maildir}).")
    return redirect(url_for("mailboxes.index", domain=domain))
