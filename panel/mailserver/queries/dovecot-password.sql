-- Dovecot passdb password_query (user lower-cased by auth_username_format = %Lu).
-- userdb_login_via names the password used, for the last_login plugin's key.
-- An empty key answers two rows, which Dovecot takes as an internal failure
-- ("returned multiple matches": a temporary login failure, LMTP 451), never
-- "user unknown" (550): Dovecot 2.3's pgsql driver substitutes '' for %u when
-- it cannot escape it (its connection still reconnecting after a database
-- restart). Not an SQL error: the driver treats any failed query as a lost
-- connection and reconnects, and every reconnect made more escapes fail, a
-- loop that kept logins failing for minutes after the database was back.
SELECT address AS user, password, 'main' AS userdb_login_via FROM mailserver_mailboxes WHERE address = '%u'
UNION ALL SELECT NULL, NULL, NULL WHERE '%u' = ''
UNION ALL SELECT NULL, NULL, NULL WHERE '%u' = ''
