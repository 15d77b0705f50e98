"""The DNS tab: the records and the DKIM keys of a domain, for its managers;
values escaped, the TXT record shown, never a private key."""

from __future__ import annotations

import re

from sqlalchemy import select

from panel.db import get_session
from panel.models import DkimKey
from tests.helpers import client_as, post

PAGE = "/domains/example.org/dns"


def test_generate_activate_retire_through_the_page(app, world):
    app.config["MAIL_HOSTNAME"] = "mx.host.example"
    client = client_as(app, "domainadmin")
    answer = post(client, "/domains/example.org/dkim", {"selector": "web1", "algorithm": "rsa"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(PAGE)
    html = client.get(PAGE).get_data(as_text=True)
    with app.app_context():
        key = get_session().scalar(select(DkimKey).where(DkimKey.selector == "web1"))
        public, private = key.public_key, key.private_key
    txt = re.search(r"web1\._domainkey\.example\.org\.\t3600\tIN\tTXT\t(.*)", html).group(1)
    assert "".join(re.findall(r"&#34;([^&]*)&#34;", txt)) == f"v=DKIM1; k=rsa; p={public}"
    assert "10 mx.host.example." in html and 'data-copy="dns-records"' in html
    assert "PRIVATE KEY" not in html and private.splitlines()[1] not in html
    assert post(client, "/domains/example.org/dkim/web1/activate").status_code == 302
    assert "active" in client.get(PAGE).get_data(as_text=True)
    assert post(client, "/domains/example.org/dkim/web1/retire").status_code == 302
    html = client.get(PAGE).get_data(as_text=True)
    assert "web1._domainkey" not in html and "PRIVATE KEY" not in html


def test_a_hostile_selector_is_refused_and_nothing_comes_back_unescaped(app, world):
    client = client_as(app, "superadmin")
    answer = post(
        client, "/domains/example.org/dkim", {"selector": '<script>alert("x")</script>'}, follow_redirects=True
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "No key was made" in html
    assert "<script>alert" not in html
    with app.app_context():
        assert get_session().scalar(select(DkimKey)) is None


def test_another_domains_admin_and_helpdesk_do_not_reach_it(app, world):
    assert client_as(app, "other_domainadmin").get(PAGE).status_code == 404
    assert client_as(app, "helpdesk").get(PAGE).status_code == 403
