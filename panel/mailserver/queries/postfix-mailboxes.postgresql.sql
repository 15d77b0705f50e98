-- PostgreSQL form of postfix-mailboxes.sql (same rows): a PL/pgSQL function
-- whose inner plan stays cached per connection, the call that reads the
-- domain's own flag included (migration 0025), so Postfix's unprepared
-- statement is planned as a bare function call.
SELECT mailserver_mailbox('%s')
