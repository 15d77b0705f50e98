"""The real mail stack for tests: `deploy/mailstack` on the mail test database.

The session fixture ``mailstack`` configures Debian's Postfix and Dovecot in
loopback test mode (MAILSTACK_TEST=1) on ``mail_database_url`` (PostgreSQL,
then SQLite: the fixture follows that parametrization), starts them, and
stops them when that backend is done. It yields a :class:`Mailstack` with
small SMTP/IMAP/POP3 helpers. ``mail`` adds the domain ``e2e.test`` to it
and ``new_mailbox`` creates mailboxes there through the CLI.

The mail servers read the very database the ``app``/``session``/``runner``
fixtures write, so a change made through the CLI or the services is live at
once (no reload). For that, a test using the stack must run on the mail
database: ``mail_database_url`` is PostgreSQL ``<MAILPANEL_TEST_PG_URL>_mail``
or a SQLite file under /var/tmp, because pytest's own temporary directories
are private (0700) and every pytest run that starts resets them to 0700,
which would cut Postfix off mid-session. So every such test lives under
tests/e2e/, whose conftest makes ``database_url`` that database; asked for
anywhere else, ``mailstack`` fails and says so. Mark such tests
``@pytest.mark.e2e``::

    pytestmark = pytest.mark.e2e

    def test_something(mail, new_mailbox):
        ...

There is one Postfix and one Dovecot per machine, so the fixture takes the
machine-wide lock itself (``fcntl.flock`` on /tmp/mailstack.lock) before it
configures the stack, holds it while the stack runs, and releases it when it
stops: two pytest runs on one machine wait for each other instead of
reconfiguring each other's servers. Run pytest plainly; a run started under
the old ``flock /tmp/mailstack.lock pytest ...`` wrapper already holds the
lock, which the fixture notices instead of waiting for itself.

Needs root (it writes /etc/postfix and /etc/dovecot) and the Debian
packages `make test` installs. A failure to configure or start is an error,
never a skip.
"""

from __future__ import annotations

import contextlib
import fcntl
import imaplib
import json
import os
import poplib
import re
import shutil
import smtplib
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from panel import migrate
from panel.db import normalize_url
from tests.fixtures.databases import BACKENDS, PG_URL, fresh_postgres

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAILSTACK = PROJECT_ROOT / "deploy" / "mailstack"
HOST = "127.0.0.1"
SMTP_PORT, SUBMISSION_PORT, IMAP_PORT, POP3_PORT = 25, 587, 143, 110
POSTFIX_LOG = Path("/var/log/mailstack/postfix.log")
DOVECOT_LOG = Path("/var/log/mailstack/dovecot.log")
TIMEOUT = 20
LOCK = Path("/tmp/mailstack.lock")
LOCK_WAIT_S = 1800  # longer than any other run's use of the stack
E2E_PASSWORD = "correct-horse-1"  # of the mailboxes new_mailbox creates


class MailstackError(RuntimeError):
    pass


def mailstack_command(command: str, env: dict) -> str:
    result = subprocess.run(
        [str(MAILSTACK), command], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=180
    )
    if result.returncode != 0:
        raise MailstackError(f"deploy/mailstack {command} failed: {result.stderr.strip() or result.stdout}")
    return result.stdout


def drop_queued(domain: str) -> None:
    """Delete what the queue holds from or for ``domain``: a message of an
    earlier run that was still deferred (waiting for Dovecot's next try)
    would otherwise be delivered or bounce during this one, and be counted
    as this run's (seen in CI: five bounces for three messages)."""
    listing = subprocess.run(["postqueue", "-j"], capture_output=True, text=True, timeout=30, check=True).stdout
    ours = []
    for line in listing.splitlines():
        entry = json.loads(line)
        addresses = [entry.get("sender", "")] + [r.get("address", "") for r in entry.get("recipients", [])]
        if any(address.endswith("@" + domain) for address in addresses):
            ours.append(entry["queue_id"])
    if ours:
        subprocess.run(["postsuper", "-d", "-"], input="\n".join(ours) + "\n", text=True, timeout=60, check=True)


def _open_path_for_postfix(sqlite_file: Path) -> None:
    """pytest's temporary directories are private (0700); Postfix and Dovecot
    must traverse them to reach the SQLite file (search permission only)."""
    for parent in sqlite_file.parent.parents:
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(parent, stat.S_IMODE(mode) | stat.S_IXOTH)


def message(
    subject: str,
    body: str = "hello\n",
    sender: str = "tester@example.com",
    to: str = "someone@example.com",
    pad_to: int = 0,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    if pad_to:
        line = "x" * 76 + "\n"
        body = body + line * max(0, pad_to // len(line))
    msg.set_content(body)
    return msg


@dataclass
class Mailstack:
    """Helpers over real SMTP, IMAP and POP3 on 127.0.0.1."""

    database_url: str
    mail_root: Path
    env: dict  # what deploy/mailstack was run with

    def __post_init__(self):
        url = make_url(self.database_url)
        self._sqlite_file = Path(url.database) if url.get_backend_name() == "sqlite" else None

    def _reachable(self) -> None:
        # Another pytest starting on this machine resets its temporary root
        # to 0700; put the search bit back before each use of the servers.
        if self._sqlite_file is not None:
            _open_path_for_postfix(self._sqlite_file)

    def command(self, command: str) -> str:
        """Run ``deploy/mailstack COMMAND`` with the fixture's settings."""
        return mailstack_command(command, self.env)

    # -- SMTP
    def send(
        self,
        recipients: list[str],
        msg: EmailMessage | None = None,
        sender: str = "tester@example.com",
        size: int | None = None,
    ) -> str:
        """Send on port 25; returns the queue id. Any refused recipient raises."""
        self._reachable()
        msg = msg or message("test")
        with smtplib.SMTP(HOST, SMTP_PORT, timeout=TIMEOUT) as smtp:
            smtp.ehlo("e2e.client.test")
            options = [f"SIZE={size}"] if size else []
            code, reply = smtp.mail(sender, options)
            assert code == 250, reply
            for rcpt in recipients:
                code, reply = smtp.rcpt(rcpt)
                if code != 250:
                    raise smtplib.SMTPRecipientsRefused({rcpt: (code, reply)})
            code, reply = smtp.data(msg.as_bytes())
            assert code == 250, reply
        return queue_id(reply)

    def rcpt(self, recipient: str, size: int | None = None, sender: str = "tester@example.com") -> tuple[int, str]:
        """One RCPT TO in a fresh session (smtpd slows a session after 10
        rejections, so every check gets its own). Returns (code, text)."""
        self._reachable()
        with smtplib.SMTP(HOST, SMTP_PORT, timeout=TIMEOUT) as smtp:
            smtp.ehlo("e2e.client.test")
            code, reply = smtp.mail(sender, [f"SIZE={size}"] if size else [])
            assert code == 250, reply
            code, reply = smtp.rcpt(recipient)
            smtp.rset()
        return code, reply.decode(errors="replace")

    def submit(
        self,
        user: str,
        password: str,
        recipients: list[str],
        msg: EmailMessage | None = None,
        sender: str | None = None,
    ) -> None:
        """SMTP AUTH on submission (587), then send. Raises smtplib's
        SMTPAuthenticationError / SMTPSenderRefused / ... when refused."""
        self._reachable()
        msg = msg or message("submitted", sender=sender or user)
        with smtplib.SMTP(HOST, SUBMISSION_PORT, timeout=TIMEOUT) as smtp:
            smtp.ehlo("e2e.client.test")
            smtp.login(user, password)
            refused = smtp.sendmail(sender or user, recipients, msg.as_bytes())
            assert not refused, refused

    # -- IMAP / POP3
    def imap_login_ok(self, user: str, password: str) -> bool:
        self._reachable()
        imap = imaplib.IMAP4(HOST, IMAP_PORT, timeout=TIMEOUT)
        try:
            imap.login(user, password)
        except imaplib.IMAP4.error:
            return False
        finally:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
        return True

    def pop3_login_ok(self, user: str, password: str) -> bool:
        self._reachable()
        pop = poplib.POP3(HOST, POP3_PORT, timeout=TIMEOUT)
        try:
            pop.user(user)
            pop.pass_(password)
        except poplib.error_proto:
            return False
        finally:
            try:
                pop.quit()
            except (poplib.error_proto, OSError):
                pass
        return True

    def subjects(self, user: str, password: str) -> list[str]:
        """Subjects of the messages in the INBOX, over IMAP."""
        self._reachable()
        imap = imaplib.IMAP4(HOST, IMAP_PORT, timeout=TIMEOUT)
        try:
            imap.login(user, password)
            imap.select("INBOX", readonly=True)
            _, data = imap.search(None, "ALL")
            found = []
            for number in data[0].split():
                _, parts = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                header = parts[0][1].decode(errors="replace")
                found.append(header.split(":", 1)[1].strip() if ":" in header else "")
            return found
        finally:
            imap.logout()

    def pop3_subjects(self, user: str, password: str) -> list[str]:
        self._reachable()
        pop = poplib.POP3(HOST, POP3_PORT, timeout=TIMEOUT)
        try:
            pop.user(user)
            pop.pass_(password)
            count, _ = pop.stat()
            found = []
            for number in range(1, count + 1):
                _, lines, _ = pop.top(number, 0)
                for line in lines:
                    if line.lower().startswith(b"subject:"):
                        found.append(line.split(b":", 1)[1].strip().decode(errors="replace"))
            return found
        finally:
            pop.quit()

    def wait_for_subject(self, user: str, password: str, subject: str, timeout: float = TIMEOUT) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.subjects(user, password)
            if subject in found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    # -- Postfix's log
    def wait_for_delivery(self, qid: str, recipient: str, timeout: float = TIMEOUT) -> str:
        """The log line recording the final status of qid for recipient."""
        pattern = re.compile(rf"{qid}: to=<{re.escape(recipient)}>.*status=(sent|bounced|deferred)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in POSTFIX_LOG.read_text(errors="replace").splitlines():
                if pattern.search(line):
                    return line
            time.sleep(0.2)
        raise AssertionError(f"no delivery status for {qid} to {recipient} in {POSTFIX_LOG}")


def queue_id(reply: bytes) -> str:
    match = re.search(rb"queued as ([0-9A-Za-z]+)", reply)
    assert match, reply
    return match.group(1).decode()


def _lock_inherited_from_a_wrapper(path: Path) -> bool:
    """Whether this process already holds the lock on a descriptor it
    inherited: ``flock FILE COMMAND`` leaves its locked descriptor open in
    COMMAND, and locking FILE again on a new descriptor would wait forever
    for the lock this very process holds."""
    try:
        lock_file = path.stat()
    except FileNotFoundError:
        return False
    for name in os.listdir("/proc/self/fd"):
        try:
            opened = os.fstat(int(name))
            if (opened.st_dev, opened.st_ino) != (lock_file.st_dev, lock_file.st_ino):
                continue
            fcntl.flock(int(name), fcntl.LOCK_EX | fcntl.LOCK_NB)  # succeeds only if it is ours
            return True
        except OSError:  # closed meanwhile (listdir's own descriptor), or someone else's lock
            continue
    return False


@contextlib.contextmanager
def machine_lock(say, path: Path = LOCK, wait_s: float = LOCK_WAIT_S):
    """Hold the machine-wide mail stack lock; ``say`` tells a person why we wait."""
    if _lock_inherited_from_a_wrapper(path):
        yield
        return
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, say, wait_s)
        yield
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, path: Path, say, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise MailstackError(
                    f"gave up after {wait_s:.0f} s waiting for {path}: another run keeps the mail stack"
                ) from None
            if not said:
                say(f"waiting for {path}: another pytest run on this machine is using the mail stack")
                said = True
            time.sleep(1)


def _say_now(request):
    """Print past pytest's output capture, so a waiting run says why."""
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def say(text: str) -> None:
        with capture.global_and_fixture_disabled():
            print(f"\nmailstack: {text}", file=sys.stderr, flush=True)

    return say


@pytest.fixture(scope="session", params=BACKENDS)
def mail_database_url(request):
    """The session's test database, where Postfix and Dovecot can reach it."""
    directory = None
    if request.param == "postgresql":
        url = make_url(normalize_url(PG_URL))
        url = fresh_postgres(url.set(database=url.database + "_mail").render_as_string(hide_password=False))
    elif request.param == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="mailstack-e2e-db-", dir="/var/tmp"))
        url = f"sqlite:///{directory}/mailpanel.sqlite"
    else:
        raise ValueError(f"unknown backend {request.param}")
    migrate.upgrade(url)
    yield url
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def mailstack(request, mail_database_url, database_url):
    """Postfix + Dovecot configured on the mail database, under the machine-wide lock."""
    if database_url != mail_database_url:
        raise MailstackError(
            "a test outside tests/e2e/ asked for the mail stack: the panel's database would not be "
            "the one the mail servers read (see tests/mailstack_fixture.py)"
        )
    url = make_url(mail_database_url)
    with machine_lock(_say_now(request)):
        if url.get_backend_name() == "sqlite":
            _open_path_for_postfix(Path(url.database))
        mail_root = Path(tempfile.mkdtemp(prefix="mailstack-e2e-", dir="/var/tmp"))
        env = dict(os.environ, MAILPANEL_DATABASE_URL=mail_database_url, MAILSTACK_TEST="1")
        env["MAILPANEL_MAIL_ROOT"] = str(mail_root)
        env.pop("MAILPANEL_POSTFIX_LOG", None)
        env.pop("MAILPANEL_DOVECOT_LOG", None)
        mailstack_command("configure", env)
        try:
            mailstack_command("restart", env)
            yield Mailstack(database_url=mail_database_url, mail_root=mail_root, env=env)
        finally:
            # Stopped before the lock goes: the next run starts from a quiet machine.
            mailstack_command("stop", env)
            shutil.rmtree(mail_root, ignore_errors=True)


@pytest.fixture
def mail(mailstack, cli):
    """The stack, plus a panel with one domain ``e2e.test`` to fill."""
    cli("domain", "add", "e2e.test")
    return mailstack


@pytest.fixture
def new_mailbox(cli):
    """new_mailbox(address, *options, password=E2E_PASSWORD) through `mailbox add`."""

    def create(address: str, *options: str, password: str = E2E_PASSWORD) -> str:
        cli("mailbox", "add", address, "--password-stdin", *options, stdin=password + "\n")
        return address

    return create
