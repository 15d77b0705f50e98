"""The exact SQL text in panel/mailserver/queries/, run as Postfix and Dovecot run it,
against data written by the services (both databases)."""

import pytest
from sqlalchemy import text

from panel.mailserver import queries as mq
from panel.services import aliases, domains, mailboxes


def lookup(session, name, key, dialect=None, portable=False, **dovecot):
    dialect = dialect or ("dovecot" if name.startswith("dovecot") else "postfix")
    database = session.bind.dialect.name if portable is False else None
    sql = mq.render(mq.load(name, mail_root="/var/vmail", database=database), key, dialect, **dovecot)
    if sql is None:
        return None
    return [tuple(row) for row in session.execute(text(sql.replace(":", r"\:")))]


def postfix_keys(key):
    """The keys Postfix tries for ``key``, in order: an address, then its
    ``@domain`` (virtual(5); there is no recipient_delimiter)."""
    local, at, domain = key.partition("@")
    return [key, f"@{domain}"] if at and local else [key]


def postfix_map(session, map_name, key):
    """The answer of a map list for ``key``, as Postfix searches it: each
    of its keys in every table of the list, the first that answers wins."""
    for each in postfix_keys(key):
        for name in mq.POSTFIX_MAPS[map_name]:
            rows = lookup(session, name, each)
            if rows:
                # Postfix joins rows with commas and reads the result as a list.
                return sorted(item for row in rows for item in row[0].split(","))
    return []


@pytest.fixture
def data(session, actor):
    domains.create_domain(session, actor, "example.org")
    domains.create_domain(session, actor, "off.example")
    mailboxes.create_mailbox(session, actor, "jane@example.org", password="password-1", quota="1G")
    mailboxes.create_mailbox(session, actor, "joe@example.org", password="password-1")
    mailboxes.create_mailbox(session, actor, "ann@off.example", password="password-1")
    mailboxes.create_mailbox(session, actor, "gone@example.org", password="password-1", active=False)
    aliases.create_alias(session, actor, "team@example.org", ["jane@example.org", "joe@example.org"])
    aliases.create_alias(session, actor, "@example.org", ["joe@example.org"])
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    domains.set_domain_active(session, actor, domains.get_domain(session, "off.example"), False)
    session.commit()


def test_every_query_file_is_wired_to_a_consumer():
    wired = {n for names in mq.POSTFIX_MAPS.values() for n in names} | set(mq.DOVECOT_QUERIES)
    assert wired == set(mq.query_names())


def test_domains(session, data):
    assert postfix_map(session, "virtual_mailbox_domains", "example.org") == ["example.org"]
    assert postfix_map(session, "virtual_mailbox_domains", "example.net") == ["example.net"]  # alias domain is local
    # A disabled domain stays local (smtpd caches the class; see migration
    # 0004); its mailboxes and aliases are what stops answering.
    assert postfix_map(session, "virtual_mailbox_domains", "off.example") == ["off.example"]
    assert postfix_map(session, "virtual_mailbox_domains", "unknown.org") == []


def test_mailboxes_respect_mailbox_and_domain_state(session, actor, data):
    assert postfix_map(session, "virtual_mailbox_maps", "jane@example.org") == ["jane@example.org"]
    assert postfix_map(session, "virtual_mailbox_maps", "ann@off.example") == []  # domain disabled
    jane = mailboxes.get_mailbox(session, actor, "jane@example.org")
    mailboxes.set_mailbox_active(session, actor, jane, False)
    session.commit()
    assert postfix_map(session, "virtual_mailbox_maps", "jane@example.org") == []
    assert lookup(session, "dovecot-password", "jane@example.org") == []


def test_alias_with_two_destinations(session, data):
    assert postfix_map(session, "virtual_alias_maps", "team@example.org") == ["jane@example.org", "joe@example.org"]


def test_catchall_does_not_take_existing_mailboxes(session, data):
    assert postfix_map(session, "virtual_alias_maps", "jane@example.org") == ["jane@example.org"]
    assert postfix_map(session, "virtual_alias_maps", "nobody@example.org") == ["joe@example.org"]


def test_catchall_spares_a_disabled_mailbox_which_then_matches_nothing(session, data):
    # Nothing answers, so smtpd's reject_unlisted_recipient refuses it (550)
    # and the catch-all's owner does not own it.
    for map_name in ("virtual_alias_maps", "virtual_mailbox_maps", "smtpd_sender_login_maps"):
        assert postfix_map(session, map_name, "gone@example.org") == [], map_name
    # The same mailbox through the alias domain: not the target's catch-all.
    assert postfix_map(session, "virtual_alias_maps", "gone@example.net") == []


def test_the_domain_key_alone_finds_no_catchall(session, data):
    # Postfix's last resort for any address is '@domain': were the catch-all
    # found there, it would take every address the tables above miss.
    for map_name in ("virtual_alias_maps", "virtual_mailbox_maps", "smtpd_sender_login_maps"):
        for key in ("@example.org", "@example.net"):
            assert postfix_map(session, map_name, key) == [], (map_name, key)


def test_a_re_enabled_mailbox_is_itself_again(session, actor, data):
    gone = mailboxes.get_mailbox(session, actor, "gone@example.org")
    mailboxes.set_mailbox_active(session, actor, gone, True)
    session.commit()
    assert postfix_map(session, "virtual_alias_maps", "gone@example.org") == ["gone@example.org"]
    assert postfix_map(session, "virtual_alias_maps", "gone@example.net") == ["gone@example.org"]
    assert postfix_map(session, "virtual_mailbox_maps", "gone@example.org") == ["gone@example.org"]
    assert postfix_map(session, "smtpd_sender_login_maps", "gone@example.org") == ["gone@example.org"]


def test_a_mailbox_of_a_disabled_domain_matches_nothing(session, data):
    for map_name in ("virtual_alias_maps", "virtual_mailbox_maps", "smtpd_sender_login_maps"):
        assert postfix_map(session, map_name, "ann@off.example") == [], map_name


def test_alias_domain_maps_to_target(session, data):
    assert postfix_map(session, "virtual_alias_maps", "jane@example.net") == ["jane@example.org"]
    assert postfix_map(session, "virtual_alias_maps", "team@example.net") == ["jane@example.org", "joe@example.org"]
    # Unknown local part of the alias domain: the target's catch-all.
    assert postfix_map(session, "virtual_alias_maps", "nobody@example.net") == ["joe@example.org"]


def probes(session, map_name, key):
    """(answer, queries run) for ``key`` as Postfix searches the map list,
    following the answer while it is one other address (virtual alias
    expansion is recursive and stops at an address that maps to itself)."""
    count, seen = 0, set()
    while key not in seen:
        seen.add(key)
        answer = []
        for each in postfix_keys(key):
            for name in mq.POSTFIX_MAPS[map_name]:
                sql = mq.render(mq.load(name, database=session.bind.dialect.name), each)
                if sql is None:
                    continue  # Postfix does not send it
                count += 1
                rows = lookup(session, name, each)
                if rows:
                    answer = sorted(item for row in rows for item in row[0].split(","))
                    break
            if answer:
                break
        if len(answer) != 1:
            return answer, count
        key = answer[0]
    return [key], count


def test_one_probe_per_recipient_two_through_an_alias_domain(session, data):
    # The commonest lookup on the server: an ordinary mailbox.
    assert probes(session, "virtual_alias_maps", "jane@example.org") == (["jane@example.org"], 1)
    assert probes(session, "virtual_alias_maps", "team@example.org") == (["jane@example.org", "joe@example.org"], 1)
    # The catch-all's destination is then a recipient of its own (one probe).
    assert probes(session, "virtual_alias_maps", "nobody@example.org") == (["joe@example.org"], 2)
    assert lookup(session, "postfix-recipient", "nobody@example.org") == [("joe@example.org",)]
    assert probes(session, "virtual_alias_maps", "jane@example.net") == (["jane@example.org"], 2)
    assert lookup(session, "postfix-recipient", "team@example.net") == [("jane@example.org,joe@example.org",)]
    # A miss costs one probe too: the '@domain' key is never sent.
    assert probes(session, "virtual_alias_maps", "gone@example.org") == ([], 1)


def test_an_alias_on_a_mailbox_address_wins(session, actor, data):
    aliases.create_alias(session, actor, "jane@example.org", ["joe@example.org"])
    session.commit()
    assert postfix_map(session, "virtual_alias_maps", "jane@example.org") == ["joe@example.org"]
    assert postfix_map(session, "virtual_alias_maps", "jane@example.net") == ["joe@example.org"]
    assert postfix_map(session, "virtual_mailbox_maps", "jane@example.org") == ["jane@example.org"]


def test_sender_login_map(session, data):
    assert postfix_map(session, "smtpd_sender_login_maps", "jane@example.org") == ["jane@example.org"]
    assert postfix_map(session, "smtpd_sender_login_maps", "team@example.org") == [
        "jane@example.org",
        "joe@example.org",
    ]
    # The catch-all's owner may send as what it catches (and nothing more:
    # test_catchall_spares_a_disabled_mailbox_which_then_matches_nothing).
    assert postfix_map(session, "smtpd_sender_login_maps", "stranger@example.org") == ["joe@example.org"]
    assert postfix_map(session, "smtpd_sender_login_maps", "stranger@off.example") == []


def test_dovecot_queries(session, actor, data):
    [(user, password, via)] = lookup(session, "dovecot-password", "jane@example.org")
    assert user == "jane@example.org" and password.startswith("{ARGON2ID}$argon2id$") and via == "main"
    [(home, quota_rule, tempfail)] = lookup(session, "dovecot-user", "jane@example.org")
    maildir = mailboxes.get_mailbox(session, actor, "jane@example.org").maildir
    assert home == f"/var/vmail/{maildir}"
    assert quota_rule == f"*:bytes={1024**3}"
    assert tempfail is None  # a NULL field is no field: the user's lookup succeeds
    users = {row[0] for row in lookup(session, "dovecot-iterate", "")}
    assert users == {"jane@example.org", "joe@example.org"}


def test_an_empty_key_is_a_temporary_failure_without_an_sql_error(session, data):
    """Dovecot 2.3 puts '' where it could not escape %u (its connection still
    reconnecting). That key must not read as "user unknown" (no row: LMTP
    550, a bounce), nor fail the query (the driver then drops its connection,
    and the reconnect fails more escapes): the password queries answer two
    rows (Dovecot: "multiple matches", an internal failure), the user query
    one row with the userdb field tempfail."""
    for name in ("dovecot-password", "dovecot-app-password"):
        rows = lookup(session, name, "", password="1-secret")
        assert rows == [(None, None, None), (None, None, None)], name
        assert lookup(session, name, "nobody@example.org", password="1-secret") == []
    # The guard is the empty key alone: a real key answers its one row.
    assert len(lookup(session, "dovecot-password", "jane@example.org")) == 1
    assert lookup(session, "dovecot-user", "") == [(None, None, "yes")]
    assert lookup(session, "dovecot-user", "nobody@example.org") == []


def test_quotes_in_keys_are_escaped_not_executed(session, data):
    assert postfix_map(session, "virtual_mailbox_maps", "x' OR '1'='1@example.org") == []
    assert postfix_map(session, "virtual_mailbox_domains", "example.org' OR 'a'='a") == []


def test_postfix_suppresses_queries_it_cannot_expand():
    # pgsql_table(5): %u with an empty local part, %d without a domain.
    assert mq.render("SELECT '%u'", "@example.org") is None
    assert mq.render("SELECT '%d'", "nodomain") is None
    assert mq.render("SELECT '%s'", "o'neil@example.org") == "SELECT 'o''neil@example.org'"


def test_rows_created_in_a_disabled_domain_stay_invisible_until_enabled(session, actor, data):
    off = domains.get_domain(session, "off.example")
    mailboxes.create_mailbox(session, actor, "new@off.example", password="password-1")
    aliases.create_alias(session, actor, "list@off.example", ["new@off.example"])
    aliases.create_alias_domain(session, actor, "off.net", "off.example")
    session.commit()
    assert postfix_map(session, "virtual_mailbox_maps", "new@off.example") == []
    assert postfix_map(session, "virtual_alias_maps", "list@off.example") == []
    assert postfix_map(session, "virtual_alias_maps", "new@off.net") == []
    domains.set_domain_active(session, actor, off, True)
    session.commit()
    assert postfix_map(session, "virtual_mailbox_maps", "new@off.example") == ["new@off.example"]
    assert postfix_map(session, "virtual_mailbox_maps", "ann@off.example") == ["ann@off.example"]
    assert postfix_map(session, "virtual_alias_maps", "list@off.example") == ["new@off.example"]
    assert postfix_map(session, "virtual_alias_maps", "new@off.net") == ["new@off.example"]


def test_disabling_a_domain_hides_its_aliases_and_alias_domains(session, actor, data):
    domains.set_domain_active(session, actor, domains.get_domain(session, "example.org"), False)
    session.commit()
    assert postfix_map(session, "virtual_alias_maps", "team@example.org") == []
    assert postfix_map(session, "virtual_alias_maps", "@example.org") == []
    assert postfix_map(session, "virtual_alias_maps", "jane@example.net") == []
    assert lookup(session, "dovecot-password", "jane@example.org") == []


def test_changed_destinations_reach_the_lookup(session, actor, data):
    team = aliases.get_alias(session, actor, "team@example.org")
    aliases.update_alias(session, actor, team, destinations=["joe@example.org", "boss@elsewhere.net"])
    session.commit()
    assert postfix_map(session, "virtual_alias_maps", "team@example.org") == ["boss@elsewhere.net", "joe@example.org"]
    aliases.update_alias(session, actor, team, active=False)
    session.commit()
    # A disabled alias is no address at all: the catch-all takes it.
    assert postfix_map(session, "virtual_alias_maps", "team@example.org") == ["joe@example.org"]


def test_database_specific_forms_answer_exactly_as_the_portable_queries(session, actor, data):
    # PostgreSQL runs the recipient, catch-all, mailbox and alias maps through
    # cached-plan functions (migrations 0012, 0019, 0025); they must give the
    # rows the portable text gives, in every state the portable tests above cover.
    database = session.bind.dialect.name
    names = mq.overrides(database)
    # SQLite runs the portable text only.
    expected = ["postfix-aliases", "postfix-catchall", "postfix-mailboxes", "postfix-recipient"]
    assert names == (expected if database == "postgresql" else [])
    keys = [
        "jane@example.net",
        "team@example.net",
        "team@example.org",
        "nobody@example.net",
        "@example.net",
        "jane@example.org",
        "nobody@example.org",
        "gone@example.org",
        "gone@example.net",
        "@example.org",
        "ann@off.example",
        "nobody@off.example",
        "x' OR '1'='1@example.net",
        "x' OR '1'='1@example.org",
        "jane@off.net",
        "jane@unknown.net",
    ]
    aliases.create_alias_domain(session, actor, "off.net", "off.example")
    session.commit()

    def answers():
        return {
            (name, key): (
                sorted(lookup(session, name, key) or []),
                sorted(lookup(session, name, key, portable=True) or []),
            )
            for name in names
            for key in keys
        }

    for (name, key), (specific, portable) in answers().items():
        assert specific == portable, (name, key)
    assert database == "sqlite" or any(specific for specific, _ in answers().values())
    # Again with gone@ enabled: the catch-all forms spare a mailbox in both states.
    mailboxes.set_mailbox_active(session, actor, mailboxes.get_mailbox(session, actor, "gone@example.org"), True)
    session.commit()
    for (name, key), (specific, portable) in answers().items():
        assert specific == portable, (name, key)
    domains.set_domain_active(session, actor, domains.get_domain(session, "example.org"), False)
    session.commit()
    for (name, key), (specific, portable) in answers().items():
        assert specific == portable, (name, key)


def test_app_password_query_finds_one_row_by_the_id_in_front(session, actor, data):
    """Dovecot's second passdb: exactly the app password typed, for the
    protocol it was made for, while live (both databases, same text)."""
    from datetime import timedelta

    from panel.models import utcnow
    from panel.services import app_passwords

    jane = mailboxes.get_mailbox(session, actor, "jane@example.org")
    imap_only, secret = app_passwords.create(session, actor, jane, "phone", ["imap"])
    _, other = app_passwords.create(session, actor, jane, "laptop", ["imap", "smtp"])
    session.commit()

    def found(password, service="imap", key="jane@example.org"):
        return lookup(session, "dovecot-app-password", key, password=password, service=service)

    [(user, stored, via)] = found(secret)
    assert user == "jane@example.org" and stored.startswith("{SHA512-CRYPT}$6$") and via == str(imap_only.id)
    assert found(secret, "pop3") == [] and found(secret, "smtp") == []
    assert len(found(other, "smtp")) == 1  # its own row only, never two
    assert found(secret, key="joe@example.org") == []
    assert found("x' OR '1'='1") == [] and found("") == []
    imap_only.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert found(secret) == []
    app_passwords.revoke(session, actor, jane, app_passwords.get(session, actor, jane, other.split("-")[0]))
    session.commit()
    assert found(other, "smtp") == []
