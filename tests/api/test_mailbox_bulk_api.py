"""POST /api/v1/domains/<name>/mailboxes/bulk: the web's bulk actions
(services/mailbox_bulk.py) for scripts, all or none, the same rules."""

from __future__ import annotations

from sqlalchemy import func, select

from panel import passwords
from panel.models import AuditEvent, Domain, Mailbox
from panel.services import Actor, domains, mailboxes
from tests.helpers import bearer

URL = "/api/v1/domains/example.org/mailboxes/bulk"


def _more(session) -> None:
    stored = passwords.hash_password("long-enough-1", "SHA512-CRYPT")
    for local in ("bob", "cid"):
        mailboxes.create_mailbox(session, Actor.system("test"), f"{local}@example.org", password_hash=stored)
    session.commit()


def _active(session) -> dict:
    session.expire_all()
    return {address: on for address, on in session.execute(select(Mailbox.address, Mailbox.active))}


def test_all_matching_is_disabled_with_one_audit_event_each(client, session, api_tokens):
    _more(session)
    answer = client.post(
        URL, json={"action": "disable", "all": True, "state": "active"}, headers=bearer(api_tokens["dora"])
    )
    assert answer.status_code == 200, answer.json
    assert answer.json == {"action": "disable", "changed": 3, "unchanged": 0}
    assert _active(session) == {
        "alice@example.org": False,
        "bob@example.org": False,
        "cid@example.org": False,
        "olga@other.org": True,
    }
    targets = session.scalars(select(AuditEvent.target).where(AuditEvent.action == "mailbox.update"))
    assert sorted(targets) == ["alice@example.org", "bob@example.org", "cid@example.org"]


def test_a_quota_past_the_maximum_names_every_mailbox_and_changes_nothing(client, session, api_tokens):
    _more(session)
    system = Actor.system("test")
    for mailbox in session.scalars(select(Mailbox).where(Mailbox.address.like("%@example.org"))):
        mailboxes.update_mailbox(session, system, mailbox, quota="1G")
    example = session.scalar(select(Domain).where(Domain.name == "example.org"))
    domains.update_domain(session, system, example, max_quota_bytes="2G", default_quota_bytes="1G")
    session.commit()
    quotas = dict(session.execute(select(Mailbox.address, Mailbox.quota_bytes)).all())
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    body = {"action": "quota", "quota": "3G", "emails": ["bob@example.org", "cid@example.org"]}
    answer = client.post(URL, json=body, headers=bearer(api_tokens["root"]))
    assert answer.status_code == 400
    problem = "the largest mailbox allowed in example.org is 2G"
    assert answer.json["fields"] == {"bob@example.org": problem, "cid@example.org": problem}
    session.expire_all()
    assert dict(session.execute(select(Mailbox.address, Mailbox.quota_bytes)).all()) == quotas
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_another_tenants_mailbox_and_the_helpdesk_are_refused(client, session, api_tokens):
    before = _active(session)
    body = {"action": "delete", "emails": ["alice@example.org", "olga@other.org"]}
    refused = client.post(URL, json=body, headers=bearer(api_tokens["dora"]))
    assert refused.status_code == 404
    assert refused.json["fields"] == {"selection": "not mailboxes of example.org: olga@other.org; nothing was changed"}
    helpdesk = client.post(URL, json={"action": "disable", "all": True}, headers=bearer(api_tokens["helen"]))
    assert helpdesk.status_code == 403
    assert _active(session) == before


def test_a_selection_is_emails_or_all_not_both(client, session, api_tokens):
    headers = bearer(api_tokens["root"])
    both = client.post(URL, json={"action": "enable", "all": True, "emails": ["alice@example.org"]}, headers=headers)
    assert both.status_code == 400 and "emails" in both.json["fields"]
    neither = client.post(URL, json={"action": "enable"}, headers=headers)
    assert neither.status_code == 400 and "emails" in neither.json["fields"]
    loose_filter = client.post(URL, json={"action": "enable", "state": "active"}, headers=headers)
    assert loose_filter.status_code == 400 and "all" in loose_filter.json["fields"]
