from panel.services import domains, mailboxes


def test_create_domain_and_mailbox(session, actor):
    domain = domains.create_domain(session, actor, "Example.org")
    mailbox = mailboxes.create_mailbox(session, actor, "Bob@Example.org", password="secret123")
    session.commit()
    assert domain.name == "example.org"
    assert mailbox.address == "bob@example.org"
    assert domain.mailbox_count == 1
