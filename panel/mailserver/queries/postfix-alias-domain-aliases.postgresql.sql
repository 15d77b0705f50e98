-- PostgreSQL form of postfix-alias-domain-aliases.sql (same rows; see
-- postfix-alias-domain-mailboxes.postgresql.sql and migration 0008).
SELECT mailserver_alias_domain_destination('%u', '%d')
