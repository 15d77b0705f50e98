-- Dovecot passdb password_query (user lower-cased by auth_username_format = %Lu).
-- userdb_login_via names the password used, for the last_login plugin's key.
SELECT address AS user, password, 'main' AS userdb_login_via FROM mailserver_mailboxes WHERE address = '%u'
