"""The machinery of tests/web/test_fuzz.py: hostile values, the forms a page
renders, requests encoded as a browser (or an attacker) sends them, and a
record of which inputs each view reads."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from flask import request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict

SCRIPT = '"><script>alert(1)</script>'
# What an attacker types into a text input (and a URL argument, a query
# parameter, a hidden field, an uploaded file).
HOSTILE = [
    "",
    "   ",
    "9" * 400,  # overflowed int(float()) and SQLite's integers
    "-1",
    str(2**63),
    "1e309",
    "1_000",
    "9999-12-31",  # the day after it is no date
    "0000-00-00",
    "\ud800",  # a lone surrogate: sent as its bytes (ED A0 80), as no browser would
    "\udcff",  # a raw 0xFF byte: not UTF-8 at all
    "a\x00b",
    "\x01\x08\t\x0b\x1b[31m\x7f",
    "\x85\x9b",  # C1 controls, NEL
    "one\u2028two\u2029",
    "\u202egro.elpmaxe\u202c\u2066isolate\u2069",  # bidi override and isolate
    "A" * 10240,
    "%0d%0a",
    "/\r\nSet-Cookie: x=1",
    "../../../../etc/passwd",
    "' OR '1'='1' --",
    SCRIPT,
    "%_\\|",  # LIKE's wildcards and escape, the page keys' separator
    "x*",  # the audit filter's prefix match
    "²",  # str.isdigit() says yes, int() says no
    "٣",  # int() and \\d say yes
    "İ",  # lower-cases to two characters
    "a@b@c",
    "@example.org",
    "xn--",
    "\ufeff\u200b",
    # shaped like the panel's own page keys: ``u|bytes|address``, ``time|id``
    "u|" + "9" * 400 + "|alice@example.org",
    "n|\x00",
    "0001-01-01T00:00:00+14:00|1",
    "9999-12-31T23:59:59-14:00|" + "9" * 30,
]
# For inputs a browser fills from a fixed set (select, checkbox, radio,
# button): views compare them with their choices, so fewer kinds of value.
HOSTILE_CHOICE = ["", "9" * 400, "-1", "1e309", "²", "٣", "\ud800", "\udcff", "a\x00b", "A" * 10240, SCRIPT, "../.."]
CHOICE_TYPES = {"select", "checkbox", "radio", "submit"}


def wire(value: str) -> bytes:
    """``value`` as bytes on the wire: UTF-8, a lone surrogate as its
    CESU-8 bytes, ``\\udcXX`` as the raw byte XX (invalid UTF-8)."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        return b"".join(
            ch.encode("utf-8", "surrogateescape") if "\udc80" <= ch <= "\udcff" else ch.encode("utf-8", "surrogatepass")
            for ch in value
        )


def urlencoded(values: dict[str, str]) -> bytes:
    return b"&".join(
        quote(wire(k), safe="").encode() + b"=" + quote(wire(v), safe="").encode() for k, v in values.items()
    )


def multipart(values: dict[str, str], files: set[str]) -> tuple[bytes, str]:
    """A multipart body (the test client's encoder refuses lone surrogates)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in values.items():
        disposition = f'form-data; name="{name}"' + ('; filename="upload.csv"' if name in files else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + wire(value) + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def path_with(rule, args: dict[str, str]) -> str:
    """The rule's path with ``args`` put in its <placeholders>, percent-encoded."""
    path = rule.rule
    for name, value in args.items():
        encoded = quote(wire(str(value)), safe="")
        path = re.sub(rf"<(?:\w+:)?{name}>", lambda _match, encoded=encoded: encoded, path)
    return path


# -- forms ------------------------------------------------------------------


@dataclass
class Form:
    action: str  # path
    method: str
    values: dict[str, str] = field(default_factory=dict)  # what a browser would send as rendered
    types: dict[str, str] = field(default_factory=dict)  # every named input: text, select, checkbox …
    files: set[str] = field(default_factory=set)
    multipart: bool = False


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path, self.forms, self._form, self._select, self._textarea = page_path, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_path).path or self.page_path
            self._form = Form(action, (a.get("method") or "get").upper(), multipart="multipart" in a.get("enctype", ""))
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            self._input(a)
        elif tag == "button":
            self._form.types.setdefault(a["name"], "submit")
            self._form.values.setdefault(a["name"], a.get("value", ""))  # the first button is the one pressed
        elif tag == "select":
            self._select = a["name"]
            self._form.types[a["name"]] = "select"
        elif tag == "option" and self._select:
            if self._select not in self._form.values or "selected" in a:
                self._form.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.types[a["name"]] = "textarea"
            self._form.values[a["name"]] = ""

    def _input(self, a):
        name, kind = a["name"], a.get("type", "text").lower()
        self._form.types.setdefault(name, kind)
        if kind == "file":
            self._form.files.add(name)
            self._form.values[name] = "email\r\nnobody@example.org\r\n"
        elif kind in ("checkbox", "radio"):
            if "checked" in a:
                self._form.values[name] = a.get("value", "on")
        elif kind not in ("submit", "reset", "image", "button"):
            self._form.values[name] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(page_path: str, html: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms


# -- which inputs the views read ---------------------------------------------


class _Recording(ImmutableMultiDict):
    reads: set[str]

    def __getitem__(self, key):
        self.reads.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (MultiDict's own signature)
        self.reads.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self.reads.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        self.reads.add(key)
        return super().__contains__(key)


def _recording(source, reads: set[str]) -> _Recording:
    wrapped = _Recording(source)
    wrapped.reads = reads
    return wrapped


def record_reads(app, reads: dict[tuple[str, str], set[str]]) -> None:
    """From now on, note every key a view reads from ``request.args`` ("query")
    and from ``request.form``/``request.files`` ("form"), by endpoint."""

    @app.before_request
    def _wrap():
        endpoint = request.endpoint or "?"
        request.args = _recording(request.args, reads.setdefault((endpoint, "query"), set()))
        if request.method == "POST":
            form_reads = reads.setdefault((endpoint, "form"), set())
            request.form = _recording(request.form, form_reads)
            files = {k: v for k, v in request.files.items() if isinstance(v, FileStorage)}
            request.files = _recording(files, form_reads)
