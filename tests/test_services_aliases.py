import pytest
from sqlalchemy import select

from panel.models import AliasDestination, AuditEvent, Domain, Role
from panel.services import Actor, Conflict, Forbidden, NotFound, ServiceError, aliases, domains, mailboxes


@pytest.fixture
def domain(session, actor):
    d = domains.create_domain(session, actor, "example.org")
    session.commit()
    return d


def test_alias_with_several_destinations(session, actor, domain):
    alias = aliases.create_alias(session, actor, "Team@Example.org", "A@example.org, b@Other.net; c@example.org")
    session.commit()
    assert alias.address == "team@example.org"
    assert [d.destination for d in alias.destinations] == ["a@example.org", "b@other.net", "c@example.org"]


def test_duplicate_destinations_are_merged(session, actor, domain):
    alias = aliases.create_alias(session, actor, "x@example.org", ["a@example.org", "A@EXAMPLE.org"])
    assert [d.destination for d in alias.destinations] == ["a@example.org"]


def test_alias_cannot_point_only_to_itself(session, actor, domain):
    with pytest.raises(ServiceError) as err:
        aliases.create_alias(session, actor, "x@example.org", ["X@example.org"])
    assert "destinations" in err.value.fields
    # ...but itself plus another destination is a forwarding that keeps a copy.
    aliases.create_alias(session, actor, "x@example.org", ["x@example.org", "y@other.net"])


def test_update_cannot_make_an_alias_point_only_to_itself(session, actor, domain):
    alias = aliases.create_alias(session, actor, "x@example.org", ["y@other.net"])
    session.commit()
    with pytest.raises(ServiceError):
        aliases.update_alias(session, actor, alias, destinations=["x@example.org"])


def test_destinations_are_validated(session, actor, domain):
    for bad in ([], "", ["not an address"], ["a@b"], ["@example.org"], ["x\r\n@example.org"]):
        with pytest.raises(ServiceError) as err:
            aliases.create_alias(session, actor, "x@example.org", bad)
        assert "destinations" in err.value.fields


def test_catchall(session, actor, domain):
    alias = aliases.create_alias(session, actor, "@example.org", ["postmaster@example.org"])
    assert alias.is_catchall and alias.address == "@example.org"
    with pytest.raises(Conflict):
        aliases.create_alias(session, actor, "@EXAMPLE.org", ["other@example.org"])


def test_alias_on_a_mailbox_address_is_a_forwarding(session, actor, domain):
    mailboxes.create_mailbox(session, actor, "jane@example.org", password="password-1")
    alias = aliases.create_alias(session, actor, "jane@example.org", ["jane@example.org", "jane@home.net"])
    assert alias.address == "jane@example.org"


def test_max_aliases_counts_catchall_too(session, actor):
    domains.create_domain(session, actor, "example.org", max_aliases=1)
    aliases.create_alias(session, actor, "@example.org", ["a@x.org"])
    session.commit()
    with pytest.raises(Conflict):
        aliases.create_alias(session, actor, "b@example.org", ["a@x.org"])


def test_delete_alias_frees_slot_and_destinations(session, actor, domain):
    alias = aliases.create_alias(session, actor, "x@example.org", ["a@x.org", "b@x.org"])
    session.commit()
    aliases.delete_alias(session, actor, alias)
    session.commit()
    assert session.scalars(select(AliasDestination)).all() == []
    assert session.get(Domain, domain.id).alias_count == 0


def test_update_destinations_and_audit(session, actor, domain):
    alias = aliases.create_alias(session, actor, "x@example.org", ["a@x.org", "b@x.org"])
    session.commit()
    aliases.update_alias(session, actor, alias, destinations=["b@x.org", "c@x.org"], active=False)
    session.commit()
    session.expire_all()
    alias = aliases.get_alias(session, actor, "x@example.org")
    assert sorted(d.destination for d in alias.destinations) == ["b@x.org", "c@x.org"]
    assert alias.active is False
    assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "alias.update"


def test_alias_in_unknown_or_alias_domain_is_refused(session, actor, domain):
    with pytest.raises(NotFound):
        aliases.create_alias(session, actor, "x@unknown.org", ["a@x.org"])
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    with pytest.raises(ServiceError):
        aliases.create_alias(session, actor, "x@example.net", ["a@x.org"])


def test_domain_admin_scope_for_aliases(session, actor, domain):
    domains.create_domain(session, actor, "other.org")
    session.commit()
    admin = Actor("dom", Role.DOMAINADMIN, frozenset({domain.id}))
    aliases.create_alias(session, admin, "x@example.org", ["anyone@anywhere.net"])
    # Another tenant's domain is as absent as one nobody hosts.
    with pytest.raises(NotFound):
        aliases.create_alias(session, admin, "x@other.org", ["a@x.org"])
    # Only a superadmin brings a name into the server, whatever the target.
    for target in ("other.org", "example.org"):
        with pytest.raises(Forbidden):
            aliases.create_alias_domain(session, admin, "other.net", target)
    helpdesk = Actor("help", Role.HELPDESK, None)
    with pytest.raises(Forbidden):
        aliases.create_alias(session, helpdesk, "y@example.org", ["a@x.org"])


def test_alias_domain_rules(session, actor, domain):
    with pytest.raises(ServiceError):
        aliases.create_alias_domain(session, actor, "example.org", "example.org")
    domains.create_domain(session, actor, "hosted.org")
    with pytest.raises(Conflict):
        aliases.create_alias_domain(session, actor, "hosted.org", "example.org")
    with pytest.raises(NotFound):
        aliases.create_alias_domain(session, actor, "example.net", "unknown.org")
    ad = aliases.create_alias_domain(session, actor, "Example.NET", "example.org")
    session.commit()
    assert ad.name == "example.net" and ad.target.name == "example.org"
    with pytest.raises(Conflict):
        aliases.create_alias_domain(session, actor, "example.net", "hosted.org")
    aliases.set_alias_domain_active(session, actor, ad, False)
    aliases.delete_alias_domain(session, actor, ad)
    session.commit()


def _missing(call, name: str) -> str:
    """What asking for ``name`` is told, with the name written as NAME."""
    with pytest.raises(NotFound) as refused:
        call(name)
    return str(refused.value).replace(name, "NAME")


def test_another_tenants_alias_and_alias_domain_are_missing_word_for_word(session, actor, domain):
    domains.create_domain(session, actor, "other.org")
    aliases.create_alias(session, actor, "x@other.org", ["a@x.org"])
    aliases.create_alias_domain(session, actor, "other.net", "other.org")
    session.commit()
    admin = Actor("dom", Role.DOMAINADMIN, frozenset({domain.id}))
    get_alias = lambda address: aliases.get_alias(session, admin, address)  # noqa: E731
    assert _missing(get_alias, "x@other.org") == _missing(get_alias, "x@nowhere.org") == "address: no alias NAME"
    get_alias_domain = lambda name: aliases.get_alias_domain(session, admin, name)  # noqa: E731
    assert _missing(get_alias_domain, "other.net") == _missing(get_alias_domain, "nowhere.net")
    assert _missing(get_alias_domain, "other.net") == "name: no alias domain NAME"


def test_the_helpdesk_is_refused_its_own_domains_aliases(session, actor, domain):
    """Aliases are the managers': the helpdesk finds mailboxes only, even
    through a caller that forgot the view's declaration."""
    aliases.create_alias(session, actor, "x@example.org", ["a@x.org"])
    aliases.create_alias_domain(session, actor, "example.net", "example.org")
    session.commit()
    helpdesk = Actor("help", Role.HELPDESK, frozenset({domain.id}))
    with pytest.raises(Forbidden):
        aliases.get_alias(session, helpdesk, "x@example.org")
    with pytest.raises(Forbidden):
        aliases.get_alias_domain(session, helpdesk, "example.net")


def test_changing_an_alias_checks_the_actor_again(session, actor, domain):
    """update/delete take an alias row, however the caller found it: each
    checks the actor itself, and a refusal changes nothing."""
    alias = aliases.create_alias(session, actor, "x@example.org", ["a@x.org"])
    alias_domain = aliases.create_alias_domain(session, actor, "example.net", "example.org")
    session.commit()
    other = domains.create_domain(session, actor, "other.org")
    for who in (
        Actor("help", Role.HELPDESK, frozenset({domain.id})),
        Actor("o", Role.DOMAINADMIN, frozenset({other.id})),
    ):
        with pytest.raises((Forbidden, NotFound)):
            aliases.update_alias(session, who, alias, destinations=["b@x.org"])
        with pytest.raises((Forbidden, NotFound)):
            aliases.delete_alias(session, who, alias)
        with pytest.raises((Forbidden, NotFound)):
            aliases.set_alias_domain_active(session, who, alias_domain, False)
        with pytest.raises((Forbidden, NotFound)):
            aliases.delete_alias_domain(session, who, alias_domain)
    session.commit()
    assert [d.destination for d in aliases.get_alias(session, actor, "x@example.org").destinations] == ["a@x.org"]
    assert aliases.get_alias_domain(session, actor, "example.net").active
