-- virtual_alias_maps, the whole list in one probe (migration 0019): where
-- does local@domain go? In order of precedence: the alias at the address
-- (an alias on a mailbox's address wins); else the active mailbox itself
-- (a self-map, where Postfix stops expanding); else the domain's catch-all,
-- unless the address is a mailbox in any state (a disabled mailbox matches
-- nothing and is refused at RCPT: migration 0012); else, for an active alias
-- domain, the same three at local@target (a mailbox there answers
-- local@target, whose own lookup is the second and last probe). %u, not %s:
-- Postfix suppresses the query for the '@domain' key (empty local part).
-- COALESCE evaluates its subqueries in order and stops at the first answer;
-- MATERIALIZED keeps SQLite from copying it into the WHERE (twice the work).
WITH recipient(answer) AS MATERIALIZED (SELECT COALESCE(
  (SELECT destination FROM mailserver_aliases WHERE address = '%u@%d'),
  (SELECT address FROM mailserver_mailboxes WHERE address = '%u@%d'),
  (SELECT destination FROM mailserver_aliases WHERE address = '@%d' AND NOT EXISTS (SELECT 1 FROM mailserver_mailbox_addresses WHERE address = '%u@%d')),
  (SELECT COALESCE(
     (SELECT destination FROM mailserver_aliases WHERE address = '%u@' || ad.target),
     (SELECT address FROM mailserver_mailboxes WHERE address = '%u@' || ad.target),
     (SELECT destination FROM mailserver_aliases WHERE address = '@' || ad.target AND NOT EXISTS (SELECT 1 FROM mailserver_mailbox_addresses WHERE address = '%u@' || ad.target)))
   FROM mailserver_alias_domains ad WHERE ad.name = '%d')
)) SELECT answer FROM recipient WHERE answer IS NOT NULL
