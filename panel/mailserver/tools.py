"""The one place that runs Postfix's queue programs: postqueue, postsuper, postcat.

The panel does not run as root. Every command is an argument list (never a
shell), queue ids are validated before they reach a command line, every run
has a timeout, and the configurable prefix (``QUEUE_COMMAND_PREFIX``, e.g.
``sudo -n``) is split with :mod:`shlex` and put in front of the program. The
sudoers rule in ``deploy/sudoers-mailpanel`` allows exactly the command lines
built here, so ids always travel on stdin (``postsuper -d -``) or as the one
argument after ``-q``/``-i``.

Failures become :class:`MailToolError` with a ``reason`` a page can explain:
``missing`` (program not installed), ``timeout``, ``refused`` (non-zero exit,
e.g. sudo asking for a password) or ``invalid`` (a bad queue id).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

from ..languages import N_, Message

DEFAULT_TIMEOUT = 30.0
# postcat output shown in the browser is cut here; a queue file can be huge.
DEFAULT_MESSAGE_CAP = 256 * 1024
_STDERR_CAP = 4096

# Short ids are upper-case hex. Long ids (enable_long_queue_ids) are ten
# characters of time in Postfix's base-52 alphabet (digits and consonants, no
# vowels so no words), the separator "z", then the inode in base 51 (no "z").
_LONG_ALPHABET = "0-9BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy"
_SHORT_ID = re.compile(r"[0-9A-F]{6,24}")
_LONG_ID = re.compile(rf"[{_LONG_ALPHABET}z]{{10}}z[{_LONG_ALPHABET}]{{1,20}}")

POSTSUPER_ACTIONS = {"hold": "-h", "release": "-H", "requeue": "-r", "delete": "-d"}
_POSTSUPER_COUNT = re.compile(r"postsuper: (?:Deleted|Placed on hold|Released from hold|Requeued): (\d+) messages?")


class MailToolError(Exception):
    """A queue program could not do what was asked; ``str()`` is for a page."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


def is_queue_id(value: str) -> bool:
    return bool(_SHORT_ID.fullmatch(value) or _LONG_ID.fullmatch(value))


def validate_queue_id(value) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not is_queue_id(text):
        raise MailToolError("invalid", Message(N_("not a Postfix queue id: %(value)s"), value=repr(str(value)[:40])))
    return text


def validate_queue_ids(values: Iterable) -> list[str]:
    """Valid, de-duplicated ids in their given order."""
    return list(dict.fromkeys(validate_queue_id(v) for v in values))


@dataclass(frozen=True)
class ActionResult:
    action: str
    ids: tuple[str, ...]
    # How many messages Postfix says it acted on (postsuper reports it), or
    # None when the program does not say.
    affected: int | None
    output: str


@dataclass(frozen=True)
class MailTools:
    """Runs the queue programs with a prefix and a timeout."""

    prefix: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    postqueue: str = "/usr/sbin/postqueue"
    postsuper: str = "/usr/sbin/postsuper"
    postcat: str = "/usr/sbin/postcat"

    @classmethod
    def from_config(cls, config) -> "MailTools":
        return cls(
            prefix=tuple(shlex.split(config.get("QUEUE_COMMAND_PREFIX") or "")),
            timeout=_seconds(config.get("QUEUE_COMMAND_TIMEOUT")),
            postqueue=config.get("POSTQUEUE_PATH") or cls.postqueue,
            postsuper=config.get("POSTSUPER_PATH") or cls.postsuper,
            postcat=config.get("POSTCAT_PATH") or cls.postcat,
        )

    def command(self, program: str, *args: str) -> list[str]:
        return [*self.prefix, program, *args]

    # -- reading the queue -------------------------------------------------

    @contextmanager
    def queue_lines(self) -> Iterator[Iterator[bytes]]:
        """``postqueue -j`` as a stream of lines, never the whole output.

        The caller iterates inside the ``with`` block; the process is waited
        for (and killed on timeout or early exit) when the block ends, and a
        failure exit status raises :class:`MailToolError` there.
        """
        with _Streaming(self.command(self.postqueue, "-j"), self.timeout) as proc:
            yield iter(proc.stdout.readline, b"")

    def show_message(self, queue_id: str, cap: int = DEFAULT_MESSAGE_CAP) -> tuple[bytes, bool]:
        """``postcat -q ID``: the first ``cap`` bytes and whether it was cut."""
        argv = self.command(self.postcat, "-q", validate_queue_id(queue_id))
        with _Streaming(argv, self.timeout) as proc:
            data = proc.stdout.read(cap + 1)
            cut = len(data) > cap
            if cut:
                proc.stop_early()
        return data[:cap], cut

    # -- acting on it ------------------------------------------------------

    def flush(self) -> ActionResult:
        out = self._run(self.command(self.postqueue, "-f"))
        return ActionResult("flush", (), None, out)

    def retry(self, ids: Iterable[str]) -> ActionResult:
        """``postqueue -i ID``, once per id: the program takes exactly one."""
        valid = validate_queue_ids(ids)
        outputs = [self._run(self.command(self.postqueue, "-i", qid)) for qid in valid]
        return ActionResult("retry", tuple(valid), len(valid), "".join(outputs))

    def postsuper_action(self, action: str, ids: Iterable[str]) -> ActionResult:
        """hold / release / requeue / delete, the ids on stdin (``-``)."""
        flag = POSTSUPER_ACTIONS.get(action)
        if flag is None:
            raise MailToolError("invalid", Message(N_("unknown queue action %(action)s"), action=repr(action)))
        valid = validate_queue_ids(ids)
        if not valid:
            return ActionResult(action, (), 0, "")
        stdin = "".join(f"{qid}\n" for qid in valid).encode("ascii")
        out = self._run(self.command(self.postsuper, flag, "-"), stdin)
        counts = [int(n) for n in _POSTSUPER_COUNT.findall(out)]
        return ActionResult(action, tuple(valid), sum(counts), out)

    def _run(self, argv: list[str], stdin: bytes | None = None) -> str:
        feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        try:
            done = subprocess.run(argv, capture_output=True, timeout=self.timeout, **feed)
        except FileNotFoundError:
            raise _missing(argv) from None
        except PermissionError:
            raise MailToolError("refused", Message(N_("%(program)s: permission denied"), program=_name(argv))) from None
        except subprocess.TimeoutExpired:
            raise _timed_out(argv, self.timeout) from None
        text = (done.stdout + done.stderr).decode("utf-8", "replace")
        if done.returncode != 0:
            raise _refused(argv, done.returncode, done.stderr)
        return text


def _seconds(value) -> float:
    """The configured timeout; anything unusable means the default, never a crash."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    return seconds if 0 < seconds < 3600 else DEFAULT_TIMEOUT


class _Streaming:
    """A child whose stdout is read incrementally, with a watchdog.

    stderr goes to a temporary file so a chatty program cannot block on a
    full pipe while we read stdout.
    """

    def __init__(self, argv: list[str], timeout: float):
        self.argv, self.timeout = argv, timeout
        self._timed_out = False
        self._stopped = False

    def __enter__(self):
        self._stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True
            )
        except FileNotFoundError:
            self._stderr.close()
            raise _missing(self.argv) from None
        except PermissionError:
            self._stderr.close()
            raise MailToolError(
                "refused", Message(N_("%(program)s: permission denied"), program=_name(self.argv))
            ) from None
        self._timer = threading.Timer(self.timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        self.stdout = self.proc.stdout
        return self

    def _expire(self) -> None:
        self._timed_out = True
        self._kill()

    def _kill(self) -> None:
        # The prefix (sudo) may have children: end the whole process group.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop_early(self) -> None:
        """We read all we want; the child's exit status no longer matters."""
        self._stopped = True
        self._kill()

    def __exit__(self, exc_type, exc, tb):
        # Leaving early (an error, or the caller found what it wanted) must not
        # turn the child's broken pipe into a failure.
        if not self._stopped and (exc_type is not None or self.proc.stdout.read(1)):
            self.stop_early()
        self.proc.stdout.close()
        self.proc.wait()
        self._timer.cancel()
        self._stderr.seek(0)
        err = self._stderr.read(_STDERR_CAP)
        self._stderr.close()
        if exc_type is not None:
            return False
        if self._timed_out:
            raise _timed_out(self.argv, self.timeout)
        if not self._stopped and self.proc.returncode != 0:
            raise _refused(self.argv, self.proc.returncode, err)
        return False


def _name(argv: list[str]) -> str:
    """The queue program's name, not the prefix's (``sudo``)."""
    for arg in argv:
        base = os.path.basename(arg)
        if base in ("postqueue", "postsuper", "postcat"):
            return base
    return os.path.basename(argv[0]) if argv else "command"


def _missing(argv: list[str]) -> MailToolError:
    message = N_("%(program)s: %(path)s is not installed on this server")
    return MailToolError("missing", Message(message, program=_name(argv), path=argv[0]))


def _timed_out(argv: list[str], timeout: float) -> MailToolError:
    message = N_("%(program)s did not finish within %(seconds)s seconds")
    return MailToolError("timeout", Message(message, program=_name(argv), seconds=f"{timeout:g}"))


def _refused(argv: list[str], status: int, stderr: bytes) -> MailToolError:
    detail = stderr.decode("utf-8", "replace").strip().splitlines()
    last = detail[-1] if detail else f"exit status {status}"
    return MailToolError(
        "refused", Message(N_("%(program)s refused: %(problem)s"), program=_name(argv), problem=last[:300])
    )
