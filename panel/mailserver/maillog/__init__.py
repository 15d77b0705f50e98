"""Reading the mail logs: tail, filters, follow, and a message's journey.

Logs grow to gigabytes, so nothing here reads a whole file: the tail reads
backwards from the end (:mod:`.reading`), follow mode reads from a byte
offset (:mod:`.follow`), and a journey is a few such searches
(:mod:`.journey`). The paths come from configuration only, never from a
request.
"""

from .filters import SEVERITIES, LogFilter, Matcher, word_matcher
from .follow import FOLLOW_CHUNK, FollowResult, follow, parse_cursor
from .journey import MAX_JOURNEY_IDS, MAX_JOURNEY_LINES, Journey, journey, line_time
from .lines import BLOCK_SIZE, LINE_CAP, LogLine
from .reading import DEFAULT_LINES, MAX_LINES, SCAN_BUDGET, TailResult, scan, tail

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_LINES",
    "FOLLOW_CHUNK",
    "LINE_CAP",
    "MAX_JOURNEY_IDS",
    "MAX_JOURNEY_LINES",
    "MAX_LINES",
    "SCAN_BUDGET",
    "SEVERITIES",
    "FollowResult",
    "Journey",
    "LogFilter",
    "LogLine",
    "Matcher",
    "TailResult",
    "follow",
    "journey",
    "line_time",
    "parse_cursor",
    "scan",
    "tail",
    "word_matcher",
]
