-- Dovecot userdb iterate_query (doveadm -A).
SELECT address AS user FROM mailserver_mailboxes
