"""The portal under /me/: a mailbox's owner signs in with the address and
the mailbox password, sees only their mailbox, and changes what is theirs
to change, within what the domain's admins allow."""

from __future__ import annotations

import re

from sqlalchemy import select

from panel import passwords
from panel.models import Alias, AppPassword, AuditEvent, Domain, Mailbox, Vacation, WebSession
from panel.services import Actor, domains, mailboxes
from tests.helpers import MAILBOX_PASSWORD, client_as, fr, login, post

ALICE = "alice@example.org"
NEW = "a-new-mailbox-pass-7"


def _mailbox(world, address=ALICE) -> Mailbox:
    with world() as session:
        return session.scalar(select(Mailbox).where(Mailbox.address == address))


def _rights(world, **rights):
    with world() as session:
        domain = session.scalar(select(Domain).where(Domain.name == "example.org"))
        domains.set_user_rights(session, Actor.system("test"), domain, **rights)
        session.commit()


def test_a_mailbox_user_sees_only_their_mailbox(app, world):
    client = client_as(app, "mailbox")
    assert client.get("/").headers["Location"] == "/me/"
    page = client.get("/me/").get_data(as_text=True)
    assert ALICE in page and "info@example.org" in page  # the alias that delivers here
    assert "never" in page  # no IMAP/POP3 login yet
    assert "olga@other.org" not in page and "other.org" not in page


def test_the_login_is_audited_and_a_wrong_password_refused(app, world):
    client = app.test_client()
    assert login(client, ALICE, "not-the-password").status_code == 401
    assert login(client, ALICE, MAILBOX_PASSWORD).status_code == 302
    with world() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.target == ALICE)))
    assert "login.failure" in actions and "login.success" in actions


def test_a_disabled_mailbox_or_domain_cannot_sign_in(app, world):
    with world() as session:
        actor = Actor.system("test")
        mailboxes.set_mailbox_active(session, actor, mailboxes.get_mailbox(session, actor, ALICE), False)
        session.commit()
    assert login(app.test_client(), ALICE, MAILBOX_PASSWORD).status_code == 401
    with world() as session:
        actor = Actor.system("test")
        mailboxes.set_mailbox_active(session, actor, mailboxes.get_mailbox(session, actor, ALICE), True)
        domain = session.scalar(select(Domain).where(Domain.name == "example.org"))
        domains.set_domain_active(session, actor, domain, False)
        session.commit()
    assert login(app.test_client(), ALICE, MAILBOX_PASSWORD).status_code == 401
    with world() as session:
        domain = session.scalar(select(Domain).where(Domain.name == "example.org"))
        domains.set_domain_active(session, Actor.system("test"), domain, True)
        session.commit()
    assert login(app.test_client(), ALICE, MAILBOX_PASSWORD).status_code == 302


def test_own_password_every_problem_at_once_then_changed(app, world):
    client = client_as(app, "mailbox")
    other = client_as(app, "mailbox")  # a second browser of the same owner
    before = _mailbox(world).password_hash
    response = post(
        client, "/me/password", {"current_password": "wrong", "new_password": "short", "password_confirm": "other"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is not your current password" in page and "at least 8 characters" in page and "does not match" in page
    response = post(
        client, "/me/password", {"current_password": MAILBOX_PASSWORD, "new_password": ALICE, "password_confirm": ALICE}
    )
    assert response.status_code == 422 and "must not be the address" in response.get_data(as_text=True)
    assert _mailbox(world).password_hash == before
    response = post(
        client, "/me/password", {"current_password": MAILBOX_PASSWORD, "new_password": NEW, "password_confirm": NEW}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/me/"
    stored = _mailbox(world).password_hash
    assert stored.startswith("{ARGON2ID}") and passwords.verify(NEW, stored)
    assert not passwords.verify(MAILBOX_PASSWORD, stored)
    assert client.get("/me/").status_code == 200  # this browser stays signed in
    assert other.get("/me/").status_code == 302  # the other one is signed out
    assert login(app.test_client(), ALICE, MAILBOX_PASSWORD).status_code == 401
    assert login(app.test_client(), ALICE, NEW).status_code == 302
    with world() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "mailbox.password"))
    assert event.target == ALICE and NEW not in str(event.details)


def test_a_domain_can_keep_passwords_central(app, world):
    _rights(world, change_password=False)
    client = client_as(app, "mailbox")
    assert "handled centrally" in client.get("/me/password").get_data(as_text=True)
    before = _mailbox(world).password_hash
    response = post(
        client, "/me/password", {"current_password": MAILBOX_PASSWORD, "new_password": NEW, "password_confirm": NEW}
    )
    assert response.status_code == 422 and "handled centrally" in response.get_data(as_text=True)
    assert _mailbox(world).password_hash == before


def test_forwarding_outside_only_when_the_domain_allows_it(app, world):
    client = client_as(app, "mailbox")
    response = post(client, "/me/forwarding", {"destinations": "friend@elsewhere.net", "keep_copy": "1"})
    assert response.status_code == 422 and "outside this server" in response.get_data(as_text=True)
    with world() as session:
        assert session.scalar(select(Alias).where(Alias.address == ALICE)) is None
    assert post(client, "/me/forwarding", {"destinations": "olga@other.org", "keep_copy": "1"}).status_code == 302
    _rights(world, forward_outside=True)
    assert post(client, "/me/forwarding", {"destinations": "friend@elsewhere.net"}).status_code == 302
    with world() as session:
        alias = session.scalar(select(Alias).where(Alias.address == ALICE))
        assert [d.destination for d in alias.destinations] == ["friend@elsewhere.net"]
    assert "friend@elsewhere.net" in client.get("/me/").get_data(as_text=True)
    assert post(client, "/me/forwarding", {"action": "off"}).status_code == 302
    with world() as session:
        assert session.scalar(select(Alias).where(Alias.address == ALICE)) is None


def test_vacation_from_the_portal(app, world):
    client = client_as(app, "mailbox")
    form = {
        "active": "1",
        "subject": 'Away "now"',
        "body": "Back soon.",
        "last_day": "2030-01-31",
        "interval_days": "2",
    }
    assert post(client, "/me/vacation", form).status_code == 302
    with world() as session:
        row = session.scalar(select(Vacation))
    assert (row.active, row.subject, row.interval_days) == (True, 'Away "now"', 2)
    assert 'Away \\"now\\"' in row.script
    page = client.get("/me/").get_data(as_text=True)
    assert "until 2030-01-31" in page
    bad = post(client, "/me/vacation", {"active": "1", "body": "", "first_day": "2030-02-01", "interval_days": "0"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "write the reply" in text and "from 1 to 365" in text


def test_app_password_shown_once_then_only_its_name(app, world):
    client = client_as(app, "mailbox")
    response = post(client, "/me/app-passwords", {"name": "Phone", "protocols": ["imap", "smtp"]})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    secret = re.search(r"\b(\d+-[A-Za-z0-9_-]{30,})\b", shown).group(1)
    with world() as session:
        row = session.scalar(select(AppPassword))
    assert passwords.verify(secret, row.secret_hash) and row.protocols == ",imap,smtp,"
    assert secret not in client.get(response.headers["Location"]).get_data(as_text=True)  # once
    listing = client.get("/me/app-passwords").get_data(as_text=True)
    assert "Phone" in listing and secret not in listing
    assert post(client, f"/me/app-passwords/{row.id}/revoke").status_code == 302
    with world() as session:
        assert session.scalar(select(AppPassword)).revoked_at is not None


def test_another_mailboxs_app_password_cannot_be_revoked(app, world):
    with world() as session:
        actor = Actor.system("test")
        from panel.services import app_passwords

        olga = mailboxes.get_mailbox(session, actor, "olga@other.org")
        row, _ = app_passwords.create(session, actor, olga, "Olga's phone")
        session.commit()
        ident = row.id
    client = client_as(app, "mailbox")
    assert post(client, f"/me/app-passwords/{ident}/revoke").status_code == 404
    with world() as session:
        assert session.get(AppPassword, ident).revoked_at is None


def test_sign_out_everywhere_ends_every_session(app, world):
    one, two = client_as(app, "mailbox"), client_as(app, "mailbox")
    with world() as session:
        assert len(session.scalars(select(WebSession).where(WebSession.mailbox_id == _mailbox(world).id)).all()) == 2
    assert post(one, "/me/sessions/end").headers["Location"] == "/login"
    assert one.get("/me/").status_code == 302 and two.get("/me/").status_code == 302
    with world() as session:
        left = session.scalars(select(WebSession).where(WebSession.mailbox_id == _mailbox(world).id)).all()
    assert left == []


def test_an_admin_name_may_not_contain_an_at_sign(app, world):
    client = client_as(app, "superadmin")
    response = post(
        client,
        "/admins/new",
        {"username": "eve@example.org", "role": "helpdesk", "password": "long-enough-42", "domains": "example.org"},
    )
    assert response.status_code == 422 and "@" in response.get_data(as_text=True)


def test_the_vacation_page_says_whether_the_reply_goes_out_today(app, world):
    client = client_as(app, "mailbox")

    def state() -> tuple[str, str]:
        page = client.get("/me/vacation").get_data(as_text=True)
        match = re.search(r'id="vacation-state" data-state="(\w+)">(.*?)</p>', page, re.S)
        return match.group(1), re.sub(r"<[^>]+>", "", match.group(2))

    assert state() == ("off", "Off No automatic reply is sent.")
    post(client, "/me/vacation", {"active": "1", "body": "Away.", "last_day": "2030-01-31", "interval_days": "7"})
    assert state() == ("on", "On Mail is answered automatically until 2030-01-31 included.")
    form = {"active": "1", "body": "Away.", "first_day": "2030-02-01", "last_day": "2030-03-01", "interval_days": "7"}
    post(client, "/me/vacation", form)
    assert state() == ("scheduled", "Scheduled Mail will be answered automatically from 2030-02-01 to 2030-03-01.")
    post(client, "/me/vacation", {"action": "off"})
    assert state()[0] == "off"


def test_reply_state_follows_the_scripts_days():
    from datetime import date

    from panel.services.vacation import reply_state

    row = Vacation(active=True, first_day=date(2030, 2, 1), last_day=date(2030, 2, 10))
    assert [reply_state(row, date(2030, 1, 31)), reply_state(row, date(2030, 2, 1))] == ["scheduled", "on"]
    assert [reply_state(row, date(2030, 2, 10)), reply_state(row, date(2030, 2, 11))] == ["on", "ended"]
    assert reply_state(None) == "off" and reply_state(Vacation(active=False)) == "off"
    assert reply_state(Vacation(active=True), date(1999, 1, 1)) == "on"  # no days: until switched off


def test_the_portals_messages_and_shown_once_links_speak_french(app, world):
    client = client_as(app, "mailbox")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    saved = post(client, "/me/forwarding", {"destinations": "bob@example.org", "keep_copy": "1"})
    assert "Le transfert a été enregistré." in client.get(saved.headers["Location"]).get_data(as_text=True)
    off = post(client, "/me/vacation", {"action": "off"})
    assert "La réponse d&#39;absence est désactivée." in client.get(off.headers["Location"]).get_data(as_text=True)
    made = post(client, "/me/app-passwords", {"name": "Téléphone", "protocols": ["imap"]})
    shown = client.get(made.headers["Location"]).get_data(as_text=True)
    assert fr("Mot de passe d&#39;application « Téléphone »") in shown
    assert '<a href="/me/app-passwords">Retour aux mots de passe d&#39;application</a>' in shown
    gone = client.get(made.headers["Location"])
    assert gone.status_code == 410
    assert 'href="/me/">Retour aux réglages de votre boîte</a>' in gone.get_data(as_text=True)
    with world() as session:
        row = session.scalar(select(AppPassword))
    revoked = post(client, f"/me/app-passwords/{row.id}/revoke")
    page = client.get(revoked.headers["Location"]).get_data(as_text=True)
    assert fr("Le mot de passe d&#39;application « Téléphone » ne fonctionne plus.") in page
