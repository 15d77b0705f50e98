"""Generated ``postqueue -j`` lines and the fake queue programs' state."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

FAKE = Path(__file__).with_name("fake_postfix.py")
NOW = 1_790_000_000


def queue_line(
    number: int,
    *,
    queue: str = "deferred",
    age: int = 60,
    size: int = 1000,
    sender: str | None = None,
    recipients=None,
    reason: str = "connect to mx.dest.test: Connection refused",
    now: int = NOW,
    **extra,
) -> dict:
    """One message as ``postqueue -j`` prints it."""
    recipients = recipients or [f"rcpt{number}@dest.test"]
    return {
        "queue_name": queue,
        "queue_id": f"{0xA000000 + number:X}",
        "arrival_time": now - age,
        "message_size": size,
        "forced_expire": False,
        "sender": sender if sender is not None else f"s{number}@src.test",
        "recipients": [{"address": r, "delay_reason": reason} for r in recipients],
        **extra,
    }


class FakeQueue:
    def __init__(self, directory: Path):
        self.dir = directory
        self.write([])

    @property
    def prefix(self) -> str:
        return shlex.join([sys.executable, str(FAKE), str(self.dir)])

    def write(self, messages) -> None:
        (self.dir / "queue.jsonl").write_text("".join(json.dumps(m) + "\n" for m in messages))

    def messages(self) -> list[dict]:
        return [json.loads(line) for line in (self.dir / "queue.jsonl").read_text().splitlines() if line]

    def calls(self) -> list[dict]:
        path = self.dir / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def mode(self, value: str) -> None:
        (self.dir / "mode").write_text(value)
