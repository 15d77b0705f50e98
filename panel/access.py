"""The access declaration every view carries, shared by the web panel and
the API (neither imports the other): ``view.access`` is ("public",), or
("roles", {...}) from panel/web/access.py's @allow, or ("token", {...})
from panel/api/auth.py's @token_required. The permission tests read it."""

from __future__ import annotations


def public(view):
    """Anyone may call this view, signed in or not."""
    view.access = ("public",)
    return view
