"""The log pages: escaped output, paths from configuration only, follow
mode as JSON, the journey view, and access for superadmins only."""

from __future__ import annotations

import html

import pytest

from tests.helpers import client_as


@pytest.fixture
def root(app, world, log_files):
    return client_as(app, "superadmin")


def test_log_page_shows_the_last_lines_escaped(root, log_files):
    postfix, _ = log_files
    postfix.write_bytes(
        b"".join(b"line %d\n" % n for n in range(300))
        + b"Nov 26 10:00:00 mx postfix/smtpd[1]: warning: <script>alert(1)</script> \xff\n"
    )
    page = root.get("/logs/").get_data(as_text=True)
    assert ">line 101</span>\n" in page and ">line 299</span>\n" in page
    assert ">line 100<" not in page  # default 200 lines: 101..299 and the last one
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \ufffd" in page
    only = root.get("/logs/?severity=warning").get_data(as_text=True)
    assert "line 5" not in only and "&lt;script&gt;" in only


MARKED = b"""Nov 26 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b.test>: Relay access denied
Nov 26 10:00:01 mx postfix/smtp[2]: 3F2A1B0C9D: to=<a@b.test>, relay=none, delay=1, status=deferred (connect timed out)
Nov 26 10:00:02 mx postfix/smtp[2]: 3F2A1B0C9E: to=<c@d.test>, status=bounced (host said: 550 no such user)
Nov 26 10:00:03 mx postfix/cleanup[3]: fatal: no memory
Nov 26 10:00:04 mx postfix/smtpd[1]: warning: hostname x does not resolve
Nov 26 10:00:05 mx postfix/qmgr[4]: 3F2A1B0C9D: removed
Nov 26 10:00:06 mx postfix/smtpd[1]: <script>x</script>: not a queue id: status=sent
"""


def test_rejects_deferrals_bounces_and_errors_are_marked_and_queue_ids_lead_to_the_journey(root, log_files):
    import re

    postfix, _ = log_files
    postfix.write_bytes(MARKED)
    page = root.get("/logs/").get_data(as_text=True)
    kinds = re.findall(r'<span class="ll"(?: data-kind="(\w+)")?>', page)
    assert kinds == ["reject", "deferred", "bounced", "error", "warning", "", ""]
    journey = '<a href="/logs/journey?queue_id=3F2A1B0C9D">3F2A1B0C9D</a>'
    assert page.count(journey) == 2 and '<a href="/logs/journey?queue_id=3F2A1B0C9E">' in page
    assert "&lt;script&gt;x&lt;/script&gt;: not a queue id" in page and "<script>x" not in page
    # The journey names the message's queue entry.
    page = root.get("/logs/journey?queue_id=3F2A1B0C9D").get_data(as_text=True)
    assert '<a href="/queue/message/3F2A1B0C9D"' in page and 'data-kind="deferred"' in page


def test_a_filter_matching_nothing_says_so(root, log_files):
    postfix, _ = log_files
    postfix.write_bytes(MARKED)
    page = root.get("/logs/?text=nothing-like-this").get_data(as_text=True)
    assert "No line matches these filters (older, compressed files were not searched)." in page
    assert 'class="ll"' not in page
    postfix.write_bytes(b"")
    assert "The log has no lines yet." in root.get("/logs/").get_data(as_text=True)


def test_the_request_never_chooses_a_file(root, log_files, tmp_path):
    postfix, dovecot = log_files
    postfix.write_bytes(b"from postfix\n")
    dovecot.write_bytes(b"from dovecot\n")
    assert "from dovecot" in root.get("/logs/?log=dovecot").get_data(as_text=True)
    for sneaky in ("/etc/passwd", "../../etc/passwd", "POSTFIX_LOG", "SECRET_KEY"):
        page = root.get("/logs/", query_string={"log": sneaky}).get_data(as_text=True)
        assert "from postfix" in page and "root:" not in page


def test_a_missing_log_is_a_message_not_an_error(root, app, tmp_path):
    app.config["POSTFIX_LOG"] = str(tmp_path / "nowhere" / "postfix.log")
    response = root.get("/logs/")
    assert response.status_code == 200
    assert "does not exist yet" in response.get_data(as_text=True)


def test_follow_returns_only_new_lines_as_json(root, log_files):
    postfix, _ = log_files
    postfix.write_bytes(b"old\n")
    page = root.get("/logs/").get_data(as_text=True)
    cursor = html.unescape(page.split('data-cursor="')[1].split('"')[0])
    with open(postfix, "ab") as fh:
        fh.write(b"new <b>one</b>\n")
    data = root.get("/logs/follow", query_string={"cursor": cursor}).get_json()
    assert data["lines"] == ["new <b>one</b>"]  # the script inserts it as text
    assert data["marked"] == [["new <b>one</b>", "", "", ""]]
    assert root.get("/logs/follow", query_string={"cursor": data["cursor"]}).get_json()["lines"] == []


def test_journey_page(root, log_files):
    postfix, dovecot = log_files
    postfix.write_bytes(b"Nov 26 10:00:00 mx postfix/qmgr[2]: 3F2A1B0C9D: from=<x<script>@a.test>, size=1, nrcpt=1\n")
    page = root.get("/logs/journey?queue_id=3F2A1B0C9D").get_data(as_text=True)
    assert "from=&lt;x&lt;script&gt;@a.test&gt;" in page and "<script>@" not in page
    assert "not a Postfix queue id" in root.get("/logs/journey?queue_id=../x").get_data(as_text=True)
    assert "No log line mentions it" in root.get("/logs/journey?address=nobody@a.test").get_data(as_text=True)


@pytest.mark.parametrize("role", [None, "helpdesk", "domainadmin"])
def test_log_routes_are_refused_to_everyone_but_superadmins(app, world, log_files, role):
    log_files[0].write_bytes(b"secret line\n")
    client = client_as(app, role)
    for url in ("/logs/", "/logs/follow?cursor=1:0", "/logs/journey?queue_id=3F2A1B0C9D"):
        response = client.get(url)
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        else:
            assert response.status_code == 403, url
        assert "secret line" not in response.get_data(as_text=True)


def test_journey_without_a_log_file_says_it_was_not_searched(root, log_files, app, tmp_path):
    app.config["POSTFIX_LOG"] = str(tmp_path / "gone.log")
    page = root.get("/logs/journey?address=nobody@a.test").get_data(as_text=True)
    assert "No log line mentions it." not in page
    assert "gone.log does not exist" in page and "MAILPANEL_POSTFIX_LOG" in page
