"""JSON API under /api/v1, authenticated by bearer tokens (no cookies, so no CSRF).

Every view declares its access with :func:`.auth.token_required` (the
``view.access`` convention of panel/web/access.py) and calls the same
services as the web and the CLI, under the token's admin as the Actor.
Every error is JSON ``{"error": ..., "fields": {...}}``, never an HTML page.
"""

from __future__ import annotations

from flask import Blueprint, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Bodies larger than this are refused with 413 (CSV uploads have their own limit).
MAX_JSON_BYTES = 1024 * 1024
MAX_CSV_BYTES = 64 * 1024 * 1024


def init_app(app) -> None:
    # Bearer tokens, no cookies: the app factory exempts this blueprint from
    # the web's CSRF protection (panel/__init__.py).
    app.register_blueprint(bp)
    app.after_request(_no_store)


def _no_store(response):
    """No API answer is kept by a cache: exports hold password hashes, some
    answers generated passwords. On the app, not the blueprint, so an
    unmatched /api/v1 path (a 404) carries it too."""
    if request.path == bp.url_prefix or request.path.startswith(bp.url_prefix + "/"):
        response.headers["Cache-Control"] = "no-store"
    return response


# Routes and handlers attach to ``bp`` as these modules are imported.
from . import aliases, bulk, dkim, domains, errors, mailbox_settings, mailboxes, openapi  # noqa: E402,F401

errors.register(bp)
