-- Dovecot passdb password_query (user lower-cased by auth_username_format = %Lu).
-- userdb_login_via names the password used, for the last_login plugin's key.
-- The length() division fails the query when the key is empty: Dovecot 2.3's
-- pgsql driver substitutes '' for %u when it cannot escape it (its connection
-- still reconnecting after a database restart), and an empty key must be an
-- error (LMTP 451, a temporary login failure), never "user unknown" (550).
SELECT address AS user, password, 'main' AS userdb_login_via FROM mailserver_mailboxes WHERE address = '%u' AND length('%u') / length('%u') = 1
