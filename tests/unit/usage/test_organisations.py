import pytest

from consultant.db.session import session_scope
from consultant.usage.ledger import sender_for
from consultant.usage.organisations import OrganisationError, add_member, create, organisation_of, same_organisation


class TestCreate:
    def test_domains_are_cleaned_and_owned_once(self, app):
        with session_scope() as session:
            create(session, "Clinic", ["@Clinic.Example ", "billing.clinic.example"])
            with pytest.raises(OrganisationError, match="already belong to another organisation"):
                create(session, "Other", ["clinic.example"])
            with pytest.raises(OrganisationError, match="exists already"):
                create(session, "Clinic", [])
            with pytest.raises(OrganisationError, match="not a domain"):
                create(session, "Third", ["not a domain"])


class TestSameOrganisation:
    def test_by_domain_by_membership_and_not_otherwise(self, app):
        with session_scope() as session:
            org = create(session, "Clinic", ["clinic.example"])
            asker = sender_for(session, "dana@clinic.example")
            colleague = sender_for(session, "lee@clinic.example")
            contractor = sender_for(session, "sam@freelance.example")
            outsider = sender_for(session, "eve@elsewhere.example")
            assert organisation_of(session, asker) == org
            assert same_organisation(session, asker, colleague)
            assert not same_organisation(session, asker, contractor)
            add_member(session, "Clinic", "sam@freelance.example")
            assert same_organisation(session, asker, contractor)
            assert not same_organisation(session, asker, outsider)
            assert same_organisation(session, outsider, outsider)

    def test_a_member_of_no_organisation(self, app):
        with session_scope() as session:
            with pytest.raises(OrganisationError, match="no organisation named"):
                add_member(session, "Nobody", "x@y.example")
