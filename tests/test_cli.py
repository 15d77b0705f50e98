"""The command-line contract (docs/cli-csv-api.md): good input works, bad input prints
one line, exits non-zero and changes nothing."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from panel import passwords
from panel.models import Admin, Alias, AliasDomain, AuditEvent, Domain, Mailbox, QuotaUsage, Role
from panel.services import Actor, Forbidden, mailboxes


def run(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input)


def count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def assert_refused(result, fragment):
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], result.output


def test_domain_add_list_disable_enable(runner, session):
    result = run(
        runner, "domain", "add", "Example.org", "--max-mailboxes", "10", "--max-aliases", "5", "--default-quota", "500M"
    )
    assert result.exit_code == 0, result.output
    domain = session.scalar(select(Domain))
    assert (domain.name, domain.max_mailboxes, domain.default_quota_bytes) == ("example.org", 10, 500 * 1024**2)
    assert run(runner, "domain", "disable", "example.org").exit_code == 0
    session.expire_all()
    assert session.scalar(select(Domain.active)) is False
    assert run(runner, "domain", "enable", "example.org").exit_code == 0
    listing = run(runner, "domain", "list")
    assert "example.org\tyes\t0\t0\t10\t5\t500M" in listing.output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("domain", "add", "not_a_domain"), "name"),
        (("domain", "add", "example.com", "--max-mailboxes", "lots"), "max_mailboxes"),
        (("domain", "add", "example.com", "--default-quota", "abc"), "default_quota"),
        (("domain", "disable", "unknown.org"), "no domain"),
    ],
)
def test_domain_bad_input(runner, session, args, fragment):
    assert_refused(run(runner, *args), fragment)
    assert count(session, Domain) == 0


def test_duplicate_domain(runner, session):
    run(runner, "domain", "add", "example.org")
    assert_refused(run(runner, "domain", "add", "EXAMPLE.ORG"), "already exists")
    assert count(session, Domain) == 1


def test_mailbox_lifecycle(runner, session):
    run(runner, "domain", "add", "example.org")
    result = run(
        runner,
        "mailbox",
        "add",
        "Jane@example.org",
        "--password-stdin",
        "--quota",
        "2G",
        "--name",
        "Jane Doe",
        input="first-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "shown once" not in result.output  # a password given on stdin is never echoed
    mailbox = session.scalar(select(Mailbox))
    assert mailbox.address == "jane@example.org" and mailbox.quota_bytes == 2 * 1024**3
    assert passwords.verify("first-password", mailbox.password_hash)

    assert (
        run(
            runner,
            "mailbox",
            "passwd",
            "jane@example.org",
            "--password-stdin",
            "--scheme",
            "BLF-CRYPT",
            input="second-password\n",
        ).exit_code
        == 0
    )
    session.expire_all()
    assert session.scalar(select(Mailbox.password_hash)).startswith("{BLF-CRYPT}")
    assert passwords.verify("second-password", session.scalar(select(Mailbox.password_hash)))

    assert run(runner, "mailbox", "disable", "jane@example.org").exit_code == 0
    session.expire_all()
    assert session.scalar(select(Mailbox.active)) is False
    assert run(runner, "mailbox", "enable", "jane@example.org").exit_code == 0

    session.add(QuotaUsage(username="jane@example.org", bytes=1536 * 1024, messages=3))
    session.commit()
    listing = run(runner, "mailbox", "list", "--domain", "example.org")
    assert "jane@example.org\tyes\t1.5M\t2G\t3\tJane Doe" in listing.output

    result = run(runner, "mailbox", "delete", "jane@example.org")
    assert result.exit_code == 0 and "its mail remains in example.org/" in result.output
    assert count(session, Mailbox) == 0


def test_orphans_lists_the_maildirs_no_mailbox_uses_and_removes_nothing(app, runner, session, tmp_path):
    app.config["MAIL_ROOT"] = str(tmp_path)
    run(runner, "domain", "add", "example.org")
    for local in ("kept", "gone", "gone2"):
        assert (
            run(runner, "mailbox", "add", f"{local}@example.org", "--password-stdin", input="password-1\n").exit_code
            == 0
        )
    homes = {row.local_part: row.maildir for row in session.execute(select(Mailbox.local_part, Mailbox.maildir))}
    for home in homes.values():
        (tmp_path / home / "Maildir" / "new").mkdir(parents=True)
    (tmp_path / "old.example" / "0123abcd").mkdir(parents=True)  # a whole domain's leftovers
    (tmp_path / "stray-file").write_text("not a home")
    (tmp_path / "example.org" / "a-link").symlink_to(tmp_path / "old.example" / "0123abcd")
    assert run(runner, "mailbox", "delete", "gone@example.org").exit_code == 0
    assert run(runner, "mailbox", "delete", "gone2@example.org").exit_code == 0
    result = run(runner, "mailbox", "orphans")
    assert result.exit_code == 0, result.output
    expected = sorted([str(tmp_path / homes["gone"]), str(tmp_path / homes["gone2"])]) + [
        str(tmp_path / "old.example" / "0123abcd")
    ]
    assert result.output.splitlines() == expected
    assert all((tmp_path / home).is_dir() for home in homes.values())  # nothing removed


def test_orphans_across_batches_and_its_refusals(app, runner, session, tmp_path):
    run(runner, "domain", "add", "example.org")
    assert run(runner, "mailbox", "add", "a@example.org", "--password-stdin", input="password-1\n").exit_code == 0
    used = session.scalar(select(Mailbox.maildir))
    homes = [f"example.org/{n:04d}" for n in range(7)] + [used]
    assert list(mailboxes.orphan_maildirs(session, Actor.system("t"), homes, batch=3)) == homes[:-1]
    with pytest.raises(Forbidden):
        list(mailboxes.orphan_maildirs(session, Actor("dom", Role.DOMAINADMIN, frozenset({1})), homes))
    app.config["MAIL_ROOT"] = str(tmp_path / "missing")
    assert_refused(run(runner, "mailbox", "orphans"), "is not a directory")


def test_generated_password_is_printed_once_and_works(runner, session):
    run(runner, "domain", "add", "example.org")
    result = run(runner, "mailbox", "add", "a@example.org")
    assert result.exit_code == 0
    line = [text for text in result.output.splitlines() if "shown once" in text][0]
    generated = line.rsplit(" ", 1)[1]
    assert passwords.verify(generated, session.scalar(select(Mailbox.password_hash)))
    assert generated not in " ".join(session.scalars(select(AuditEvent.details)))


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("mailbox", "add", "bad address@example.org", "--password-stdin"), "address"),
        (("mailbox", "add", "a@unknown.org", "--password-stdin"), "not hosted"),
        (("mailbox", "add", "a@example.org", "--password-stdin", "--quota", "abc"), "quota"),
        (("mailbox", "add", "a@example.org", "--password-stdin", "--quota", "-1"), "quota"),
        (("mailbox", "passwd", "nobody@example.org", "--password-stdin"), "no mailbox"),
        (("mailbox", "delete", "nobody@example.org"), "no mailbox"),
    ],
)
def test_mailbox_bad_input(runner, session, args, fragment):
    run(runner, "domain", "add", "example.org")
    assert_refused(run(runner, *args, input="a-good-password\n"), fragment)
    assert count(session, Mailbox) == 0


def test_short_password_from_stdin_is_refused(runner, session):
    run(runner, "domain", "add", "example.org")
    assert_refused(run(runner, "mailbox", "add", "a@example.org", "--password-stdin", input="short\n"), "password")
    assert count(session, Mailbox) == 0


def test_over_the_limit(runner, session):
    run(runner, "domain", "add", "example.org", "--max-mailboxes", "1", "--max-aliases", "1")
    assert run(runner, "mailbox", "add", "a@example.org", "--password-stdin", input="password-1\n").exit_code == 0
    assert_refused(run(runner, "mailbox", "add", "b@example.org", "--password-stdin", input="password-1\n"), "limit")
    assert run(runner, "alias", "add", "x@example.org", "a@example.org").exit_code == 0
    assert_refused(run(runner, "alias", "add", "y@example.org", "a@example.org"), "limit")
    assert (count(session, Mailbox), count(session, Alias)) == (1, 1)


def test_alias_commands(runner, session):
    run(runner, "domain", "add", "example.org")
    run(runner, "domain", "add", "example.com")
    result = run(runner, "alias", "add", "team@example.org", "a@example.org", "b@example.net")
    assert result.exit_code == 0 and "a@example.org, b@example.net" in result.output
    assert run(runner, "alias", "add", "@example.org", "a@example.org").exit_code == 0
    assert_refused(run(runner, "alias", "add", "self@example.org", "self@example.org"), "itself")
    assert_refused(run(runner, "alias", "add", "team@example.org", "c@example.org"), "already exists")
    assert run(runner, "alias-domain", "add", "example.net", "example.org").exit_code == 0
    assert_refused(run(runner, "alias-domain", "add", "example.com", "example.org"), "hosted domain")
    assert_refused(run(runner, "alias-domain", "add", "example.info", "nowhere.org"), "not hosted")
    assert count(session, AliasDomain) == 1
    assert run(runner, "alias", "delete", "team@example.org").exit_code == 0
    assert count(session, Alias) == 1


def test_admin_create(runner, session):
    run(runner, "domain", "add", "example.org")
    result = run(
        runner,
        "admin",
        "create",
        "dom",
        "--role",
        "domainadmin",
        "--domain",
        "example.org",
        "--password-stdin",
        input="admin-password\n",
    )
    assert result.exit_code == 0, result.output
    admin = session.scalar(select(Admin))
    assert admin.role == "domainadmin" and [d.name for d in admin.domains] == ["example.org"]
    assert_refused(
        run(runner, "admin", "create", "x", "--role", "domainadmin", "--password-stdin", input="admin-password\n"),
        "domain",
    )
    assert_refused(
        run(
            runner,
            "admin",
            "create",
            "y",
            "--role",
            "helpdesk",
            "--domain",
            "nope.org",
            "--password-stdin",
            input="admin-password\n",
        ),
        "the domain nope.org is not hosted here",
    )
    assert count(session, Admin) == 1


def test_bootstrap_creates_the_first_superadmin_once(runner, session):
    first = run(runner, "admin", "bootstrap")
    assert first.exit_code == 0 and "shown once" in first.output
    password = first.output.strip().rsplit(" ", 1)[1]
    assert passwords.verify(password, session.scalar(select(Admin.password_hash)))
    second = run(runner, "admin", "bootstrap")
    assert second.exit_code == 0 and "nothing to do" in second.output
    assert count(session, Admin) == 1


def test_real_flask_binary_against_the_database(database_url, session, tmp_path):
    """The entry point scripts use: `flask --app app ...` with the URL in the environment."""
    env = dict(os.environ, MAILPANEL_DATABASE_URL=database_url, MAILPANEL_SECRET_KEY="x")
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    ok = subprocess.run(flask + ["domain", "add", "cli.example"], env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        flask + ["mailbox", "add", "x@cli.example", "--quota", "abc", "--password-stdin"],
        input="long-password\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "quota" in bad.stderr
    assert count(session, Mailbox) == 0 and count(session, Domain) == 1
