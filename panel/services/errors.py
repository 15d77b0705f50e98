"""The one error type services raise for rule violations, keyed by field.

Forms show ``fields`` next to their inputs, the CLI prints ``str(error)``,
and the API maps ``status`` and ``fields`` to JSON.
"""

from __future__ import annotations

from .. import text


class ServiceError(Exception):
    status = 400

    def __init__(self, field: str | None, message: str, **more_fields: str):
        self.fields: dict[str, str] = {}
        if field:
            self.fields[field] = message
        self.fields.update(more_fields)
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if not self.fields:
            return self.message
        return "; ".join(f"{field}: {msg}" for field, msg in self.fields.items())


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """A duplicate, or a limit that is full."""

    status = 409


class Forbidden(ServiceError):
    status = 403

    def __init__(self, message: str = "you are not allowed to do this"):
        super().__init__(None, message)


def one_line(value: str | None, field: str, max_length: int) -> str:
    """A stored name or description: panel/text.py's rule, refused on ``field``."""
    try:
        return text.one_line(value, max_length)
    except text.TextError as exc:
        raise ServiceError(field, str(exc)) from None


def safe_text(value: str, field: str) -> str:
    """Text to look up (a search, a filter, a page key), unchanged if it passes
    panel/text.py's rule; refused on ``field`` otherwise."""
    reason = text.problem(value)
    if reason:
        raise ServiceError(field, reason)
    return value
