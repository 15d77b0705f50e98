"""`flask mailbox vacation|forward|app-password`: the portal's settings from
the shell, through the same services; bad input prints one line, exits
non-zero and changes nothing."""

from datetime import date

from sqlalchemy import func, select

from panel import passwords
from panel.models import Alias, AppPassword, AuditEvent, Vacation


def run(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input)


def refused(result, fragment):
    lines = [line for line in result.output.splitlines() if line.strip()]
    return result.exit_code != 0 and len(lines) == 1 and fragment in lines[0]


def usage_error(result, fragment):
    """click's usage errors: exit 2, the usage line and the reason."""
    return result.exit_code == 2 and "Error: " in result.output and fragment in result.output


def setup_mailbox(cli):
    cli("domain", "add", "example.org")
    cli("mailbox", "add", "alice@example.org", "--password-stdin", stdin="Correct-Horse-42\n")


def test_vacation_on_and_off(cli, runner, session):
    setup_mailbox(cli)
    out = cli(
        "mailbox",
        "vacation",
        "alice@example.org",
        "--subject",
        "Away",
        "--body-stdin",
        "--first-day",
        "2030-07-01",
        "--last-day",
        "2030-07-14",
        "--days",
        "3",
        stdin="I am away.\nBack on the 15th.\n",
    )
    assert "2030-07-01" in out and "3 days" in out
    row = session.scalar(select(Vacation))
    assert (row.active, row.subject, row.interval_days) == (True, "Away", 3)
    assert (row.first_day, row.last_day) == (date(2030, 7, 1), date(2030, 7, 14))
    assert "Back on the 15th." in row.body and "vacation :days 3" in row.script
    cli("mailbox", "vacation", "alice@example.org", "--off")
    session.expire_all()
    row = session.scalar(select(Vacation))
    assert row.active is False and "Back on the 15th." in row.body  # the text is kept
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("mailbox.vacation%")))
    assert len(list(actions)) == 2


def test_vacation_bad_input_changes_nothing(cli, runner, session):
    setup_mailbox(cli)
    result = run(
        runner,
        "mailbox",
        "vacation",
        "alice@example.org",
        "--body-stdin",
        "--first-day",
        "2030-07-14",
        "--last-day",
        "2030-07-01",
        input="away\n",
    )
    assert result.exit_code != 0 and "last" in result.output, result.output
    assert refused(
        run(runner, "mailbox", "vacation", "alice@example.org", "--days", "0", "--body-stdin", input="x"),
        "from 1 to 365",
    )
    assert usage_error(run(runner, "mailbox", "vacation", "alice@example.org"), "--body-stdin")
    assert usage_error(run(runner, "mailbox", "vacation", "alice@example.org", "--off", "--days", "3"), "--off")
    assert refused(run(runner, "mailbox", "vacation", "nobody@example.org", "--off"), "nobody@example.org")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Vacation)) == 0


def test_forward_keep_and_off(cli, runner, session):
    setup_mailbox(cli)
    cli("mailbox", "add", "bob@example.org", "--password-stdin", stdin="Correct-Horse-43\n")
    out = cli("mailbox", "forward", "alice@example.org", "bob@example.org", "carol@elsewhere.net", "--keep")
    assert "keeping a copy" in out
    alias = session.scalar(select(Alias).where(Alias.address == "alice@example.org"))
    assert sorted(d.destination for d in alias.destinations) == [
        "alice@example.org",
        "bob@example.org",
        "carol@elsewhere.net",
    ]
    cli("mailbox", "forward", "alice@example.org", "--off")
    session.expire_all()
    assert session.scalar(select(Alias).where(Alias.address == "alice@example.org")) is None


def test_forward_bad_input(cli, runner, session):
    setup_mailbox(cli)
    assert usage_error(run(runner, "mailbox", "forward", "alice@example.org"), "--off")
    assert usage_error(run(runner, "mailbox", "forward", "alice@example.org", "x@y.org", "--off"), "--off")
    assert refused(run(runner, "mailbox", "forward", "alice@example.org", "not an address"), "spaces")
    assert refused(run(runner, "mailbox", "forward", "alice@example.org", "alice@example.org"), "other than")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Alias)) == 0


def test_app_password_add_list_revoke(cli, runner, session):
    setup_mailbox(cli)
    out = cli("mailbox", "app-password", "add", "alice@example.org", "Phone", "--protocols", "imap,smtp")
    secret = out.rsplit(": ", 1)[1].strip()
    row = session.scalar(select(AppPassword))
    assert secret.startswith(f"{row.id}-") and row.protocols == ",imap,smtp,"
    assert passwords.verify(secret, row.secret_hash)
    assert secret not in row.secret_hash
    listing = cli("mailbox", "app-password", "list", "alice@example.org")
    assert listing.splitlines()[0] == "name\tprotocols\tcreated\texpires\tlast_used"
    assert listing.splitlines()[1].startswith("Phone\timap,smtp\t") and secret not in listing
    cli("mailbox", "app-password", "revoke", "alice@example.org", "Phone")
    session.expire_all()
    assert session.scalar(select(AppPassword)).revoked_at is not None
    assert len(cli("mailbox", "app-password", "list", "alice@example.org").splitlines()) == 1


def test_app_password_bad_input(cli, runner, session):
    setup_mailbox(cli)
    assert refused(
        run(runner, "mailbox", "app-password", "add", "alice@example.org", "Phone", "--protocols", "ftp"),
        "imap, pop3, smtp",
    )
    assert refused(
        run(runner, "mailbox", "app-password", "add", "alice@example.org", "Phone", "--expires", "2001-01-01"), "past"
    )
    assert refused(run(runner, "mailbox", "app-password", "revoke", "alice@example.org", "Tablet"), "Tablet")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AppPassword)) == 0
