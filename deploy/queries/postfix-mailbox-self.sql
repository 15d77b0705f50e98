-- virtual_alias_maps (2/5): a mailbox maps to itself, so a domain's
-- catch-all ('@domain', tried later) never takes its mail.
SELECT address FROM mailserver_mailboxes WHERE address = '%s'
