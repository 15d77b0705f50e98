"""/api/v1/mailboxes/<email>/{vacation,forwarding,app-passwords}: what a
mailbox's owner sets in the portal, for the admins who manage the mailbox.

API tokens belong to admins, so these answer superadmins and domain admins
(the helpdesk only resets passwords, as on the web); the services scope
each call to the mailbox's domain."""

from __future__ import annotations

from flask import jsonify

from ..db import get_session
from ..models import AppPassword, Mailbox, Vacation
from ..services import app_passwords, forwarding, mailboxes, vacation
from . import bp
from .auth import MANAGERS, actor, token_required
from .common import commit, json_body, timestamp

VACATION = {
    "active": (bool,),
    "subject": (str,),
    "body": (str,),
    "first_day": (str,),
    "last_day": (str,),
    "days": (int, str),
}
FORWARDING = {"destinations": (list,), "keep_copy": (bool,)}
APP_PASSWORD = {"name": (str,), "protocols": (list,), "expires": (str,)}


def _mailbox(email: str) -> Mailbox:
    return mailboxes.get_mailbox(get_session(), actor(), email, "email")


def _day(value) -> str | None:
    return value.isoformat() if value else None


def vacation_json(row: Vacation | None) -> dict:
    if row is None:
        return {"active": False, "subject": "", "body": "", "first_day": None, "last_day": None, "days": 7}
    return {
        "active": row.active,
        "subject": row.subject,
        "body": row.body,
        "first_day": _day(row.first_day),
        "last_day": _day(row.last_day),
        "days": row.interval_days,
    }


@bp.get("/mailboxes/<address:email>/vacation")
@token_required(*MANAGERS)
def get_vacation(email):
    return jsonify(vacation_json(vacation.get_vacation(get_session(), actor(), _mailbox(email))))


@bp.put("/mailboxes/<address:email>/vacation")
@token_required(*MANAGERS)
def put_vacation(email):
    body = json_body(VACATION, required=("active",))
    row = vacation.set_vacation(
        get_session(),
        actor(),
        _mailbox(email),
        active=body["active"],
        subject=body.get("subject", ""),
        body=body.get("body", ""),
        first_day=body.get("first_day"),
        last_day=body.get("last_day"),
        interval_days=body.get("days"),
    )
    commit()
    return jsonify(vacation_json(row))


@bp.delete("/mailboxes/<address:email>/vacation")
@token_required(*MANAGERS)
def delete_vacation(email):
    vacation.switch_off(get_session(), actor(), _mailbox(email))
    commit()
    return "", 204


def forwarding_json(found: forwarding.Forwarding | None) -> dict:
    if found is None:
        return {"destinations": [], "keep_copy": True, "active": False}
    return {"destinations": found.destinations, "keep_copy": found.keep_copy, "active": found.active}


@bp.get("/mailboxes/<address:email>/forwarding")
@token_required(*MANAGERS)
def get_forwarding(email):
    return jsonify(forwarding_json(forwarding.get_forwarding(get_session(), actor(), _mailbox(email))))


@bp.put("/mailboxes/<address:email>/forwarding")
@token_required(*MANAGERS)
def put_forwarding(email):
    body = json_body(FORWARDING, required=("destinations",))
    session, mailbox = get_session(), _mailbox(email)
    forwarding.set_forwarding(session, actor(), mailbox, body["destinations"], keep_copy=body.get("keep_copy", False))
    found = forwarding.get_forwarding(session, actor(), mailbox)
    commit()
    return jsonify(forwarding_json(found))


@bp.delete("/mailboxes/<address:email>/forwarding")
@token_required(*MANAGERS)
def delete_forwarding(email):
    forwarding.stop_forwarding(get_session(), actor(), _mailbox(email))
    commit()
    return "", 204


def app_password_json(row: AppPassword, used=None) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "protocols": row.protocols.strip(",").split(","),
        "created_at": timestamp(row.created_at),
        "expires_at": timestamp(row.expires_at),
        "last_used_at": timestamp(used),
    }


@bp.get("/mailboxes/<address:email>/app-passwords")
@token_required(*MANAGERS)
def list_app_passwords(email):
    session, mailbox = get_session(), _mailbox(email)
    rows = app_passwords.list_for(session, actor(), mailbox)
    used = app_passwords.last_used(session, mailbox)
    return jsonify({"items": [app_password_json(row, used.get(row.id)) for row in rows]})


@bp.post("/mailboxes/<address:email>/app-passwords")
@token_required(*MANAGERS)
def create_app_password(email):
    body = json_body(APP_PASSWORD)  # the service names every missing or bad field at once
    row, secret = app_passwords.create(
        get_session(),
        actor(),
        _mailbox(email),
        body.get("name", ""),
        body.get("protocols"),
        expires=body.get("expires"),
    )
    commit()
    # The secret is in this answer only: it is stored hashed.
    return jsonify({"app_password": app_password_json(row), "secret": secret}), 201


@bp.delete("/mailboxes/<address:email>/app-passwords/<ident>")
@token_required(*MANAGERS)
def revoke_app_password(email, ident):
    session, mailbox = get_session(), _mailbox(email)
    row = app_passwords.get(session, actor(), mailbox, ident)
    app_passwords.revoke(session, actor(), mailbox, row)
    commit()
    return "", 204
