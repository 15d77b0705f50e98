"""The pages' language: French when the browser asks for it, the user's
stored choice over the browser's, English by default; the API and the CLI
stay English whatever the header says."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from panel.models import Admin, Mailbox
from tests.helpers import MAILBOX_PASSWORD, PASSWORD, USERS, fr, login, post

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9,en;q=0.5"}


def _client(app, role=None, environ=None):
    client = app.test_client()
    client.environ_base.update(environ or {})
    if role is not None:
        username = USERS[role]
        response = login(client, username, MAILBOX_PASSWORD if "@" in username else PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return unescape(response.get_data(as_text=True))


def test_english_is_the_default(app, world):
    page = _page(_client(app), "/login")
    assert '<html lang="en">' in page and "<h1>Log in</h1>" in page and "Nom d'utilisateur" not in page
    page = _page(_client(app, "superadmin"), "/")
    assert "<h1>Dashboard</h1>" in page and "Largest domains" in page and "Tableau de bord" not in page


def test_the_browser_asks_for_french(app, world):
    page = _page(_client(app, environ=FRENCH), "/login")
    assert '<html lang="fr">' in page
    assert "<h1>Se connecter</h1>" in page and "Nom d'utilisateur" in page and "Mot de passe" in page

    dashboard = _page(_client(app, "superadmin", FRENCH), "/")
    assert "<h1>Tableau de bord</h1>" in dashboard
    assert "Plus grands domaines" in dashboard and "Se déconnecter" in dashboard and ">Domaines</a>" in dashboard
    assert "Largest domains" not in dashboard

    portal = _page(_client(app, "mailbox", FRENCH), "/me/")
    assert "Courrier stocké" in portal and "Dernière connexion (IMAP/POP3)" in portal and "jamais" in portal
    assert "Se déconnecter partout" in portal and "Stored mail" not in portal


def test_the_logs_and_traffic_pages_in_french(app, world, log_files):
    client = _client(app, "superadmin", FRENCH)
    logs = _page(client, "/logs/")
    assert "<h1>Journaux du courrier</h1>" in logs and "Le journal ne contient encore aucune ligne." in logs
    assert ">Suivre les nouvelles lignes</button>" in logs and "Mail logs" not in logs
    journey = _page(client, "/logs/journey?queue_id=../x")
    assert "Ce n'est pas un identifiant de file Postfix." in journey and "<h1>Le parcours d'un message</h1>" in journey

    traffic = _page(client, "/traffic/")
    assert "<h1>Trafic du courrier</h1>" in traffic and "<h2>Dernières 24 heures</h2>" in traffic
    assert "Principaux motifs de refus, 24 heures" in traffic and "n'a jamais été compté" in traffic
    assert "Last 24 hours" not in traffic


def test_the_queue_page_in_french(queue_superadmin, fake_queue):
    from tests.queue.queue_fakes import queue_line

    fake_queue.write([queue_line(1)])
    queue_superadmin.environ_base.update(FRENCH)
    page = _page(queue_superadmin, "/queue/")
    assert "<h1>File d'attente du courrier</h1>" in page and "1 message correspond." in page
    assert ">Réessayer maintenant tous les messages en attente</button>" in page
    assert "postqueue -f" not in page and "Mail queue" not in page


def test_an_unknown_language_falls_back_to_english(app, world):
    page = _page(_client(app, environ={"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}), "/login")
    assert '<html lang="en">' in page and "<h1>Log in</h1>" in page


def test_an_admins_stored_choice_wins_over_the_browser(app, world):
    client = _client(app, "superadmin", FRENCH)
    assert "Langue de ces pages" in _page(client, "/account/")
    assert post(client, "/account/language", {"language": "en"}).status_code == 302
    page = _page(client, "/")
    assert '<html lang="en">' in page and "<h1>Dashboard</h1>" in page  # the header still says French
    with world() as session:
        assert session.scalar(select(Admin.language).where(Admin.username == USERS["superadmin"])) == "en"

    english_browser = _client(app, "superadmin")
    assert post(english_browser, "/account/language", {"language": "fr"}).status_code == 302
    assert "<h1>Tableau de bord</h1>" in _page(english_browser, "/")
    assert post(english_browser, "/account/language", {"language": ""}).status_code == 302  # the browser's again
    assert "<h1>Dashboard</h1>" in _page(english_browser, "/")


def test_a_mailbox_owners_stored_choice_wins_over_the_browser(app, world):
    client = _client(app, "mailbox")
    assert post(client, "/me/language", {"language": "fr"}).status_code == 302
    page = _page(client, "/me/")
    assert "Courrier stocké" in page and '<option value="fr" lang="fr" selected>' in page
    with world() as session:
        assert session.scalar(select(Mailbox.language).where(Mailbox.address == USERS["mailbox"])) == "fr"
    # Another browser, signed in as the same owner, sees French too.
    assert "Courrier stocké" in _page(_client(app, "mailbox"), "/me/")


def test_a_language_the_panel_does_not_speak_is_refused(app, world):
    client = _client(app, "superadmin")
    response = post(client, "/account/language", {"language": "de"})
    assert response.status_code == 400
    assert "is not a language the panel speaks" in response.get_data(as_text=True)
    with world() as session:
        assert session.scalar(select(Admin.language).where(Admin.username == USERS["superadmin"])) is None


def test_a_french_form_error_and_flash(app, world):
    client = _client(app, "mailbox", FRENCH)
    response = post(
        client,
        "/me/password",
        {"current_password": "wrong", "new_password": "x", "password_confirm": "y"},
    )
    assert response.status_code == 422
    assert "n'est pas votre mot de passe actuel" in unescape(response.get_data(as_text=True))


def test_french_dates_and_sizes(app):
    from datetime import date, datetime, timezone

    from flask import render_template_string

    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert render_template_string("{{ v|when }}", v=datetime(2025, 3, 12, 14, 5, tzinfo=timezone.utc)) == (
            "12 mars 2025 14:05 UTC"
        )
        assert render_template_string("{{ v|size }} {{ 0|size }}", v=1536 * 1024**2) == "1,5G illimité"
        assert render_template_string("{{ v|day }} {{ n|number }}", v=date(2025, 8, 1), n=12345) == (
            "1 août 2025 12\u202f345"
        )
    with app.test_request_context("/"):
        assert render_template_string("{{ v|when }}", v=datetime(2025, 3, 12, 14, 5, tzinfo=timezone.utc)) == (
            "2025-03-12 14:05 UTC"
        )
        assert render_template_string("{{ v|size }} {{ 0|size }} {{ n|number }}", v=1536 * 1024**2, n=12345) == (
            "1.5G unlimited 12,345"
        )


def test_the_api_and_the_cli_stay_english(app):
    from flask_babel import get_locale, gettext

    with app.test_request_context("/api/v1/domains", headers={"Accept-Language": "fr"}):
        assert str(get_locale()) == "en" and gettext("Log in") == "Log in"
    with app.test_request_context("/login", headers={"Accept-Language": "fr"}):
        assert str(get_locale()) == "fr" and gettext("Log in") == "Se connecter"
    with app.app_context():  # a CLI command: no request
        assert str(get_locale()) == "en" and gettext("Log in") == "Log in"


def test_the_mailbox_alias_and_domain_pages_in_french(app, world):
    client = _client(app, "superadmin", FRENCH)
    mailboxes = _page(client, "/domains/example.org/mailboxes")
    assert "<title>Boîtes aux lettres de example.org" in mailboxes and "Nouvelle boîte aux lettres" in mailboxes
    assert "Réinitialiser le mot de passe" in mailboxes and "Actions groupées" in mailboxes
    assert "New mailbox" not in mailboxes and "Reset password" not in mailboxes

    mailbox = _page(client, "/mailboxes/alice@example.org")
    assert "Configurer un logiciel de messagerie" in mailbox and "Nom complet" in mailbox
    assert "Setting up a mail app" not in mailbox

    aliases = _page(client, "/domains/example.org/aliases")
    assert "Nouvel alias" in aliases and "Domaines alias" in aliases and "New alias" not in aliases
    assert "Nombre maximal de boîtes aux lettres" in _page(client, "/domains/example.org/edit")
    assert fr("<h1>Désactiver example.org ?</h1>") in _page(client, "/domains/example.org/disable")
    assert "Importer des boîtes aux lettres" in _page(client, "/import")


def test_a_french_flash_from_the_mailbox_pages(app, world):
    client = _client(app, "superadmin", FRENCH)
    response = post(client, "/mailboxes/alice@example.org", {"name": "Alice", "quota": "1G", "active": "1"})
    assert response.status_code == 302
    assert "Boîte aux lettres alice@example.org enregistrée." in _page(client, response.headers["Location"])


def test_the_audit_log_and_the_admin_pages_in_french(app, world):
    client = _client(app, "superadmin", FRENCH)
    audit = _page(client, "/audit/")  # logging in left a login.success event
    assert "<h1>Journal d'audit</h1>" in audit and "Télécharger ces événements en CSV" in audit
    assert "connecté <code" in audit and "login.success</code>" in audit and "logged in" not in audit
    admins = _page(client, "/admins/")
    assert "<h1>Comptes administrateurs</h1>" in admins and "Réinitialiser le mot de passe" in admins
    assert "Reset password" not in admins
