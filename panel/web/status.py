"""GET /health for load balancers (200 "ok" or 503 "unavailable", nothing more) and
GET /metrics for Prometheus (a superadmin's API token)."""

from flask import Blueprint, current_app, render_template
from prometheus_client import CONTENT_TYPE_LATEST

from ..api.auth import actor as api_actor
from ..api.auth import token_required
from ..db import get_session
from ..models import Role
from ..services import metrics as metrics_service
from ..services import status
from .access import allow, public

bp = Blueprint("status", __name__)


@bp.get("/health")
@public
def health():
    # Live, not status.cached: the dashboard may have filled the cache a
    # moment before the database went away.
    results = status.vital(get_session(), current_app.config)
    if all(r.state == status.OK for r in results):
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return "unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/metrics")
@token_required(Role.SUPERADMIN)
def metrics():
    body = metrics_service.render(get_session(), api_actor(), current_app.config)
    return body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}


@bp.get("/status")
@allow(Role.SUPERADMIN)
def page():
    results = status.cached(get_session(), current_app.config)
    return render_template("status/index.html", results=results, overall=status.worst(results))
