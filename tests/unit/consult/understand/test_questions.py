import pytest

from consultant.consult.understand.questions import understand


class TestUnderstand:
    def test_each_question_gets_its_codes_and_intents(self):
        questions = understand("1) what is k76.0\n2) can it be coded with K75.81\n3) MUE for 20610?")
        assert [(q.number, q.codes, q.main) for q in questions] == [
            (1, (("icd10cm", "K76.0"),), "lookup"),
            (2, (("icd10cm", "K76.0"), ("icd10cm", "K75.81")), "pair"),
            (3, (("cpt", "20610"),), "units"),
        ]

    def test_it_in_a_list_item_is_the_code_of_the_introduction(self):
        questions = understand("About 20610:\n- is it bundled with 76942?\n- how many units per day?")
        assert [q.codes for q in questions] == [(("cpt", "20610"), ("cpt", "76942")), (("cpt", "20610"),)]

    def test_what_about_repeats_the_question_before(self):
        questions = understand("Is K76.0 billable? What about K75.81?")
        assert [q.main for q in questions] == ["validity", "validity"]

    def test_modifiers_are_kept_apart_from_codes(self):
        (question,) = understand("Can I bill 20610 with 99213-25?")
        assert question.codes == (("cpt", "20610"), ("cpt", "99213"))
        assert question.modifiers == ("25",)

    def test_an_empty_text_with_an_attachment_is_one_case_review(self):
        (question,) = understand("", attachments=("op_note.pdf",))
        assert question.main == "case_review"

    def test_as_dict_keeps_offsets_not_text(self):
        (question,) = understand("What is K76.0?")
        data = question.as_dict()
        assert data["start"] == 0 and data["end"] == 14
        assert "K76.0" not in str({k: v for k, v in data.items() if k != "codes"})


class TestFollowOnsAndAsides:
    def test_a_follow_on_naming_no_code_goes_on_about_the_codes_just_asked(self):
        first, second = understand("Is 97140 allowed with 97530 on the same day? And what's the MUE?")
        assert [c for _, c in second.codes] == ["97140", "97530"] and second.main == "units"

    def test_also_is_there_a_note_borrows_the_code(self):
        questions = understand("What is E11.22? Also is there a note I should know about?")
        assert [q.codes for q in questions] == [(("icd10cm", "E11.22"),)] * 2
        assert questions[1].main == "lookup"

    def test_a_preface_and_a_thank_you_are_not_questions(self):
        questions = understand("Can you check these for me, forwarded from our ED group.\n\nWhat is K76.0?\n\n"
                               "Thanks so much!")
        assert [(q.number, q.main, q.codes) for q in questions] == [(1, "lookup", (("icd10cm", "K76.0"),))]

    def test_an_account_question_beside_a_code_question_stays(self):
        questions = understand("How do I cancel my subscription? Also, what is K76.0?")
        assert [q.main for q in questions] == ["other", "lookup"]

    def test_a_lone_question_without_codes_is_kept(self):
        assert len(understand("Thanks, is the service down today?")) == 1


class TestPairsAsCodersWriteThem:
    @pytest.mark.parametrize("text", ["E11.22 + N18.31 - right order?", "1) Z01.419 with Z23 ok in any order?",
                                      "G81.91 + I69.351? or just one?", "L03.115 cellulitis. do I add B95.62?"])
    def test_two_codes_joined_or_ordered_are_a_pair_question(self, text):
        [question] = understand(text)
        assert question.main == "pair" and question.confidence >= 0.6
