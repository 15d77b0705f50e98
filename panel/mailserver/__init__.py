"""Adapters to the mail servers the panel manages, one module per way in.

- :mod:`.queries`: the SQL Postfix and Dovecot run (``queries/*.sql``, the
  single source deploy/mailstack writes into their configuration);
- :mod:`.tools`: running ``postqueue``/``postsuper``/``postcat`` safely;
- :mod:`.queue`: reading ``postqueue -j`` into pages;
- :mod:`.maillog`: reading the mail logs (tail, follow, a message's journey);
- :mod:`.maildirs`: listing mail homes on disk (read only).

Nothing here touches the panel's database or Flask: deploy/mailstack
imports :mod:`.queries` with the system Python, before any virtualenv exists.
"""
