-- virtual_mailbox_domains (2/2): an active alias domain is local too;
-- its addresses are rewritten by virtual_alias_maps.
SELECT name FROM mailserver_alias_domains WHERE name = '%s'
