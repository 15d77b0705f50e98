"""Plain HTML forms backed by the services.

Views read ``request.form`` and hand the values to a service; a
ServiceError comes back keyed by field and the form is shown again with
each message next to its input and everything typed kept — except
passwords, which are never echoed into a page. CSRF is checked app-wide by
CSRFProtect (every form includes ``csrf_token()``).
"""

from __future__ import annotations

from flask import render_template, request

from .. import passwords
from ..addresses import AddressError, normalize_domain
from ..i18n import translated
from ..services.errors import Forbidden, NotFound, ServiceError

SECRET_FIELDS = ("password", "password_confirm", "current_password", "new_password")


def typed_values() -> dict:
    return {k: v for k, v in request.form.items() if k not in SECRET_FIELDS and k != "csrf_token"}


def form_errors(error: ServiceError | None) -> dict:
    """A service refusal as the errors a form shows, keyed by field.

    NotFound and Forbidden are not form errors: they propagate to the error pages.
    Each message is shown in the page's language: an ``N_`` string, or a
    Message whose values (an address, a size) are filled into the translation.
    """
    if isinstance(error, Forbidden) or (isinstance(error, NotFound) and not error.fields):
        raise error
    errors = {field: translated(message) for field, message in error.fields.items()} if error else {}
    if error and not error.fields:
        errors["_form"] = translated(error.message)
    return errors


def render_form(
    template: str, error: ServiceError | None = None, values: dict | None = None, status: int = 200, **context
):
    """Render ``template`` with ``values`` (default: what was typed) and ``errors``.

    NotFound and Forbidden are not form errors: they propagate to the error pages.
    """
    errors = form_errors(error)
    if values is None:
        values = typed_values()
    return render_template(template, errors=errors, values=values, **context), (status if not error else 422)


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "yes", "true")


def chosen_password(scheme: str = passwords.DEFAULT_SCHEME) -> tuple[passwords.Prepared, bool]:
    """(password, generated?): the typed one, or a fresh one when asked for,
    already hashed: call this before the transaction that stores it, so the
    slow hash holds no database lock. Whether it was typed twice the same
    is the service's check (:func:`typed_confirmation`), told with the
    other fields' problems."""
    if checkbox("generate"):
        return passwords.prepare(passwords.generate(), scheme), True
    return passwords.prepare(request.form.get("password", ""), scheme), False


def typed_confirmation() -> str | None:
    """The repeated password, or None when the panel generates one."""
    return None if checkbox("generate") else request.form.get("password_confirm", "")


def local_part(domain_name: str, what: str) -> str:
    """The local-part box: a full address is taken when its domain is the
    form's own, else explained (the box cannot move a thing to another domain)."""
    typed = request.form.get("local_part", "").strip()
    if "@" not in typed:
        return typed
    local, _, domain = typed.rpartition("@")
    try:
        same = normalize_domain(domain) == domain_name
    except AddressError:
        same = False
    if not same:
        raise ServiceError(
            "local_part", f"type only the part before the @: this {what} will be in {domain_name}, not {domain[:80]}"
        )
    return local
