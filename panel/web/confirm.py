"""The confirmation a destructive GET shows before its POST: one template
(confirm.html) for every object. Texts are plain strings, escaped by the
template; :func:`emphasis` marks the words the reader must not miss. With
no ``button`` the page only says why the act cannot be done, and links back."""

from __future__ import annotations

from flask import render_template
from markupsafe import Markup


def emphasis(template: str, *values) -> Markup:
    """``template`` with ``<strong>``/``<a>``/``<code>`` of our own; the
    values are escaped (Markup.format)."""
    return Markup(template).format(*values)


def confirm_page(
    question: str,
    *,
    button: str | None,
    cancel: str,
    title: str | None = None,
    paragraphs=(),
    points=(),
    errors: dict | None = None,
    hidden=(),
):
    """``hidden``: (name, value) pairs the confirming POST carries (a bulk
    act's selection); the page's own URL is where it posts."""
    return render_template(
        "confirm.html",
        title=title or button or question,
        question=question,
        paragraphs=paragraphs,
        points=points,
        button=button,
        cancel=cancel,
        errors=errors or {},
        hidden=hidden,
    )
