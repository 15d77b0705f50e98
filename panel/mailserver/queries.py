"""The SQL that Postfix and Dovecot run, read from queries/ beside this file.

That directory is the single source: deploy/mailstack writes it into the
Postfix map files and Dovecot's SQL config, and the tests and benchmarks
run the very same text through :func:`render`, which expands the
placeholders the way the servers do (values SQL-quoted).

``NAME.sql`` runs on both databases; ``NAME.postgresql.sql``, where there is
one, replaces it on PostgreSQL with a form that gives the same rows faster
(the tests hold both to the same answers).
"""

from __future__ import annotations

from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent / "queries"

# Postfix map name -> query files, in the order main.cf lists them.
POSTFIX_MAPS = {
    "virtual_mailbox_domains": ["postfix-domains", "postfix-alias-domains"],
    "virtual_mailbox_maps": ["postfix-mailboxes"],
    # One probe per recipient (migration 0019): the alias, else the active
    # mailbox itself (its lookups end here), else the catch-all for what is
    # no mailbox in any state (migration 0012), else the same at an alias
    # domain's target. The '@domain' key is never asked (%u is empty).
    "virtual_alias_maps": ["postfix-recipient"],
    # Who may send as an address: the mailbox itself; else the mailboxes its
    # alias delivers to; else the catch-all's owner, for an address that is
    # no mailbox. One-table maps where they can be (Postfix takes the first
    # that answers) rather than one UNION: each stays a single index probe.
    "smtpd_sender_login_maps": ["postfix-mailboxes", "postfix-aliases", "postfix-catchall"],
}
DOVECOT_QUERIES = ("dovecot-password", "dovecot-app-password", "dovecot-user", "dovecot-iterate")
DATABASES = ("postgresql", "sqlite")


def load(name: str, mail_root: str | None = None, database: str | None = None) -> str:
    """The query text without its comment lines, on one line: the form for
    ``database`` ("postgresql" or "sqlite"; None: the portable one)."""
    path = QUERY_DIR / f"{name}.sql"
    if database is not None:
        if database not in DATABASES:
            raise ValueError(f"unknown database {database!r}")
        if (QUERY_DIR / f"{name}.{database}.sql").exists():
            path = QUERY_DIR / f"{name}.{database}.sql"
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.lstrip().startswith("--")]
    sql = " ".join(line.strip() for line in lines)
    if mail_root is not None:
        sql = sql.replace("{{mail_root}}", mail_root.rstrip("/"))
    return sql


def _quote(value: str) -> str:
    return value.replace("'", "''")


def render(sql: str, key: str, dialect: str = "postfix", *, password: str = "", service: str = "imap") -> str | None:
    """Expand %s/%u/%d (and %n, %w, %s for Dovecot) as the server would.

    Returns None where Postfix suppresses the query: %u with an empty
    local part, or %u/%d for a key without '@' (pgsql_table(5)). For
    Dovecot, %w is the password typed and %s the service (imap, pop3, smtp).
    """
    local, at, domain = key.partition("@")
    values = {"s": key, "u": local if at else key, "d": domain, "n": local}
    if dialect == "dovecot":
        values.update(u=key, w=password, s=service)
    out, i = [], 0
    while i < len(sql):
        ch = sql[i]
        if ch == "%" and i + 1 < len(sql):
            code = sql[i + 1]
            if code == "%":
                out.append("%")
            elif code in values:
                if dialect == "postfix" and code == "u" and at and not local:
                    return None
                if dialect == "postfix" and code == "d" and not at:
                    return None
                out.append(_quote(values[code]))
            else:
                out.append(sql[i : i + 2])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def query_names() -> list[str]:
    """Every query, by its portable name."""
    return sorted(p.stem for p in Path(QUERY_DIR).glob("*.sql") if "." not in p.stem)


def overrides(database: str) -> list[str]:
    """Queries that have their own form on ``database``."""
    return sorted(p.name.split(".")[0] for p in Path(QUERY_DIR).glob(f"*.{database}.sql"))
