-- virtual_alias_maps (5/6): anything else @alias-domain -> the target's
-- catch-all, unless x@target is a mailbox in any state (a disabled one is
-- refused, as in postfix-catchall.sql). Tried after (3) and (4), so it only
-- catches what they did not; %u keeps the '@alias-domain' key out.
SELECT destination FROM mailserver_aliases WHERE address = '@' || (SELECT target FROM mailserver_alias_domains WHERE name = '%d') AND NOT EXISTS (SELECT 1 FROM mailserver_mailbox_addresses WHERE address = '%u@' || (SELECT target FROM mailserver_alias_domains WHERE name = '%d'))
