"""Import semantics (dry run, --update, limits, audit) and export round trips."""

from __future__ import annotations

import csv
import io
import os
import stat

from sqlalchemy import select

from panel import passwords
from panel.bulk.exporter import export_csv
from panel.models import AuditEvent, Mailbox
from panel.services import Actor, admins, aliases, domains, mailboxes
from tests.bulk.imports import alias_count, do_import, mailbox_count


def _setup(session, actor):
    domains.create_domain(
        session,
        actor,
        "example.org",
        max_mailboxes=10,
        max_aliases=10,
        max_quota_bytes="2G",
        total_quota_bytes="5G",
        default_quota_bytes="1G",
    )
    domains.create_domain(session, actor, "example.net")
    session.commit()


def test_dry_run_reports_counts_and_writes_nothing(session, actor):
    _setup(session, actor)
    mailboxes.create_mailbox(session, actor, "old@example.org", password="secret123")
    mailboxes.create_mailbox(session, actor, "same@example.org", password="secret123", name="Same")
    session.commit()
    data = (
        "email,name,password,aliases\nnew@example.org,New,secret123,info@example.org\n"
        "old@example.org,Renamed,,\nsame@example.org,Same,,\n"
    )
    result = do_import(session, actor, data, update=True, dry_run=True)
    assert result.ok and (result.created, result.updated, result.unchanged, result.aliases_created) == (1, 1, 1, 1)
    assert mailbox_count(session) == 2 and alias_count(session) == 0
    assert mailboxes.get_mailbox(session, actor, "old@example.org").name == ""


def test_existing_mailbox_without_update_is_a_duplicate(session, actor):
    _setup(session, actor)
    mailboxes.create_mailbox(session, actor, "old@example.org", password="secret123")
    session.commit()
    result = do_import(session, actor, "email,name\nold@example.org,x\n")
    assert result.problems == ["line 2: email: the mailbox old@example.org already exists (use --update to change it)"]


def test_update_changes_through_the_services_and_audits(session, actor):
    _setup(session, actor)
    mailboxes.create_mailbox(session, actor, "old@example.org", password="secret123")
    session.commit()
    result = do_import(
        session, actor, "email,name,quota,active,password\nold@example.org,Renamed,2G,no,newsecret1\n", update=True
    )
    assert result.ok and result.updated == 1
    box = mailboxes.get_mailbox(session, actor, "old@example.org")
    assert (box.name, box.quota_bytes, box.active) == ("Renamed", 2 * 1024**3, False)
    assert passwords.verify("newsecret1", box.password_hash)
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"mailbox.update", "mailbox.password", "mailbox.import"} <= actions
    assert domains.get_domain(session, "example.org").quota_allocated_bytes == 2 * 1024**3


def test_quota_rules_are_the_services_rules(session, actor):
    _setup(session, actor)
    result = do_import(session, actor, "email,password,quota\na@example.org,secret123,3G\nb@example.org,secret123,0\n")
    assert result.problems == [
        "line 2: quota: the largest mailbox allowed in example.org is 2G",
        "line 3: quota: the largest mailbox allowed in example.org is 2G",
    ]


def test_total_quota_holds_for_the_whole_batch(session, actor):
    _setup(session, actor)
    rows = "".join(f"u{i}@example.org,secret123,2G\n" for i in range(3))
    result = do_import(session, actor, "email,password,quota\n" + rows)
    assert result.problems == ["line 4: quota: the domain's total quota of 5G is exceeded: 6G would be given out"]
    assert mailbox_count(session) == 0


def test_counters_audit_and_generated_passwords(session, actor):
    _setup(session, actor)
    data = (
        "email,name,password,aliases\na@example.org,A,secret123,info@example.org sales@example.net\nb@example.org,B,,\n"
    )
    result = do_import(session, actor, data)
    assert result.ok, result.problems
    domain = domains.get_domain(session, "example.org")
    assert (domain.mailbox_count, domain.alias_count, domain.quota_allocated_bytes) == (2, 1, 2 * 1024**3)
    assert domains.get_domain(session, "example.net").alias_count == 1
    [(address, generated)] = result.generated
    assert address == "b@example.org"
    assert passwords.verify(generated, mailboxes.get_mailbox(session, actor, "b@example.org").password_hash)
    assert passwords.verify("secret123", mailboxes.get_mailbox(session, actor, "a@example.org").password_hash)
    assert aliases.get_alias(session, actor, "sales@example.net").destinations[0].destination == "a@example.org"
    created = session.scalars(select(AuditEvent.target).where(AuditEvent.action == "mailbox.create")).all()
    assert sorted(created) == ["a@example.org", "b@example.org"]
    details = " ".join(session.scalars(select(AuditEvent.details)))
    assert "secret123" not in details and generated not in details


def test_create_domains_only_with_the_flag(session, actor):
    result = do_import(session, actor, "email,password\nx@fresh.org,secret123\n", create_domains=True)
    assert result.ok and result.domains_created == ["fresh.org"]
    assert domains.get_domain(session, "fresh.org").mailbox_count == 1


def _export(session, actor, domain=None) -> str:
    return "".join(export_csv(session, actor, domain))


def test_export_neutralises_formulas_and_hides_hashes_from_domain_admins(session, actor):
    _setup(session, actor)
    mailboxes.create_mailbox(session, actor, "a@example.org", password="secret123", name="=1+2")
    mailboxes.create_mailbox(session, actor, "b@example.net", password="secret123", name="-minus")
    # A catch-all is an address starting with "@", a formula to a spreadsheet.
    aliases.create_alias(session, actor, "@example.org", ["a@example.org"])
    admin = admins.create_admin(session, actor, "dora", "domainadmin", "secret123", ["example.org"])
    session.commit()
    rows = list(csv.DictReader(io.StringIO(_export(session, actor))))
    assert [r["name"] for r in rows] == ["'-minus", "'=1+2"]
    assert [r["aliases"] for r in rows] == ["", "'@example.org"]
    assert rows[0]["password_hash"].startswith("{ARGON2ID}")
    text = _export(session, Actor.from_admin(admin))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["email"] for r in rows] == ["a@example.org"]
    assert "password_hash" not in rows[0] and "$argon2" not in text


def test_export_then_import_update_into_an_empty_database_reproduces_mailboxes(session, actor):
    _setup(session, actor)
    mailboxes.create_mailbox(session, actor, "a@example.org", password="secret123", name='=Ann, "A"', quota="2G")
    mailboxes.create_mailbox(session, actor, "b@example.org", password="secret456", active=False)
    mailboxes.create_mailbox(session, actor, "c@example.net", password="secret789", quota=0)
    aliases.create_alias(session, actor, "info@example.org", ["a@example.org"])
    aliases.create_alias(session, actor, "both@example.org", ["a@example.org", "b@example.org"])  # not expressible
    session.commit()

    def fields():
        columns = (Mailbox.address, Mailbox.name, Mailbox.password_hash, Mailbox.quota_bytes, Mailbox.active)
        return sorted(session.execute(select(*columns)).all())

    before, dump = fields(), _export(session, actor)
    for box in list(session.scalars(select(Mailbox))):
        mailboxes.delete_mailbox(session, actor, box)
    for alias in ("info@example.org", "both@example.org"):
        aliases.delete_alias(session, actor, aliases.get_alias(session, actor, alias))
    session.commit()
    result = do_import(session, actor, dump, update=True)
    assert result.ok, result.problems
    assert fields() == before
    assert aliases.get_alias(session, actor, "info@example.org").destinations[0].destination == "a@example.org"
    again = do_import(session, actor, dump, update=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_cli_import_writes_passwords_file_0600_and_is_quiet_off_a_terminal(app, runner, session, actor, tmp_path):
    _setup(session, actor)
    source = tmp_path / "in.csv"
    source.write_text("email,name\na@example.org,A\nb@example.org,B\n")
    refused = runner.invoke(args=["users", "import", str(source)])
    assert refused.exit_code != 0 and "--passwords-out" in refused.output
    assert mailbox_count(session) == 0
    out = tmp_path / "pw.csv"
    done = runner.invoke(args=["users", "import", str(source), "--passwords-out", str(out)])
    assert done.exit_code == 0, done.output
    assert "rows/s" not in done.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = list(csv.DictReader(out.open()))
    session.expire_all()
    for row in rows:
        assert passwords.verify(row["password"], mailboxes.get_mailbox(session, actor, row["email"]).password_hash)


def test_cli_import_failure_is_one_report_and_exit_code(runner, session, actor, tmp_path):
    _setup(session, actor)
    source = tmp_path / "in.csv"
    source.write_text("email,password\na@example.org,secret123\nb@nowhere.org,secret123\n")
    result = runner.invoke(args=["users", "import", str(source)])
    assert result.exit_code == 1
    assert "line 3: email: the domain nowhere.org is not hosted here" in result.output
    assert mailbox_count(session) == 0


def test_cli_export_streams_the_domain(runner, session, actor):
    _setup(session, actor)
    mailboxes.create_mailbox(session, actor, "a@example.org", password="secret123")
    mailboxes.create_mailbox(session, actor, "b@example.net", password="secret123")
    session.commit()
    result = runner.invoke(args=["users", "export", "--domain", "example.net"])
    assert result.exit_code == 0
    assert [r["email"] for r in csv.DictReader(io.StringIO(result.stdout))] == ["b@example.net"]
