-- virtual_mailbox_maps: an active mailbox in an active domain.
SELECT address FROM mailserver_mailboxes WHERE address = '%s'
