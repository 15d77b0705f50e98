"""Mail traffic from the Postfix and Dovecot logs: a line becomes an event
(:mod:`.lines`), a batch of events becomes counts per hour and domain
(:mod:`.tally`), and :mod:`.cursor` reads each log on from where the last
run stopped, across rotations. No database here: panel/services/traffic.py
stores the counts and the cursors."""

from .cursor import CHUNK, Chunk, Cursor, read_chunk
from .lines import Event, parse, reason
from .tally import COUNTERS, REJECTS, SENDERS, Clock, Message, Tally, hour_number, hour_start, merge_top, named

__all__ = [
    "CHUNK",
    "COUNTERS",
    "REJECTS",
    "SENDERS",
    "Chunk",
    "Clock",
    "Cursor",
    "Event",
    "Message",
    "Tally",
    "hour_number",
    "hour_start",
    "merge_top",
    "named",
    "parse",
    "read_chunk",
    "reason",
]
