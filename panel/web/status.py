"""GET /health for load balancers: 200 "ok" or 503 "unavailable", nothing more."""

from flask import Blueprint, current_app

from ..db import get_session
from ..services import status
from .access import public

bp = Blueprint("status", __name__)


@bp.get("/health")
@public
def health():
    # Only what serving mail needs: the two servers and the database.
    results = status.cached(get_session(), current_app.config)
    vital = [r for r in results if r.name in ("postfix", "dovecot", "database")]
    if all(r.state == status.OK for r in vital):
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return "unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8"}
