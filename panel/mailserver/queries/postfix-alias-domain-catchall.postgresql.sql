-- PostgreSQL form of postfix-alias-domain-catchall.sql (same rows): an
-- empty local part asks for '@target' (migration 0008).
SELECT mailserver_alias_domain_destination('', '%d')
