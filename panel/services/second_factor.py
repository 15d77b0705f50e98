"""TOTP second factor (RFC 6238) for panel accounts, with recovery codes.

The seed is made by ``pyotp``, sealed with a key derived from the panel's
secret (panel.crypto) and shown once, as an ``otpauth://`` URI and a QR
code. Enrolment is pending until a first valid code proves the
authenticator works. A code is accepted once: the time step of the last
accepted code is stored and a conditional UPDATE refuses any step not
after it (a replayed or an older code). Ten recovery codes, each 50
random bits in base32 groups, are stored as SHA-256 digests (random codes
need no slow hash, as with API tokens) and spent when used.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import crypto
from ..languages import N_, Message
from ..models import Admin, RecoveryCode, utcnow
from . import audit
from .actor import Actor
from .errors import ServiceError

ISSUER = "Mailpanel"
RECOVERY_CODES = 10
PURPOSE = "totp seed"
_CODE_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _master(session: Session) -> str:
    return session.info["secret_key"]


def _may_manage(actor: Actor, admin: Admin) -> None:
    """One's own second factor, or (a superadmin) anyone's: nothing outranks a superadmin."""
    if actor.admin_id == admin.id:
        return
    actor.require_superadmin()


def is_enabled(admin: Admin) -> bool:
    return admin.totp_enabled_at is not None and admin.totp_secret is not None


def provisioning_uri(seed: str, username: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name=ISSUER)


def start_enrolment(session: Session, actor: Actor, admin: Admin) -> str:
    """A fresh seed for ``admin``, pending until confirmed; returns it."""
    _may_manage(actor, admin)
    if is_enabled(admin):
        raise ServiceError("code", N_("two-factor authentication is already on; turn it off first"))
    seed = pyotp.random_base32()
    admin.totp_secret, admin.totp_enabled_at, admin.totp_last_step = (
        crypto.seal(seed, _master(session), PURPOSE),
        None,
        None,
    )
    return seed


def pending_seed(session: Session, admin: Admin) -> str | None:
    if admin.totp_secret is None or is_enabled(admin):
        return None
    try:
        return crypto.unseal(admin.totp_secret, _master(session), PURPOSE)
    except crypto.Unreadable:
        return None


def confirm_enrolment(session: Session, actor: Actor, admin: Admin, code: str) -> list[str]:
    """Turn the pending seed on with a first valid code; returns the
    recovery codes (shown once, stored hashed)."""
    _may_manage(actor, admin)
    seed = pending_seed(session, admin)
    if seed is None:
        raise ServiceError("code", N_("start again: there is no enrolment waiting for a code"))
    step = _matching_step(seed, code)
    if step is None:
        raise ServiceError("code", N_("is not the code your app shows now; check the time on your phone"))
    admin.totp_enabled_at, admin.totp_last_step = utcnow(), step
    codes = _new_recovery_codes(session, admin)
    audit.record(session, actor, "admin.totp_enabled", admin.username)
    return codes


def enable_now(session: Session, actor: Actor, admin: Admin) -> tuple[str, list[str]]:
    """The operator's way (``flask admin totp enable``): on at once, without
    a first code; returns the otpauth URI and the recovery codes."""
    _may_manage(actor, admin)
    if is_enabled(admin):
        raise ServiceError(
            "username", Message(N_("%(username)s already has two-factor authentication"), username=admin.username)
        )
    seed = start_enrolment(session, actor, admin)
    admin.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(session, admin)
    audit.record(session, actor, "admin.totp_enabled", admin.username)
    return provisioning_uri(seed, admin.username), codes


def disable(session: Session, actor: Actor, admin: Admin) -> None:
    _may_manage(actor, admin)
    admin.totp_secret = admin.totp_enabled_at = admin.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.admin_id == admin.id))
    audit.record(session, actor, "admin.totp_disabled", admin.username)


def check_code(session: Session, admin: Admin, code: str) -> str | None:
    """Accept a current TOTP code once, or an unspent recovery code.
    Returns "totp" or "recovery", or None when neither matches."""
    code = (code or "").strip().lower().replace(" ", "").replace("-", "")
    if not is_enabled(admin) or not code or len(code) > 20:
        return None
    if code.isdigit():
        try:
            seed = crypto.unseal(admin.totp_secret, _master(session), PURPOSE)
        except crypto.Unreadable:
            return None
        step = _matching_step(seed, code)
        return "totp" if step is not None and _spend_step(session, admin, step) else None
    return "recovery" if _spend_recovery_code(session, admin, code) else None


def recovery_codes_left(session: Session, admin: Admin) -> int:
    unspent = select(func.count()).where(RecoveryCode.admin_id == admin.id, RecoveryCode.used_at.is_(None))
    return session.scalar(unspent.select_from(RecoveryCode))


def _matching_step(seed: str, code: str, now: float | None = None) -> int | None:
    """The time step (of now, the one before or after: clocks drift) whose
    code this is."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(seed)
    current = int((now or time.time()) // totp.interval)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _spend_step(session: Session, admin: Admin, step: int) -> bool:
    result = session.execute(
        update(Admin)
        .where(Admin.id == admin.id, (Admin.totp_last_step.is_(None)) | (Admin.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.expire(admin, ["totp_last_step"])
    return result.rowcount == 1


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _spend_recovery_code(session: Session, admin: Admin, code: str) -> bool:
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.admin_id == admin.id, RecoveryCode.code_hash == _digest(code), RecoveryCode.used_at.is_(None)
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        audit.record(session, Actor.from_admin(admin), "login.recovery_code_used", admin.username)
        return True
    return False


def _new_recovery_codes(session: Session, admin: Admin) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.admin_id == admin.id))
    codes = [
        "-".join("".join(secrets.choice(_CODE_CHARS) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    session.add_all(RecoveryCode(admin_id=admin.id, code_hash=_digest(c.replace("-", ""))) for c in codes)
    return codes
