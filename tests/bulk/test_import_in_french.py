"""The import page in French: a refused file's line-numbered problems (hash
schemes included), a dry run's rows and summary, and what an export covers,
each translated as a whole sentence; the same import stays English for the
CLI and the API (panel/languages.Message)."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from panel.bulk.importer import ImportFailed, _guard
from panel.i18n import translated
from panel.languages import N_, Message
from panel.models import Admin
from panel.services import Actor, ServiceError, tokens
from tests.helpers import PASSWORD, USERS, bearer, fr, login, post, world_state

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}

REFUSED = (
    "email,password_hash,active,kind\n"
    "x@example.org,{MD5}abc,,\n"
    "y@example.org,{ARGON2ID}zz,,\n"
    "alice@example.org,,,\n"
    "w@example.org,,maybe,\n"
    "z@nowhere.org,,,\n"
    "q@example.org,,,weird\n"
    "x@example.org,,,\n"
)
SCHEMES = "{ARGON2ID}, {ARGON2I}, {BLF-CRYPT}, {SHA512-CRYPT}, {SHA256-CRYPT}"

DRY_RUN = (
    "email,name,aliases,active,kind,destinations\n"
    "new@example.org,Neo,neo@example.org,,,\n"
    "alice@example.org,Alice B,,false,,\n"
    "team@example.org,,,false,alias,alice@example.org new@example.org\n"
    "example.com,,,,alias_domain,example.org\n"
)


def _french_client(app, role: str):
    client = app.test_client()
    client.environ_base.update(FRENCH)
    assert login(client, USERS[role], PASSWORD).status_code == 302
    return client


def _upload(client, text: str, **flags):
    data = {"file": (io.BytesIO(text.encode()), "users.csv"), **{k: "1" for k, v in flags.items() if v}}
    return post(client, "/import", data, content_type="multipart/form-data")


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _cells(fragment: str) -> tuple[str, ...]:
    return tuple(html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", fragment))


def test_a_refused_imports_lines_read_in_french_hash_schemes_included(app, world):
    client, before = _french_client(app, "superadmin"), world_state(world)
    response = _upload(client, REFUSED)
    assert response.status_code == 422
    listed = re.search(r'<ul class="problems">(.*?)</ul>', response.get_data(as_text=True), re.S).group(1)
    assert [html.unescape(p) for p in re.findall(r"<code>(.*?)</code>", listed)] == [
        fr(
            "ligne 2 : password_hash : schéma d'empreinte {MD5} non pris en charge ;"
            f" utilisez l'un de ceux-ci : {SCHEMES}"
        ),
        fr("ligne 3 : password_hash : empreinte {ARGON2ID} mal formée"),
        fr(
            "ligne 4 : email : la boîte aux lettres alice@example.org existe déjà"
            " (cochez « Mettre à jour les boîtes aux lettres existantes » pour appliquer la modification)"
        ),
        fr("ligne 5 : active : 'maybe' n'est pas true/false/1/0/yes/no"),
        fr(
            "ligne 6 : email : le domaine nowhere.org n'est pas hébergé ici"
            " (cochez « Créer les domaines qui n'existent pas encore » pour l'ajouter)"
        ),
        fr("ligne 7 : kind : 'weird' n'est ni mailbox, ni alias, ni alias_domain"),
        fr("ligne 8 : email : x@example.org figure deux fois (aussi à la ligne 2)"),
    ]
    assert world_state(world) == before


def test_the_same_refused_import_stays_english_for_the_cli_and_the_api(app, world, runner, tmp_path):
    with world() as session:
        root = session.scalar(select(Admin).where(Admin.username == USERS["superadmin"]))
        token = tokens.create_token(session, Actor.system("test"), root, "test")[1]
        session.commit()
    headers = {**bearer(token), "Content-Type": "text/csv", "Accept-Language": "fr"}
    answer = app.test_client().post("/api/v1/import", data=REFUSED, headers=headers)
    assert answer.status_code == 400
    assert answer.json["problems"] == [
        f"line 2: password_hash: unsupported hash scheme {{MD5}}; use one of {SCHEMES}",
        "line 3: password_hash: malformed {ARGON2ID} hash",
        "line 4: email: the mailbox alice@example.org already exists (use --update to change it)",
        "line 5: active: 'maybe' is not true/false/1/0/yes/no",
        "line 6: email: the domain nowhere.org is not hosted here (use --create-domains to add it)",
        "line 7: kind: 'weird' is not mailbox, alias or alias_domain",
        "line 8: email: x@example.org appears twice (also on line 2)",
    ]
    source = tmp_path / "refused.csv"
    source.write_text(REFUSED)
    command = runner.invoke(args=["users", "import", str(source)])
    assert command.exit_code != 0
    assert answer.json["problems"] == command.stderr.splitlines()[:7]


def test_a_dry_runs_rows_and_summary_read_in_french(app, world):
    client, before = _french_client(app, "superadmin"), world_state(world)
    response = _upload(client, DRY_RUN, dry_run=True, update=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    assert [_cells(row) for row in re.findall(r"<tr>(.*?)</tr>", rows, re.S)] == [
        (
            "2",
            "boîte aux lettres",
            "new@example.org",
            "création",
            fr("quota 1G, nom Neo, mot de passe généré ; nouveaux alias : neo@example.org"),
        ),
        ("3", "boîte aux lettres", "alice@example.org", "mise à jour", "nom Alice → Alice B, désactivé"),
        ("4", "alias", "team@example.org", "création", "distribue à alice@example.org, new@example.org, désactivé"),
        ("5", "domaine alias", "example.com", "création", "domaine alias de example.org"),
    ]
    assert fr(
        "4 lignes : 1 boîte aux lettres à créer, 1 à mettre à jour, 0 sans changement ; 2 alias à créer ;"
        " 1 domaine alias à créer, 0 à mettre à jour, 0 sans changement."
    ) in _page(response)
    assert world_state(world) == before


def test_the_same_dry_run_stays_english_for_the_cli(app, world, runner, tmp_path):
    source = tmp_path / "dry.csv"
    source.write_text(DRY_RUN)
    command = runner.invoke(args=["users", "import", str(source), "--dry-run", "--update"])
    assert command.exit_code == 0, command.output
    assert command.stdout.splitlines() == [
        "line 2: create mailbox new@example.org: quota 1G, name Neo, generated password; new aliases: neo@example.org",
        "line 3: update mailbox alice@example.org: name Alice → Alice B, disabled",
        "line 4: create alias team@example.org: delivers to alice@example.org, new@example.org, disabled",
        "line 5: create alias domain example.com: alias domain of example.org",
        "4 rows: 1 mailbox would be created, 1 updated, 0 unchanged; 2 aliases would be created;"
        " 1 alias domain would be created, 0 updated, 0 unchanged",
    ]


def test_what_the_export_covers_reads_in_french(app, world):
    page = _page(_french_client(app, "domainadmin").get("/import"))
    assert (
        fr(
            "L'export couvre 1 domaine (example.org) : 1 boîte aux lettres, 1 alias, 1 domaine alias ;"
            " sans les empreintes des mots de passe ; non inclus : les réglages des domaines."
        )
        in page
    )


def test_a_write_refused_after_the_check_reads_in_french_and_stays_english(app):
    """The 409 of an import whose database changed between check and write."""
    taken = Message(N_("%(address)s is already an alias"), address="a@example.org")
    with pytest.raises(ImportFailed) as refused:
        with _guard(7, "aliases"):
            raise ServiceError("address", taken)
    [problem] = refused.value.problems
    assert problem == "line 7: aliases: a@example.org is already an alias"
    with app.test_request_context("/import", headers={"Accept-Language": "fr"}):
        assert translated(problem) == fr("ligne 7 : aliases : a@example.org est déjà un alias")
