"""The queue page through the web, with the fake queue programs behind the
command prefix: escaping, actions with confirmation and audit, clear
messages when a program is missing or refuses, and access."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import USERS, audit_events, client_as, post
from tests.queue.queue_fakes import queue_line

XSS_SENDER = "<script>alert('sender')</script>@evil.test"
XSS_SUBJECT = "Subject: <script>alert('subject')</script>\n\nbody\n"


def flashes(response) -> list[str]:
    return re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', response.get_data(as_text=True))


def test_queue_page_shows_totals_and_escapes_every_field(queue_superadmin, fake_queue):
    fake_queue.write(
        [
            queue_line(1, sender=XSS_SENDER, reason="<b>refused</b>", content=XSS_SUBJECT),
            queue_line(2, queue="hold", recipients=["<img src=x onerror=alert(1)>@dest.test"]),
        ]
    )

    page = queue_superadmin.get("/queue/").get_data(as_text=True)

    assert "<script>alert(" not in page and "<img src=x" not in page and "<b>refused" not in page
    assert "&lt;script&gt;alert(&#39;sender&#39;)&lt;/script&gt;@evil.test" in page
    assert "&lt;img src=x onerror=alert(1)&gt;@dest.test" in page
    assert 'data-queue="hold">1<' in page and 'data-queue="deferred">1<' in page

    message = queue_superadmin.get("/queue/message/A000001").get_data(as_text=True)
    assert "<script>alert(" not in message
    assert "Subject: &lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in message
    assert 'href="/logs/journey?queue_id=A000001"' in message


def test_filter_sort_and_next_page(queue_superadmin, fake_queue):
    fake_queue.write([queue_line(n, age=n * 10, size=n) for n in range(60)])
    page = queue_superadmin.get("/queue/?sort=largest&per_page=25").get_data(as_text=True)
    rows = re.findall(r'data-queue-id="([0-9A-F]+)"', page)
    assert rows[:2] == ["A00003B", "A00003A"] and len(rows) == 25
    next_url = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    rows2 = re.findall(r'data-queue-id="([0-9A-F]+)"', queue_superadmin.get(next_url).get_data(as_text=True))
    assert rows2[0] == "A000022" and not set(rows) & set(rows2)
    only = queue_superadmin.get("/queue/?recipient=rcpt7%40").get_data(as_text=True)
    assert re.findall(r'data-queue-id="([0-9A-F]+)"', only) == ["A000007"]


def test_delete_asks_for_confirmation_then_deletes_and_audits(queue_superadmin, fake_queue, queue_app):
    fake_queue.write([queue_line(1), queue_line(2), queue_line(3)])

    confirm = post(
        queue_superadmin, "/queue/action", {"action": "delete", "scope": "selected", "ids": ["A000001", "A000003"]}
    )
    assert confirm.status_code == 200 and "Yes, delete" in confirm.get_data(as_text=True)
    assert len(fake_queue.messages()) == 3

    done = post(
        queue_superadmin,
        "/queue/action",
        {"action": "delete", "scope": "selected", "ids": ["A000001", "A000003"], "confirmed": "yes"},
        follow_redirects=True,
    )
    assert [m["queue_id"] for m in fake_queue.messages()] == ["A000002"]
    assert any("Delete: 2 of 2" in f for f in flashes(done))
    (event,) = audit_events(queue_app, "queue.delete")
    assert event.actor == USERS["superadmin"]
    assert json.loads(event.details)["ids"] == ["A000001", "A000003"]


def test_hold_everything_matching_the_filter(queue_superadmin, fake_queue, queue_app):
    fake_queue.write(
        [
            queue_line(1, recipients=["a@slow.test"]),
            queue_line(2, recipients=["b@fast.test"]),
            queue_line(3, recipients=["c@slow.test"]),
        ]
    )
    confirm = post(queue_superadmin, "/queue/action", {"action": "hold", "scope": "matching", "domain": "slow.test"})
    assert "2 messages match right now" in confirm.get_data(as_text=True)

    post(
        queue_superadmin,
        "/queue/action",
        {"action": "hold", "scope": "matching", "domain": "slow.test", "confirmed": "yes"},
    )

    assert {m["queue_id"]: m["queue_name"] for m in fake_queue.messages()} == {
        "A000001": "hold",
        "A000002": "deferred",
        "A000003": "hold",
    }
    (event,) = audit_events(queue_app, "queue.hold")
    details = json.loads(event.details)
    assert details["ids"] == ["A000001", "A000003"] and details["filter"] == {"domain": "slow.test"}


def test_release_needs_no_confirmation(queue_superadmin, fake_queue):
    fake_queue.write([queue_line(1, queue="hold")])
    response = post(queue_superadmin, "/queue/action", {"action": "release", "scope": "selected", "ids": ["A000001"]})
    assert response.status_code == 302
    assert fake_queue.messages()[0]["queue_name"] == "deferred"


def test_forged_ids_never_reach_a_command(queue_superadmin, fake_queue, queue_app):
    fake_queue.write([queue_line(1)])
    response = post(
        queue_superadmin,
        "/queue/action",
        {"action": "hold", "scope": "selected", "ids": ["A000001", "-d ALL"]},
        follow_redirects=True,
    )
    assert any("not a Postfix queue id" in f for f in flashes(response))
    assert not [c for c in fake_queue.calls() if "postsuper" in c["argv"][0]]
    assert audit_events(queue_app, "queue.%") == []


def test_a_refused_command_is_a_message_on_the_page_not_an_error_page(queue_superadmin, fake_queue):
    fake_queue.write([queue_line(1)])
    fake_queue.mode("fail")
    page = queue_superadmin.get("/queue/")
    assert page.status_code == 503  # an unreadable queue is no empty queue
    assert "Flush the whole queue" not in page.get_data(as_text=True)
    assert "The queue cannot be read: postqueue refused: sudo: a password is required" in page.get_data(as_text=True)
    action = post(
        queue_superadmin,
        "/queue/action",
        {"action": "hold", "scope": "selected", "ids": ["A000001"]},
        follow_redirects=True,
    )
    assert action.status_code == 503  # back on the page of an unreadable queue
    assert any("Hold failed: postsuper refused: sudo: a password is required" in f for f in flashes(action))


def test_a_missing_program_is_a_message_on_the_page(queue_superadmin, queue_app):
    queue_app.config.update(
        QUEUE_COMMAND_PREFIX="", POSTQUEUE_PATH="/nonexistent/postqueue", POSTCAT_PATH="/nonexistent/postcat"
    )
    page = queue_superadmin.get("/queue/")
    assert page.status_code == 503
    assert "postqueue: /nonexistent/postqueue is not installed on this server" in page.get_data(as_text=True)
    message = queue_superadmin.get("/queue/message/A000001")
    assert message.status_code == 200 and "not installed" in message.get_data(as_text=True)


QUEUE_ROUTES = [
    ("get", "/queue/"),
    ("get", "/queue/message/A000001"),
    ("post", "/queue/action"),
    ("post", "/queue/flush"),
]


@pytest.mark.parametrize("role", [None, "helpdesk", "domainadmin"])
def test_queue_routes_are_refused_to_everyone_but_superadmins(queue_app, world, fake_queue, role):
    fake_queue.write([queue_line(1)])
    client = client_as(queue_app, role)
    for method, url in QUEUE_ROUTES:
        if method == "post":  # a confirmed delete of everything, with a valid token
            response = post(client, url, {"action": "delete", "scope": "matching", "confirmed": "yes"})
        else:
            response = client.get(url)
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        else:
            assert response.status_code == 403, url
    assert fake_queue.calls() == []
    assert len(fake_queue.messages()) == 1


def test_with_postfix_stopped_the_page_says_so_with_503_and_no_buttons(
    queue_superadmin, queue_app, fake_queue, tmp_path
):
    fake_queue.write([queue_line(1)])  # postqueue would still read the spool
    queue_app.config["POSTFIX_PID_FILE"] = str(tmp_path / "no-such.pid")
    page = queue_superadmin.get("/queue/")
    text = page.get_data(as_text=True)
    assert page.status_code == 503
    assert "Postfix is not running" in text
    assert "Retry every waiting message now" not in text and "message(s)" not in text and 'name="ids"' not in text


def test_queues_are_named_in_words_beside_postfixs_names(queue_superadmin, fake_queue):
    fake_queue.write([queue_line(1, queue="hold", size=0), queue_line(2)])
    page = queue_superadmin.get("/queue/").get_data(as_text=True)
    assert "Waiting to retry <small" in page and "(deferred)" in page and "On hold <small" in page
    row = re.search(r'data-queue-id="A000001">(.*?)</tr>', page, re.S).group(1)
    assert "<td>On hold</td>" in row and "<td>0B</td>" in row  # a size of 0 has its unit too
    assert ">Retry every waiting message now</button>" in page and "postqueue" not in page
    message = queue_superadmin.get("/queue/message/A000001").get_data(as_text=True)
    assert "On hold <small" in message


def test_an_empty_queue_says_so_and_offers_nothing_to_do(queue_superadmin, fake_queue):
    fake_queue.write([])
    response = queue_superadmin.get("/queue/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="queue-empty"' in page and "The queue is empty" in page
    for absent in ("Retry every waiting message now", 'id="queue-actions"', 'id="queue-totals"', 'role="search"'):
        assert absent not in page, absent


def test_a_filter_matching_nothing_offers_no_action(queue_superadmin, fake_queue):
    fake_queue.write([queue_line(1)])
    page = queue_superadmin.get("/queue/?sender=nobody-like-this").get_data(as_text=True)
    assert "0 messages match." in page and "No message matches." in page
    assert 'name="action"' not in page and "Apply to selected" not in page
    assert 'id="queue-empty"' not in page and 'role="search"' in page  # the queue is not empty: the filter stays
