-- Dovecot's second passdb: an app password (panel/models/mailbox_user.py).
-- The secret is "<id>-<random>": the row is found by the id in front (a
-- passdb lookup must return at most one row), and Dovecot checks the whole
-- text against the stored {SCHEME}hash itself, so no hashing happens in
-- SQL (which SQLite could not do). Only for the protocols it was made for
-- (%s: imap, pop3, smtp), until it expires or is revoked; the view holds
-- only those of active mailboxes in active domains.
SELECT username AS user, secret_hash AS password, CAST(id AS TEXT) AS userdb_login_via FROM mailserver_app_passwords WHERE username = '%u' AND '%w' LIKE CAST(id AS TEXT) || '-%%' AND protocols LIKE '%%,%s,%%' AND (expires_at IS NULL OR expires_at > CURRENT_TIMESTAMP)
