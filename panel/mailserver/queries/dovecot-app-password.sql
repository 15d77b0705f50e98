-- Dovecot's second passdb: an app password (panel/models/mailbox_user.py).
-- The secret is "<id>-<random>": the row is found by the id in front (a
-- passdb lookup must return at most one row), and Dovecot checks the whole
-- text against the stored {SCHEME}hash itself, so no hashing happens in
-- SQL (which SQLite could not do). Only for the protocols it was made for
-- (%s: imap, pop3, smtp), until it expires or is revoked; the view holds
-- only those of active mailboxes in active domains.
-- An empty key answers two rows, which Dovecot takes as an internal failure
-- ("returned multiple matches": a temporary login failure, LMTP 451), never
-- "user unknown" (550): Dovecot 2.3's pgsql driver substitutes '' for %u when
-- it cannot escape it (its connection still reconnecting after a database
-- restart). Not an SQL error: the driver treats any failed query as a lost
-- connection and reconnects, and every reconnect made more escapes fail, a
-- loop that kept logins failing for minutes after the database was back.
SELECT username AS user, secret_hash AS password, CAST(id AS TEXT) AS userdb_login_via FROM mailserver_app_passwords WHERE username = '%u' AND '%w' LIKE CAST(id AS TEXT) || '-%%' AND protocols LIKE '%%,%s,%%' AND (expires_at IS NULL OR expires_at > CURRENT_TIMESTAMP)
UNION ALL SELECT NULL, NULL, NULL WHERE '%u' = ''
UNION ALL SELECT NULL, NULL, NULL WHERE '%u' = ''
