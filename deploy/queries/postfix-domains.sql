-- virtual_mailbox_domains (1/2): an active hosted domain.
SELECT name FROM mailserver_domains WHERE name = '%s'
