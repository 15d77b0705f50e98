"""What Dovecot itself makes of the queries' answer to an empty key.

Dovecot 2.3's pgsql driver, asked to escape %u while its connection is still
reconnecting after a database restart, puts '' in the query. The queries in
panel/mailserver/queries/dovecot-*.sql answer that key so Dovecot takes it
for a temporary failure (LMTP 451, a login "[UNAVAILABLE]"), never for an
unknown user (LMTP 550: a bounce), and without an SQL error (which made the
driver drop its connection and fail more escapes). tests/test_read_interface.py
holds the rows; this holds Dovecot's reading of them: a private Dovecot (own
base_dir, no listeners) reads the session's database with the stack's own
SQL configuration, '%u' replaced by '' as the driver does.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

STACK_SQL = Path("/etc/dovecot/mailstack")
EX_NOUSER, EX_TEMPFAIL = 67, 75  # doveadm's exit codes (sysexits.h)


def _sql_conf(name: str, directory: Path, unescaped: bool, guard: bool = True) -> Path:
    """The stack's SQL config ``name``; ``unescaped``: every '%u' as ''
    (the failed escape); ``guard=False``: the empty-key answer cut off."""
    text = (STACK_SQL / name).read_text()
    if unescaped:
        text = text.replace("'%u'", "''")
    if not guard:
        text = re.sub(r" UNION ALL SELECT NULL.*$", "", text, flags=re.M)
    path = directory / name
    path.write_text(text)
    return path


@contextlib.contextmanager
def private_dovecot(directory: Path, unescaped: bool, guard: bool = True):
    """Auth only, the passdbs and userdb as deploy/dovecot/dovecot.conf.in has them."""
    directory.mkdir()
    sql = _sql_conf("sql.conf.ext", directory, unescaped, guard)
    apps = _sql_conf("sql-app-passwords.conf.ext", directory, unescaped, guard)
    conf = directory / "dovecot.conf"
    conf.write_text(f"""
instance_name = mailpanel-empty-key
base_dir = {directory}/run
state_dir = {directory}/state
protocols =
log_path = {directory}/dovecot.log
ssl = no
auth_mechanisms = plain
auth_failure_delay = 0
auth_username_format = %Lu
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
passdb {{
  driver = sql
  args = {sql}
  result_internalfail = return-fail
}}
passdb {{
  driver = sql
  args = {apps}
}}
userdb {{
  driver = sql
  args = {sql}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
""")
    (directory / "state").mkdir()
    # Its output to a file: the daemon keeps what it inherits open.
    with open(directory / "start.log", "w") as out:
        subprocess.run(
            ["dovecot", "-c", str(conf)], check=True, timeout=60, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 30
        while not (directory / "run" / "auth-userdb").exists():
            assert time.monotonic() < deadline, (directory / "dovecot.log").read_text()[-1000:]
            time.sleep(0.1)
        yield conf
    finally:
        subprocess.run(["doveadm", "-c", str(conf), "stop"], capture_output=True, timeout=60)


def doveadm(conf: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["doveadm", "-c", str(conf), *args], capture_output=True, text=True, timeout=60)


def test_an_unescaped_key_is_a_temporary_failure_for_dovecot(mail, new_mailbox, tmp_path):
    address = new_mailbox("empty-key@e2e.test")

    with private_dovecot(tmp_path / "escaped", unescaped=False) as conf:
        # The same instance reads the user and checks the password: the
        # failures below are the empty key's, not the setup's.
        assert doveadm(conf, "user", address).returncode == 0
        assert doveadm(conf, "auth", "test", address, "correct-horse-1").returncode == 0

    with private_dovecot(tmp_path / "unescaped", unescaped=True) as conf:
        user = doveadm(conf, "user", address)
        assert user.returncode == EX_TEMPFAIL, (user.returncode, user.stdout, user.stderr)
        auth = doveadm(conf, "auth", "test", address, "correct-horse-1")
        assert auth.returncode != 0 and "code=temp_fail" in auth.stdout, auth
        log = (tmp_path / "unescaped" / "dovecot.log").read_text()
        assert "Query failed" not in log  # no SQL error, so no dropped connection

    # Without the guard the same key reads as an unknown user: the check
    # above can tell the two apart.
    with private_dovecot(tmp_path / "unguarded", unescaped=True, guard=False) as conf:
        assert doveadm(conf, "user", address).returncode == EX_NOUSER
        auth = doveadm(conf, "auth", "test", address, "correct-horse-1")
        assert auth.returncode != 0 and "temp_fail" not in auth.stdout, auth
