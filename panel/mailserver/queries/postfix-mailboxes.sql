-- virtual_mailbox_maps: an active mailbox in an active domain. Also in
-- virtual_alias_maps (a mailbox maps to itself, so a catch-all never takes
-- its mail) and smtpd_sender_login_maps (a mailbox may send as itself):
-- see POSTFIX_MAPS in panel/mailserver/queries.py.
SELECT address FROM mailserver_mailboxes WHERE address = '%s'
