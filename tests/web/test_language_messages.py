"""The services' messages in the page's language: a form with mistakes in
French tells each field's problem in French, with the values (addresses,
sizes, counts) filled into the translated sentence; the same service
error stays English for the CLI and the API (panel/languages.Message)."""

from __future__ import annotations

import copy
import html
import pickle
import re

import pytest

from panel.db import get_session
from panel.i18n import in_words, translated
from panel.languages import N_, Message, Nn_
from panel.services import Actor, ServiceError, domains
from tests.helpers import DOMAIN_FORM_MISTAKES, PASSWORD, USERS, client_as, field_errors, fr, login, post, world_state

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


def _french_client(app, username: str, password: str):
    client = app.test_client()
    client.environ_base.update(FRENCH)
    assert login(client, username, password).status_code == 302
    return client


def test_the_domain_form_tells_every_mistake_in_french(app, world):
    client, before = _french_client(app, USERS["superadmin"], PASSWORD), world_state(world)
    response = post(client, "/domains/new", DOMAIN_FORM_MISTAKES)
    assert response.status_code == 422
    assert field_errors(response) == {
        "name": (
            fr(
                "example..org a deux points à la suite (ou un point à une extrémité) :"
                " chaque partie entre deux points doit avoir un nom"
            )
        ),
        "description": fr("doit tenir sur une ligne : il contient un saut de ligne (U+2028)"),
        "max_mailboxes": "ne peut pas être négatif",
        "max_aliases": "doit être un nombre entier",
        "total_quota_bytes": fr("'lots' n'est pas une taille ; indiquez des octets ou une unité comme 500M ou 2G"),
        "default_quota_bytes": "dépasse le plus grand quota d'une boîte aux lettres (1G)",
    }
    assert world_state(world) == before


def test_a_mailbox_over_the_domains_largest_quota_in_french(app, world):
    with app.app_context():
        session = get_session()
        domain = domains.get_domain(session, "example.org")
        domains.update_domain(session, Actor.system("test"), domain, max_quota_bytes="2G", total_quota_bytes="10G")
        session.commit()
    client = _french_client(app, USERS["domainadmin"], PASSWORD)
    form = {"local_part": "bob", "quota": "3G", "password": "secret-123", "password_confirm": "secret-124"}
    response = post(client, "/domains/example.org/mailboxes/new", form)
    assert response.status_code == 422
    assert field_errors(response) == {
        "quota": "la plus grande boîte aux lettres permise dans example.org est de 2G",
        "password_confirm": "ne correspond pas au mot de passe",
    }
    # A bulk quota past the check: each row's problem, in French too.
    before = world_state(world)
    bulk = {"action": "quota", "quota": "3G", "all": "matching", "confirmed": "yes"}
    page = html.unescape(post(client, "/domains/example.org/mailboxes/bulk", bulk).get_data(as_text=True))
    assert "La plus grande boîte aux lettres permise dans example.org est de 2G: alice@example.org" in page
    assert world_state(world) == before


def test_a_wrong_password_and_a_lockout_in_french(app, world):
    client = app.test_client()
    client.environ_base.update(FRENCH)
    response = post(client, "/login", {"username": USERS["superadmin"], "password": "not-it-at-all"})
    assert response.status_code == 401
    assert "Nom d'utilisateur ou mot de passe incorrect." in html.unescape(response.get_data(as_text=True))


def test_a_message_is_english_as_a_string_and_french_on_a_french_page(app):
    quota = Message(N_("the largest mailbox allowed in %(domain)s is %(largest)s"), domain="example.org", largest="2G")
    error = ServiceError("quota", quota)
    assert str(error) == "quota: the largest mailbox allowed in example.org is 2G"  # the CLI, the API
    assert copy.deepcopy(quota).template == quota.template and pickle.loads(pickle.dumps(quota)) == quota
    nested = Message(N_("a domain %(problem)s"), problem=Message(N_("is at most %(count)s characters"), count=253))
    one, many = (Message(Nn_("%(shown)s mailbox", "%(shown)s mailboxes"), count=n, shown=str(n)) for n in (1, 3))
    assert (nested, one, many) == ("a domain is at most 253 characters", "1 mailbox", "3 mailboxes")
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert translated(quota) == "la plus grande boîte aux lettres permise dans example.org est de 2G"
        assert translated(nested) == "un domaine a au plus 253 caractères"
        assert (translated(one), translated(many)) == ("1 boîte aux lettres", "3 boîtes aux lettres")
        assert translated("no such text in the catalogue") == "no such text in the catalogue"
    with app.test_request_context("/api/v1/domains", headers={"Accept-Language": "fr"}):
        assert translated(quota) == str(quota)  # the API stays English


def test_the_admin_forms_roles_and_a_stale_page_link_in_french(app, world):
    client = _french_client(app, USERS["superadmin"], PASSWORD)
    form = html.unescape(client.get("/admins/new").get_data(as_text=True))
    options = dict(re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', form))
    assert options == {"superadmin": "superadmin", "domainadmin": "admin de domaine", "helpdesk": "assistance"}
    stale = client.get("/domains/example.org/mailboxes?sort=usage&before=u|%s|a@example.org" % 2**63)
    assert stale.status_code == 400
    assert fr("ce lien de page n'est pas valable ; repartez de la première page") in html.unescape(
        stale.get_data(as_text=True)
    )


def test_a_password_rule_in_french_on_the_admin_form(app, world):
    client, before = _french_client(app, USERS["superadmin"], PASSWORD), world_state(world)
    form = {"username": "newadmin", "role": "superadmin", "password": "short", "password_confirm": "short"}
    response = post(client, "/admins/new", form)
    assert response.status_code == 422
    assert field_errors(response)["password"] == "doit compter au moins 8 caractères"
    assert world_state(world) == before


def test_the_status_checks_speak_french(app, world, tmp_path):
    """Each check's reason and what to do, with its values, in the page's
    language; `flask status` and /status for an English browser keep them English."""
    import os

    from panel.services import status

    running = tmp_path / "running.pid"
    running.write_text(f"{os.getpid()}\n")
    gone = tmp_path / "gone.log"
    app.config.update(POSTFIX_PID_FILE=str(running), DOVECOT_PID_FILE=str(tmp_path / "none.pid"), DOVECOT_LOG=str(gone))
    status.clear_cache()
    french = _french_client(app, USERS["superadmin"], PASSWORD)
    page = html.unescape(french.get("/status").get_data(as_text=True))
    assert fr(f"Postfix : le processus maître {os.getpid()} tourne") in page
    dashboard = html.unescape(french.get("/").get_data(as_text=True))
    assert fr("Système de messagerie : en échec") in dashboard and "failing" not in dashboard
    assert f"Dovecot ne tourne pas (pas de fichier PID {tmp_path / 'none.pid'})" in page
    assert fr("démarrez-le : deploy/mailstack start") in page
    assert f"{gone} n'existe pas" in page and "réglez MAILPANEL_DOVECOT_LOG sur le fichier journal" in page
    assert "is not running" not in page and "does not exist" not in page
    status.clear_cache()
    english = html.unescape(client_as(app, "superadmin").get("/status").get_data(as_text=True))
    assert f"Dovecot is not running (no pid file {tmp_path / 'none.pid'})" in english
    assert f"{gone} does not exist" in english and "set MAILPANEL_DOVECOT_LOG to the log file" in english


def test_status_plurals_and_empty_hints():
    """One message is "1 message"; an empty hint stays empty (gettext("") would be the catalogue's header)."""
    from panel.services import status

    one = status.queue_results({"deferred": 1}, None, 0.0)[0].reason
    assert one == "1 message queued (1 deferred)"
    many = status.queue_results({"deferred": 2, "active": 1}, None, 0.0)[0].reason
    assert many == "3 messages queued (1 active, 2 deferred)"
    from flask import Flask

    from panel import i18n

    app = Flask(__name__)
    i18n.init_app(app)
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert translated(one) == "1 message en file d'attente (1 deferred)"
        assert translated(many) == "3 messages en file d'attente (1 active, 2 deferred)"
        assert translated("") == ""


def test_audit_details_read_in_french(app, world):
    """The audit page's "old → new" details use the page's words for keys and
    yes/no/none/unlimited; the data (names, sizes) stays as it is."""
    from panel.services import admins, mailboxes

    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        domain = domains.get_domain(session, "example.org")
        domains.update_domain(session, actor, domain, max_mailboxes=0)
        mailbox = mailboxes.create_mailbox(session, actor, "ann@example.org", password="password-1", quota="1G")
        mailboxes.update_mailbox(session, actor, mailbox, name="Ann", quota="2G", active=False)
        helper = admins.create_admin(session, actor, "help2", "helpdesk", "password-1", all_domains=True)
        admins.update_admin(session, actor, helper, all_domains=False, domain_names=["example.org"])
        session.commit()
    page = html.unescape(_french_client(app, USERS["superadmin"], PASSWORD).get("/audit/").get_data(as_text=True))
    assert fr("activé oui → non ; nom aucun → Ann ; quota 1G → 2G ; sessions fermées : 0") in page
    assert fr("domaines (tous les domaines) → example.org ;") in page and "boîtes max. 10 → illimité" in page
    assert "sessions ended" not in page and "max mailboxes" not in page


def test_french_pages_join_a_list_with_french_typography(app, world, tmp_path):
    """Where the panel puts several messages or names in one sentence, a
    French page writes "a ; b" and "clé : valeur" (a no-break space before
    the punctuation), not the English "a; b"."""
    from panel.services import aliases, status
    from panel.services.aliases import parse_destinations

    two = ServiceError("a", Message(N_("must be a whole number")), b=Message(N_("cannot be negative")))
    with pytest.raises(ServiceError) as bad:
        parse_destinations(["not-an-address", "bob@@x"])
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert in_words(two) == fr("doit être un nombre entier ; ne peut pas être négatif")
        assert translated(bad.value.fields["destinations"]) == fr(
            "not-an-address : une adresse contient exactement un @ ; bob@@x : une adresse contient exactement un @"
        )
    with app.test_request_context():
        assert in_words(two) == "must be a whole number; cannot be negative"

    # The alias form in French: both bad destinations in one message.
    client, before = _french_client(app, USERS["domainadmin"], PASSWORD), world_state(world)
    form = {"local_part": "sales", "destinations": "not-an-address\nbob@@x", "active": "1"}
    response = post(client, "/domains/example.org/aliases/new", form)
    assert response.status_code == 422 and world_state(world) == before
    assert field_errors(response)["destinations"] == fr(
        "not-an-address : une adresse contient exactement un @ ; bob@@x : une adresse contient exactement un @"
    )

    # The domain list's alias domains, one and several.
    with app.app_context():
        session, actor = get_session(), Actor.system("test")
        aliases.create_alias_domain(session, actor, "example.com", "example.org")
        aliases.create_alias_domain(session, actor, "other.net", "other.org")
        session.commit()
    root = _french_client(app, USERS["superadmin"], PASSWORD)
    page = root.get("/domains/").get_data(as_text=True)
    assert fr("domaines alias : example.com, example.net</small>") in page
    assert fr("domaine alias : other.net</small>") in page and "alias domain" not in page

    # The dashboard's failing checks: "nom : raison" (the mail root is made
    # missing so that at least the disk check fails on any machine).
    app.config["MAIL_ROOT"] = str(tmp_path / "missing")
    status.clear_cache()
    try:
        strip = re.search(r'<section id="status-strip".*?</section>', root.get("/").get_data(as_text=True), re.S)
    finally:
        status.clear_cache()
    lines = re.findall(r"<li>(.*?)</li>", strip.group(0))
    disk = [line for line in lines if line.startswith("disk")]
    assert disk and disk[0].startswith(fr("disk : impossible d&#39;examiner ")), lines
    assert all(re.match(r"[a-z_]+\u00a0: ", line) for line in lines), lines
