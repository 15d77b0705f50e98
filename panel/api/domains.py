"""/api/v1/domains: list, read, create, change, delete."""

from __future__ import annotations

from contextlib import contextmanager

from flask import jsonify

from ..db import get_session
from ..models import Domain
from ..services import ServiceError, domains, lists
from . import bp
from .auth import MANAGERS, actor, token_required
from .common import commit, json_body, page, page_size, text_arg, timestamp

# JSON name -> service field; sizes may be bytes or "2G".
LIMITS = {
    "max_mailboxes": "max_mailboxes",
    "max_aliases": "max_aliases",
    "max_quota": "max_quota_bytes",
    "total_quota": "total_quota_bytes",
    "default_quota": "default_quota_bytes",
}
_LIMIT_TYPES = {
    "max_mailboxes": (int,),
    "max_aliases": (int,),
    "max_quota": (int, str),
    "total_quota": (int, str),
    "default_quota": (int, str),
}
# What the domain's mailbox users may do in the portal (services.domains.set_user_rights).
RIGHTS = {"users_change_password": "change_password", "users_forward_outside": "forward_outside"}
SPEC = {"name": (str,), "description": (str,), "active": (bool,), **_LIMIT_TYPES, **dict.fromkeys(RIGHTS, (bool,))}
_JSON_NAMES = {field: name for name, field in LIMITS.items()}


@contextmanager
def _json_field_names():
    """A refusal names the JSON field that was sent (``max_quota``), not the
    service's (``max_quota_bytes``)."""
    try:
        yield
    except ServiceError as exc:
        exc.fields = {_JSON_NAMES.get(field, field): message for field, message in exc.fields.items()}
        raise


def as_json(domain: Domain) -> dict:
    return {
        "name": domain.name,
        "description": domain.description,
        "active": domain.active,
        "max_mailboxes": domain.max_mailboxes,
        "max_aliases": domain.max_aliases,
        "max_quota": domain.max_quota_bytes,
        "total_quota": domain.total_quota_bytes,
        "default_quota": domain.default_quota_bytes,
        "mailbox_count": domain.mailbox_count,
        "alias_count": domain.alias_count,
        "quota_allocated": domain.quota_allocated_bytes,
        "users_change_password": domain.users_change_password,
        "users_forward_outside": domain.users_forward_outside,
        "created_at": timestamp(domain.created_at),
    }


def _set_rights(session, domain: Domain, body: dict) -> None:
    rights = {RIGHTS[k]: v for k, v in body.items() if k in RIGHTS}
    if rights:
        domains.set_user_rights(session, actor(), domain, **rights)


def visible_domain(name: str) -> Domain:
    return lists.visible_domain(get_session(), actor(), name, "name")


@bp.get("/domains")
@token_required(*MANAGERS)
def list_domains():
    limit = page_size()
    rows = [as_json(d) for d in lists.api_domains(get_session(), actor(), text_arg("after"), limit)]
    return jsonify(page(rows, limit, lambda item: item["name"]))


@bp.post("/domains")
@token_required(*MANAGERS)
def create_domain():
    body = json_body(SPEC, required=("name",))
    limits = {LIMITS[k]: v for k, v in body.items() if k in LIMITS}
    with _json_field_names():
        domain = domains.create_domain(
            get_session(),
            actor(),
            body["name"],
            description=body.get("description", ""),
            active=body.get("active", True),
            **limits,
        )
    _set_rights(get_session(), domain, body)
    commit()
    return jsonify(as_json(domain)), 201


@bp.get("/domains/<name>")
@token_required(*MANAGERS)
def get_domain(name):
    return jsonify(as_json(visible_domain(name)))


@bp.patch("/domains/<name>")
@token_required(*MANAGERS)
def update_domain(name):
    body = json_body({k: v for k, v in SPEC.items() if k != "name"})
    session, domain = get_session(), visible_domain(name)
    limits = {LIMITS[k]: v for k, v in body.items() if k in LIMITS}
    if limits or "description" in body:  # a superadmin's; a domain admin may still set the rights
        with _json_field_names():
            domains.update_domain(session, actor(), domain, description=body.get("description"), **limits)
    if "active" in body:
        domains.set_domain_active(session, actor(), domain, body["active"])
    _set_rights(session, domain, body)
    commit()
    return jsonify(as_json(domain))


@bp.delete("/domains/<name>")
@token_required(*MANAGERS)
def delete_domain(name):
    domains.delete_domain(get_session(), actor(), visible_domain(name))
    commit()
    return "", 204
