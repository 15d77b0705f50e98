-- PostgreSQL form of postfix-alias-domain-mailboxes.sql (same rows): a
-- PL/pgSQL function whose inner plan is cached per connection, where the
-- plain query would be planned afresh for every lookup (migration 0008).
SELECT mailserver_alias_domain_mailbox('%u', '%d')
