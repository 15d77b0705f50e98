-- virtual_alias_maps (1/5): aliases; the '@domain' key finds a catch-all.
-- One row per destination; Postfix joins them with commas.
SELECT destination FROM mailserver_aliases WHERE address = '%s'
