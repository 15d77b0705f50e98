"""Bearer-token authentication and the declared access of every API view."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from ..db import get_session
from ..models import ALL_ROLES, MANAGERS, Role  # noqa: F401 (re-exported for the views)
from ..services import Actor, tokens
from .errors import error_response


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_required(*roles: Role):
    """Only a live token whose admin has one of ``roles`` reaches the view;
    the services then scope it to that admin's domains."""
    if not roles:
        raise ValueError("token_required() needs at least one role")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            session = get_session()
            found = tokens.authenticate(session, _bearer())
            if found is None:
                session.rollback()
                return error_response(401, "a valid bearer token is required")
            admin, _token = found
            session.commit()  # last_used_at, at most every few minutes
            if Role(admin.role) not in roles:
                return error_response(403, f"a {admin.role} token may not do this")
            g.api_actor = Actor.from_admin(admin, request.remote_addr)
            return view(*args, **kwargs)

        wrapped.access = ("token", frozenset(roles))
        return wrapped

    return decorator


def actor() -> Actor:
    return g.api_actor
