"""The DNS tab: the records and the DKIM keys of a domain, for its managers;
values escaped, the TXT record shown, never a private key; the live check's
reasons in the page's language."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from panel.db import get_session
from panel.models import DkimKey, DnsCheck
from panel.services import Actor, dkim, dns_records, domains
from tests.helpers import client_as, fr, post

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


HOST = "mx.host.example"


def _zone(app, mx_target: str = HOST) -> list[str]:
    """example.org's records as the panel lists them (with a fresh key), the mail host's address and PTR."""
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        domain = domains.get_domain(session, "example.org")
        dkim.activate(session, actor, domain, dkim.generate(session, actor, domain).selector)
        session.commit()
        lines = dns_records.for_domain(session, actor, domain, HOST)
    lines = [line.replace(f"MX\t10 {HOST}.", f"MX\t10 {mx_target}.") for line in lines]
    return [*lines, f"{HOST}. 3600 IN A 192.0.2.25", f"25.2.0.192.in-addr.arpa. 3600 IN PTR {HOST}."]


def _marked(client) -> list[str]:
    html = client.get("/domains/").get_data(as_text=True)
    return re.findall(r'href="/domains/([^/"]+)/dns#check"[^>]*>DNS: (\d+) wrong', html)


def test_check_now_shows_each_record_and_the_domain_list_marks_a_wrong_one(app, world, dns_server):
    app.config.update(MAIL_HOSTNAME=HOST, DNS_RESOLVER=dns_server.setting)
    dns_server.serve(_zone(app, mx_target="mail.elsewhere.example"))
    client = client_as(app, "domainadmin")
    assert "Not checked yet" in client.get(PAGE).get_data(as_text=True)
    answer = post(client, "/domains/example.org/dns/check", follow_redirects=True)
    html = answer.get_data(as_text=True)
    # The MX, and so the SPF's "mx", which now names another server.
    assert answer.status_code == 200 and "2 of the records of example.org are missing or wrong" in html
    assert "MX points elsewhere, not to mx.host.example" in html and "10 mail.elsewhere.example" in html
    assert "SPF lacks this host" in html
    assert "the published key is the panel&#39;s (active)" in html
    assert _marked(client) == [("example.org", "2")]
    assert _marked(client_as(app, "superadmin")) == [("example.org", "2")]  # other.org: never checked, no mark

    dns_server.serve(_zone(app))  # MX fixed (and a second key, published and checked too)
    html = post(client, "/domains/example.org/dns/check", follow_redirects=True).get_data(as_text=True)
    assert "published as they should be" in html and "DKIM mp" in html
    assert _marked(client) == []


def test_check_now_when_dns_does_not_answer_says_so(app, world, dns_server):
    app.config["DNS_RESOLVER"] = dns_server.setting  # nothing started on it
    client = client_as(app, "superadmin")
    answer = post(client, "/domains/example.org/dns/check", follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "DNS could not be asked (the DNS server did not answer in time)" in html
    assert "Not checked yet" in html
    with world() as session:
        assert session.scalar(select(DnsCheck)) is None


def test_check_now_without_a_csrf_token_asks_nothing(app, world, dns_server):
    app.config["DNS_RESOLVER"] = dns_server.setting
    answer = client_as(app, "domainadmin").post("/domains/example.org/dns/check")
    assert answer.status_code == 400
    with world() as session:
        assert session.scalar(select(DnsCheck)) is None


def test_check_now_when_some_lookups_time_out_marks_them_unknown(app, world, dns_server, silent_dns):
    lines = [line for line in _zone(app) if not line.startswith("_dmarc.")]  # absent, yet not "missing"
    dns_server.serve(lines)
    relay = silent_dns(dns_server, ["_dmarc.example.org"])
    app.config.update(MAIL_HOSTNAME=HOST, DNS_RESOLVER=relay.setting)
    client = client_as(app, "domainadmin")
    html = post(client, "/domains/example.org/dns/check", follow_redirects=True).get_data(as_text=True)
    assert "DNS stopped answering during the check:" in html and "records are unknown" in html
    dmarc = re.search(r"<tr>(?:(?!</tr>).)*_dmarc\.example\.org(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert ">unknown<" in dmarc and "did not answer in time" in dmarc and "missing" not in dmarc
    assert "could not be checked (DNS did not answer); none found wrong" in html
    assert "every required record is published" not in html
    assert _marked(client) == []  # nothing is known to be wrong


FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


def test_the_reasons_of_a_kept_check_are_shown_in_french(app, world, dns_server):
    app.config.update(MAIL_HOSTNAME=HOST, DNS_RESOLVER=dns_server.setting)
    dns_server.serve(_zone(app, mx_target="mail.elsewhere.example"))
    client = client_as(app, "domainadmin")
    client.environ_base.update(FRENCH)
    assert post(client, "/domains/example.org/dns/check").status_code == 302
    with world() as session:  # what the page reads back: the English, and how to translate it
        [mx] = [item for item in session.scalar(select(DnsCheck)).results if item["record"] == "MX"]
    assert mx["reason"] == f"MX points elsewhere, not to {HOST}" and mx["reason_values"] == {"host": HOST}
    page = html.unescape(client.get(PAGE).get_data(as_text=True))
    assert f"le MX pointe ailleurs, pas vers {HOST}" in page
    assert fr(f"le SPF ne couvre pas cet hôte : {HOST} (192.0.2.25) n'est pas autorisé à envoyer") in page
    assert "la clé publiée est celle du panneau (active)" in page
    assert "MX points elsewhere" not in page and "SPF lacks" not in page


def test_dns_that_does_not_answer_is_said_in_french(app, world, dns_server):
    app.config["DNS_RESOLVER"] = dns_server.setting  # nothing started on it
    client = client_as(app, "superadmin")
    client.environ_base.update(FRENCH)
    page = html.unescape(post(client, "/domains/example.org/dns/check", follow_redirects=True).get_data(as_text=True))
    assert "Impossible d'interroger le DNS (le serveur DNS n'a pas répondu à temps)" in page


def test_the_zone_comments_are_in_the_pages_language_and_the_records_unchanged(app, world):
    """A French admin reads the comments of the lines to paste in French; the
    records are the same lines as in English (and as the CLI prints them)."""
    app.config["MAIL_HOSTNAME"] = HOST
    client = client_as(app, "domainadmin")

    def lines(**headers):
        page = client.get(PAGE, headers=headers).get_data(as_text=True)
        text = html.unescape(re.search(r'<pre id="dns-records"[^>]*>(.*?)</pre>', page, re.S).group(1))
        return text.splitlines()

    english, french = lines(), lines(**{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "; Mail records for example.org, to publish in its zone." in english
    assert "; Enregistrements de messagerie de example.org, à publier dans sa zone." in french
    assert any(line.startswith(fr("; DMARC : commencez par p=none")) for line in french)
    assert not any("Mail records" in line or "DMARC: start" in line for line in french)
    assert [line for line in english if not line.startswith(";")] == [
        line for line in french if not line.startswith(";")
    ]
    assert len(english) == len(french) and sum(not line.startswith(";") for line in english) >= 12
