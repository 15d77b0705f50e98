"""Status checks that ask the mail servers themselves, with their own settings.

A running master process proves little: these checks make Postfix's maps,
Dovecot's passdb/userdb and the quota-status policy service answer, and
look for quota_clone's writes after a delivery. Each one runs a program
(argument list, short timeout, the QUEUE_COMMAND_PREFIX of
deploy/sudoers-mailpanel in front) or opens a loopback socket, so together
they stay within a few seconds; services.status caches the whole list.

Facts they rely on (measured on Debian 12, Postfix 3.7, Dovecot 2.3):
``postmap -q KEY TYPE:FILE`` exits 0 with the value when the key is found
and 1 when it is not -- and also 1 when the query fails, but then stderr
carries ``fatal:`` or ``warning:``; ``doveadm user`` / ``doveadm auth
lookup`` exit 0 for a known user, 67 for an unknown one, other codes when
the lookup failed.
"""

from __future__ import annotations

import datetime as dt
import shlex
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..languages import N_, Message
from ..mailserver.maillog.filters import Matcher
from ..mailserver.maillog.journey import line_time
from ..mailserver.maillog.reading import scan
from ..models import Domain, Mailbox, QuotaUsage
from .status import FAILING, OK, SUDOERS_TODO, UNKNOWN, WARNING, Result

PROBE_TIMEOUT = 5.0
LOCKED_RETRIES = (0.2, 0.5, 1.0)  # seconds between tries of a map that met a locked SQLite file
MAP_DIR = "/etc/postfix/mailstack"
QUOTA_STATUS_ADDRESS = "127.0.0.1:12340"
EX_NOUSER = 67
# quota_clone: a delivery at least GRACE old and at most WINDOW old must
# have left a usage row for its recipient (quota_clone writes when the LMTP
# session ends, so a few seconds after the log line).
QUOTA_CLONE_GRACE = dt.timedelta(minutes=2)
QUOTA_CLONE_WINDOW = dt.timedelta(hours=1)
_LOG_BUDGET = 4 * 1024 * 1024


@dataclass(frozen=True)
class Probe:
    """What a program answered: exit status and its two outputs (or why it did not run)."""

    status: int | None
    out: str = ""
    err: str = ""
    problem: str = ""


def run_probe(config, argv: list[str], timeout: float = PROBE_TIMEOUT) -> Probe:
    command = [*shlex.split(config.get("QUEUE_COMMAND_PREFIX") or ""), *argv]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return Probe(None, problem=Message(N_("%(program)s is not installed"), program=command[0]))
    except PermissionError:
        return Probe(None, problem=Message(N_("%(program)s: permission denied"), program=command[0]))
    except subprocess.TimeoutExpired:
        problem = Message(
            N_("%(program)s did not answer within %(seconds)s s"), program=Path(argv[0]).name, seconds=f"{timeout:g}"
        )
        return Probe(None, problem=problem)
    decode = lambda data: data.decode("utf-8", "replace").strip()  # noqa: E731
    return Probe(done.returncode, decode(done.stdout), decode(done.stderr))


def _first_line(text: str) -> str:
    return (text.splitlines() or [""])[-1][:300]


# -- known keys ---------------------------------------------------------------


def known_keys(session) -> tuple[str | None, str | None]:
    """An active domain and an active mailbox in it, if any: keys every map must know."""
    domain = session.scalar(select(Domain.name).where(Domain.active).order_by(Domain.name).limit(1))
    if domain is None:
        return None, None
    query = select(Mailbox.address).join(Domain).where(Mailbox.active, Domain.active)
    mailbox = session.scalar(query.order_by(Mailbox.address).limit(1))
    return domain, mailbox


# -- Postfix maps -------------------------------------------------------------


def map_type(path: Path) -> str:
    """The Postfix table type of a map file deploy/mailstack wrote."""
    text = path.read_text(errors="replace")
    return "sqlite" if any(line.startswith("dbpath") for line in text.splitlines()) else "pgsql"


def _expected_key(name: str, domain: str | None, mailbox: str | None) -> tuple[str, bool]:
    """The key to ask a map and whether it must be found."""
    if name == "postfix-domains" and domain:
        return domain, True
    if name in ("postfix-mailboxes", "postfix-recipient") and mailbox:
        # The recipient map answers an active mailbox with itself.
        return mailbox, True
    # Other maps may well not know any key: a probe that finds nothing is
    # fine, a probe whose query fails is not.
    return f"status-probe@{domain or 'example.invalid'}", False


def check_map(config, path: Path, key: str, must_find: bool) -> Result:
    name = f"map {path.stem}"
    try:
        kind = map_type(path)
    except OSError as exc:
        reason = Message(N_("cannot read %(file)s: %(problem)s"), file=str(path), problem=exc.strerror)
        return Result(name, UNKNOWN, reason, SUDOERS_TODO)
    argv = [config.get("POSTMAP_PATH") or "/usr/sbin/postmap", "-q", key, f"{kind}:{path}"]
    probe = run_probe(config, argv)
    for pause in LOCKED_RETRIES:
        # Postfix's SQLite client gives up on a lock after a second or so,
        # and eight lookups opening a WAL file at once meet one now and then
        # (measured here: 7 of 480 failed "database is locked"; 0 of 10,000
        # with deploy/sqlite/keeper, which mailstack runs, but a host may run
        # the maps without it). Postfix retries such a lookup later; a check
        # that did not would cry wolf.
        if "database is locked" not in probe.err:
            break
        time.sleep(pause)
        probe = run_probe(config, argv)
    if probe.problem:
        return Result(name, UNKNOWN, probe.problem, SUDOERS_TODO)
    if "fatal:" in probe.err or "warning:" in probe.err or probe.status not in (0, 1):
        return Result(
            name,
            FAILING,
            Message(N_("the query fails: %(problem)s"), problem=_first_line(probe.err) or f"exit {probe.status}"),
            N_("check the database named in the map file; rewrite it with: deploy/mailstack configure"),
        )
    if must_find and probe.status != 0:
        return Result(
            name,
            FAILING,
            Message(N_("answers but does not know %(key)s: it reads another database?"), key=key),
            N_("point the mail servers at the panel's database: deploy/mailstack configure"),
        )
    if probe.status == 0:
        return Result(name, OK, Message(N_("answers %(key)s (found)"), key=repr(key)))
    return Result(name, OK, Message(N_("answers %(key)s (not found, as it may)"), key=repr(key)))


def map_probes(session, config) -> list[tuple]:
    """(check, *arguments) for every map file, or the one result saying there are none."""
    directory = Path(config.get("POSTFIX_MAP_DIR") or MAP_DIR)
    try:
        files = sorted(directory.glob("*.cf"))
    except OSError:
        files = []
    if not files:
        reason = Message(N_("no Postfix map files in %(directory)s"), directory=str(directory))
        result = Result("maps", UNKNOWN, reason, N_("set MAILPANEL_POSTFIX_MAP_DIR"))
        return [(lambda: result,)]
    domain, mailbox = known_keys(session)
    return [(check_map, config, path, *_expected_key(path.stem, domain, mailbox)) for path in files]


# -- Dovecot --------------------------------------------------------------------


def check_dovecot_lookup(config, mailbox: str | None, what: str) -> Result:
    """``doveadm user`` (userdb) or ``doveadm auth lookup`` (passdb, no password needed)."""
    name = f"dovecot {what}"
    if mailbox is None:
        return Result(name, UNKNOWN, N_("no active mailbox to look up"), "")
    doveadm = config.get("DOVEADM_PATH") or "/usr/bin/doveadm"
    args = ["user", mailbox] if what == "userdb" else ["auth", "lookup", mailbox]
    probe = run_probe(config, [doveadm, *args])
    if probe.problem:
        return Result(name, UNKNOWN, probe.problem, SUDOERS_TODO)
    if probe.status == 0:
        return Result(name, OK, Message(N_("knows %(mailbox)s"), mailbox=mailbox))
    if probe.status == EX_NOUSER:
        reason = Message(N_("does not know %(mailbox)s: it reads another database?"), mailbox=mailbox)
        return Result(name, FAILING, reason, N_("run: deploy/mailstack configure"))
    return Result(
        name,
        FAILING,
        Message(
            N_("lookup of %(mailbox)s failed: %(problem)s"),
            mailbox=mailbox,
            problem=_first_line(probe.err or probe.out) or f"exit {probe.status}",
        ),
        N_("read Dovecot's log; check the database in /etc/dovecot/mailstack/sql.conf.ext"),
    )


def policy_request(recipient: str) -> bytes:
    """What Postfix sends a policy service at RCPT time (the attributes quota-status reads)."""
    attrs = {"request": "smtpd_access_policy", "protocol_state": "RCPT", "recipient": recipient, "size": "0"}
    return "".join(f"{k}={v}\n" for k, v in attrs.items()).encode() + b"\n"


def ask_policy(address: str, recipient: str, timeout: float = PROBE_TIMEOUT) -> str:
    """The ``action=`` a policy service answers (OSError when it does not)."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(policy_request(recipient))
        reply = b""
        while not reply.endswith(b"\n\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
    for line in reply.decode(errors="replace").splitlines():
        if line.startswith("action="):
            return line[len("action=") :]
    raise OSError(f"no action in the reply {reply[:100]!r}")


def check_quota_status(config, mailbox: str | None) -> Result:
    address = config.get("QUOTA_STATUS_ADDRESS") or QUOTA_STATUS_ADDRESS
    recipient = mailbox or "status-probe@example.invalid"
    try:
        action = ask_policy(address, recipient)
    except (OSError, ValueError) as exc:
        return Result(
            "quota-status",
            FAILING,
            Message(N_("no answer on %(address)s: %(problem)s"), address=address, problem=str(exc)),
            N_("start Dovecot; check its quota-status service"),
        )
    if mailbox and action.split(" ", 1)[0].upper() not in ("DUNNO", "OK"):
        # An empty test message to an existing mailbox fits any quota: a
        # refusal means the service cannot read usage (its dict socket).
        return Result(
            "quota-status",
            FAILING,
            Message(N_("answers %(action)s for %(mailbox)s"), action=repr(action[:120]), mailbox=mailbox),
            N_("read Dovecot's log; the dict socket must be readable by vmail"),
        )
    return Result(
        "quota-status", OK, Message(N_("answers %(action)s on %(address)s"), action=repr(action[:60]), address=address)
    )


# -- quota_clone ------------------------------------------------------------------


def recent_lmtp_deliveries(log_path: str, now: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """(time, recipient) of the newest ``status=sent`` LMTP lines logged between
    QUOTA_CLONE_WINDOW and QUOTA_CLONE_GRACE before ``now``, newest first."""

    def delivered(raw: bytes) -> bool:
        return b"/lmtp[" in raw and b"status=sent" in raw

    found = scan(log_path, Matcher(delivered, lambda block: b"status=sent" in block), 50, False, _LOG_BUDGET)
    parsed = (_delivery(line.text, now) for line in reversed(found.lines))
    return [d for d in parsed if d and now - QUOTA_CLONE_WINDOW <= d[0] <= now - QUOTA_CLONE_GRACE]


def _delivery(text: str, now: dt.datetime) -> tuple[dt.datetime, str] | None:
    """(time, recipient) of a delivery line; the log's times are local time,
    and syslog-style ones carry no year (a December line read in January is
    last year's)."""
    stamp = line_time(text, now.year)
    start = text.find(" to=<")
    if stamp is None or start < 0:
        return None
    when = dt.datetime(*stamp[:6], stamp[6]).astimezone()
    if when > now + dt.timedelta(days=1):
        when = when.replace(year=when.year - 1)
    return when, text[start + 5 : text.find(">", start)].lower()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)  # SQLite keeps UTC, naive


def delivery_to_check(session, deliveries: list[tuple[dt.datetime, str]]) -> tuple[dt.datetime, str] | None:
    """The newest delivery to a mailbox that existed then and exists now: the
    log outlives deleted (or deleted and re-created) mailboxes, whose usage
    rows are rightly gone."""
    for when, recipient in deliveries:
        created = session.scalar(select(Mailbox.created_at).where(Mailbox.address == recipient).limit(1))
        # The log's times are cut to the second.
        if created is not None and _aware(created) < when + dt.timedelta(seconds=1):
            return when, recipient
    return None


def check_quota_clone(session, config, now: dt.datetime | None = None) -> Result:
    now = now or dt.datetime.now(dt.timezone.utc)
    delivery = delivery_to_check(session, recent_lmtp_deliveries(config.get("POSTFIX_LOG") or "", now))
    if delivery is None:
        return Result("quota_clone", OK, N_("no delivery in the last hour to check it against"))
    when, recipient = delivery
    # A row at all, not its numbers: POP3 may have emptied the mailbox since.
    if session.get(QuotaUsage, recipient) is None:
        return Result(
            "quota_clone",
            WARNING,
            Message(
                N_("mail was delivered to %(recipient)s at %(when)s but Dovecot wrote no quota usage for it"),
                recipient=recipient,
                when=f"{when:%H:%M}",
            ),
            N_("check Dovecot's dict service and quota_clone (its log); usage on pages is stale"),
        )
    reason = N_("usage of %(recipient)s recorded after its delivery at %(when)s")
    return Result("quota_clone", OK, Message(reason, recipient=recipient, when=f"{when:%H:%M}"))


def run_mail_checks(session, config, postfix_ok: bool, dovecot_ok: bool) -> list[Result]:
    """Every probe at once, in threads: together they take as long as the slowest (PROBE_TIMEOUT at most)."""
    _domain, mailbox = known_keys(session)
    probes = map_probes(session, config) if postfix_ok else []
    if dovecot_ok:
        probes += [
            (check_dovecot_lookup, config, mailbox, "passdb"),
            (check_dovecot_lookup, config, mailbox, "userdb"),
            (check_quota_status, config, mailbox),
        ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(*probe) for probe in probes]
        results = [future.result() for future in futures]
    # In this thread: it reads the database through the caller's session.
    return results + [check_quota_clone(session, config)]
