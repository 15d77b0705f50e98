-- The PostgreSQL role Postfix and Dovecot log in as (run by
-- `deploy/mailstack configure` through psql, connected as the panel's
-- database owner; psql variables: role, password).
--
-- It may read the mail-server views and nothing else, plus read/write the
-- quota_usage rows Dovecot's quota_clone keeps (INSERT ... ON CONFLICT needs
-- SELECT, INSERT and UPDATE). Idempotent: safe to run again after a
-- migration added a view, or against another database of the same cluster.
\set ON_ERROR_STOP 1
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION
  PASSWORD :'password';
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'role') \gexec
GRANT USAGE ON SCHEMA public TO :"role";
-- Whatever the role held here before (an older layout) is taken back first.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"role";
SELECT format('GRANT SELECT ON %I.%I TO %I', schemaname, viewname, :'role')
  FROM pg_views
 WHERE schemaname = 'public' AND viewname LIKE 'mailserver\_%' \gexec
GRANT SELECT, INSERT, UPDATE ON quota_usage TO :"role";
-- Dovecot's last_login plugin writes the last login of each address.
GRANT SELECT, INSERT, UPDATE ON last_logins TO :"role";
-- The lookup functions (alias domains: migration 0008; catch-alls: 0012).
-- Most have invoker's rights, so they read only what the views above let
-- the role read. The domain gate (0025), the recipient map and the mailbox
-- map (0026) run with their owner's rights: each answers for one key
-- exactly what the views would, no more.
SELECT format('GRANT EXECUTE ON FUNCTION %s TO %I', p.oid::regprocedure, :'role')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND p.proname LIKE 'mailserver\_%' \gexec
