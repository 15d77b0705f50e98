-- virtual_alias_maps (6/6): anything else @domain -> the domain's catch-all,
-- unless the address is a mailbox in any state: a disabled mailbox then
-- matches nothing and is refused at RCPT (550), where the '@domain' key
-- would have handed its mail to the catch-all (migration 0012). Asked with
-- the full address; the '@domain' key itself is suppressed (%u is empty).
-- Also smtpd_sender_login_maps: the catch-all's owner may send as what it
-- catches, never as a mailbox.
SELECT destination FROM mailserver_aliases WHERE address = '@%d' AND NOT EXISTS (SELECT 1 FROM mailserver_mailbox_addresses WHERE address = '%u@%d')
