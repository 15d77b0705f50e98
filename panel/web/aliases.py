"""Aliases (several destinations, catch-all ``@domain``) and alias domains of a domain."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..db import get_session
from ..i18n import translated
from ..models import MANAGERS
from ..services import ServiceError, aliases, lists
from .access import allow, current_actor
from .confirm import confirm_page
from .forms import checkbox, local_part, render_form

bp = Blueprint("aliases", __name__)


def _address(domain_name: str) -> str:
    """``local@domain`` from the form; an empty local part is the catch-all."""
    return f"{local_part(domain_name, 'alias')}@{domain_name}"


@bp.get("/domains/<domain>/aliases")
@allow(*MANAGERS)
def index(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    text, error = request.args.get("q", ""), None
    try:
        page = lists.alias_page(db, actor, row, request.args.get("after"), request.args.get("before"), text)
    except ServiceError as exc:
        if "q" not in exc.fields:
            raise
        page, error = lists.Page([]), translated(exc.fields["q"])
    return render_template(
        "aliases/index.html",
        domain=row,
        page=page,
        q=text,
        search_error=error,
        alias_domains=lists.alias_domains_of(db, actor, row),
        values={},
        errors={},
    )


@bp.route("/domains/<domain>/aliases/new", methods=["GET", "POST"])
@allow(*MANAGERS)
def create(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    actor.require_manage(row.id)
    if request.method == "GET":
        return render_template("aliases/form.html", domain=row, alias=None, values={"active": True}, errors={})
    try:
        alias = aliases.create_alias(
            db, actor, _address(row.name), request.form.get("destinations", ""), active=checkbox("active")
        )
    except ServiceError as error:
        db.rollback()
        if "address" in error.fields:
            error.fields["local_part"] = error.fields.pop("address")
        values = dict(request.form, active=checkbox("active"))
        return render_form(
            "aliases/form.html", error, values=values, domain=lists.visible_domain(db, actor, domain), alias=None
        )
    db.commit()
    flash(gettext("Alias %(address)s created.", address=alias.address))
    return redirect(url_for("aliases.index", domain=row.name))


@bp.route("/aliases/<address:address>", methods=["GET", "POST"])
@allow(*MANAGERS)
def edit(address):
    db, actor = get_session(), current_actor()
    alias = aliases.get_alias(db, actor, address)
    actor.require_manage(alias.domain_id)
    if request.method == "GET":
        values = {"destinations": "\n".join(d.destination for d in alias.destinations), "active": alias.active}
        return render_template("aliases/form.html", domain=alias.domain, alias=alias, values=values, errors={})
    try:
        aliases.update_alias(
            db, actor, alias, destinations=request.form.get("destinations", ""), active=checkbox("active")
        )
    except ServiceError as error:
        db.rollback()
        alias = aliases.get_alias(db, actor, address)
        values = dict(request.form, active=checkbox("active"))
        return render_form("aliases/form.html", error, values=values, domain=alias.domain, alias=alias)
    db.commit()
    flash(gettext("Alias %(address)s saved.", address=alias.address))
    return redirect(url_for("aliases.index", domain=alias.domain.name))


@bp.route("/aliases/<address:address>/delete", methods=["GET", "POST"])
@allow(*MANAGERS)
def delete(address):
    db, actor = get_session(), current_actor()
    alias = aliases.get_alias(db, actor, address)
    actor.require_manage(alias.domain_id)
    if request.method == "GET":
        return _confirm_delete(alias)
    domain = alias.domain.name
    aliases.delete_alias(db, actor, alias)
    db.commit()
    flash(gettext("Alias %(address)s deleted.", address=address))
    return redirect(url_for("aliases.index", domain=domain))


@bp.post("/domains/<domain>/alias-domains")
@allow(*MANAGERS)
def create_alias_domain(domain):
    db, actor = get_session(), current_actor()
    row = lists.visible_domain(db, actor, domain)
    try:
        created = aliases.create_alias_domain(db, actor, request.form.get("name", ""), row.name)
    except ServiceError as error:
        db.rollback()
        row = lists.visible_domain(db, actor, domain)
        page = lists.alias_page(db, actor, row)
        return render_form(
            "aliases/index.html", error, domain=row, page=page, alias_domains=lists.alias_domains_of(db, actor, row)
        )
    db.commit()
    flash(gettext("%(name)s is now an alias domain of %(domain)s.", name=created.name, domain=row.name))
    return redirect(url_for("aliases.index", domain=row.name))


@bp.post("/alias-domains/<name>/active")
@allow(*MANAGERS)
def toggle_alias_domain(name):
    db, actor = get_session(), current_actor()
    alias_domain = aliases.get_alias_domain(db, actor, name)
    aliases.set_alias_domain_active(db, actor, alias_domain, checkbox("active"))
    db.commit()
    if alias_domain.active:
        flash(gettext("Alias domain %(name)s enabled.", name=alias_domain.name))
    else:
        flash(gettext("Alias domain %(name)s disabled.", name=alias_domain.name))
    return redirect(url_for("aliases.index", domain=alias_domain.target.name))


@bp.route("/alias-domains/<name>/delete", methods=["GET", "POST"])
@allow(*MANAGERS)
def delete_alias_domain(name):
    db, actor = get_session(), current_actor()
    alias_domain = aliases.get_alias_domain(db, actor, name)
    actor.require_manage(alias_domain.target_domain_id)
    if request.method == "GET":
        return confirm_page(
            gettext("Delete the alias domain %(name)s?", name=name),
            paragraphs=[
                gettext(
                    "Mail to any address at %(name)s will be refused instead of delivered to %(domain)s.",
                    name=name,
                    domain=alias_domain.target.name,
                )
            ],
            button=gettext("Delete %(name)s", name=name),
            cancel=url_for("aliases.index", domain=alias_domain.target.name),
        )
    target = alias_domain.target.name
    aliases.delete_alias_domain(db, actor, alias_domain)
    db.commit()
    flash(gettext("Alias domain %(name)s deleted.", name=name))
    return redirect(url_for("aliases.index", domain=target))


def _confirm_delete(alias):
    destinations = ", ".join(d.destination for d in alias.destinations)
    consequence = gettext(
        "Mail to %(address)s will no longer be forwarded to %(destinations)s.",
        address=alias.address,
        destinations=destinations,
    )
    if alias.is_catchall:
        consequence += " " + gettext(
            "Mail to unknown addresses of %(domain)s will be refused.", domain=alias.domain.name
        )
    return confirm_page(
        gettext("Delete the alias %(address)s?", address=alias.address),
        paragraphs=[consequence],
        button=gettext("Delete %(address)s", address=alias.address),
        cancel=url_for("aliases.index", domain=alias.domain.name),
    )
