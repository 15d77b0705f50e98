-- virtual_mailbox_domains (2/2): an alias domain is local too, active or
-- not (see postfix-domains.sql); its addresses are rewritten by
-- virtual_alias_maps only while it and its target are active.
SELECT name FROM mailserver_local_alias_domains WHERE name = '%s'
