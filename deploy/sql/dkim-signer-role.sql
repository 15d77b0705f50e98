-- The PostgreSQL role OpenDKIM logs in as (run by `deploy/mailstack
-- configure` through psql, connected as the panel's database owner; psql
-- variables: role, password).
--
-- It may read the dkim_signing view (migration 0016: domain, selector and
-- private key of each active key) and nothing else. The mail servers' role
-- (mailserver-role.sql) is never granted that view, so Postfix and Dovecot
-- cannot read a private key. Idempotent, like mailserver-role.sql.
\set ON_ERROR_STOP 1
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION
  PASSWORD :'password';
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'role') \gexec
GRANT USAGE ON SCHEMA public TO :"role";
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"role";
GRANT SELECT ON dkim_signing TO :"role";
