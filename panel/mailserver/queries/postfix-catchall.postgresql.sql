-- PostgreSQL form of postfix-catchall.sql (same rows): a PL/pgSQL function
-- whose plans stay cached per connection; it looks the catch-all up first,
-- so a domain without one costs a single probe (migration 0012).
SELECT mailserver_catchall_destination('%u', '%d')
