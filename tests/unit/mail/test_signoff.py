"""The sender's sign-off and forwarded header lines, cut from the question and kept apart (invented people)."""

import pytest

from consultant.mail.signoff import forward_header_lines, is_sign_off_line, is_subject_header, split_own_text


def own(text: str, sender_name: str = "Jane Coder"):
    return split_own_text(text, sender_name)


class TestSignOff:
    @pytest.mark.parametrize("sign_off", [
        "Thanks,\nJane",
        "Thanks,\nJane Coder, CPC\nCoding Specialist II\nPatient Financial Services\n(555) 201-3344",
        "Regards,\n\nJane Coder, CPC, CRC\nHIM Department | St. Mary's Medical Center\n"
        "Phone: 555-201-3344  Fax: 555-201-3345\njane.coder@stmarys.example\nwww.stmarys.example",
        "Best regards,\nJane\n1200 Harbor Blvd, Suite 400\nSpringfield, IL 62701",
        "Thank you in advance!\nJ. Coder",
        "Thanks, Dana",
        "Regards - Jane Coder, CPC\nExt. 4471",
        "-Jane",
        "Kind regards,\nJane Coder\n\nCONFIDENTIALITY NOTICE: This message and any attachment are intended only for the "
        "named recipient and may contain privileged information. If you received it in error, notify the sender "
        "and delete this e-mail.",
        "Mit freundlichen Grüßen\nJane Coder",
    ])
    def test_a_trailing_sign_off_is_cut(self, sign_off):
        result = own(f"Is I10 billable for a 2026 date of service?\n\n{sign_off}\n")
        assert result.text.rstrip() == "Is I10 billable for a 2026 date of service?"
        assert result.sign_off == sign_off

    def test_a_block_starting_with_the_senders_name_is_cut_without_a_closing(self):
        result = own("Is I10 billable?\n\nJane Coder, CPC\nRevenue Integrity\n555.201.3344")
        assert (result.text.rstrip(), result.sign_off) == (
            "Is I10 billable?", "Jane Coder, CPC\nRevenue Integrity\n555.201.3344")

    def test_a_comma_display_name_is_read_first_name_first(self):
        assert own("Is I10 billable?\n\nJane", "Coder, Jane").sign_off == "Jane"

    @pytest.mark.parametrize("text", [
        # the patient's details after the closing: not the sender's contact data, so nothing is cut
        "Is I10 right?\n\nThanks,\nJane\nPt Maria Lopez DOB 03/04/1950",
        "Is I10 right?\n\nThanks,\nJane\nMRN 4471902",
        "Is I10 right?\n\nThanks,\nJane\n\nP.S. the same patient also had E11.9",
        "Is I10 right?\n\nThanks,\nJane\nAlso, is E11.9 billable?",
        "Is I10 right?\n\nThanks,\nJane\nI also need to know which modifier goes on the injection",
        "Is I10 right?\n\nThanks,\nJane\nK76.0 too",
    ])
    def test_a_block_with_something_else_after_the_closing_stays(self, text):
        result = own(text)
        assert (result.text, result.sign_off) == (text, "")

    @pytest.mark.parametrize("text", [
        "Thanks!",  # nothing but a closing: nothing would be left of the question
        "Jane here. Is I10 billable?",
        "Thanks for the quick answer on K76.0 yesterday, it helped.",
        "Thanks so much, that cleared it up!",
        "Is I10 billable?\nJane's supervisor asked too.",
    ])
    def test_text_that_only_looks_like_a_sign_off_stays(self, text):
        assert own(text).text == text

    def test_a_patients_phone_in_the_body_stays_in_the_text(self):
        text = "The patient's daughter called from 555-201-3344 about the E11.9 claim.\n\nThanks,\nJane"
        result = own(text)
        assert "555-201-3344" in result.text and result.sign_off == "Thanks,\nJane"

    def test_only_the_last_lines_can_be_a_sign_off(self):
        lines = "\n".join(f"line {n} of the operative note" for n in range(15))
        assert own(f"Thanks,\n{lines}").sign_off == ""


class TestSignOffLine:
    @pytest.mark.parametrize("line", ["Jane Coder, CPC", "Patient Financial Services", "Patient Access",
                                      "(555) 201-3344", "Fax: 555-201-3345", "jane@clinic.example", "", "> Ext. 12"])
    def test_contact_data(self, line):
        assert is_sign_off_line(line)

    @pytest.mark.parametrize("line", ["Patient Mary Jones", "DOB 3/4/1941", "is it billable?", "Pt. seen 1/2/2026",
                                      "I10 and E11.9 together", "E11.9", "Can you check the modifier for me"])
    def test_not_contact_data(self, line):
        assert not is_sign_off_line(line)


class TestForwardHeaders:
    def test_the_header_lines_after_each_forward_marker(self):
        text = ("FYI, see below.\n\nThanks,\nJane\n---------- Forwarded message ---------\n"
                "From: Dana Lee <dana@clinic.example>\nDate: Mon, Jan 5, 2026 at 9:12 AM\nSubject: K76.0?\n"
                "To: Jane Coder <jane@clinic.example>\n\nIs K76.0 billable?\n\nRegards,\nDana Lee\n555-201-3344")
        result = own(text)
        assert result.text == "FYI, see below.\n\n---------- Forwarded message ---------\n\nIs K76.0 billable?\n"
        assert result.forward_headers.splitlines() == [
            "From: Dana Lee <dana@clinic.example>", "Date: Mon, Jan 5, 2026 at 9:12 AM", "Subject: K76.0?",
            "To: Jane Coder <jane@clinic.example>"]
        assert result.sign_off == "Thanks,\nJane\nRegards,\nDana Lee\n555-201-3344"

    def test_an_outlook_block_and_a_wrapped_to_line(self):
        lines = ["See below.", "", "From: Dana Lee <dana@clinic.example>", "Sent: Monday, January 5, 2026 9:12 AM",
                 "To: Jane Coder <jane@clinic.example>; Sam Park", "    <sam@clinic.example>",
                 "Subject: question", "", "Is K76.0 billable?"]
        assert forward_header_lines(lines) == {2, 3, 4, 5, 6}

    def test_a_from_sentence_is_no_header(self):
        assert forward_header_lines(["From: the op note, a closed fracture.", "Which code?"]) == set()

    def test_where_a_subject_value_starts(self):
        assert is_subject_header("> Subject: Pt Maria Lopez") == len("> Subject: ")
        assert is_subject_header("Betreff: Frage") == len("Betreff: ")
        assert is_subject_header("From: Dana") is None

    def test_with_markers_the_opening_line_counts_too(self):
        lines = ["-----Original Message-----", "From: Dana Lee <dana@clinic.example>", "Sent: Monday", "", "Old text"]
        assert forward_header_lines(lines) == {1, 2}
        assert forward_header_lines(lines, markers=True) == {0, 1, 2}
