"""The one error type services raise for rule violations, keyed by field.

Forms show ``fields`` next to their inputs, the CLI prints ``str(error)``,
and the API maps ``status`` and ``fields`` to JSON.
"""

from __future__ import annotations

from contextlib import contextmanager

from .. import passwords, text
from ..languages import N_, why


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

    def in_words(self) -> str:
        """The messages alone, for a page: field names are the code's words."""
        return "; ".join(self.fields.values()) if self.fields else self.message


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    """A duplicate, or a limit that is full."""

    status = 409


class Forbidden(ServiceError):
    status = 403

    def __init__(self, message: str = N_("you are not allowed to do this")):
        super().__init__(None, message)


class FieldErrors:
    """Every field's problem, collected so a form tells them all at once.

    A service checks each field inside :meth:`collect` and calls
    :meth:`raise_any` before it writes: one problem is raised as it came
    (its status kept: a Conflict stays a 409), several as one ServiceError
    keyed by field. A refusal of the whole act (Forbidden, or a NotFound
    naming no field) is not a field's problem and goes through at once.
    """

    def __init__(self):
        self.errors: list[ServiceError] = []

    @contextmanager
    def collect(self):
        try:
            yield
        except Forbidden:
            raise
        except ServiceError as error:
            if not error.fields:
                raise
            self.errors.append(error)

    def add(self, field: str, message: str) -> None:
        self.errors.append(ServiceError(field, message))

    def __contains__(self, field: str) -> bool:
        return any(field in error.fields for error in self.errors)

    def raise_any(self, message: str = N_("nothing was saved: see the fields")) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            fields: dict[str, str] = {}
            for error in self.errors:
                for field, text_ in error.fields.items():
                    fields.setdefault(field, text_)
            raise ServiceError(None, message, **fields)


def check_confirmed(password, confirm: str | None, problems: FieldErrors, field: str = "password_confirm") -> None:
    """A password typed twice (``confirm`` None: nothing to compare, as for
    a generated one or the API's) must be typed the same."""
    if confirm is not None and (passwords.plain_text(password) or "") != confirm:
        problems.add(field, N_("does not match the password"))


def one_line(value: str | None, field: str, max_length: int) -> str:
    """A stored name or description: panel/text.py's rule, refused on ``field``."""
    try:
        return text.one_line(value, max_length)
    except text.TextError as exc:
        raise ServiceError(field, why(exc)) from None


def safe_text(value: str, field: str) -> str:
    """Text to look up (a search, a filter, a page key), unchanged if it passes
    panel/text.py's rule; refused on ``field`` otherwise."""
    reason = text.problem(value)
    if reason:
        raise ServiceError(field, reason)
    return value
