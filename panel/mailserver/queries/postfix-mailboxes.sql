-- virtual_mailbox_maps: an active mailbox in an active domain. Also
-- smtpd_sender_login_maps (a mailbox may send as itself): see POSTFIX_MAPS
-- in panel/mailserver/queries.py. virtual_alias_maps has its own
-- self-map in postfix-recipient.sql.
SELECT address FROM mailserver_mailboxes WHERE address = '%s'
