"""CSV import and export of mailboxes, shared by the CLI, the web and the API.

``csvfile`` reads a hostile file into line-numbered records, ``importer``
validates every row with the services' rules and then writes in one
transaction, ``hashing`` hashes plain passwords on all cores, ``exporter``
streams the same columns back out.
"""
