"""Hostile values in every form field, query parameter and URL argument of
every web route, as every role: never a server error.

The web twin of tests/api/test_schemathesis.py. Logged in as each role
(anonymous for the public login page), it opens every page the role may
open and reads the forms they render: their inputs, the values a browser
would send, where they post. Then it sends hostile values (fuzzing.HOSTILE)
to each input, one input at a time, the others as rendered, every POST with
the session's valid CSRF token. It fails on a 5xx or an exception; on a
value only the database refused (a check is missing); on a CSRF refusal or
a lost session (the hostile value would not be what was tested); and on a
``<script>`` that comes back unescaped. A view that reads
a query parameter or form field that no rendered form and no table below
names fails it too: that input would go unfuzzed.

A run takes a few seconds per database, the way schemathesis bounds its
examples: every input gets the values behind most past 500s (CORE) and a
few others drawn at random, each from one of the roles that has the input.
The seed is printed when it fails; ``MAILPANEL_FUZZ_SEED=N`` replays a run
and ``MAILPANEL_FUZZ_FULL=1`` sends every value to every input as every
role (about 7,000 requests, a minute per database). Inputs a browser fills from
fixed choices get fewer kinds of value, and password fields skip valid
passwords but one (each would be hashed).
"""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from passlib.hash import sha512_crypt
from sqlalchemy import update

from panel import passwords
from panel.db import DATABASE_REFUSED, get_session
from panel.models import Admin
from panel.services import Actor, admins, aliases, lists, mailboxes, tokens
from tests.helpers import PASSWORD, USERS, client_as, csrf_token
from tests.web.fuzzing import (
    CHOICE_TYPES,
    HOSTILE,
    HOSTILE_CHOICE,
    SCRIPT,
    Form,
    forms_of,
    multipart,
    path_with,
    record_reads,
    urlencoded,
)

ROLES = ("superadmin", "domainadmin", "helpdesk", "mailbox")
QUEUE_ID = "A1B2C3D4E5"
WEB = Path(__file__).parents[2] / "panel" / "web"

# Query parameters a view reads that no rendered form carries: paging links,
# the login redirect, the log page's follow requests.
QUERY = {
    "auth.login": {"next"},
    "autoconfig.thunderbird": {"emailaddress"},
    "autoconfig.thunderbird_well_known": {"emailaddress"},
    "autoconfig.outlook_json": {"Email", "Protocol"},
    "autoconfig.outlook_json_path": {"Protocol"},
    "domains.index": {"after", "before"},
    "mailboxes.index": {"sort", "unused", "state", "after", "before"},
    "mailboxes.search": {"q", "sort", "after", "before", "aliases_after", "aliases_before"},
    "aliases.index": {"q", "after", "before"},
    "admins.index": {"after", "before"},
    "audit.index": {"after", "before"},
    "audit.export": {"actor", "action", "target", "since", "until"},
    "queue.index": {"after", "before"},
    "logs.follow": {"log", "cursor", "text", "queue_id", "address", "severity"},
    "bulk.export": {"domain"},
}
# Form fields a view reads that no crawled page renders for it: the queue's
# confirmation step (a page that answers a POST) carries the filter along.
FORM = {
    "queue.action": {"confirmed", "queue", "sender", "recipient", "domain", "reason", "age"},
    # "Stop forwarding" is only rendered once a forward is set.
    "me.forwarding": {"action"},
    "mailbox_settings.forwarding": {"action"},
    # The bulk form's row boxes sit in the table (form="bulk"); its filter and
    # the confirmation's fields are rendered only with a filter or after a POST.
    "mailboxes.bulk": {"confirmed", "expected", "id", "state", "unused"},
}
# Endpoints not fuzzed, and why.
SKIP = {
    "static": "files, no input",
    "api.*": "(every api. endpoint) tests/api/test_schemathesis.py and tests/api/test_bad_input.py",
    "auth.logout": "reads no input; it would end the session the fuzz runs in",
}
# Values of the other inputs while one is hostile, where the rendered value
# would stop the view before it reads the hostile one (an empty required
# field, a name an earlier request took). ``n`` counts requests.
BASELINE = {
    "username": lambda n: f"fz{n}",
    "local_part": lambda n: f"fz{n}",
    "destinations": lambda n: "alice@example.org",
    "domains": lambda n: "example.org",
    "current_password": lambda n: PASSWORD,
    "q": lambda n: "ali",
    "ids": lambda n: QUEUE_ID,
}
BASELINE_BY_ENDPOINT = {
    ("auth.login", "username"): lambda n: "nobody",
    ("domains.create", "name"): lambda n: f"fz{n}.example",
    ("aliases.create_alias_domain", "name"): lambda n: f"fz{n}.example",
}
# A confirmation field repeats the field it confirms.
MIRRORS = {"password": "password_confirm", "new_password": "password_confirm"}
# Inputs that choose which parser reads the others: fuzz the others under each choice.
VARIANTS = {
    "mailboxes.index": [{"sort": sort} for sort in lists.DOMAIN_MAILBOX_SORTS]
    + [{"sort": sort, "unused": "90"} for sort in ("address", "changed", "login")],
    "mailboxes.search": [{"sort": sort} for sort in lists.MAILBOX_SORTS],
}


def _valid_password(value: str) -> bool:
    try:
        passwords.check_plain(value)
    except passwords.PasswordError:
        return False
    return True


# Valid passwords are hashed (a third of a second each here): one of them is enough.
HOSTILE_PASSWORD = [v for v in HOSTILE if not _valid_password(v) or v == SCRIPT]
# Sent to every input in every run: what the audit's 500s came from (400
# digits, a lone surrogate, the last day, a digit int() refuses, a line
# break for a header), NUL (PostgreSQL refuses it) and 10 kB.
CORE = ["9" * 400, "\ud800", "9999-12-31", "²", "/\r\nSet-Cookie: x=1", "a\x00b", "A" * 10240]
DRAWN = 1  # values drawn at random per input, besides CORE
FULL = os.environ.get("MAILPANEL_FUZZ_FULL") == "1"
SEED = int(os.environ.get("MAILPANEL_FUZZ_SEED") or random.randrange(10**6))


@dataclass(frozen=True)
class Input:
    endpoint: str
    method: str
    variant: tuple  # (("sort", "usage"),) or ()
    kind: str  # path, query or form
    name: str
    type: str  # text, password, select, checkbox …

    def values(self) -> list[str]:
        if self.type == "password":
            return HOSTILE_PASSWORD
        return HOSTILE_CHOICE if self.type in CHOICE_TYPES else HOSTILE

    def sample(self, rng: random.Random) -> list[str]:
        """CORE (those of them this input takes) and DRAWN others."""
        values = self.values()
        core = [v for v in CORE if v in values]
        return core + rng.sample([v for v in values if v not in core], DRAWN)


@pytest.fixture
def targets(app, world, tmp_path):
    """Objects the fuzz may change or delete (never the accounts it logs in
    as), fake queue programs and log files. The accounts' hashes are made
    cheap to check (SHA512-CRYPT, 1000 rounds): the account form checks the
    current password on every request."""
    _fake_queue(app, tmp_path)
    _logs(app, tmp_path)
    with app.app_context():
        session, system = get_session(), Actor.system("test")
        mailboxes.create_mailbox(session, system, "fuzz@example.org", password="fuzz-pass-123")
        aliases.create_alias(session, system, "fuzzalias@example.org", ["alice@example.org"])
        aliases.create_alias_domain(session, system, "fuzz.example", "example.org")
        target = admins.create_admin(session, system, "target", "helpdesk", PASSWORD, ["example.org"])
        token, _ = tokens.create_token(session, system, target, "fuzz")
        cheap = "{SHA512-CRYPT}" + sha512_crypt.using(rounds=1000).hash(PASSWORD)
        session.execute(update(Admin).where(Admin.username.in_(USERS.values())).values(password_hash=cheap))
        session.commit()
    args = {"domain": "example.org", "name": "fuzz.example", "username": "target", "token_id": str(token.id)}
    return {**args, "queue_id": QUEUE_ID, "download_id": "x" * 32}, cheap


def _fake_queue(app, tmp_path) -> None:
    """postqueue/postsuper/postcat stand-ins (shell, fast): the fuzz tests
    the panel's handling of input, never the machine's real queue."""
    message = (
        f'{{"queue_name": "deferred", "queue_id": "{QUEUE_ID}", "arrival_time": 1790000000, "message_size": 1234,'
        ' "forced_expire": false, "sender": "s@src.example",'
        ' "recipients": [{"address": "r@dest.example", "delay_reason": "connect to mx: refused"}]}'
    )
    (tmp_path / "queue.jsonl").write_text(message + "\n")
    programs = {
        "postqueue": f'[ "$1" = -j ] && cat {tmp_path}/queue.jsonl; exit 0',
        "postsuper": 'cat >/dev/null; echo "postsuper: Deleted: 1 message" >&2',
        "postcat": 'printf "Subject: hello\\n\\nbody\\n"',
    }
    for name, body in programs.items():
        path = tmp_path / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
        app.config[f"{name.upper()}_PATH"] = str(path)
    # A "running" Postfix master: a pid file naming this process (else the queue page is a 503).
    (tmp_path / "master.pid").write_text(f"{os.getpid()}\n")
    app.config.update(QUEUE_COMMAND_PREFIX="", QUEUE_COMMAND_TIMEOUT=10, POSTFIX_PID_FILE=str(tmp_path / "master.pid"))


def _logs(app, tmp_path) -> None:
    lines = [
        f"2026-01-01T10:00:00 host postfix/smtpd[1]: {QUEUE_ID}: client=localhost[127.0.0.1]",
        f"2026-01-01T10:00:01 host postfix/qmgr[2]: {QUEUE_ID}: from=<s@src.example>, size=1234",
        "2026-01-01T10:00:02 host dovecot: lmtp(alice@example.org): saved mail to INBOX",
    ]
    for name in ("POSTFIX_LOG", "DOVECOT_LOG"):
        path = tmp_path / f"{name.lower()}.log"
        path.write_text("\n".join(lines) + "\n")
        app.config[name] = str(path)


class Fuzzer:
    """One role's client: what it may open, and the requests it sends."""

    def __init__(self, app, role: str | None, path_args: dict, cheap_hash: str):
        self.app, self.role, self.path_args, self.cheap_hash = app, role, path_args, cheap_hash
        if role is None:  # its own address: the login throttle it trips stays its own
            self.client = app.test_client()
            self.client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
        else:
            self.client = client_as(app, role)
        self.token = csrf_token(self.client)
        self.forms: dict[tuple[str, str], Form] = {}
        self.problems: list[str] = []
        self.sent = 0
        self._n = 0

    def rules(self):
        for rule in self.app.url_map.iter_rules():
            access = getattr(self.app.view_functions[rule.endpoint], "access", ("?",))
            if rule.endpoint in SKIP or rule.endpoint.startswith("api.") or access[0] == "token":
                continue
            if access[0] == "public" or (self.role is not None and self.role in {r.value for r in access[1]}):
                yield rule

    def _path_args(self, rule) -> dict[str, str]:
        args = {name: self.path_args.get(name, "x") for name in rule.arguments}
        if "address" in args:
            blueprint = rule.endpoint.split(".")[0]
            args["address"] = {
                "mailboxes": "fuzz@example.org",
                "mailbox_settings": "fuzz@example.org",
                "aliases": "fuzzalias@example.org",
            }[blueprint]
        return args

    # -- what there is to fuzz ---------------------------------------------------

    def crawl(self) -> None:
        """Open every page the role may open; keep the forms, by the endpoint they go to."""
        adapter = self.app.url_map.bind("localhost")
        for rule in self.rules():
            if "GET" not in rule.methods:
                continue
            path = path_with(rule, self._path_args(rule))
            response = self.client.get(path)
            if response.status_code == 200 and response.mimetype == "text/html":
                for form in forms_of(path, response.get_data(as_text=True)):
                    endpoint, _ = adapter.match(form.action, method=form.method)
                    self.forms.setdefault((endpoint, form.method), form)

    def inputs(self) -> list[Input]:
        found = []
        for rule in self.rules():
            methods = [m for m in ("GET", "POST") if m in rule.methods]
            if rule.endpoint == "auth.login":  # POST /login logged in would start another session
                methods = ["GET"] if self.role else ["GET", "POST"]
            for i, method in enumerate(methods):
                for j, variant in enumerate(VARIANTS.get(rule.endpoint, [{}])):
                    found += self._inputs_of(rule, method, variant, with_path=(i == 0 and j == 0))
        return found

    def _inputs_of(self, rule, method: str, variant: dict, with_path: bool) -> list[Input]:
        key = tuple(sorted(variant.items()))
        query = {n: "text" for n in QUERY.get(rule.endpoint, ())}
        form = {}
        if method == "GET" or rule.endpoint == "auth.login":  # login reads next= on both
            query.update(self.forms[(rule.endpoint, "GET")].types if (rule.endpoint, "GET") in self.forms else {})
        if method == "POST" and (rule.endpoint, "POST") in self.forms:
            form = dict(self.forms[(rule.endpoint, "POST")].types)
            form.update({n: "text" for n in FORM.get(rule.endpoint, ()) if n not in form})
        found = [Input(rule.endpoint, method, key, "path", n, "text") for n in rule.arguments if with_path]
        found += [
            Input(rule.endpoint, method, key, "query", n, t) for n, t in sorted(query.items()) if n not in variant
        ]
        found += [Input(rule.endpoint, method, key, "form", n, t) for n, t in sorted(form.items()) if n != "csrf_token"]
        return found

    # -- sending ----------------------------------------------------------------

    def send(self, rule, spot: Input, value: str) -> None:
        path_args = self._path_args(rule)
        get_form = self.forms.get((spot.endpoint, "GET"))
        post_form = self.forms.get((spot.endpoint, "POST")) if spot.method == "POST" else None
        query = self._baseline(spot.endpoint, get_form) if spot.method == "GET" or spot.endpoint == "auth.login" else {}
        query.update(dict(spot.variant))
        body = self._baseline(spot.endpoint, post_form) if spot.method == "POST" else {}
        {"path": path_args, "query": query, "form": body}[spot.kind][spot.name] = value
        if spot.kind == "form" and spot.name in MIRRORS and MIRRORS[spot.name] in body:
            body[MIRRORS[spot.name]] = value
        path = path_with(rule, path_args)
        kwargs = {"query_string": urlencoded(query).decode("ascii")} if query else {}
        if spot.method == "POST":
            body["csrf_token"] = self.token
            if post_form and post_form.multipart:
                kwargs["data"], kwargs["content_type"] = multipart(body, post_form.files)
            else:
                kwargs["data"], kwargs["content_type"] = urlencoded(body), "application/x-www-form-urlencoded"
        what = f"{self.role or 'anonymous'} {spot.method} {path} {spot.kind}:{spot.name}={value[:40]!r}"
        self._check(what, spot.method, path, kwargs)
        if spot.endpoint == "account.change_password":
            self._restore_password()

    def _baseline(self, endpoint: str, form: Form | None) -> dict[str, str]:
        """What the browser would send, with BASELINE's values where they apply."""
        if form is None:
            return {}
        values = dict(form.values)
        self._n += 1
        for name in form.types:
            make = BASELINE_BY_ENDPOINT.get((endpoint, name)) or BASELINE.get(name)
            if make:
                values[name] = make(self._n)
        values.pop("csrf_token", None)
        return values

    def _check(self, what: str, method: str, path: str, kwargs: dict) -> None:
        self.sent += 1
        try:
            response = self.client.open(path, method=method, **kwargs)
            data = response.get_data()  # runs a streamed body too
        except Exception as exc:  # TESTING propagates what would be a 500
            self.problems.append(f"{what}: raised {type(exc).__name__}: {str(exc)[:200]}")
            return
        status, location = response.status_code, re.sub(r"^https?://[^/]+", "", response.headers.get("Location", ""))
        if status >= 500:
            self.problems.append(f"{what}: HTTP {status}")
        elif status == 400 and b"Form expired" in data:
            self.problems.append(f"{what}: refused for its CSRF token, so the value was not tested")
        elif self.role is not None and status == 302 and location.startswith("/login"):
            self.problems.append(f"{what}: the session was lost")
        elif SCRIPT.encode() in data and response.mimetype == "text/html":
            self.problems.append(f"{what}: the script came back unescaped")
        elif DATABASE_REFUSED.encode() in data:
            self.problems.append(f"{what}: only the database refused it (a check is missing)")

    def _restore_password(self) -> None:
        """A hostile new password that is a valid one was set: put the old one back."""
        with self.app.app_context():
            session = get_session()
            session.execute(
                update(Admin).where(Admin.username == USERS[self.role]).values(password_hash=self.cheap_hash)
            )
            session.commit()


def _plan(fuzzers: list[Fuzzer], rng: random.Random):
    """(fuzzer, rule, input, value) to send: each input's sample of values,
    each value from one of the roles that have the input (all of them, all
    values, with MAILPANEL_FUZZ_FULL=1)."""
    rules = {rule.endpoint: rule for rule in fuzzers[0].app.url_map.iter_rules()}
    holders: dict[Input, list[Fuzzer]] = {}
    for fuzzer in fuzzers:
        for spot in fuzzer.inputs():
            holders.setdefault(spot, []).append(fuzzer)
    for spot, who in holders.items():
        start = rng.randrange(len(who))
        for i, value in enumerate(spot.values() if FULL else spot.sample(rng)):
            for fuzzer in who if FULL else [who[(start + i) % len(who)]]:
                yield fuzzer, rules[spot.endpoint], spot, value


def test_no_hostile_value_gives_a_server_error(app, world, targets):
    path_args, cheap_hash = targets
    reads: dict[tuple[str, str], set[str]] = {}
    record_reads(app, reads)
    fuzzers = [Fuzzer(app, role, path_args, cheap_hash) for role in (*ROLES, None)]
    for fuzzer in fuzzers:
        fuzzer.crawl()
    for fuzzer, rule, spot, value in _plan(fuzzers, random.Random(SEED)):
        fuzzer.send(rule, spot, value)
    problems = [p for f in fuzzers for p in f.problems]
    sent = sum(f.sent for f in fuzzers)
    replay = f"replay with MAILPANEL_FUZZ_SEED={SEED}"
    assert problems == [], f"{len(problems)} of {sent} requests ({replay}):\n" + "\n".join(problems[:60])
    assert sent > (5000 if FULL else 800)  # the walk really reached the routes and their forms
    _every_read_input_was_fuzzed(fuzzers, reads)


def _every_read_input_was_fuzzed(fuzzers, reads) -> None:
    fuzzed: dict[tuple[str, str], set[str]] = {}
    for fuzzer in fuzzers:
        for (endpoint, method), form in fuzzer.forms.items():
            fuzzed.setdefault((endpoint, "query" if method == "GET" else "form"), set()).update(form.types)
    for table, kind in ((QUERY, "query"), (FORM, "form")):
        for endpoint, names in table.items():
            fuzzed.setdefault((endpoint, kind), set()).update(names)
    unfuzzed = {
        key: sorted(names - fuzzed.get(key, set()) - {"csrf_token"})
        for key, names in reads.items()
        if key[0] not in SKIP and names - fuzzed.get(key, set()) - {"csrf_token"}
    }
    assert unfuzzed == {}, "inputs that views read but the fuzz does not reach: add them to QUERY or FORM"


def test_every_literal_request_args_read_is_a_known_input():
    """A second net beside the recorded reads: each ``request.args.get("x")``
    in panel/web names a parameter of QUERY or of a rendered GET form."""
    get_form_fields = {"q", "sort", "per_page", "lines", "rotated", "log", "queue_id", "address"}
    literal = set()
    for source in WEB.glob("*.py"):
        literal |= set(re.findall(r"request\.args\.get\(\s*\"(\w+)\"", source.read_text()))
    assert literal - set().union(*QUERY.values()) - get_form_fields == set()
