-- virtual_mailbox_domains (1/2): a hosted domain, active or not. smtpd
-- caches an address's class (local/relay) per process, so the class must
-- not flip with the active flag (re-enabling would keep answering 554 for
-- a while); a disabled domain is refused by the mailbox and alias lookups,
-- which filter on active (migration 0004).
SELECT name FROM mailserver_local_domains WHERE name = '%s'
