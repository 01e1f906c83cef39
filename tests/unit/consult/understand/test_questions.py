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
