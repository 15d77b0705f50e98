"""Reading the logs: backwards tail against a plain read of generated
files, rotation, compressed rotations, filters, junk, follow and journey."""

from __future__ import annotations

import gzip
import os
import random

from panel.mailserver import maillog
from panel.mailserver.maillog import LINE_CAP, LogFilter, follow, journey, tail


def write_lines(path, lines, mode="wb"):
    with open(path, mode) as fh:
        fh.write(b"".join(line + b"\n" for line in lines))


def random_lines(count, seed=1):
    rng = random.Random(seed)
    # Lengths around the block size catch off-by-ones at block edges.
    sizes = [0, 1, 80, 200, maillog.BLOCK_SIZE - 1, maillog.BLOCK_SIZE, maillog.BLOCK_SIZE + 1]
    return [(b"%06d " % n) + b"y" * rng.choice(sizes[1:4] if n % 50 else sizes) for n in range(count)]


def expected(lines):
    return [line[:LINE_CAP].decode() for line in lines]


def test_tail_matches_a_plain_read_across_block_edges(tmp_path):
    log = tmp_path / "postfix.log"
    lines = random_lines(3000)
    write_lines(log, lines)
    for want in (1, 7, 200, 2999, 3000):
        got = tail(str(log), want).lines
        assert [line.text for line in got] == expected(lines[-want:])
    assert len(tail(str(log), 5000).lines) == 3000


def test_a_half_written_last_line_waits_for_follow(tmp_path):
    log = tmp_path / "postfix.log"
    write_lines(log, [b"one", b"two"])
    with open(log, "ab") as fh:
        fh.write(b"thr")
    result = tail(str(log), 10)
    assert [line.text for line in result.lines] == ["one", "two"]
    with open(log, "ab") as fh:
        fh.write(b"ee\nfour\n")
    followed = follow(str(log), result.cursor)
    assert [line.text for line in followed.lines] == ["three", "four"]
    assert follow(str(log), followed.cursor).lines == []


def test_tail_continues_into_the_rotated_file(tmp_path):
    log = tmp_path / "postfix.log"
    write_lines(f"{log}.1", [b"old %d" % n for n in range(100)])
    write_lines(log, [b"new %d" % n for n in range(10)])
    result = tail(str(log), 15)
    assert [line.text for line in result.lines] == [f"old {n}" for n in range(95, 100)] + [
        f"new {n}" for n in range(10)
    ]
    assert result.lines[0].source == "postfix.log.1" and result.lines[-1].source == "postfix.log"


def test_compressed_rotations_are_searched_only_when_asked(tmp_path):
    log = tmp_path / "postfix.log"
    write_lines(log, [b"today"])
    write_lines(f"{log}.1", [b"yesterday"])
    with gzip.open(f"{log}.2.gz", "wb") as fh:
        fh.write(b"".join(b"older %d NEEDLE\n" % n for n in range(1000)))
    needle = LogFilter(text="needle")
    assert tail(str(log), 10, needle).lines == []
    found = tail(str(log), 3, needle, rotated=True)
    assert [line.text for line in found.lines] == [f"older {n} NEEDLE" for n in (997, 998, 999)]
    assert found.sources == ["postfix.log", "postfix.log.1", "postfix.log.2.gz"]


def test_filters_by_text_queue_id_address_and_severity(tmp_path):
    log = tmp_path / "postfix.log"
    write_lines(
        log,
        [
            b"Nov 26 10:00:00 mx postfix/smtpd[1]: 4A1B2C3D4E: client=localhost[127.0.0.1]",
            b"Nov 26 10:00:01 mx postfix/qmgr[2]: 4A1B2C3D4E: from=<Ann@Example.org>, size=300, nrcpt=1 (queue active)",
            b"Nov 26 10:00:01 mx postfix/qmgr[2]: 4A1B2C3D4E5: from=<bob@example.org>, size=300, nrcpt=1 (queue active)",
            b"Nov 26 10:00:02 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 <a@b>: Relay access denied",
            b"Nov 26 10:00:03 mx postfix/smtpd[1]: warning: hostname y does not resolve",
            b"Nov 26 10:00:04 mx postfix/lmtp[3]: fatal: something broke",
        ],
    )

    def texts(**kwargs):
        return [line.text[16:40] for line in tail(str(log), 50, LogFilter(**kwargs)).lines]

    assert len(texts(queue_id="4A1B2C3D4E")) == 2  # not the longer id that starts the same
    assert len(texts(address="ann@example.org")) == 1
    assert len(texts(severity="reject")) == 1
    assert len(texts(severity="warning")) == 1
    assert len(texts(severity="error")) == 1
    assert len(texts(text="RELAY ACCESS")) == 1
    assert len(texts(severity="nonsense")) == 6


def test_long_lines_are_cut_visibly_and_junk_is_made_harmless(tmp_path):
    log = tmp_path / "postfix.log"
    write_lines(log, [b"start " + b"z" * 1_000_000, b"bad \xff\xfe bytes \x00\x1b[31m <script>"])
    long_line, junk = tail(str(log), 2).lines
    assert long_line.text.startswith("start zzz") and len(long_line.text) == LINE_CAP
    assert long_line.cut == 1_000_006 - LINE_CAP
    assert long_line.display.endswith(f"… [{long_line.cut} more bytes cut]")
    assert junk.text == "bad \ufffd\ufffd bytes \\x00\\x1b[31m <script>"


def test_filtered_search_stops_at_its_budget(tmp_path):
    log = tmp_path / "postfix.log"
    write_lines(log, [b"match here"] + [b"x" * 99] * 20_000)
    result = maillog.tail(str(log), 10, LogFilter(text="match"), budget=100_000)
    assert result.lines == [] and result.exhausted_budget
    assert maillog.tail(str(log), 10, LogFilter(text="match")).lines[0].text == "match here"


def test_follow_reads_only_new_bytes_and_survives_rotation(tmp_path):
    log = tmp_path / "dovecot.log"
    write_lines(log, [b"a", b"b"])
    cursor = tail(str(log), 1).cursor
    write_lines(log, [b"c"], mode="ab")
    step = follow(str(log), cursor)
    assert [line.text for line in step.lines] == ["c"]
    # Rotation: the rest of the old file (now .1), then the new file.
    write_lines(log, [b"d"], mode="ab")
    os.rename(log, f"{log}.1")
    write_lines(log, [b"e", b"f"])
    rotated = follow(str(log), step.cursor)
    assert [line.text for line in rotated.lines] == ["d", "e", "f"] and rotated.rotated
    assert follow(str(log), rotated.cursor).lines == []
    # A filter applies to followed lines too, and a bad cursor only yields a new one.
    write_lines(log, [b"warning: x", b"fine"], mode="ab")
    assert [line.text for line in follow(str(log), rotated.cursor, LogFilter(severity="warning")).lines] == [
        "warning: x"
    ]
    fresh = follow(str(log), "../../etc/passwd")
    assert fresh.lines == [] and fresh.cursor


POSTFIX = b"""\
Nov 26 10:00:00 mx postfix/smtpd[100]: connect from localhost[127.0.0.1]
Nov 26 10:00:00 mx postfix/smtpd[100]: 3F2A1B0C9D: client=localhost[127.0.0.1]
Nov 26 10:00:00 mx postfix/cleanup[101]: 3F2A1B0C9D: message-id=<abc@client.test>
Nov 26 10:00:00 mx postfix/qmgr[102]: 3F2A1B0C9D: from=<sender@client.test>, size=400, nrcpt=1 (queue active)
Nov 26 10:00:00 mx postfix/smtpd[100]: 7777777777: client=localhost[127.0.0.1]
Nov 26 10:00:01 mx postfix/lmtp[103]: 3F2A1B0C9D: to=<ann@e2e.test>, relay=mx[private/dovecot-lmtp], delay=0.1, status=sent (250 2.0.0 <ann@e2e.test> mHk7Lx0vZmUJAAAAw3Vp0A Saved)
Nov 26 10:00:01 mx postfix/qmgr[102]: 3F2A1B0C9D: removed
Nov 26 10:00:02 mx postfix/qmgr[102]: 7777777777: from=<other@client.test>, size=400, nrcpt=1 (queue active)
"""
DOVECOT = b"""\
Nov 26 10:00:01 lmtp(103): Info: Connect from local
Nov 26 10:00:01 lmtp(ann@e2e.test)<103><mHk7Lx0vZmUJAAAAw3Vp0A>: Info: msgid=<abc@client.test>: saved mail to INBOX
Nov 26 10:00:02 lmtp(bob@e2e.test)<104><zzzzzzzzzzzzzzzzzzzzzz>: Info: msgid=<other@client.test>: saved mail to INBOX
"""


def test_journey_joins_postfix_and_dovecot_lines_in_time_order(tmp_path):
    postfix, dovecot = tmp_path / "postfix.log", tmp_path / "dovecot.log"
    postfix.write_bytes(POSTFIX)
    dovecot.write_bytes(DOVECOT)
    trip = journey(str(postfix), str(dovecot), queue_id="3F2A1B0C9D", year=2026)
    texts = [line.text for line in trip.lines]
    # Same-second lines keep file order, Postfix before Dovecot.
    programs = [next(w for w in t.split() if w.startswith(("postfix/", "lmtp("))).split("[")[0] for t in texts]
    assert programs == [
        "postfix/smtpd",
        "postfix/cleanup",
        "postfix/qmgr",
        "postfix/lmtp",
        "postfix/qmgr",
        "lmtp(ann@e2e.test)<103><mHk7Lx0vZmUJAAAAw3Vp0A>:",
    ]
    assert "saved mail to INBOX" in texts[-1]
    assert not any("7777777777" in t or "bob@" in t or "Connect from" in t for t in texts)

    by_address = journey(str(postfix), str(dovecot), address="ann@e2e.test", year=2026)
    assert by_address.queue_ids == ["3F2A1B0C9D"]
    assert [line.text for line in by_address.lines] == texts


def test_filtered_tail_skipping_whole_blocks_finds_what_a_plain_read_finds(tmp_path):
    # Rare matches, some on lines that straddle 64 KiB block edges: blocks
    # without the needle are skipped unsplit, and nothing may be lost there.
    log = tmp_path / "postfix.log"
    lines = random_lines(4000, seed=3)
    lines = [line + (b" NeedLe" if n % 97 == 0 else b"") for n, line in enumerate(lines)]
    lines[1234] = b"x" * (maillog.BLOCK_SIZE + 5) + b" needle at the far end"
    write_lines(log, lines)
    for filt in (LogFilter(text="needle"), LogFilter(text="NEEDLE", severity="")):
        got = [line.text for line in tail(str(log), 5000, filt).lines]
        assert got == [raw[:LINE_CAP].decode() for raw in lines if b"needle" in raw[:LINE_CAP].lower()]
    got = tail(str(log), 50, LogFilter(queue_id="002500")).lines
    assert [line.text[:6] for line in got] == ["002500"]


def test_journey_follows_a_bounce_to_its_notification(tmp_path):
    postfix, dovecot = tmp_path / "postfix.log", tmp_path / "dovecot.log"
    postfix.write_bytes(
        b"Nov 26 11:00:00 mx postfix/qmgr[2]: 1111111111: from=<a@b.test>, size=1, nrcpt=1 (queue active)\n"
        b"Nov 26 11:00:01 mx postfix/lmtp[3]: 1111111111: to=<full@e2e.test>, status=bounced (552 5.2.2 quota)\n"
        b"Nov 26 11:00:01 mx postfix/bounce[4]: 1111111111: sender non-delivery notification: 2222222222\n"
        b"Nov 26 11:00:01 mx postfix/qmgr[2]: 2222222222: from=<>, size=2, nrcpt=1 (queue active)\n"
        b"Nov 26 11:00:02 mx postfix/qmgr[2]: 3333333333: from=<other@b.test>, size=1, nrcpt=1 (queue active)\n"
    )
    dovecot.write_bytes(b"")
    trip = journey(str(postfix), str(dovecot), queue_id="1111111111", year=2026)
    assert trip.queue_ids == ["1111111111", "2222222222"]
    assert len(trip.lines) == 4 and not any("3333333333" in line.text for line in trip.lines)
