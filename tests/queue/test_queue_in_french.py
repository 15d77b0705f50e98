"""The ages of queued messages in the page's language: "2 j 3 h",
"4 h 10 min", "5 min", "40 s" in French, "2d 3h" ... in English."""

from __future__ import annotations

import html
import re
import time

from panel.web.filters import duration
from tests.helpers import PASSWORD, USERS, login
from tests.queue.queue_fakes import queue_line

# Half a unit past the shown one, so a second passing mid-test changes nothing.
AGES = {"A000001": 2 * 86400 + 3 * 3600 + 1800, "A000002": 4 * 3600 + 10 * 60 + 30, "A000003": 5 * 60 + 30}


def _ages(page: str) -> dict[str, str]:
    """queue id -> the Age column of its row."""
    rows = re.findall(r'<tr data-queue-id="(\w+)">(.*?)</tr>', page, re.S)
    return {queue_id: re.findall(r"<td>(.*?)</td>", row, re.S)[4] for queue_id, row in rows}


def _queue(fake_queue) -> None:
    now = int(time.time())
    fake_queue.write([queue_line(int(queue_id[1:], 16), age=age, now=now) for queue_id, age in AGES.items()])


def test_queued_messages_ages_read_in_french(queue_app, world, fake_queue):
    _queue(fake_queue)
    client = queue_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    assert login(client, USERS["superadmin"], PASSWORD).status_code == 302
    assert _ages(client.get("/queue/").get_data(as_text=True)) == {
        "A000001": "2 j 3 h",
        "A000002": "4 h 10 min",
        "A000003": "5 min",
    }
    message = html.unescape(client.get("/queue/message/A000001").get_data(as_text=True))
    assert "(il y a 2 j 3 h)" in message


def test_queued_messages_ages_stay_short_in_english(queue_superadmin, fake_queue):
    _queue(fake_queue)
    assert _ages(queue_superadmin.get("/queue/").get_data(as_text=True)) == {
        "A000001": "2d 3h",
        "A000002": "4h 10m",
        "A000003": "5m",
    }


def test_seconds_read_in_the_pages_language(app):
    with app.test_request_context("/queue/", headers={"Accept-Language": "fr"}):
        assert duration(40) == "40 s"
    with app.test_request_context("/queue/"):
        assert duration(40) == "40s"
