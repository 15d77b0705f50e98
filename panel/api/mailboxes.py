"""/api/v1/mailboxes: keyset-paged search, create, update, password, disable,
delete; and bulk actions on a domain's mailboxes (services/mailbox_bulk.py)."""

from __future__ import annotations

from flask import current_app, jsonify

from .. import passwords
from ..db import get_session
from ..models import Mailbox
from ..services import ServiceError, lists, mailbox_bulk, mailboxes
from ..services.mailbox_bulk import Matching
from . import bp
from .auth import ALL_ROLES, MANAGERS, actor, token_required
from .common import commit, json_body, page, page_size, text_arg, timestamp
from .domains import visible_domain

CREATE = {
    "email": (str,),
    "name": (str,),
    "password": (str,),
    "password_hash": (str,),
    "quota": (int, str),
    "active": (bool,),
}
UPDATE = {"name": (str,), "quota": (int, str), "active": (bool,)}
PASSWORD = {"password": (str,), "password_hash": (str,)}
BULK = {
    "action": (str,),
    "emails": (list,),
    "all": (bool,),
    "state": (str,),
    "unused": (str,),
    "quota": (int, str),
    "expected": (int,),
}


def as_json(mailbox: Mailbox) -> dict:
    return {
        "email": mailbox.address,
        "domain": mailbox.domain.name,
        "name": mailbox.name,
        "quota": mailbox.quota_bytes,
        "active": mailbox.active,
        "created_at": timestamp(mailbox.created_at),
        "password_changed_at": timestamp(mailbox.password_changed_at),
    }


def _scheme() -> str:
    return current_app.config["HASH_SCHEME"].upper()


def _mailbox(email: str) -> Mailbox:
    return mailboxes.get_mailbox(get_session(), actor(), email, "email")


@bp.get("/mailboxes")
@token_required(*ALL_ROLES)
def list_mailboxes():
    limit, after, search, domain = page_size(), text_arg("after"), text_arg("q", 100), text_arg("domain")
    found = lists.api_mailboxes(get_session(), actor(), after.lower() if after else None, limit, search, domain)
    return jsonify(page([as_json(m) for m in found], limit, lambda item: item["email"]))


def _prepared_password(body: dict) -> tuple[passwords.Prepared | None, str | None]:
    """(password hashed before the write transaction, the generated text or
    None): the slow hash holds no database lock."""
    if body.get("password_hash"):
        return (passwords.prepare(body["password"], _scheme()) if body.get("password") else None), None
    if body.get("password"):
        return passwords.prepare(body["password"], _scheme()), None
    generated = passwords.generate()
    return passwords.prepare(generated, _scheme()), generated


@bp.post("/mailboxes")
@token_required(*MANAGERS)
def create_mailbox():
    body = json_body(CREATE, required=("email",))
    password, generated = _prepared_password(body)
    mailbox = mailboxes.create_mailbox(
        get_session(),
        actor(),
        body["email"],
        password=password,
        password_hash=body.get("password_hash"),
        quota=body.get("quota"),
        name=body.get("name", ""),
        active=body.get("active", True),
        scheme=_scheme(),
    )
    commit()
    result = {"mailbox": as_json(mailbox)}
    if generated:
        result["password"] = generated  # shown once, never stored
    return jsonify(result), 201


@bp.get("/mailboxes/<address:email>")
@token_required(*ALL_ROLES)
def get_mailbox(email):
    return jsonify(as_json(_mailbox(email)))


@bp.patch("/mailboxes/<address:email>")
@token_required(*MANAGERS)
def update_mailbox(email):
    body = json_body(UPDATE)
    mailbox = mailboxes.update_mailbox(
        get_session(),
        actor(),
        _mailbox(email),
        name=body.get("name"),
        quota=body.get("quota"),
        active=body.get("active"),
    )
    commit()
    return jsonify(as_json(mailbox))


@bp.post("/mailboxes/<address:email>/password")
@token_required(*ALL_ROLES)
def set_password(email):
    body = json_body(PASSWORD)
    password, generated = _prepared_password(body)
    mailbox = mailboxes.set_password(
        get_session(),
        actor(),
        _mailbox(email),
        password=password,
        password_hash=body.get("password_hash"),
        scheme=_scheme(),
    )
    commit()
    result = {"mailbox": as_json(mailbox)}
    if generated:
        result["password"] = generated
    return jsonify(result)


def _set_active(email: str, active: bool):
    mailbox = mailboxes.set_mailbox_active(get_session(), actor(), _mailbox(email), active)
    commit()
    return jsonify(as_json(mailbox))


@bp.post("/mailboxes/<address:email>/disable")
@token_required(*MANAGERS)
def disable_mailbox(email):
    return _set_active(email, False)


@bp.post("/mailboxes/<address:email>/enable")
@token_required(*MANAGERS)
def enable_mailbox(email):
    return _set_active(email, True)


@bp.delete("/mailboxes/<address:email>")
@token_required(*MANAGERS)
def delete_mailbox(email):
    mailboxes.delete_mailbox(get_session(), actor(), _mailbox(email))
    commit()
    return "", 204


@bp.post("/domains/<name>/mailboxes/bulk")
@token_required(*MANAGERS)
def bulk_mailboxes(name):
    """Disable, enable, delete or set the quota of the listed mailboxes, or
    of all matching the list's filter: all or none, one audit event each."""
    body = json_body(BULK, required=("action",))
    domain = visible_domain(name)
    outcome = mailbox_bulk.bulk_update(
        get_session(),
        actor(),
        domain,
        body["action"],
        _bulk_selection(body),
        quota=body.get("quota"),
        expected=body.get("expected"),
    )
    commit()
    return jsonify({"action": body["action"], "changed": outcome.changed, "unchanged": outcome.unchanged})


def _bulk_selection(body: dict):
    if body.get("all"):
        if "emails" in body:
            raise ServiceError("emails", 'send "emails" or "all": true, not both')
        return Matching(body.get("state") or None, body.get("unused") or None)
    if "state" in body or "unused" in body:
        raise ServiceError("all", 'a filter ("state", "unused") selects with "all": true')
    emails = body.get("emails") or []
    if not emails:
        raise ServiceError("emails", 'list the mailboxes, or send "all": true with the list\'s filter')
    if not all("@" in email for email in emails):
        raise ServiceError("emails", "each item is a mailbox's address")
    return emails
