"""Reading a log on from a cursor, across the rotations logrotate does."""

from __future__ import annotations

import os

from panel.mailserver.traffic import Cursor, parse, read_chunk


def append(path, *lines: str) -> None:
    with open(path, "a") as fh:
        fh.write("".join(f"{line}\n" for line in lines))


def read_all(path, cursor):
    """Every line after ``cursor`` (chunk after chunk, as ingestion does)."""
    lines, missed = [], False
    while True:
        chunk = read_chunk(str(path), cursor, limit=64)
        lines += [raw.decode() for raw in chunk.lines]
        missed |= chunk.missed
        cursor = chunk.cursor
        if not chunk.more or not chunk.bytes_read:
            return lines, cursor, missed


def test_each_read_goes_on_from_the_last_and_a_half_line_waits(tmp_path):
    log = tmp_path / "postfix.log"
    append(log, "one", "two")
    lines, cursor, _ = read_all(log, None)
    assert lines == ["one", "two"] and cursor.offset == log.stat().st_size
    with open(log, "a") as fh:
        fh.write("three\nfou")  # the daemon is half-way through a line
    lines, cursor, _ = read_all(log, cursor)
    assert lines == ["three"]
    append(log, "r")
    assert read_all(log, cursor)[0] == ["four"]


def test_rename_rotation_reads_the_old_file_to_its_end_then_the_new_one(tmp_path):
    log = tmp_path / "postfix.log"
    append(log, "a1", "a2")
    _, cursor, _ = read_all(log, None)
    append(log, "a3")  # written after the last read, before the rotation
    os.rename(log, f"{log}.1")
    append(f"{log}.1", "a4")  # the daemon still writes to its open file until it reopens
    append(log, "b1", "b2")
    lines, cursor, missed = read_all(log, cursor)
    assert lines == ["a3", "a4", "b1", "b2"] and not missed
    assert cursor.inode == os.stat(log).st_ino
    assert read_all(log, cursor)[0] == []  # nothing twice


def test_copytruncate_finds_the_copy_by_its_first_line(tmp_path):
    log = tmp_path / "dovecot.log"
    append(log, "first line", "x2")
    _, cursor, _ = read_all(log, None)
    append(log, "x3")
    (tmp_path / "dovecot.log.1").write_bytes(log.read_bytes())  # logrotate's copytruncate
    os.truncate(log, 0)
    append(log, "y1")
    lines, _, missed = read_all(log, cursor)
    assert lines == ["x3", "y1"] and not missed


def test_a_new_file_with_the_same_inode_is_read_from_its_start(tmp_path):
    log = tmp_path / "postfix.log"
    append(log, "old first", "old second", "old third")
    _, cursor, _ = read_all(log, None)
    log.write_text("new first line that is long\n")  # same inode, other content, as long as before
    lines, _, _ = read_all(log, cursor)
    assert lines == ["new first line that is long"]


def test_when_the_rotated_file_is_gone_it_says_lines_may_be_missed(tmp_path):
    log = tmp_path / "postfix.log"
    append(log, "a1")
    _, cursor, _ = read_all(log, None)
    os.rename(log, tmp_path / "elsewhere")
    append(log, "b1")
    lines, _, missed = read_all(log, cursor)
    assert lines == ["b1"] and missed


def test_an_unfinished_last_line_of_a_rotated_file_is_stepped_over(tmp_path):
    log = tmp_path / "postfix.log"
    append(log, "a1")
    _, cursor, _ = read_all(log, None)
    with open(log, "a") as fh:
        fh.write("cut off")
    os.rename(log, f"{log}.1")
    append(log, "b1")
    assert read_all(log, cursor)[0] == ["b1"]


def test_an_enormous_line_is_stepped_over_not_read_forever(tmp_path):
    log = tmp_path / "postfix.log"
    log.write_text("x" * 300 + "\nafter\n")
    lines, cursor, _ = read_all(log, Cursor())
    # Its first chunk is dropped; its tail arrives as a fragment that no parser
    # takes for traffic (it has no time stamp).
    assert lines[-1] == "after" and set(lines[0]) == {"x"} and len(lines) == 2
    assert cursor.offset == log.stat().st_size
    assert parse(lines[0].encode()) is None
