-- smtpd_sender_login_maps: the mailboxes an alias delivers to may send as
-- it (virtual_alias_maps asks postfix-recipient.sql). The destinations come
-- comma-joined in one row (aliases.goto), which Postfix reads as a list.
-- '%u@%d', not '%s': Postfix suppresses the query for the '@domain' key
-- (empty local part), so a catch-all row is never found here; the catch-all
-- is postfix-catchall.sql, which spares every mailbox (migration 0012).
SELECT destination FROM mailserver_aliases WHERE address = '%u@%d'
