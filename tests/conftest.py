"""Every fixture of the suite, registered once for every test.

Each lives in a plugin module named below; a test asks for a fixture by
name and never imports one. What a test calls (logging in as a role,
posting with CSRF, API bearer headers) is in tests/helpers.py.

Every test runs on real PostgreSQL and real SQLite (``database_url`` is
parametrized). Tests that need the real Postfix and Dovecot live under
tests/e2e/, whose conftest points ``database_url`` at a database the mail
servers can reach (see tests/mailstack_fixture.py).
"""

pytest_plugins = [
    "tests.fixtures.databases",  # database_url (PostgreSQL, SQLite), backend
    "tests.fixtures.app",  # app, session, actor, client, runner, cli
    "tests.fixtures.world",  # world: two domains, one admin per role, mailboxes, aliases
    "tests.fixtures.api",  # api_tokens: an API token per role
    "tests.fixtures.queue",  # fake_queue, queue_app, queue_superadmin
    "tests.fixtures.logs",  # log_files
    "tests.fixtures.dns",  # dns_server: nsd on a loopback port, serving the zones a test writes; silent_dns
    "tests.fixtures.traffic",  # worlds_logs, ingest
    "tests.fixtures.browser",  # chromium, live_server, panel
    "tests.mailstack_fixture",  # mail_database_url, mailstack, mail, new_mailbox
]
