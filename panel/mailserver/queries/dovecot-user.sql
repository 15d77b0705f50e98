-- Dovecot userdb user_query. {{mail_root}} is replaced when the config is
-- written (deploy/mailstack); uid/gid come from mail_uid/mail_gid.
-- The length() division fails the query when the key is empty: Dovecot 2.3's
-- pgsql driver substitutes '' for %u when it cannot escape it (its connection
-- still reconnecting after a database restart), and an empty key must be an
-- error (LMTP 451, a temporary login failure), never "user unknown" (550).
SELECT '{{mail_root}}/' || maildir AS home, quota_rule FROM mailserver_mailboxes WHERE address = '%u' AND length('%u') / length('%u') = 1
