from pathlib import Path

import pytest

from consultant.shipped import shipped
from consultant.usage.plans import LIFETIME, MONTH, PlansError, load_plans


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plans.toml"
    path.write_text(text)
    return path


class TestLoadPlans:
    def test_the_shipped_file_has_guest_registered_subscriber_and_unlimited(self):
        plans = load_plans(shipped("config") / "plans.toml")
        assert (plans.get("guest").consultations, plans.get("guest").period) == (1, LIFETIME)
        assert plans.get("registered").consultations == 6
        assert (plans.get("subscriber").period, plans.get("subscriber").billing_day) == (MONTH, 1)
        assert plans.get("unlimited").unlimited
        assert plans.default_plan == "guest" and not plans.follow_ups_count

    @pytest.mark.parametrize(("text", "named"), [
        ("[plans.guest]\nconsultations = 1\ncosultations = 2\n", "cosultations"),
        ("[plan.guest]\nconsultations = 1\n", "plan"),
        ("[plans.guest]\nconsultations = -1\n", "plans.guest.consultations"),
        ("[plans.guest]\nconsultations = 1\nperiod = \"week\"\n", "plans.guest.period"),
        ("[plans.guest]\nconsultations = 1\nbilling_day = 3\n", "billing_day"),
        ("[plans.guest]\nconsultations = 1\nperiod = \"month\"\nbilling_day = 32\n", "billing_day"),
        ("[plans.guest]\nunlimited = true\nconsultations = 3\n", "unlimited"),
        ("[senders]\ndefault_plan = \"gold\"\n[plans.guest]\nconsultations = 1\n", "default_plan"),
        ("[senders]\nplus_addressing = \"maybe\"\n[plans.guest]\nconsultations = 1\n", "plus_addressing"),
        ("[senders]\nrelease_on = [\"never\"]\n[plans.guest]\nconsultations = 1\n", "release_on"),
        ("[plans.guest]\nconsultations = 1\n[plans.registered]\nconsultations = true\n", "consultations"),
        ("[senders]\nregistered_plan = \"guest\"\n", "at least one plan"),
    ])
    def test_a_bad_file_is_refused_naming_the_key(self, tmp_path, text, named):
        with pytest.raises(PlansError, match=named):
            load_plans(write(tmp_path, text))


class TestNormalise:
    def test_case_and_plus_tags_are_one_sender_by_default(self):
        plans = load_plans(shipped("config") / "plans.toml")
        assert plans.normalise(" Coder+Billing@Example.ORG ") == "coder@example.org"
        assert plans.normalise("+only@example.org") == "+only@example.org"

    def test_plus_tags_can_be_kept_apart(self, tmp_path):
        plans = load_plans(write(tmp_path, "[senders]\ndefault_plan = \"g\"\nregistered_plan = \"g\"\n"
                                           "plus_addressing = \"keep\"\n[plans.g]\nconsultations = 1\n"))
        assert plans.normalise("Coder+Billing@example.org") == "coder+billing@example.org"
