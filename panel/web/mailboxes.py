"""Mailboxes: per-domain list and global search (keyset pages), create, edit,
reset password (typed, or generated and shown once), delete with confirmation."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..db import get_session
from ..i18n import translated
from ..models import MANAGERS, Role
from ..services import (
    ServiceError,
    app_passwords,
    client_settings,
    lists,
    mailbox_bulk,
    mailbox_logins,
    mailboxes,
    portal,
)
from ..sizes import format_size
from .access import ALL_ROLES, allow, current_actor
from .confirm import confirm_page, emphasis
from .forms import checkbox, chosen_password, local_part, render_form, typed_confirmation
from .shown_once import redirect_to_secret

bp = Blueprint("mailboxes", __name__)


def _mailbox_page(db, actor, mailbox) -> dict:
    """What the mailbox page shows besides its form: usage, the aliases
    delivering to it, last login, out-of-office, forwarding, app passwords,
    and the client-setup sheet (its servers)."""
    return {
        "view": portal.overview(db, actor, mailbox),
        "app_password_names": [row.name for row in app_passwords.list_for(db, actor, mailbox)],
        "clients": client_settings.servers(current_app.config["MAIL_HOSTNAME"]),
    }


def _scheme() -> str:
    return current_app.config["HASH_SCHEME"].upper()


def _after_reset(actor, mailbox) -> tuple[str, str]:
    """Where staff go back to after a password change, and the link's words:
    helpdesk to the search."""
    if actor.role is Role.HELPDESK:
        return url_for("mailboxes.search", q=mailbox.address), gettext("Back to the search")
    return _to_mailboxes(mailbox)


def _to_mailboxes(mailbox) -> tuple[str, str]:
    domain = mailbox.domain.name
    return url_for("mailboxes.index", domain=domain), gettext("Back to the mailboxes of %(domain)s", domain=domain)


def _show_password(db, mailbox, password, title: str, back: tuple[str, str]):
    return redirect_to_secret(
        db,
        title,
        [(gettext("Password"), password.plain)],
        intro=gettext("The new password of %(address)s: give it to the user now.", address=mailbox.address),
        back=back[0],
        back_label=back[1],
    )


@bp.get("/domains/<domain>/mailboxes")
@allow(*ALL_ROLES)
def index(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    sort, unused = request.args.get("sort", "address"), request.args.get("unused") or None
    state = request.args.get("state") or None
    args = request.args.get("after"), request.args.get("before")
    page = lists.mailbox_page(db, actor, row, sort, *args, unused=unused, state=state)
    return render_template(
        "mailboxes/index.html",
        domain=row,
        page=page,
        sort=sort,
        sorts=lists.DOMAIN_MAILBOX_SORTS,
        unused=unused,
        unused_choices=lists.UNUSED,
        state=state,
        states=lists.STATES,
        full=lists.mailbox_limit_reached(row),
        logins=_logins(db, page),
        matching=_matching(db, actor, row, state, unused),
        bulk_max=mailbox_bulk.BULK_MAX,
        events=lists.domain_events(db, actor, row) if actor.may_manage(row.id) else None,
    )


def _matching(db, actor, domain, state, unused) -> int | None:
    """For the bulk form's "all matching (N)"; None: no bulk form (not a manager)."""
    if not actor.may_manage(domain.id):
        return None
    return mailbox_bulk.matching_count(db, actor, domain, mailbox_bulk.Matching(state, unused))


def _logins(db, page) -> dict:
    return mailbox_logins.last_logins(db, [row[0].address for row in page.rows])


@bp.get("/mailboxes")
@allow(*ALL_ROLES)
def search():
    db, actor = get_session(), current_actor()
    text, sort = request.args.get("q", ""), request.args.get("sort", "address")
    page, aliases, error = None, None, None
    if text.strip():
        try:
            page = lists.search_mailboxes(db, actor, text, sort, request.args.get("after"), request.args.get("before"))
            aliases = lists.search_aliases(
                db, actor, text, request.args.get("aliases_after"), request.args.get("aliases_before")
            )
        except ServiceError as exc:
            error = translated(exc.fields.get("q") or exc.fields.get("sort") or exc.message)
    return render_template(
        "mailboxes/search.html",
        q=text,
        page=page,
        aliases=aliases,
        delivered=lists.delivered_mailboxes(db, actor, aliases) if aliases else set(),
        error=error,
        sort=sort,
        sorts=lists.MAILBOX_SORTS,
        logins=_logins(db, page) if page else {},
    )


@bp.route("/domains/<domain>/mailboxes/new", methods=["GET", "POST"])
@allow(*MANAGERS)
def create(domain):
    db, actor = get_session(), current_actor()
    if request.method == "GET":
        row = lists.visible_domain(db, actor, domain)
        actor.require_manage(row.id)
        values = {"quota": format_size(row.default_quota_bytes, exact=True), "active": True}
        return render_template("mailboxes/new.html", domain=row, values=values, errors={})
    try:
        password, generated = chosen_password(_scheme())  # first: the hash holds no lock
        row = lists.visible_domain(db, actor, domain)
        actor.require_manage(row.id)
        local = local_part(row.name, "mailbox")
        mailbox = mailboxes.create_mailbox(
            db,
            actor,
            f"{local}@{row.name}",
            password=password,
            password_confirm=typed_confirmation(),
            quota=request.form.get("quota", "").strip(),
            name=request.form.get("name", ""),
            active=checkbox("active"),
            scheme=_scheme(),
        )
    except ServiceError as error:
        db.rollback()
        if "address" in error.fields:
            error.fields["local_part"] = error.fields.pop("address")
        return render_form("mailboxes/new.html", error, domain=lists.visible_domain(db, actor, domain))
    if generated:
        title = gettext("Mailbox %(address)s created", address=mailbox.address)
        page = _show_password(db, mailbox, password, title, _to_mailboxes(mailbox))
        db.commit()
        return page
    db.commit()
    flash(gettext("Mailbox %(address)s created.", address=mailbox.address))
    return redirect(url_for("mailboxes.index", domain=row.name))


@bp.route("/mailboxes/<address:address>", methods=["GET", "POST"])
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
        return render_template(
            "mailboxes/edit.html", mailbox=mailbox, values=values, errors={}, **_mailbox_page(db, actor, mailbox)
        )
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
        mailbox = mailboxes.get_mailbox(db, actor, address)
        return render_form(
            "mailboxes/edit.html", error, values=values, mailbox=mailbox, **_mailbox_page(db, actor, mailbox)
        )
    db.commit()
    flash(gettext("Mailbox %(address)s saved.", address=mailbox.address))
    return redirect(url_for("mailboxes.index", domain=mailbox.domain.name))


def _login_trouble(db, actor, mailbox) -> dict:
    """What the helpdesk looks at when a user says they cannot log in:
    the last IMAP/POP3 login and the recent authentication failures."""
    return {
        "last_login": mailbox_logins.last_login(db, mailbox),
        "failures": mailbox_logins.recent_failures(actor, mailbox, current_app.config["DOVECOT_LOG"]),
    }


@bp.route("/mailboxes/<address:address>/password", methods=["GET", "POST"])
@allow(*ALL_ROLES)
def password(address):
    db, actor = get_session(), current_actor()
    if request.method == "GET":
        mailbox = mailboxes.get_mailbox(db, actor, address)
        actor.require_password_reset(mailbox.domain_id)
        return render_template(
            "mailboxes/password.html", mailbox=mailbox, values={}, errors={}, **_login_trouble(db, actor, mailbox)
        )
    try:
        new_password, generated = chosen_password(_scheme())  # first: the hash holds no lock
        mailbox = mailboxes.get_mailbox(db, actor, address)
        actor.require_password_reset(mailbox.domain_id)
        mailboxes.set_password(
            db, actor, mailbox, password=new_password, password_confirm=typed_confirmation(), scheme=_scheme()
        )
    except ServiceError as error:
        db.rollback()
        mailbox = mailboxes.get_mailbox(db, actor, address)
        return render_form("mailboxes/password.html", error, mailbox=mailbox, **_login_trouble(db, actor, mailbox))
    back = _after_reset(actor, mailbox)
    if generated:
        title = gettext("Password of %(address)s reset", address=mailbox.address)
        page = _show_password(db, mailbox, new_password, title, back)
        db.commit()
        return page
    db.commit()
    flash(gettext("The password of %(address)s has been changed.", address=mailbox.address))
    return redirect(back[0])


@bp.route("/mailboxes/<address:address>/delete", methods=["GET", "POST"])
@allow(*MANAGERS)
def delete(address):
    db, actor = get_session(), current_actor()
    mailbox = mailboxes.get_mailbox(db, actor, address)
    actor.require_manage(mailbox.domain_id)
    if request.method == "GET":
        return confirm_page(
            gettext("Delete %(address)s?", address=mailbox.address),
            points=[
                gettext("The account goes at once: it stops receiving mail and cannot log in."),
                emphasis(
                    gettext(
                        "Its stored mail is <strong>not</strong> deleted: it stays on the server in <code>{}</code>"
                        " for an operator to archive or remove."
                    ),
                    mailbox.maildir,
                ),
            ],
            button=gettext("Delete %(address)s", address=mailbox.address),
            cancel=url_for("mailboxes.edit", address=mailbox.address),
        )
    domain = mailbox.domain.name
    mailboxes.delete_mailbox(db, actor, mailbox)
    db.commit()
    flash(
        gettext(
            "Mailbox %(address)s deleted. Its mail stays on disk (%(maildir)s).",
            address=address,
            maildir=mailbox.maildir,
        )
    )
    return redirect(url_for("mailboxes.index", domain=domain))


from . import mailbox_bulk as _bulk_views  # noqa: E402, F401  (its views are on this blueprint)
