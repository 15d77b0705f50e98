-- Dovecot userdb user_query. {{mail_root}} is replaced when the config is
-- written (deploy/mailstack); uid/gid come from mail_uid/mail_gid.
-- An empty key answers one row with the userdb field "tempfail", which
-- Dovecot takes as a temporary failure (LMTP 451), never "user unknown"
-- (550): Dovecot 2.3's pgsql driver substitutes '' for %u when it cannot
-- escape it (its connection still reconnecting after a database restart).
-- Not an SQL error: the driver treats any failed query as a lost connection
-- and reconnects, and every reconnect made more escapes fail, a loop that
-- kept deliveries and logins failing for minutes after the database was back.
-- A NULL field is no field, so a real user's row sets no tempfail.
SELECT '{{mail_root}}/' || maildir AS home, quota_rule, NULL AS tempfail FROM mailserver_mailboxes WHERE address = '%u'
UNION ALL SELECT NULL, NULL, 'yes' WHERE '%u' = ''
