"""Is the mail system healthy? One list of checks for /status, `flask status` and /health.

Each check answers a :class:`Result`: a state (ok / warning / failing /
unknown), a one-line reason and what to do about it. Checks that run a
program do so through an argument list with a short timeout; the whole list
is cached for a few seconds so a page never waits long.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from ..languages import N_, Message, Nn_, why
from ..mailserver import queue as mailqueue
from ..mailserver.tools import MailToolError, MailTools

OK, WARNING, FAILING, UNKNOWN = "ok", "warning", "failing", "unknown"
STATES = (OK, WARNING, FAILING, UNKNOWN)
POSTFIX_PID = Path("/var/spool/postfix/pid/master.pid")
DOVECOT_PID = Path("/run/dovecot/master.pid")
CERT_WARN_DAYS, CERT_FAIL_DAYS = 21, 7
QUEUE_WARN, QUEUE_FAIL = 100, 1000
DEFERRED_WARN_S, DEFERRED_FAIL_S = 3600, 24 * 3600  # defaults of MAILPANEL_STATUS_DEFERRED_WARN/_FAIL
FREE_WARN, FREE_FAIL = 0.10, 0.03  # share of space (and inodes) left
CACHE_SECONDS = 5.0
CHECK_TIMEOUT = 5.0
START_TODO = N_("start it: deploy/mailstack start")
SUDOERS_TODO = N_("install deploy/sudoers-mailpanel and set MAILPANEL_QUEUE_COMMAND_PREFIX")


@dataclass(frozen=True)
class Result:
    name: str
    state: str
    reason: str
    todo: str = ""
    # Numbers behind the reason, for /metrics (e.g. messages per queue).
    values: dict | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "state": self.state, "reason": self.reason, "todo": self.todo}


def worst(results: list[Result]) -> str:
    states = {r.state for r in results}
    for state in (FAILING, WARNING, UNKNOWN):
        if state in states:
            return state
    return OK


# -- thresholds (pure, unit-tested) -----------------------------------------


def grade(value: float, warn: float, fail: float) -> str:
    """Higher is worse: ok below warn, warning from warn, failing from fail."""
    if value >= fail:
        return FAILING
    return WARNING if value >= warn else OK


def cert_state(days_left: float) -> str:
    if days_left < CERT_FAIL_DAYS:
        return FAILING
    return WARNING if days_left < CERT_WARN_DAYS else OK


def free_state(share_free: float) -> str:
    if share_free < FREE_FAIL:
        return FAILING
    return WARNING if share_free < FREE_WARN else OK


# -- the checks ---------------------------------------------------------------


def _pid_alive(pid_file: Path) -> tuple[bool, str]:
    try:
        pid = int(pid_file.read_text().split()[0])
    except FileNotFoundError:
        return False, Message(N_("no pid file %(file)s"), file=str(pid_file))
    except (OSError, ValueError, IndexError) as exc:
        return False, Message(N_("cannot read %(file)s: %(problem)s"), file=str(pid_file), problem=str(exc))
    if not Path(f"/proc/{pid}").exists():
        return False, Message(N_("%(file)s names pid %(pid)s, which is not running"), file=str(pid_file), pid=pid)
    return True, Message(N_("master process %(pid)s is running"), pid=pid)


def check_postfix(config) -> Result:
    alive, why = _pid_alive(Path(config.get("POSTFIX_PID_FILE") or POSTFIX_PID))
    if alive:
        return Result("postfix", OK, Message(N_("Postfix %(why)s"), why=why))
    return Result("postfix", FAILING, Message(N_("Postfix is not running (%(why)s)"), why=why), START_TODO)


def check_dovecot(config) -> Result:
    alive, why = _pid_alive(Path(config.get("DOVECOT_PID_FILE") or DOVECOT_PID))
    if alive:
        return Result("dovecot", OK, Message(N_("Dovecot %(why)s"), why=why))
    return Result("dovecot", FAILING, Message(N_("Dovecot is not running (%(why)s)"), why=why), START_TODO)


def check_database(session) -> Result:
    from .. import migrate

    try:
        current = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # any driver error means the same to an admin
        return Result(
            "database",
            FAILING,
            Message(N_("database unreachable: %(problem)s"), problem=str(exc).splitlines()[0][:200]),
            N_("check MAILPANEL_DATABASE_URL and that the database server runs"),
        )
    head = migrate.head_revision()
    if current != head:
        reason = Message(N_("schema at %(current)s, code expects %(head)s"), current=current, head=head)
        return Result("database", FAILING, reason, N_("run: flask db upgrade"))
    return Result("database", OK, Message(N_("reachable, schema at %(head)s"), head=head))


def check_queue(config, now: float | None = None) -> list[Result]:
    tools = MailTools.from_config(config)
    tools = MailTools(tools.prefix, min(tools.timeout, CHECK_TIMEOUT), tools.postqueue)
    sizes: dict[str, int] = {}
    oldest_deferred = None
    try:
        with tools.queue_lines() as lines:
            for line in lines:
                entry = mailqueue.parse_head(line)
                if entry is None:
                    continue
                sizes[entry.queue_name] = sizes.get(entry.queue_name, 0) + 1
                if entry.queue_name == "deferred":
                    arrival = entry.arrival_time
                    oldest_deferred = arrival if oldest_deferred is None else min(oldest_deferred, arrival)
    except MailToolError as exc:
        return [
            Result(
                "queue",
                UNKNOWN,
                Message(N_("cannot read the queue: %(problem)s"), problem=why(exc)),
                SUDOERS_TODO,
            )
        ]
    warn, fail = deferred_thresholds(config)
    return queue_results(sizes, oldest_deferred, now or time.time(), warn, fail)


def deferred_thresholds(config) -> tuple[int, int]:
    """MAILPANEL_STATUS_DEFERRED_WARN and _FAIL in seconds (checked at start-up)."""
    from ..config import duration_seconds

    warn = duration_seconds(config.get("STATUS_DEFERRED_WARN") or DEFERRED_WARN_S)
    return warn, duration_seconds(config.get("STATUS_DEFERRED_FAIL") or DEFERRED_FAIL_S)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 2 * 3600 else f"{seconds / 3600:.1f} h"


def queue_results(
    sizes: dict[str, int],
    oldest_deferred: float | None,
    now: float,
    warn: float = DEFERRED_WARN_S,
    fail: float = DEFERRED_FAIL_S,
) -> list[Result]:
    total = sum(sizes.values())
    # Queue names are Postfix's own (deferred, active, ...): they stay as they are.
    shown = ", ".join(f"{n} {name}" for name, n in sorted(sizes.items()))
    if shown:
        reason = Message(
            Nn_("%(count)s message queued (%(shown)s)", "%(count)s messages queued (%(shown)s)"),
            count=total,
            shown=shown,
        )
    else:
        reason = Message(N_("%(count)s messages queued (empty)"), count=total)
    results = [
        Result(
            "queue_size",
            grade(total, QUEUE_WARN, QUEUE_FAIL),
            reason,
            N_("look at the queue page for why mail waits") if total >= QUEUE_WARN else "",
            values={"deferred": 0, "active": 0, "incoming": 0, "hold": 0, **sizes},
        )
    ]
    age = 0.0 if oldest_deferred is None else max(0.0, now - oldest_deferred)
    state = grade(age, warn, fail)
    reason = N_("no deferred mail")
    if oldest_deferred is not None and state != OK:
        reason = Message(
            N_("oldest deferred message waits %(age)s (warning from %(warn)s, failing from %(fail)s)"),
            age=_duration(age),
            warn=_duration(warn),
            fail=_duration(fail),
        )
    elif oldest_deferred is not None:
        reason = Message(N_("oldest deferred message waits %(age)s"), age=_duration(age))
    todo = N_("read its delay reason on the queue page") if state != OK else ""
    results.append(Result("queue_age", state, reason, todo, values={"age": age}))
    return results


def served_certificate(address: str, timeout: float = CHECK_TIMEOUT):
    """The certificate a server presents on an implicit-TLS port (OSError,
    ssl.SSLError when it does not). Not verified: the check reads its
    expiry, which must be reported even when it has already expired."""
    import socket
    import ssl

    from cryptography import x509

    host, _, port = address.strip().rpartition(":")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=None) as conn:
            return x509.load_der_x509_certificate(conn.getpeercert(binary_form=True))


def _subject(cert) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def check_served_certificates(addresses: list[str], now: dt.datetime | None = None) -> Result:
    """The certificate each address serves; the one expiring first decides."""
    from concurrent.futures import ThreadPoolExecutor

    now = now or dt.datetime.now(dt.timezone.utc)
    with ThreadPoolExecutor(max_workers=len(addresses)) as pool:
        futures = {a: pool.submit(served_certificate, a) for a in addresses}
        served, problems = {}, []
        for address, future in futures.items():
            try:
                served[address] = future.result()
            except (OSError, ValueError) as exc:
                problems.append((address, str(exc)[:250]))
    if problems:
        address, problem = problems[0]
        return Result(
            "certificate",
            FAILING,
            Message(N_("no certificate served on %(address)s: %(problem)s"), address=address, problem=problem),
            N_("start the mail servers with TLS (MAILSTACK_TLS_CERT) or fix MAILPANEL_TLS_CHECK_ADDRESSES"),
        )
    address, cert = min(served.items(), key=lambda item: item[1].not_valid_after_utc)
    days = (cert.not_valid_after_utc - now).total_seconds() / 86400
    state = cert_state(days)
    when = f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    return Result(
        "certificate",
        state,
        Message(
            Nn_(
                "the certificate served on %(address)s (%(subject)s) expires in %(count)s day, %(when)s",
                "the certificate served on %(address)s (%(subject)s) expires in %(count)s days, %(when)s",
            )
            if days >= 0
            else Nn_(
                "the certificate served on %(address)s (%(subject)s) expired %(count)s day ago, %(when)s",
                "the certificate served on %(address)s (%(subject)s) expired %(count)s days ago, %(when)s",
            ),
            address=address,
            subject=_subject(cert),
            count=abs(round(days)),
            when=when,
        ),
        N_("renew it, then postfix reload and doveadm reload") if state != OK else "",
    )


def check_certificate(config, now: dt.datetime | None = None) -> Result:
    addresses = [a for a in re.split(r"[\s,]+", config.get("TLS_CHECK_ADDRESSES") or "") if a]
    if addresses:
        return check_served_certificates(addresses, now)
    path = config.get("TLS_CERT") or ""
    if not path:
        return Result(
            "certificate",
            UNKNOWN,
            N_("no certificate configured"),
            N_("set MAILPANEL_TLS_CHECK_ADDRESSES (e.g. 127.0.0.1:993 127.0.0.1:465) or MAILPANEL_TLS_CERT"),
        )
    try:
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        reason = Message(N_("cannot read %(file)s: %(problem)s"), file=path, problem=str(exc))
        return Result("certificate", FAILING, reason, N_("check MAILPANEL_TLS_CERT"))
    now = now or dt.datetime.now(dt.timezone.utc)
    days = (cert.not_valid_after_utc - now).total_seconds() / 86400
    state = cert_state(days)
    if days >= 0:
        template = Nn_("%(file)s expires in %(count)s day", "%(file)s expires in %(count)s days")
    else:
        template = Nn_("%(file)s expired %(count)s day ago", "%(file)s expired %(count)s days ago")
    reason = Message(template, file=path, count=abs(round(days)))
    return Result("certificate", state, reason, N_("renew the certificate") if state != OK else "")


def check_disk(config) -> Result:
    root = config.get("MAIL_ROOT") or "/var/vmail"
    try:
        st = os.statvfs(root)
    except OSError as exc:
        reason = Message(N_("cannot stat %(file)s: %(problem)s"), file=root, problem=exc.strerror)
        return Result("disk", UNKNOWN, reason, N_("check MAILPANEL_MAIL_ROOT"))
    space = st.f_bavail / st.f_blocks if st.f_blocks else 1.0
    inodes = st.f_favail / st.f_files if st.f_files else 1.0
    state = free_state(min(space, inodes))
    return Result(
        "disk",
        state,
        Message(
            N_("%(space)s space and %(inodes)s inodes free under %(file)s"),
            space=f"{space:.0%}",
            inodes=f"{inodes:.0%}",
            file=root,
        ),
        N_("free space or grow the file system") if state != OK else "",
    )


def check_logs(config) -> list[Result]:
    results = []
    for key in ("POSTFIX_LOG", "DOVECOT_LOG"):
        path = config.get(key) or ""
        name = key.lower()
        if not os.path.exists(path):
            reason = Message(N_("%(file)s does not exist"), file=path)
            todo = Message(N_("set %(setting)s to the log file"), setting=f"MAILPANEL_{key}")
            results.append(Result(name, WARNING, reason, todo))
        elif not os.access(path, os.R_OK):
            reason = Message(N_("%(file)s is not readable"), file=path)
            results.append(Result(name, WARNING, reason, N_("add the panel's user to the adm group")))
        else:
            results.append(Result(name, OK, Message(N_("%(file)s is readable"), file=path)))
    return results


def vital(session, config) -> list[Result]:
    """What serving mail needs: the two servers and the database. Cheap (two
    pid files, one query), so /health asks it live: a load balancer must not
    be told "ok" from a cache filled before the database went away."""
    return [check_postfix(config), check_dovecot(config), check_database(session)]


def run_all(session, config, now: float | None = None) -> list[Result]:
    results = vital(session, config)
    if results[0].state == OK:
        results += check_queue(config, now)
    else:
        results.append(Result("queue", UNKNOWN, N_("Postfix is not running: the queue is not being worked"), ""))
    from .status_mail import run_mail_checks  # it builds on this module's Result

    if results[2].state == FAILING:  # they all start from a mailbox read in the database
        mail = [Result("mail_lookups", UNKNOWN, N_("not checked: the database is unreachable"), "")]
    else:
        mail = run_mail_checks(session, config, results[0].state == OK, results[1].state == OK)
    return results + mail + [check_certificate(config), check_disk(config), *check_logs(config)]


_cache: dict = {}
_lock = threading.Lock()


def cached(session, config) -> list[Result]:
    """run_all at most once every CACHE_SECONDS per process."""
    with _lock:
        stamp, results = _cache.get("all", (0.0, None))
        if results is None or time.monotonic() - stamp > CACHE_SECONDS:
            results = run_all(session, config)
            _cache["all"] = (time.monotonic(), results)
        return results


def clear_cache() -> None:
    with _lock:
        _cache.clear()
