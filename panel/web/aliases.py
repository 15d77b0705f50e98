"""Aliases (several destinations, catch-all ``@domain``) and alias domains of a domain."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..db import get_session
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
        page, error = lists.Page([]), exc.fields["q"]
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
    flash(f"Alias {alias.address} created.")
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
    flash(f"Alias {alias.address} saved.")
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
    flash(f"Alias {address} deleted.")
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
    flash(f"{created.name} is now an alias domain of {row.name}.")
    return redirect(url_for("aliases.index", domain=row.name))


@bp.post("/alias-domains/<name>/active")
@allow(*MANAGERS)
def toggle_alias_domain(name):
    db, actor = get_session(), current_actor()
    alias_domain = aliases.get_alias_domain(db, actor, name)
    aliases.set_alias_domain_active(db, actor, alias_domain, checkbox("active"))
    db.commit()
    flash(f"Alias domain {alias_domain.name} {'enabled' if alias_domain.active else 'disabled'}.")
    return redirect(url_for("aliases.index", domain=alias_domain.target.name))


@bp.route("/alias-domains/<name>/delete", methods=["GET", "POST"])
@allow(*MANAGERS)
def delete_alias_domain(name):
    db, actor = get_session(), current_actor()
    alias_domain = aliases.get_alias_domain(db, actor, name)
    actor.require_manage(alias_domain.target_domain_id)
    if request.method == "GET":
        return confirm_page(
            f"Delete the alias domain {name}?",
            paragraphs=[
                f"Mail to any address at {name} will be refused instead of delivered to {alias_domain.target.name}."
            ],
            button=f"Delete {name}",
            cancel=url_for("aliases.index", domain=alias_domain.target.name),
        )
    target = alias_domain.target.name
    aliases.delete_alias_domain(db, actor, alias_domain)
    db.commit()
    flash(f"Alias domain {name} deleted.")
    return redirect(url_for("aliases.index", domain=target))


def _confirm_delete(alias):
    destinations = ", ".join(d.destination for d in alias.destinations)
    consequence = f"Mail to {alias.address} will no longer be forwarded to {destinations}."
    if alias.is_catchall:
        consequence += f" Mail to unknown addresses of {alias.domain.name} will be refused."
    return confirm_page(
        f"Delete the alias {alias.address}?",
        paragraphs=[consequence],
        button=f"Delete {alias.address}",
        cancel=url_for("aliases.index", domain=alias.domain.name),
    )
