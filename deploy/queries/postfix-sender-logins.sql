-- smtpd_sender_login_maps: who may send as this address: the mailbox
-- itself, and the mailboxes an alias of that address delivers to.
SELECT address FROM mailserver_mailboxes WHERE address = '%s' UNION SELECT destination FROM mailserver_aliases WHERE address = '%s'
