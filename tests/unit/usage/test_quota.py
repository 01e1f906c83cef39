from datetime import datetime, timezone
from itertools import count

import pytest

from consultant.db.session import session_scope
from consultant.shipped import shipped
from consultant.usage import quota
from consultant.usage.ledger import sender_for
from consultant.usage.organisations import add_member, create
from consultant.usage.plans import load_plans
from consultant.usage.senders import set_organisation_plan, set_plan

PLANS = load_plans(shipped("config") / "plans.toml")


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


@pytest.fixture
def db(configure, tmp_path):
    from consultant.db.migrate import upgrade

    settings = configure(database_url=f"sqlite:///{tmp_path / 'quota.sqlite3'}")
    upgrade(settings.resolved_database_url)
    return settings


_refs = count(1)


def charged(session, sender_id: int, *days: str) -> None:
    for day in days:
        assert quota.charge(session, sender_id, f"test-{next(_refs)}", None, at=at(day))


class TestPeriod:
    def test_month_starts_on_the_billing_day_clamped_to_short_months(self):
        plan = PLANS.get("subscriber")
        assert quota.period(plan, 31, at("2026-02-15")) == (at("2026-01-31"), at("2026-02-28"))
        assert quota.period(plan, 31, at("2026-02-28")) == (at("2026-02-28"), at("2026-03-31"))
        assert quota.period(plan, 15, at("2026-12-20")) == (at("2026-12-15"), at("2027-01-15"))
        assert quota.period(plan, 15, at("2026-01-14")) == (at("2025-12-15"), at("2026-01-15"))

    def test_lifetime_has_no_period(self):
        assert quota.period(PLANS.get("guest"), 1, at("2026-02-15")) == (None, None)


class TestQuotaFor:
    def test_guest_gets_one_and_registration_five_more(self, db):
        with session_scope() as session:
            sender = sender_for(session, "coder@example.org")
            assert quota.quota_for(session, sender, PLANS).remaining == 1
            charged(session, sender, "2026-03-02")
            guest = quota.quota_for(session, sender, PLANS)
            assert (guest.plan, guest.remaining, guest.exhausted) == ("guest", 0, True)
            assert guest.line() == "Consultations left on your plan (guest): 0 of 1."
            set_plan(session, "coder@example.org", "registered", PLANS)
            assert quota.quota_for(session, sender, PLANS).remaining == 5

    def test_a_subscription_renews_at_the_month_boundary(self, db):
        plans = load_plans(shipped("config") / "plans.toml")
        with session_scope() as session:
            sender = sender_for(session, "sub@example.org")
            set_plan(session, "sub@example.org", "subscriber", plans, billing_day=10)
            charged(session, sender, *["2026-03-09T23:59:59"] * 7, *["2026-03-10T00:00:00"] * 3)
            before = quota.quota_for(session, sender, plans, now=at("2026-03-09T23:59:59"))
            after = quota.quota_for(session, sender, plans, now=at("2026-03-10T00:00:01"))
            assert (before.used, before.remaining) == (7, 43)
            assert (after.used, after.remaining) == (3, 47)
            assert after.line() == ("Consultations left this period on your plan (subscriber): 47 of 50, "
                                    "renewing on 2026-04-10.")

    def test_a_downgrade_counts_the_whole_lifetime_again(self, db):
        with session_scope() as session:
            sender = sender_for(session, "down@example.org")
            set_plan(session, "down@example.org", "subscriber", PLANS)
            charged(session, sender, "2026-01-05", "2026-02-05", "2026-03-05")
            assert quota.quota_for(session, sender, PLANS, now=at("2026-03-06")).remaining == 49
            set_plan(session, "down@example.org", "registered", PLANS)
            assert quota.quota_for(session, sender, PLANS, now=at("2026-03-06")).remaining == 3
            set_plan(session, "down@example.org", "unlimited", PLANS)
            unlimited = quota.quota_for(session, sender, PLANS)
            assert (unlimited.remaining, unlimited.exhausted) == (None, False)

    def test_a_staff_grant_adds_one_and_a_repeated_charge_counts_once(self, db):
        with session_scope() as session:
            sender = sender_for(session, "grant@example.org")
            assert quota.charge(session, sender, "c1", None)
            assert not quota.charge(session, sender, "c1", None)
            assert quota.grant(session, sender, "inbound:7")
            assert not quota.grant(session, sender, "inbound:7")
            current = quota.quota_for(session, sender, PLANS)
            assert (current.allowance, current.used, current.remaining) == (2, 1, 1)

    def test_an_organisation_plan_is_one_quota_for_its_members(self, db):
        with session_scope() as session:
            create(session, "Clinic", ["clinic.example"])
            add_member(session, "Clinic", "contractor@freelance.example")
            set_organisation_plan(session, "Clinic", "subscriber", PLANS, billing_day=1)
            dana = sender_for(session, "dana@clinic.example")
            contractor = sender_for(session, "contractor@freelance.example")
            outsider = sender_for(session, "eve@elsewhere.example")
            charged(session, dana, "2026-03-02", "2026-03-03")
            charged(session, contractor, "2026-03-04")
            charged(session, outsider, "2026-03-04")
            shared = quota.quota_for(session, contractor, PLANS, now=at("2026-03-05"))
            assert (shared.used, shared.remaining, shared.organisation) == (3, 47, "Clinic")
            assert "organisation's plan (Clinic: subscriber)" in shared.line()
            assert quota.quota_for(session, outsider, PLANS).remaining == 0
