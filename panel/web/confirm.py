"""The confirmation a destructive GET shows before its POST: one template
(confirm.html) for every object. Texts are plain strings, escaped by the
template; :func:`emphasis` marks the words the reader must not miss."""

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
    button: str,
    cancel: str,
    title: str | None = None,
    paragraphs=(),
    points=(),
    errors: dict | None = None,
):
    return render_template(
        "confirm.html",
        title=title or button,
        question=question,
        paragraphs=paragraphs,
        points=points,
        button=button,
        cancel=cancel,
        errors=errors or {},
    )
