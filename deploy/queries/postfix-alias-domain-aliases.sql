-- virtual_alias_maps (4/5): x@alias-domain -> the destinations of alias x@target.
SELECT a.destination FROM mailserver_alias_domains ad JOIN mailserver_aliases a ON a.address = '%u' || '@' || ad.target WHERE ad.name = '%d'
