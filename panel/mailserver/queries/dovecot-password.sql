-- Dovecot passdb password_query (user lower-cased by auth_username_format = %Lu).
SELECT address AS user, password FROM mailserver_mailboxes WHERE address = '%u'
