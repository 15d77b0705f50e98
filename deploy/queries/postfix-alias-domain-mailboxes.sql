-- virtual_alias_maps (3/5): x@alias-domain -> x@target when that mailbox exists.
SELECT m.address FROM mailserver_alias_domains ad JOIN mailserver_mailboxes m ON m.domain = ad.target WHERE ad.name = '%d' AND m.local_part = '%u'
