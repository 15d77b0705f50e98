-- PostgreSQL form of postfix-recipient.sql (same rows): a PL/pgSQL function
-- whose inner plans stay cached per connection, so Postfix's unprepared
-- statement is planned as a bare function call (migration 0019).
SELECT mailserver_recipient('%u', '%d')
