"""When a user says they cannot log in, the helpdesk's password page shows
the mailbox's state, its last IMAP/POP3 login and its recent failed logins
from Dovecot's log (escaped), and says so when the log cannot be read."""

from __future__ import annotations

import time

from panel.models import LastLogin
from tests.helpers import client_as

PAGE = "/mailboxes/alice@example.org/password"


def test_last_login_and_failures_are_shown_escaped(app, world, log_files):
    _, dovecot = log_files
    dovecot.write_text(
        "Dec  3 07:00:01 auth-worker(99): Info: sql(alice@example.org,192.0.2.7,<x>): Password mismatch\n"
        "Dec  3 07:00:02 imap-login: Info: Disconnected (auth failed, 1 attempts in 2 secs): "
        "user=<alice@example.org>, method=PLAIN, rip=192.0.2.7 <script>alert(1)</script>\n"
        "Dec  3 07:00:03 auth-worker(99): Info: sql(olga@other.org,192.0.2.8,<y>): Password mismatch\n"
        "Dec  3 07:00:04 imap-login: Info: Login: user=<alice@example.org>, method=PLAIN, rip=192.0.2.7\n"
    )
    with world() as session:
        session.add(LastLogin(username="alice@example.org", via="main", last_login=int(time.time()) - 3600))
        session.commit()
    page = client_as(app, "helpdesk").get(PAGE).get_data(as_text=True)
    assert "192.0.2.7" in page and "Password mismatch" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "olga@other.org" not in page  # another tenant's line
    assert "Login: user=" not in page  # a success is not a failure
    assert "never" not in page.split("Last login")[1][:200]


def test_an_unreadable_log_is_said_not_hidden(app, world, tmp_path):
    app.config["DOVECOT_LOG"] = str(tmp_path / "absent.log")
    page = client_as(app, "helpdesk").get(PAGE).get_data(as_text=True)
    assert "cannot be read here" in page and "None in the recent log" not in page
    assert "never" in page  # no login yet


def test_no_failures_says_none(app, world, log_files):
    page = client_as(app, "domainadmin").get(PAGE).get_data(as_text=True)
    assert "None in the recent log" in page


def test_the_domain_list_filters_and_sorts_by_last_login(app, world):
    with world() as session:
        session.add(LastLogin(username="alice@example.org", via="main", last_login=int(time.time()) - 200 * 86_400))
        session.commit()
    client = client_as(app, "domainadmin")
    page = client.get("/domains/example.org/mailboxes?sort=login&unused=90").get_data(as_text=True)
    assert "alice@example.org" in page and "Last login" in page and 'aria-current="true">90 days' in page
    page = client.get("/domains/example.org/mailboxes?unused=never").get_data(as_text=True)
    assert "No mailboxes that never logged in." in page  # alice logged in once: the list is empty
    assert client.get("/domains/example.org/mailboxes?unused=45").status_code == 400
