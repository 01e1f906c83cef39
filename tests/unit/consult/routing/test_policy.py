from pathlib import Path

import pytest

from consultant.consult.routing.policy import Policy, PolicyError, load_policy
from consultant.shipped import shipped


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.toml"
    path.write_text(text, encoding="utf-8")
    return path


class TestLoadPolicy:
    def test_the_shipped_policy(self):
        policy = load_policy(shipped("config") / "routing.toml")
        assert policy.auto_intents == {"lookup", "validity", "pair", "units"}
        assert policy.min_confidence == 0.6
        assert policy.unknown_code_answers == {"validity"}
        assert policy.review_all is False

    def test_a_plan_overrides_what_it_names(self, tmp_path):
        policy = load_policy(write(tmp_path, """
[auto]
intents = ["lookup", "pair"]
min_confidence = 0.5
[plans.premium]
review_all = true
[plans.trial]
intents = ["lookup"]
"""))
        assert policy.for_plan(None) is policy
        assert policy.for_plan("unknown plan") is policy
        premium = policy.for_plan("premium")
        assert premium.review_all and premium.auto_intents == {"lookup", "pair"} and premium.min_confidence == 0.5
        assert policy.for_plan("trial").auto_intents == {"lookup"}

    @pytest.mark.parametrize("text, message", [
        ("[auto]\nintents = [\"lookups\"]", "intents: not intents: lookups"),
        ("[auto]\nintents = [\"guideline\"]", "the drafts cannot answer from the code sets alone: guideline"),
        ("[auto]\nmin_confidence = 2", "min_confidence must be a number from 0 to 1"),
        ("[auto]\nmin_confidance = 0.5", "unknown key(s) min_confidance"),
        ("[routing]\nx = 1", "unknown section(s) routing"),
        ("[plans.gold]\nreview_all = \"yes\"", "[plans.gold] review_all must be true or false"),
        ("[auto\nintents = []", "Expected ']'"),
    ])
    def test_a_bad_file_is_refused_with_the_key_named(self, tmp_path, text, message):
        with pytest.raises(PolicyError) as raised:
            load_policy(write(tmp_path, text))
        assert message in str(raised.value)
        assert "routing.toml" in str(raised.value)

    def test_defaults_match_the_dataclass(self, tmp_path):
        assert load_policy(write(tmp_path, "")) == Policy()
