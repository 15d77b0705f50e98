"""Domains: list (counts from the domain row's counters), create, edit limits,
disable/enable with a confirmation, delete an empty domain."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext, ngettext

from ..db import get_session
from ..i18n import translated
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
    flash(gettext("Domain %(domain)s created.", domain=domain.name))
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
    flash(gettext("Domain %(domain)s saved.", domain=row.name))
    return redirect(url_for("domains.index"))


@bp.route("/<domain>/disable", methods=["GET", "POST"])
@allow(Role.SUPERADMIN)
def disable(domain):
    """GET asks for confirmation, saying what stops working; POST does it."""
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    if request.method == "GET":
        return confirm_page(
            gettext("Disable %(domain)s?", domain=row.name),
            paragraphs=[gettext("As soon as you confirm, and without any restart:")],
            points=[
                emphasis(
                    gettext(
                        "<strong>Mail to {} is refused</strong>: senders get a rejection for every address of the"
                        " domain, its {} and alias domains included."
                    ),
                    row.name,
                    ngettext(
                        "%(count)s alias", "%(count)s aliases", row.alias_count, count=format_decimal(row.alias_count)
                    ),
                ),
                emphasis(
                    gettext("<strong>Its {} cannot log in</strong> (IMAP, POP3, sending mail)."),
                    ngettext(
                        "%(count)s mailbox",
                        "%(count)s mailboxes",
                        row.mailbox_count,
                        count=format_decimal(row.mailbox_count),
                    ),
                ),
                gettext(
                    "Nothing is deleted: mailboxes, aliases and stored mail stay, and enabling the domain restores"
                    " everything."
                ),
            ],
            button=gettext("Disable %(domain)s", domain=row.name),
            cancel=url_for("domains.index"),
        )
    domains.set_domain_active(db, actor, row, False)
    db.commit()
    flash(
        gettext(
            "Domain %(domain)s disabled: it no longer receives mail and its mailboxes cannot log in.", domain=row.name
        )
    )
    return redirect(url_for("domains.index"))


@bp.post("/<domain>/enable")
@allow(Role.SUPERADMIN)
def enable(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    domains.set_domain_active(db, actor, row, True)
    db.commit()
    flash(gettext("Domain %(domain)s enabled.", domain=row.name))
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
    flash(gettext("Domain %(domain)s deleted.", domain=domain))
    return redirect(url_for("domains.index"))


def _confirm_delete(row, errors=None):
    """A domain with mailboxes, aliases or alias domains cannot go: its page
    says what is left and offers no button; an empty one's says what goes."""
    blockers = lists.delete_blockers(get_session(), current_actor(), row)
    disable = url_for("domains.disable", domain=row.name)
    if blockers:
        return confirm_page(
            gettext("%(domain)s cannot be deleted yet", domain=row.name),
            title=gettext("Delete %(domain)s", domain=row.name),
            paragraphs=[
                gettext(
                    "Only an empty domain can be deleted, and %(domain)s still has %(what)s: delete them first.",
                    domain=row.name,
                    what=_and([translated(blocker) for blocker in blockers]),
                ),
                emphasis(
                    gettext('To stop mail for it without deleting anything, <a href="{}">disable it</a>.'), disable
                ),
            ],
            button=None,
            cancel=url_for("domains.index"),
            errors=errors,
        )
    return confirm_page(
        gettext("Delete %(domain)s?", domain=row.name),
        paragraphs=[gettext("%(domain)s has no mailboxes, aliases or alias domains left.", domain=row.name)],
        points=[
            gettext(
                "Mail to any address at %(domain)s will be refused, and it leaves the list of domains.", domain=row.name
            ),
            gettext(
                "Its limits, DNS check and DKIM keys go with it, and its domain admins no longer manage it;"
                " the audit log keeps its history."
            ),
        ],
        button=gettext("Delete %(domain)s", domain=row.name),
        cancel=url_for("domains.index"),
        errors=errors,
    )


def _and(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return gettext("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])
