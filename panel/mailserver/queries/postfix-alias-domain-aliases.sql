-- virtual_alias_maps (4/6): x@alias-domain -> the destinations of alias x@target
-- (a nested lookup, not a join: see postfix-alias-domain-mailboxes.sql).
SELECT destination FROM mailserver_aliases WHERE address = '%u@' || (SELECT target FROM mailserver_alias_domains WHERE name = '%d')
