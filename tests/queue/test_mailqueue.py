"""Streaming postqueue -j: totals, filters, sorting and keyset pages."""

from __future__ import annotations

import json

from panel.mailserver.queue import QueueFilter, matching_ids, parse_line, read_page
from tests.queue.queue_fakes import NOW, queue_line


def stream(messages):
    """A generator, as the pipe is: it can be read once and only forwards."""
    return (json.dumps(m).encode() + b"\n" for m in messages)


def sample(count=1000):
    queues = ["deferred", "active", "hold", "incoming", "deferred"]
    return [
        queue_line(
            n,
            queue=queues[n % 5],
            age=(n * 97) % 900_000,
            size=500 + (n * 7919) % 50_000,
            recipients=[f"user{n % 13}@{'dest' if n % 2 else 'other'}.test"],
            reason="Connection refused" if n % 3 else "mailbox full",
        )
        for n in range(count)
    ]


def walk(messages, filt=None, sort="oldest", per_page=37):
    filt = filt or QueueFilter()
    pages, after = [], None
    while True:
        page = read_page(stream(messages), filt, sort, per_page, after=after, now=NOW)
        pages.append(page)
        if not page.next_cursor:
            return pages
        after = page.next_cursor


def test_totals_count_every_message_per_queue_and_age():
    messages = sample()
    page = read_page(stream(messages), QueueFilter(queue="hold"), now=NOW)
    assert page.totals.messages == 1000
    assert dict(page.totals.queue_rows()) == {
        "active": 200,
        "deferred": 400,
        "hold": 200,
        "incoming": 200,
        "maildrop": 0,
    }
    assert sum(count for _, count in page.totals.age_rows()) == 1000
    under_hour = sum(1 for m in messages if NOW - m["arrival_time"] < 3600)
    assert dict(page.totals.age_rows())["under 1 hour"] == under_hour
    assert page.totals.matched == 200


def test_keyset_pages_walk_every_match_once_in_order():
    messages = sample()
    orders = {
        "oldest": lambda m: (m["arrival_time"], m["queue_id"]),
        "newest": lambda m: (-m["arrival_time"], m["queue_id"]),
        "largest": lambda m: (-m["message_size"], m["queue_id"]),
        "smallest": lambda m: (m["message_size"], m["queue_id"]),
    }
    for sort, order in orders.items():
        shown = [m.queue_id for page in walk(messages, sort=sort) for m in page.messages]
        assert shown == [m["queue_id"] for m in sorted(messages, key=order)], sort


def test_previous_page_is_the_page_before():
    messages = sample(200)
    pages = walk(messages, per_page=30)
    third = pages[2]
    back = read_page(stream(messages), QueueFilter(), "oldest", 30, before=third.prev_cursor, now=NOW)
    assert [m.queue_id for m in back.messages] == [m.queue_id for m in pages[1].messages]
    first = read_page(stream(messages), QueueFilter(), "oldest", 30, before=pages[1].prev_cursor, now=NOW)
    assert [m.queue_id for m in first.messages] == [m.queue_id for m in pages[0].messages]
    assert first.prev_cursor is None and first.next_cursor


def test_filters_by_queue_sender_recipient_domain_reason_and_age():
    messages = sample()
    messages[5]["sender"] = "Boss@Company.test"

    def ids(**kwargs):
        return set(matching_ids(stream(messages), QueueFilter(**kwargs), now=NOW))

    assert ids(sender="boss@company") == {messages[5]["queue_id"]}
    assert ids(domain="company.test") == {messages[5]["queue_id"]}
    assert ids(recipient="USER3@") == {
        m["queue_id"] for m in messages if m["recipients"][0]["address"].startswith("user3@")
    }
    assert ids(domain="other.test") == {
        m["queue_id"] for m in messages if "@other.test" in m["recipients"][0]["address"]
    }
    assert ids(reason="mailbox full") == {
        m["queue_id"] for m in messages if m["recipients"][0]["delay_reason"] == "mailbox full"
    }
    assert ids(min_age=86400) == {m["queue_id"] for m in messages if NOW - m["arrival_time"] >= 86400}
    assert ids(queue="hold", max_age=3600) == {
        m["queue_id"] for m in messages if m["queue_name"] == "hold" and NOW - m["arrival_time"] <= 3600
    }


def test_lines_that_are_not_messages_are_counted_not_fatal():
    lines = [
        b"not json\n",
        b'{"queue_id": "../etc"}\n',
        b"\n",
        b'{"queue_id": "A00001", "arrival_time": "x"}\n',
        json.dumps(queue_line(1)).encode() + b"\n",
    ]
    page = read_page(iter(lines), now=NOW)
    assert page.totals.unreadable == 3
    assert [m.queue_id for m in page.messages] == ["A000001"]


def test_untrusted_fields_are_kept_as_text():
    msg = parse_line(
        json.dumps(queue_line(1, sender="<script>alert(1)</script>@x.test", reason="<img src=x onerror=alert(2)>"))
    )
    assert msg.sender == "<script>alert(1)</script>@x.test"
    assert msg.reasons == ["<img src=x onerror=alert(2)>"]


def test_a_page_keeps_only_its_rows_whatever_the_queue_size():
    # The stream is a generator: read_page must consume it once, lazily,
    # and return per_page rows; a bad cursor starts from the first page.
    messages = sample(5000)
    page = read_page(stream(messages), QueueFilter(), "largest", 25, after="garbage", now=NOW)
    assert len(page.messages) == 25 and page.prev_cursor is None
    assert page.messages[0].size == max(m["message_size"] for m in messages)
