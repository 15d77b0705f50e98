-- virtual_alias_maps (5/5): anything else @alias-domain -> the target's catch-all.
-- Tried after (3) and (4), so it only catches what they did not.
SELECT destination FROM mailserver_aliases WHERE address = '@' || (SELECT target FROM mailserver_alias_domains WHERE name = '%d')
