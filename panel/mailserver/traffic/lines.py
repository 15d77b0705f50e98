"""One mail log line as a traffic event, or None for the many lines that
are not traffic (connect/disconnect, TLS, warnings, daemon start-up).

Formats read here were captured from Debian 12's Postfix 3.7 (with
``maillog_file``) and Dovecot 2.3.19 (``log_path``) as deploy/mailstack runs
them; tests/traffic/test_lines.py holds those lines. Syslog-routed lines
(``host dovecot: imap-login: ...``) and RFC 3339 timestamps parse too.

Speed matters (a 2 GB log): each line is first tested with a plain
substring search, and only the few kinds of lines that count are matched
with a regular expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# -- the events ----------------------------------------------------------------

QUEUED, REMOVED, STATUS, SASL = "queued", "removed", "status", "sasl"
REJECT, LOGIN, FAILED = "reject", "login", "failed"
AUTH_FAILED = "authfail"  # SMTP AUTH (submission) refused
STATUSES = {b"sent": "delivered", b"deferred": "deferred", b"bounced": "bounced", b"expired": "bounced"}


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    stamp: bytes  # the line's time up to the minute, as written (see hour_of)
    queue_id: str = ""
    address: str = ""  # recipient (status, reject), sender (queued), user (sasl, logins)
    sender: str = ""  # reject: the envelope sender
    detail: str = ""  # status: delivered/deferred/bounced; reject: reason; logins: imap/pop3
    count: int = 1  # failed: attempts in the one connection


# -- the patterns --------------------------------------------------------------

# "Dec 03 11:46" (seconds follow), or RFC 3339 "2026-12-03T11:46" whose
# zone, after the seconds, is kept: b"2026-12-03T11:46+01:00".
_SYSLOG_STAMP = re.compile(rb"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d")
_ISO_STAMP = re.compile(rb"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d)(?::\d\d(?:\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?")
_POSTFIX = re.compile(rb"\spostfix(?:/[\w.-]+)*/(\w+)\[\d+\]: (?:([0-9A-Za-z]{6,40}|NOQUEUE): )?")
_QUEUED = re.compile(rb"from=<([^>]*)>, size=\d+, nrcpt=\d+ \(queue active\)")
_STATUS = re.compile(rb"to=<([^>]*)>,.*? status=(sent|deferred|bounced|expired)\b")
_SASL = re.compile(rb"client=[^,]*, sasl_method=[^,]*, sasl_username=(.+?)(?:, sasl_sender=|$)")
_REJECT = re.compile(rb"(?:milter-)?reject: (.*?)(?:; from=<([^>]*)>,? to=<([^>]*)>|$)")  # postscreen: "from=<>, to=<>"
# "warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
# (Postfix 3.7 adds ", sasl_username=USER" when the client named one).
_AUTH_FAILED = re.compile(rb"\S+: SASL [\w-]+ authentication failed: .*?(?:, sasl_username=(\S+))?$")
_DOVECOT = re.compile(rb"\s(?:dovecot(?:\[\d+\])?: )?(imap|pop3)-login: (?:Info: )?")
_LOGIN = re.compile(rb"Login: user=<([^>]*)>")
_FAILED = re.compile(rb"\(auth failed, (\d+) attempts? in \d+ secs?\): user=<([^>]*)>")
# A reject's reason reduced to its class, so that reasons group and a top
# list never shows one tenant's addresses to the others: the code, then the
# words without what varies from line to line -- addresses, host names, IP
# addresses, URLs, queue ids, numbers ("553 5.7.1 Sender address rejected:
# not owned by user …"). An RBL's name stays: it is the server's setting
# and says which list blocked the client.
_REASON = re.compile(rb"(?:[\w-]+ from \S+: )?((?:\d{3} )?\d\.\d{1,3}\.\d{1,3}|\d{3}) (?:<[^>]*>: )?(.*)", re.DOTALL)
_VARYING = re.compile(
    r"(blocked using (?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})"  # kept
    r"|<[^>]*>"  # <address>, <helo name>
    r"|\bhttps?://\S+"
    r"|[^\s<>@,;]+@[^\s<>@,;]+"  # a bare address: "not owned by user jack@example.org"
    r"|\S*\[[0-9A-Fa-f:.]+\]"  # "host[192.0.2.1]", "[2001:db8::1]"
    r"|\b\d{1,3}(?:\.\d{1,3}){3}\b"
    r"|\b(?:[A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*\.?(?=[\s,;:)]|$)"  # host and domain names
    r"|\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[0-9A-Za-z]{10,}\b"  # queue ids
    r"|\b\d+\b"
)
_ELLIPSES = re.compile(r"…(?:[\s,;:]*…)+")
REASON_MAX = 200

_DELIVERY_AGENTS = frozenset((b"lmtp", b"smtp", b"virtual", b"local", b"pipe", b"error", b"discard", b"retry"))


def parse(raw: bytes) -> Event | None:
    """The traffic event of one raw line (no trailing newline), or None."""
    if b"postfix" in raw:
        return _postfix(raw)
    if b"-login: " in raw:
        return _dovecot(raw)
    return None


def _stamp(raw: bytes) -> bytes | None:
    if match := _SYSLOG_STAMP.match(raw):
        return match.group(0)
    if match := _ISO_STAMP.match(raw):
        return match.group(1) + (match.group(2) or b"")
    return None


def _postfix(raw: bytes) -> Event | None:
    head = _POSTFIX.search(raw)
    if head is None:
        return None
    program, queue_id, rest = head.group(1), head.group(2) or b"", raw[head.end() :]
    stamp = _stamp(raw)
    if stamp is None:
        return None
    qid = queue_id.decode("ascii") if queue_id != b"NOQUEUE" else ""
    if program in _DELIVERY_AGENTS and rest.startswith(b"to=<"):
        return _status(stamp, qid, rest)
    if program == b"qmgr" and qid:
        if rest == b"removed":
            return Event(REMOVED, stamp, qid)
        if match := _QUEUED.match(rest):
            return Event(QUEUED, stamp, qid, _text(match.group(1)))
        return None
    if b"reject: " in rest[:20]:
        return _reject(stamp, qid, rest)
    if queue_id == b"warning" and program == b"smtpd" and b" authentication failed" in rest:
        match = _AUTH_FAILED.match(rest)
        return Event(AUTH_FAILED, stamp, address=_text(match.group(1) or b"")) if match else None
    if program == b"smtpd" and qid and b"sasl_username=" in rest:
        match = _SASL.match(rest)
        return Event(SASL, stamp, qid, _text(match.group(1))) if match else None
    return None


def _status(stamp: bytes, qid: str, rest: bytes) -> Event | None:
    match = _STATUS.match(rest)
    if match is None:
        return None
    return Event(STATUS, stamp, qid, _text(match.group(1)), detail=STATUSES[match.group(2)])


def _reject(stamp: bytes, qid: str, rest: bytes) -> Event | None:
    match = _REJECT.match(rest)
    if match is None:
        return None
    return Event(REJECT, stamp, qid, _text(match.group(3) or b""), _text(match.group(2) or b""), reason(match.group(1)))


def reason(text: bytes) -> str:
    """A reject's reason in a form shared by all lines of its class."""
    match = _REASON.match(text)
    code, words = (match.group(1) + b" ", match.group(2)) if match else (b"", text)
    cleaned = _VARYING.sub(lambda m: m.group(1) or "…", words.decode("utf-8", "replace"))
    cleaned = _ELLIPSES.sub("…", cleaned).strip()
    return (code.decode("ascii") + cleaned)[:REASON_MAX]


def _dovecot(raw: bytes) -> Event | None:
    head = _DOVECOT.search(raw)
    if head is None:
        return None
    stamp = _stamp(raw)
    if stamp is None:
        return None
    protocol, rest = head.group(1).decode("ascii"), raw[head.end() :]
    if rest.startswith(b"Login: "):
        match = _LOGIN.match(rest)
        return Event(LOGIN, stamp, address=_text(match.group(1)), detail=protocol) if match else None
    if b"(auth failed, " in rest:
        match = _FAILED.search(rest)
        if match:
            return Event(FAILED, stamp, address=_text(match.group(2)), detail=protocol, count=int(match.group(1)))
    return None


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace").lower()


def domain_of(address: str) -> str:
    """The domain of an address ("" when it has none: a local user, the null sender)."""
    _, at, domain = address.rpartition("@")
    return domain.rstrip(".") if at else ""
