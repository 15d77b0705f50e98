"""URL converters shared by the web panel and the API."""

from __future__ import annotations

import re

from werkzeug.routing import BaseConverter


class AddressConverter(BaseConverter):
    """``<address:name>``: a stored address, whatever its local part holds.

    Werkzeug's default converter stops at ``/``, which RFC 5321 allows in a
    local part (and rows made before the narrower rule for new addresses in
    panel/addresses.py may hold one). The domain never holds ``/`` or ``@``,
    so ``/mailboxes/a/b@example.org/password`` still splits one way only.
    An empty local part is a catch-all (``@example.org``). ``?``, ``#`` and
    ``%`` are percent-encoded by url_for (BaseConverter.to_url). One segment
    without ``@`` is taken too, so the view (not the router) says why it is
    no address: a 400 naming the field, JSON on the API.
    """

    regex = r"[^@]*@[^/@]+|[^@/]+"
    part_isolating = False
    weight = 150


class AnyCaseConverter(BaseConverter):
    """``<anycase("autodiscover"):_>``: one fixed path segment in any mix of
    upper and lower case. Outlook and the devices that copy it spell
    ``/Autodiscover/Autodiscover.xml`` as they please (IIS never minded),
    and the nginx snippet passes every spelling on (``location ~*``)."""

    def __init__(self, url_map, word: str):
        super().__init__(url_map)
        self.word = word
        self.regex = f"(?i:{re.escape(word)})"

    def to_url(self, value) -> str:
        return self.word


def init_app(app) -> None:
    # Before any blueprint: rules are compiled as they are registered.
    app.url_map.converters["address"] = AddressConverter
    app.url_map.converters["anycase"] = AnyCaseConverter
