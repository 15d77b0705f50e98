-- smtpd_sender_login_maps: who may send as this address: the mailbox
-- itself, and the mailboxes an alias of that address delivers to.
-- UNION ALL: a repeated login name is harmless, a de-duplication step is not free.
SELECT address FROM mailserver_mailboxes WHERE address = '%s' UNION ALL SELECT destination FROM mailserver_aliases WHERE address = '%s'
