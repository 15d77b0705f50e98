-- virtual_mailbox_maps: an active mailbox in an active domain. Also in
-- virtual_alias_maps (2/6: an active mailbox maps to itself, which ends the
-- search at the second lookup) and smtpd_sender_login_maps (a mailbox may
-- send as itself): see POSTFIX_MAPS in panel/mailserver/queries.py.
SELECT address FROM mailserver_mailboxes WHERE address = '%s'
