import pytest

from consultant.consult.understand.intents import INTENTS, read_intents


class TestReadIntents:
    @pytest.mark.parametrize("text, codes, modifiers, main", [
        ("What is K76.0?", 1, 0, "lookup"),
        ("Is S72.001 complete?", 1, 0, "validity"),
        ("is 76940 bundled into 47370", 2, 0, "pair"),
        ("XU vs 59 on 11042", 1, 2, "modifier"),
        ("How many units of J1100 can we bill per day?", 1, 0, "units"),
        ("Guidelines for E/M by MDM vs time?", 0, 0, "guideline"),
        ("Please see the attached op note and tell me what you would code.", 0, 0, "case_review"),
        ("Does Medicare pay for G0439 annually?", 1, 0, "coverage"),
        ("thanks!", 0, 0, "other"),
    ])
    def test_the_main_intent(self, text, codes, modifiers, main):
        assert read_intents(text, codes, modifiers).main == main

    def test_two_intents_asked_together_are_both_kept(self):
        reading = read_intents("Can I bill 20610 with 99213 if I add modifier 25?", 2, 1)
        assert reading.intents == ("modifier", "pair")
        assert reading.confidence > 0.9

    def test_a_plain_question_is_read_with_confidence(self):
        assert read_intents("How many units of J1100 can we bill per day?", 1, 0).confidence > 0.9

    def test_competing_readings_lower_the_confidence(self):
        clear = read_intents("What is K76.0?", 1, 0).confidence
        torn = read_intents("What is K76.0, and is it covered by Medicare?", 1, 0)
        assert torn.confidence < clear or len(torn.intents) > 1

    def test_a_cue_in_a_statement_counts_less_than_in_the_question(self):
        asked = read_intents("Is this covered? I coded 99213.", 1, 0)
        told = read_intents("BCBS covered it last year. What is 99213?", 1, 0)
        assert asked.main == "coverage" and told.main == "lookup"

    def test_a_modifier_alone_is_looked_up(self):
        assert read_intents("What does modifier XU stand for?", 0, 1).main == "lookup"

    def test_shares_add_up_and_cues_are_named(self):
        reading = read_intents("Is K76.0 billable?", 1, 0)
        assert abs(sum(reading.shares.values()) - 1) < 1e-9
        assert set(reading.shares) <= set(INTENTS)
        assert "validity: billable" in reading.cues
