"""Request parsing shared by the API views: typed JSON bodies, query
parameters, keyset paging, and the commit that ends a write."""

from __future__ import annotations

from flask import request

from .. import text
from ..db import get_session
from ..models import utc_iso
from ..services import ServiceError
from ..services.errors import safe_text
from ..sizes import SizeError, parse_count
from . import MAX_JSON_BYTES

MAX_PAGE = 500
DEFAULT_PAGE = 100
_TYPES = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}


def json_body(spec: dict[str, tuple], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, checked against ``spec`` (name -> allowed types)."""
    request.max_content_length = MAX_JSON_BYTES
    try:
        body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    except RecursionError:  # e.g. 100,000 nested "[": deeper than Python's parser goes
        raise ServiceError("body", "the JSON is nested too deeply") from None
    if not isinstance(body, dict):
        raise ServiceError("body", "send a JSON object with Content-Type: application/json")
    problems = {}
    for key, value in body.items():
        if key not in spec:
            problems[key] = "unknown field"
        elif not _is(value, spec[key]):
            problems[key] = "must be " + " or ".join(_TYPES[t] for t in spec[key])
        elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
            problems[key] = "must be a list of strings"
        elif _broken(value):
            problems[key] = "contains a broken character (half of a UTF-16 pair, like \\ud800)"
    for key in required:
        if body.get(key) in (None, ""):
            problems.setdefault(key, "is required")
    if problems:
        raise ServiceError(None, "invalid request body", **problems)
    return body


def _broken(value) -> bool:
    """JSON's ``"\\ud800"`` escape gives a lone surrogate: not text, so
    nothing can store or hash it (the encoder fails deep in a service)."""
    strings = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and text.has_surrogates(v) for v in strings)


def _is(value, types) -> bool:
    if isinstance(value, bool):
        return bool in types
    return any(isinstance(value, t) for t in types if t is not bool)


def query_flag(name: str) -> bool:
    value = request.args.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ServiceError(name, "must be 1 or 0")


def page_size() -> int:
    raw = request.args.get("limit", "")
    if raw == "":
        return DEFAULT_PAGE
    try:
        size = parse_count(raw, MAX_PAGE)
    except SizeError:
        size = 0
    if size < 1:
        raise ServiceError("limit", f"must be a whole number from 1 to {MAX_PAGE}")
    return size


def text_arg(name: str, max_length: int = 254) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if len(value) > max_length:
        raise ServiceError(name, f"must be at most {max_length} characters")
    return safe_text(value, name)


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def page(items: list, limit: int, key) -> dict:
    """Keyset page: ``next`` is the key to pass as ``after`` for more."""
    more = len(items) > limit
    items = items[:limit]
    return {"items": items, "next": key(items[-1]) if more and items else None}


def commit():
    get_session().commit()


def timestamp(value) -> str | None:
    """ISO 8601 in UTC with its zone, ``2026-12-03T14:05:09Z``, on both
    databases (SQLite hands stored times back naive; PostgreSQL as +00:00)."""
    return utc_iso(value)
