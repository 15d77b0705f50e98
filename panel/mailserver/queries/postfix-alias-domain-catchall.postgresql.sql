-- PostgreSQL form of postfix-alias-domain-catchall.sql (same rows): the
-- alias domain's target, then mailserver_catchall_destination there
-- (migration 0012).
SELECT mailserver_alias_domain_catchall('%u', '%d')
