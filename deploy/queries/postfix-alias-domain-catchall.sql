-- virtual_alias_maps (5/5): anything else @alias-domain -> the target's catch-all.
-- Tried after (3) and (4), so it only catches what they did not.
SELECT a.destination FROM mailserver_alias_domains ad JOIN mailserver_aliases a ON a.address = '@' || ad.target WHERE ad.name = '%d'
