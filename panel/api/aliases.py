"""/api/v1/aliases and /api/v1/alias-domains."""

from __future__ import annotations

from flask import jsonify

from ..db import get_session
from ..models import Alias, AliasDomain
from ..services import aliases, lists
from . import bp
from .auth import MANAGERS, actor, token_required
from .common import commit, json_body, page, page_size, text_arg, timestamp


def alias_json(alias: Alias) -> dict:
    return {
        "address": alias.address,
        "domain": alias.domain.name,
        "active": alias.active,
        "destinations": [d.destination for d in alias.destinations],
        "created_at": timestamp(alias.created_at),
    }


def alias_domain_json(alias_domain: AliasDomain) -> dict:
    return {
        "name": alias_domain.name,
        "target": alias_domain.target.name,
        "active": alias_domain.active,
        "created_at": timestamp(alias_domain.created_at),
    }


@bp.get("/aliases")
@token_required(*MANAGERS)
def list_aliases():
    limit, after, search, domain = page_size(), text_arg("after"), text_arg("q", 100), text_arg("domain")
    found = lists.api_aliases(get_session(), actor(), after, limit, search, domain)
    rows = [alias_json(a) for a in found]
    return jsonify(page(rows, limit, lambda item: item["address"]))


@bp.post("/aliases")
@token_required(*MANAGERS)
def create_alias():
    body = json_body(
        {"address": (str,), "destinations": (list, str), "active": (bool,)}, required=("address", "destinations")
    )
    alias = aliases.create_alias(
        get_session(), actor(), body["address"], body["destinations"], active=body.get("active", True)
    )
    commit()
    return jsonify(alias_json(alias)), 201


@bp.get("/aliases/<address:address>")
@token_required(*MANAGERS)
def get_alias(address):
    return jsonify(alias_json(aliases.get_alias(get_session(), actor(), address)))


@bp.patch("/aliases/<address:address>")
@token_required(*MANAGERS)
def update_alias(address):
    body = json_body({"destinations": (list, str), "active": (bool,)})
    session = get_session()
    alias = aliases.update_alias(
        session,
        actor(),
        aliases.get_alias(session, actor(), address),
        destinations=body.get("destinations"),
        active=body.get("active"),
    )
    commit()
    return jsonify(alias_json(alias))


@bp.delete("/aliases/<address:address>")
@token_required(*MANAGERS)
def delete_alias(address):
    session = get_session()
    aliases.delete_alias(session, actor(), aliases.get_alias(session, actor(), address))
    commit()
    return "", 204


@bp.get("/alias-domains")
@token_required(*MANAGERS)
def list_alias_domains():
    limit = page_size()
    rows = [alias_domain_json(a) for a in lists.api_alias_domains(get_session(), actor(), text_arg("after"), limit)]
    return jsonify(page(rows, limit, lambda item: item["name"]))


@bp.post("/alias-domains")
@token_required(*MANAGERS)
def create_alias_domain():
    body = json_body({"name": (str,), "target": (str,), "active": (bool,)}, required=("name", "target"))
    alias_domain = aliases.create_alias_domain(
        get_session(), actor(), body["name"], body["target"], active=body.get("active", True)
    )
    commit()
    return jsonify(alias_domain_json(alias_domain)), 201


@bp.get("/alias-domains/<name>")
@token_required(*MANAGERS)
def get_alias_domain(name):
    return jsonify(alias_domain_json(aliases.get_alias_domain(get_session(), actor(), name)))


@bp.patch("/alias-domains/<name>")
@token_required(*MANAGERS)
def update_alias_domain(name):
    body = json_body({"active": (bool,)}, required=("active",))
    session = get_session()
    alias_domain = aliases.set_alias_domain_active(
        session, actor(), aliases.get_alias_domain(session, actor(), name), body["active"]
    )
    commit()
    return jsonify(alias_domain_json(alias_domain))


@bp.delete("/alias-domains/<name>")
@token_required(*MANAGERS)
def delete_alias_domain(name):
    session = get_session()
    aliases.delete_alias_domain(session, actor(), aliases.get_alias_domain(session, actor(), name))
    commit()
    return "", 204
