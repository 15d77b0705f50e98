"""Domains: list (counts from the domain row's counters), create, edit limits,
disable/enable with a confirmation, delete an empty domain."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..db import get_session
from ..models import Role
from ..services import ServiceError, domains, lists
from ..sizes import format_size
from .access import allow, current_actor
from .confirm import confirm_page, emphasis
from .forms import checkbox, form_errors, render_form

bp = Blueprint("domains", __name__, url_prefix="/domains")

LIMIT_FIELDS = domains.LIMIT_FIELDS


def _limits_from_form() -> dict:
    return {f: request.form.get(f, "").strip() or "0" for f in LIMIT_FIELDS}


def _values_of(domain) -> dict:
    values = {
        "name": domain.name,
        "description": domain.description,
        "users_change_password": domain.users_change_password,
        "users_forward_outside": domain.users_forward_outside,
    }
    for field in LIMIT_FIELDS:
        number = getattr(domain, field)
        values[field] = str(number) if field in ("max_mailboxes", "max_aliases") else format_size(number, exact=True)
    return values


@bp.get("/")
@allow(Role.SUPERADMIN, Role.DOMAINADMIN)
def index():
    db, actor = get_session(), current_actor()
    page = lists.domain_page(db, actor, request.args.get("after"), request.args.get("before"))
    alias_domains = lists.alias_domains_by_target(db, actor, [row[0].id for row in page.rows])
    return render_template(
        "domains/index.html", page=page, totals=lists.domain_totals(db, actor), alias_domains=alias_domains
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def create():
    if request.method == "GET":
        return render_template("domains/form.html", domain=None, errors={}, values={f: "0" for f in LIMIT_FIELDS})
    db = get_session()
    try:
        domain = domains.create_domain(
            db,
            current_actor(),
            request.form.get("name", ""),
            request.form.get("description", ""),
            **_limits_from_form(),
        )
    except ServiceError as error:
        db.rollback()
        return render_form("domains/form.html", error, domain=None)
    db.commit()
    flash(f"Domain {domain.name} created.")
    return redirect(url_for("mailboxes.index", domain=domain.name))


@bp.route("/<domain>/edit", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def edit(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    if request.method == "GET":
        return render_template("domains/form.html", domain=row, errors={}, values=_values_of(row))
    try:
        domains.update_domain(db, actor, row, request.form.get("description", ""), **_limits_from_form())
        domains.set_user_rights(
            db,
            actor,
            row,
            change_password=checkbox("users_change_password"),
            forward_outside=checkbox("users_forward_outside"),
        )
    except ServiceError as error:
        db.rollback()
        return render_form("domains/form.html", error, domain=lists.visible_domain(db, actor, domain))
    db.commit()
    flash(f"Domain {row.name} saved.")
    return redirect(url_for("domains.index"))


@bp.route("/<domain>/disable", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def disable(domain):
    """GET asks for confirmation, saying what stops working; POST does it."""
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    if request.method == "GET":
        return confirm_page(
            f"Disable {row.name}?",
            paragraphs=["As soon as you confirm, and without any restart:"],
            points=[
                emphasis(
                    "<strong>Mail to {} is refused</strong>: senders get a rejection for every address of the domain,"
                    " its {} included.",
                    row.name,
                    f"{_count(row.alias_count, 'alias', 'aliases')} and alias domains",
                ),
                emphasis(
                    "<strong>Its {} cannot log in</strong> (IMAP, POP3, sending mail).",
                    _count(row.mailbox_count, "mailbox", "mailboxes"),
                ),
                "Nothing is deleted: mailboxes, aliases and stored mail stay, and enabling the domain restores"
                " everything.",
            ],
            button=f"Disable {row.name}",
            cancel=url_for("domains.index"),
        )
    domains.set_domain_active(db, actor, row, False)
    db.commit()
    flash(f"Domain {row.name} disabled: it no longer receives mail and its mailboxes cannot log in.")
    return redirect(url_for("domains.index"))


@bp.post("/<domain>/enable")
@allow(Role.SUPERADMIN)
def enable(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    domains.set_domain_active(db, actor, row, True)
    db.commit()
    flash(f"Domain {row.name} enabled.")
    return redirect(url_for("domains.index"))


@bp.route("/<domain>/delete", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def delete(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    if request.method == "GET":
        return _confirm_delete(row)
    try:
        domains.delete_domain(db, actor, row)
    except ServiceError as error:
        db.rollback()
        return _confirm_delete(lists.visible_domain(db, actor, domain), form_errors(error)), 422
    db.commit()
    flash(f"Domain {domain} deleted.")
    return redirect(url_for("domains.index"))


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _confirm_delete(row, errors=None):
    """A domain with mailboxes, aliases or alias domains cannot go: its page
    says what is left and offers no button; an empty one's says what goes."""
    blockers = lists.delete_blockers(get_session(), current_actor(), row)
    disable = url_for("domains.disable", domain=row.name)
    if blockers:
        return confirm_page(
            f"{row.name} cannot be deleted yet",
            title=f"Delete {row.name}",
            paragraphs=[
                f"Only an empty domain can be deleted, and {row.name} still has {_and(blockers)}: delete them first.",
                emphasis('To stop mail for it without deleting anything, <a href="{}">disable it</a>.', disable),
            ],
            button=None,
            cancel=url_for("domains.index"),
            errors=errors,
        )
    return confirm_page(
        f"Delete {row.name}?",
        paragraphs=[f"{row.name} has no mailboxes, aliases or alias domains left."],
        points=[
            f"Mail to any address at {row.name} will be refused, and it leaves the list of domains.",
            "Its limits, DNS check and DKIM keys go with it, and its domain admins no longer manage it;"
            " the audit log keeps its history.",
        ],
        button=f"Delete {row.name}",
        cancel=url_for("domains.index"),
        errors=errors,
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
