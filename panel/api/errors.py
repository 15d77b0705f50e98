"""JSON errors for the API: service errors, HTTP errors, and a last resort."""

from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from ..db import DATABASE_REFUSED, UNAVAILABLE, get_session, refused_value
from ..services import ServiceError

_MESSAGES = {
    400: "bad request",
    401: "a valid bearer token is required",
    403: "not allowed",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "the request body is too large",
    415: "unsupported content type",
}


def error_response(status: int, message: str, fields: dict | None = None, **extra):
    body = {"error": message, "fields": fields or {}}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="mailpanel"'
    return response


def _service_error(exc: ServiceError):
    get_session().rollback()
    return error_response(exc.status, exc.message if not exc.fields else str(exc), exc.fields)


def _http_error(exc: HTTPException):
    get_session().rollback()
    status = exc.code or 500
    # Our own aborts carry a description; Werkzeug's defaults are HTML-ish prose.
    return error_response(status, _MESSAGES.get(status, exc.name.lower()))


def _database_unavailable(exc: Exception):
    """Busy or unreachable: a JSON 503 the client may retry, one log line."""
    try:
        get_session().rollback()
    except Exception:  # noqa: BLE001 - the connection is already gone
        pass
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()
    current_app.logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.path,
        reason[0][:200] if reason else type(exc).__name__,
    )
    response = error_response(503, "the database is busy or unreachable; try again shortly")
    response.headers["Retry-After"] = "5"
    return response


def _database_refused(exc: DataError):
    refused_value(exc)
    return error_response(400, DATABASE_REFUSED)


def _unexpected(exc: Exception):
    get_session().rollback()
    current_app.logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "internal error; it has been logged")


def register(bp) -> None:
    """Called once, when the package is first imported (a blueprint is set
    up before its first registration)."""
    bp.register_error_handler(ServiceError, _service_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(DataError, _database_refused)
    # Flask prefers the app's handler for a status code over a blueprint's
    # handler for a class: name the codes so the web's HTML pages never answer here.
    for status in _MESSAGES:
        bp.register_error_handler(status, _http_error)
    for error in UNAVAILABLE:
        bp.register_error_handler(error, _database_unavailable)
    bp.register_error_handler(Exception, _unexpected)
