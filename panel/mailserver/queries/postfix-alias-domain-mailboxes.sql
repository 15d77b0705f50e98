-- virtual_alias_maps (3/6): x@alias-domain -> x@target when that mailbox exists.
-- Nested lookups by unique key instead of a join: PostgreSQL plans each
-- Postfix query afresh, and a join search costs more than the lookups.
SELECT address FROM mailserver_mailboxes WHERE address = '%u@' || (SELECT target FROM mailserver_alias_domains WHERE name = '%d')
