-- PostgreSQL form of postfix-aliases.sql (same rows): a PL/pgSQL function
-- whose inner plan stays cached per connection, the call that reads the
-- domain's own flag included (migration 0025). '%u', '%d' as in the
-- portable form: Postfix suppresses the query for the '@domain' key.
SELECT mailserver_alias('%u', '%d')
