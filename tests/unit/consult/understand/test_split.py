from consultant.consult.understand.split import split_questions


def codes_of(text: str) -> list[list[str]]:
    return [[m.code for m in part.codes] for part in split_questions(text)]


class TestSplitQuestions:
    def test_one_question(self):
        assert codes_of("Hi team, can K76.0 and K75.81 be coded together? Thanks, Dana") == [["K76.0", "K75.81"]]

    def test_a_numbered_list_is_one_question_per_item(self):
        text = "A few from today:\n1) what is K57.30\n2) can K57.30 and K63.5 be coded together?\n3) is K63.5 billable"
        assert codes_of(text) == [["K57.30"], ["K57.30", "K63.5"], ["K63.5"]]

    def test_list_items_without_codes_borrow_the_introductions(self):
        text = "About 20610:\n- is it bundled with 76942?\n- how many units per day?"
        assert codes_of(text) == [["76942"], ["20610"]]

    def test_sentences_each_asking_about_their_own_codes(self):
        assert codes_of("What is 99213? What about 99214?") == [["99213"], ["99214"]]

    def test_a_follow_up_pointing_back_stays_with_its_question(self):
        assert codes_of("What is K76.0? Is it billable?") == [["K76.0"]]

    def test_statements_join_the_question_they_follow(self):
        text = "Can 47370 be billed with 76940? The surgeon did the ultrasound guidance himself."
        assert codes_of(text) == [["47370", "76940"]]

    def test_a_second_question_after_and(self):
        assert codes_of("What is J1030 and is 96372 limited to 4 units?") == [["J1030"], ["96372"]]

    def test_they_after_two_questions_means_both_codes(self):
        assert codes_of("what is J44.1? what is J44.0? can they be coded together?") == [
            ["J44.1"], ["J44.0"], ["J44.1", "J44.0"]]

    def test_offsets_point_into_the_text(self):
        text = "Hello.\n\nWhat is K76.0? What about K75.81?"
        parts = split_questions(text)
        assert [text[p.start:p.end] for p in parts] == ["Hello.\n\nWhat is K76.0?", "What about K75.81?"]

    def test_no_text_no_question(self):
        assert split_questions("   ") == []


class TestAbbreviations:
    def test_e_g_and_i_e_do_not_end_a_sentence(self):
        parts = split_questions("Are our coders allowed to add a more specific dx (e.g. change I50.9 to I50.22 from "
                                "the echo report) without a query? i.e. is that allowed?")
        assert len(parts) == 1
