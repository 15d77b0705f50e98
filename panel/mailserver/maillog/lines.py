"""One line of a mail log as shown: decoded, control characters (and the other
characters panel/text.py refuses in names, like bidi overrides) made visible,
very long lines cut with a visible mark. Log lines are untrusted: callers
escape the text (Jinja's autoescape, ``textContent`` in the browser)."""

from __future__ import annotations

from dataclasses import dataclass

from ... import text

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


def decode(raw: bytes, full_length: int, source: str) -> LogLine:
    line = text.visible(raw.decode("utf-8", "replace"), keep="\t")
    return LogLine(line, source, max(0, full_length - len(raw)))
