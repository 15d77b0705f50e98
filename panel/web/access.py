"""Authorization declared on every view.

Each view is wrapped by :func:`allow` (naming the roles that may use it) or
marked :func:`public`. ``tests/test_permissions.py`` walks the URL map and
fails on any endpoint without a declaration.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from ..access import public  # noqa: F401 (re-exported for the views)
from ..models import ALL_ROLES, MANAGERS, Role  # noqa: F401 (re-exported for the views)
from ..services import Actor

# Anyone signed in: the admin roles and a mailbox's owner in the portal.
EVERYONE = (*ALL_ROLES, Role.MAILBOX)


def allow(*roles: Role):
    """Only logged-in admins whose role is in ``roles`` reach the view.

    Domain scoping is checked by the services (every service call takes the
    actor), so a domain admin asking for another domain gets a 404/403 from
    the same code the CLI and API use.
    """
    if not roles:
        raise ValueError("allow() needs at least one role")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if Role(current_user.role) not in roles:
                if current_user.is_mailbox_user and request.endpoint == "home.index":
                    return redirect(url_for("me.index"))  # a mailbox's owner has the portal
                abort(403)
            if must_enrol_second_factor() and request.endpoint not in ENROLMENT_ENDPOINTS:
                return redirect(url_for("account.two_factor"))
            return view(*args, **kwargs)

        wrapped.access = ("roles", frozenset(roles))
        return wrapped

    return decorator


# What an account that must enrol a second factor may still reach.
ENROLMENT_ENDPOINTS = frozenset(
    {"account.two_factor", "account.two_factor_start", "account.two_factor_confirm", "shown_once.show", "auth.logout"}
)


def must_enrol_second_factor() -> bool:
    """The account's role requires a second factor (MAILPANEL_REQUIRE_2FA)
    and it has none yet: it may do nothing but enrol."""
    if current_user.is_mailbox_user:
        return False
    required = current_app.config.get("REQUIRE_2FA") or ()
    return current_user.role in required and current_user.totp_enabled_at is None


def current_actor() -> Actor:
    if current_user.is_mailbox_user:
        return Actor.from_mailbox(current_user, request.remote_addr, g.get("web_session_id"))
    return Actor.from_admin(current_user, request.remote_addr, g.get("web_session_id"))
