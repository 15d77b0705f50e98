-- smtpd_sender_login_maps (3/3): the catch-all's owner may send as what it
-- catches, never as a mailbox in any state: for a disabled mailbox the
-- '@domain' key would have named the catch-all's owner (migration 0012).
-- Asked with the full address; the '@domain' key itself is suppressed (%u
-- is empty). virtual_alias_maps applies the same rule in postfix-recipient.sql.
SELECT destination FROM mailserver_aliases WHERE address = '@%d' AND NOT EXISTS (SELECT 1 FROM mailserver_mailbox_addresses WHERE address = '%u@%d')
