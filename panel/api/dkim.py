"""/api/v1/domains/<name>/dkim: a domain's DKIM keys (list, generate,
activate, retire), the twin of the DNS tab and ``flask domain dkim``.

The same rule as the web's DNS tab: superadmins and the domain's admins
(the helpdesk never manages a domain's keys). Public keys only: the
service hands out :class:`~panel.services.dkim.KeyInfo`, which has no
private key, so no answer can carry one."""

from __future__ import annotations

from flask import jsonify

from ..db import get_session
from ..services import dkim, dns_records
from . import bp
from .auth import MANAGERS, actor, token_required
from .common import commit, json_body, timestamp
from .domains import visible_domain

GENERATE = {"selector": (str,), "algorithm": (str,)}


def key_json(domain_name: str, key: dkim.KeyInfo) -> dict:
    return {
        "selector": key.selector,
        "algorithm": key.algorithm,
        "state": key.state,
        "created_at": timestamp(key.created_at),
        "activated_at": timestamp(key.activated_at),
        "retired_at": timestamp(key.retired_at),
        "public_key": key.public_key,
        "dns_name": f"{key.selector}._domainkey.{domain_name}.",
        "txt": dns_records.dkim_value(key),
    }


@bp.get("/domains/<name>/dkim")
@token_required(*MANAGERS)
def list_dkim_keys(name):
    domain = visible_domain(name)
    keys = dkim.list_keys(get_session(), actor(), domain)
    return jsonify({"items": [key_json(domain.name, key) for key in keys]})


@bp.post("/domains/<name>/dkim")
@token_required(*MANAGERS)
def generate_dkim_key(name):
    body = json_body(GENERATE)
    domain = visible_domain(name)
    key = dkim.generate(get_session(), actor(), domain, body.get("selector") or None, body.get("algorithm"))
    commit()
    return jsonify(key_json(domain.name, key)), 201


@bp.post("/domains/<name>/dkim/<selector>/activate")
@token_required(*MANAGERS)
def activate_dkim_key(name, selector):
    domain = visible_domain(name)
    key = dkim.activate(get_session(), actor(), domain, selector)
    commit()
    return jsonify(key_json(domain.name, key))


@bp.post("/domains/<name>/dkim/<selector>/retire")
@token_required(*MANAGERS)
def retire_dkim_key(name, selector):
    domain = visible_domain(name)
    key = dkim.retire(get_session(), actor(), domain, selector)
    commit()
    return jsonify(key_json(domain.name, key))
