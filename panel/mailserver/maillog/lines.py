"""One line of a mail log as shown: decoded, control characters (and the other
characters panel/text.py refuses in names, like bidi overrides) made visible,
very long lines cut with a visible mark. Log lines are untrusted: callers
escape the text (Jinja's autoescape, ``textContent`` in the browser)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ... import text
from ..tools import is_queue_id

# What marks a line, first match wins: a postmaster scans for these.
KINDS = (
    ("error", ("fatal:", "panic:", "error:")),
    ("reject", ("reject:", "NOQUEUE: reject", "milter-reject:")),
    ("bounced", ("status=bounced",)),
    ("deferred", ("status=deferred",)),
    ("warning", ("warning:",)),
)
# "... postfix/smtpd[123]: 4BxYz1abcDz3q: client=..." -- the id after the program.
_QUEUE_ID = re.compile(r"\]: ([0-9A-Za-z]{6,32}): ")

BLOCK_SIZE = 64 * 1024  # bytes read at a time, forwards or backwards
LINE_CAP = 2000  # bytes of one line kept and shown


@dataclass(frozen=True)
class LogLine:
    text: str
    source: str  # file name, e.g. "postfix.log.1"
    cut: int = 0  # bytes left out of a very long line

    @property
    def display(self) -> str:
        return f"{self.text} … [{self.cut} more bytes cut]" if self.cut else self.text

    @property
    def kind(self) -> str:
        """ "error", "reject", "bounced", "deferred", "warning" or ""."""
        return next((kind for kind, marks in KINDS if any(mark in self.text for mark in marks)), "")

    @property
    def parts(self) -> tuple[str, str, str]:
        """The display text split around its Postfix queue id: (before, id,
        after); the id is "" when the line names none (the page links it)."""
        shown = self.display
        found = _QUEUE_ID.search(shown)
        if found is None or not is_queue_id(found.group(1)):
            return shown, "", ""
        return shown[: found.start(1)], found.group(1), shown[found.end(1) :]


def decode(raw: bytes, full_length: int, source: str) -> LogLine:
    line = text.visible(raw.decode("utf-8", "replace"), keep="\t")
    return LogLine(line, source, max(0, full_length - len(raw)))
