-- Dovecot userdb user_query. {{mail_root}} is replaced when the config is
-- written (deploy/mailstack); uid/gid come from mail_uid/mail_gid.
SELECT '{{mail_root}}/' || maildir AS home, quota_rule FROM mailserver_mailboxes WHERE address = '%u'
