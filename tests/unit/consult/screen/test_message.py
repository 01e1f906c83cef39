"""The whole message screened, part by part: subject, text, quoted, sign-off, forwarded headers
(invented people and numbers)."""

import pytest

from consultant.consult.screen.message import PARTS, Ours, kinds, screen_message
from consultant.mail.mime import ParseLimits
from consultant.mail.parse import parse_email

OURS = Ours(frozenset({"ask@consultant.localhost"}), "Coding Consultant")


def parsed(body: str, subject: str = "Question"):
    raw = (f"From: Jane Coder <jane@clinic.example>\r\nTo: ask@consultant.localhost\r\nSubject: {subject}\r\n\r\n"
           + body.replace("\n", "\r\n")).encode()
    return parse_email(raw, "jane@clinic.example", ParseLimits())


def found(body: str, subject: str = "Question") -> dict[str, list[tuple[str, str]]]:
    """part -> [(kind, the text at the offsets)], only parts with findings."""
    message = parsed(body, subject)
    phi = screen_message(message, OURS)
    return {part: [(s["kind"], getattr(message, part)[s["start"]:s["end"]]) for s in spans]
            for part, spans in phi.items() if spans}


class TestParts:
    def test_every_part_is_there_and_holds_offsets_only(self):
        phi = screen_message(parsed("Is K76.0 billable?"), OURS)
        assert tuple(phi) == PARTS
        assert all(spans == [] for spans in phi.values())

    def test_kinds_of_some_parts_or_all(self):
        phi = {"subject": [{"kind": "name", "start": 0, "end": 1}], "quoted": [{"kind": "mrn", "start": 0, "end": 1}]}
        assert kinds(phi) == ["name", "mrn"]
        assert kinds(phi, "quoted") == ["mrn"]


class TestQuoted:
    def test_a_patient_named_in_a_quoted_message_is_found(self):
        body = ("Is N39.0 right for her?\n\nOn Mon, Jan 5, 2026 at 9:00 AM Dana Lee <dana@clinic.example> wrote:\n"
                "> Pt Maria Garcia-Lopez, DOB 04/12/1958, MRN 00448127\n> UTI, culture positive.\n")
        assert found(body) == {"quoted": [("name", "Maria Garcia-Lopez"), ("date", "04/12/1958"),
                                          ("mrn", "00448127")]}

    def test_the_attribution_and_the_quoted_sign_off_are_not_a_patients(self):
        body = ("Is N39.0 right?\n\nOn Mon, Jan 5, 2026 at 9:00 AM Dana Lee <dana@clinic.example> wrote:\n"
                "> Which code for a UTI?\n>\n> Thanks,\n> Dana Lee\n> Patient Financial Services\n> 555-201-3344\n")
        assert found(body) == {}

    def test_our_own_reply_quoted_back_is_not_screened(self):
        body = ("Thanks!\n\nOn Mon, Jan 5, 2026 at 10:30 AM Coding Consultant <ask@consultant.localhost> wrote:\n"
                "> We have your question (reference CC-000001).\n> Open https://staff.example/app/register\n"
                "> Consultations left: 0 of 1, renewing on 2026-12-01.\n")
        assert found(body) == {}

    def test_a_client_that_writes_only_our_name_is_ours_too(self):
        body = "January 5.\n\nOn 1/5/26 10:30 AM, Coding Consultant wrote:\n> Which date? See www.staff.example/x\n"
        assert found(body) == {}

    def test_an_outlook_block_from_us_is_ours_and_one_to_us_is_not(self):
        ours = ("Thanks, one more: I10?\n\n-----Original Message-----\n"
                "From: Coding Consultant [mailto:ask@consultant.localhost]\nSent: Monday, January 5, 2026 10:30 AM\n"
                "To: Jane Coder\nSubject: Code question [CC-000005]\n\nSee https://staff.example/app/register\n")
        assert found(ours) == {}
        theirs = ours.replace("From: Coding Consultant [mailto:ask@consultant.localhost]",
                              "From: Dana Lee <dana@clinic.example>").replace("To: Jane Coder",
                                                                              "To: Coding Consultant <ask@consultant.localhost>")
        theirs = theirs.replace("See https://staff.example/app/register", "Patient John Smith, DOB 1/2/1950")
        assert found(theirs) == {"quoted": [("name", "John Smith"), ("date", "1/2/1950")]}

    def test_a_quoted_subject_line_is_read_like_a_subject(self):
        body = ("I10?\n\n-----Original Message-----\nFrom: Dana Lee <dana@clinic.example>\n"
                "Sent: Monday, January 5, 2026 10:30 AM\nSubject: Question about Maria Garcia-Lopez\n\nSee above.\n")
        assert found(body) == {"quoted": [("name", "Maria Garcia-Lopez")]}

    def test_deeper_quotes_under_our_reply_are_screened(self):
        body = ("Thanks!\n\nOn Mon, Jan 5, 2026 Coding Consultant <ask@consultant.localhost> wrote:\n"
                "> We have your question.\n>> Pt Maria Lopez DOB 03/14/1961\n")
        assert [kind for kind, _ in found(body)["quoted"]] == ["name", "date"]


class TestSubjectSignOffAndForwards:
    def test_a_name_in_the_subject(self):
        assert found("Is N39.0 billable?", "Question about Maria Garcia-Lopez") == {
            "subject": [("name", "Maria Garcia-Lopez")]}

    def test_the_senders_own_sign_off_is_no_patient(self):
        body = ("Is I10 billable?\n\nThanks,\nJane Coder, CPC\nPatient Financial Services\n"
                "Phone (555) 201-3344 | Fax (555) 201-3345\n1200 Harbor Blvd, Springfield, IL 62701\n")
        assert found(body) == {}

    def test_a_patients_phone_and_name_in_the_body_are_still_found(self):
        body = "Patient Maria Lopez called from (555) 201-3344: is I10 billable?\n\nThanks,\nJane\n(555) 201-9999"
        assert found(body) == {"text": [("name", "Maria Lopez"), ("phone", "(555) 201-3344")]}

    def test_the_header_lines_of_a_forward_are_no_patient_but_its_subject_may_name_one(self):
        body = ("See below\n\n---------- Forwarded message ---------\nFrom: Dana Lee <dana@clinic.example>\n"
                "Date: Mon, Jan 5, 2026 at 9:12 AM\nSubject: Pt Mary Jones DOB 3/4/1941\n"
                "To: Jane <jane@clinic.example>\n\nIs K76.0 billable?\n")
        assert found(body, "Fwd: question") == {"forward_headers": [("name", "Mary Jones"), ("date", "3/4/1941")]}

    @pytest.mark.parametrize("sign_off, part", [("Thanks,\nJane\nMRN 00448127", "text"),
                                                ("Regards,\nJane\nSSN 123-45-6789", "text"),
                                                ("-- \nJane Coder\nre: acct 00448127, 94 y/o", "signature")])
    def test_what_names_a_patient_is_found_wherever_it_is(self, sign_off, part):
        assert part in found(f"Is I10 billable?\n\n{sign_off}")
