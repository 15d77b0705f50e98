-- virtual_alias_maps (1/5): aliases; the '@domain' key finds a catch-all.
-- The destinations come comma-joined in one row (aliases.goto), which
-- Postfix reads as a list. Also smtpd_sender_login_maps: the mailboxes an
-- alias delivers to may send as it.
SELECT destination FROM mailserver_aliases WHERE address = '%s'
