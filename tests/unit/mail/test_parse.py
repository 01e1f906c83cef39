from email.message import EmailMessage

import pytest

from consultant.mail.parse import ParsedEmail, parse_email


def _raw(body: str = "Which code for fatty liver?\n", **headers: str) -> bytes:
    """A plain-text message; headers given as From="...", Message_ID="..." (underscores become dashes)."""
    fields = {"From": "Jane Coder <jane@clinic.example>", "To": "ask@consultant.localhost", "Subject": "Question"}
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items() if value is not None)
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode()


def _parsed(body: str, **headers: str) -> ParsedEmail:
    return parse_email(_raw(body, **headers), envelope_from="jane@clinic.example")


class TestParseEmail:
    # -- quoted replies
    def test_gmail_reply_keeps_only_the_new_text(self):
        parsed = _parsed(
            "And is K76.0 billable?\n\n"
            "On Mon, Jan 5, 2026 at 10:30 AM Coding Consultant <ask@consultant.localhost> wrote:\n"
            "> We have your question (reference CC-1).\n"
            "> Reply to this message.\n"
        )
        assert parsed.text == "And is K76.0 billable?"
        assert parsed.quoted.startswith("On Mon, Jan 5, 2026")
        assert "> We have your question" in parsed.quoted

    def test_gmail_attribution_wrapped_over_two_lines_is_not_question_text(self):
        parsed = _parsed(
            "And is K76.0 billable?\n\n"
            "On Mon, Jan 5, 2026 at 10:30 AM Coding Consultation Service for Coders <\n"
            "ask@consultant.localhost> wrote:\n\n"
            "> We have your question.\n"
        )
        assert parsed.text == "And is K76.0 billable?"
        assert "wrote:" in parsed.quoted

    def test_outlook_original_message_block_is_quoted(self):
        parsed = _parsed(
            "Thanks, one more: I10?\n\n"
            "-----Original Message-----\n"
            "From: Coding Consultant <ask@consultant.localhost>\n"
            "Sent: Monday, January 5, 2026 10:30 AM\n"
            "To: Jane Coder <jane@clinic.example>\n"
            "Subject: RE: Question\n\n"
            "We have your question.\n"
        )
        assert parsed.text == "Thanks, one more: I10?"
        assert parsed.quoted.startswith("-----Original Message-----")

    def test_outlook_from_sent_block_without_rule_is_quoted(self):
        parsed = _parsed(
            "Thanks, one more: I10?\n\n"
            "From: Coding Consultant <ask@consultant.localhost>\n"
            "Sent: Monday, January 5, 2026 10:30 AM\n"
            "To: Jane Coder <jane@clinic.example>\n"
            "Subject: RE: Question\n\n"
            "We have your question.\n"
        )
        assert parsed.text == "Thanks, one more: I10?"
        assert "We have your question." in parsed.quoted

    def test_outlook_underscore_rule_starts_the_quote(self):
        parsed = _parsed(
            "Thanks.\n\n________________________________\n"
            "From: Coding Consultant <ask@consultant.localhost>\nSent: Monday, January 5, 2026\n\nOld text\n"
        )
        assert parsed.text == "Thanks."
        assert "Old text" in parsed.quoted

    def test_a_sentence_starting_with_from_is_question_text(self):
        body = "Which code applies?\nFrom: the operative report, a closed fracture of the femur.\nThanks"
        parsed = _parsed(body)
        assert parsed.text == "Which code applies?\nFrom: the operative report, a closed fracture of the femur."
        assert (parsed.quoted, parsed.signature, parsed.forward_headers) == ("", "Thanks", "")

    def test_apple_mail_reply_keeps_only_the_new_text(self):
        parsed = _parsed(
            "Follow-up: S72.001A?\n\n"
            "On Jan 5, 2026, at 10:30 AM, Coding Consultant <ask@consultant.localhost> wrote:\n\n"
            "> We have your question.\n"
        )
        assert parsed.text == "Follow-up: S72.001A?"
        assert parsed.quoted.startswith("On Jan 5, 2026, at 10:30 AM")

    def test_plain_angle_quoting_is_quoted_and_a_reply_below_it_kept(self):
        parsed = _parsed("> We have your question.\n> Reply to this message.\n\nMy follow-up: E11.9?")
        assert parsed.text == "My follow-up: E11.9?"
        assert parsed.quoted == "> We have your question.\n> Reply to this message."

    def test_inline_replies_between_quotes_are_kept(self):
        parsed = _parsed(
            "On Mon, Jan 5, 2026, Consultant <ask@x.example> wrote:\n> Which date of service?\n"
            "January 5.\n> Inpatient or outpatient?\nOutpatient."
        )
        assert parsed.text == "January 5.\nOutpatient."
        assert parsed.quoted.splitlines() == [
            "On Mon, Jan 5, 2026, Consultant <ask@x.example> wrote:",
            "> Which date of service?",
            "> Inpatient or outpatient?",
        ]

    # -- signatures
    def test_signature_after_dash_dash_space_is_removed_and_kept_apart(self):
        parsed = _parsed("Is I10 billable?\n\n-- \nJane Coder, CPC\nClinic Billing\n")
        assert parsed.text == "Is I10 billable?"
        assert parsed.signature == "-- \nJane Coder, CPC\nClinic Billing"

    def test_double_dash_inside_a_line_is_not_a_signature(self):
        parsed = _parsed("Is I10 -- hypertension -- billable?\nThanks")
        assert parsed.text == "Is I10 -- hypertension -- billable?"

    def test_sign_off_without_dash_dash_is_cut_and_kept_apart(self):
        parsed = _parsed("Is I10 billable for 2026?\n\nThanks,\nJane Coder, CPC\nPatient Financial Services\n"
                         "St. Mary's Medical Center\nPhone (555) 201-3344 | Fax (555) 201-3345\n")
        assert parsed.text == "Is I10 billable for 2026?"
        assert parsed.signature.startswith("Thanks,\nJane Coder, CPC\nPatient Financial Services")
        assert parsed.signature.endswith("Fax (555) 201-3345")

    def test_mobile_line_and_sign_off_both_go_to_the_signature(self):
        parsed = _parsed("Is I10 billable?\n\nRegards,\nJane\n\nSent from my iPhone\n")
        assert parsed.text == "Is I10 billable?"
        assert parsed.signature == "Regards,\nJane\nSent from my iPhone"

    # -- forwards
    def test_gmail_forwarded_block_is_the_question(self):
        parsed = _parsed(
            "Can you help with this one?\n\n"
            "---------- Forwarded message ---------\n"
            "From: Dr. Smith <smith@hospital.example>\n"
            "Date: Mon, Jan 5, 2026 at 10:30 AM\n"
            "Subject: coding question\n"
            "To: Jane Coder <jane@clinic.example>\n\n\n"
            "Which code for fatty liver, K76.0 or K76.9?\n",
            Subject="Fwd: coding question",
        )
        assert parsed.text.startswith("Can you help with this one?")
        assert "From: Dr. Smith" not in parsed.text and "Date:" not in parsed.text
        assert parsed.forward_headers.splitlines()[0] == "From: Dr. Smith <smith@hospital.example>"
        assert len(parsed.forward_headers.splitlines()) == 4
        assert parsed.text.endswith("Which code for fatty liver, K76.0 or K76.9?")
        assert parsed.quoted == ""

    def test_apple_mail_forward_keeps_the_forwarded_lines(self):
        parsed = _parsed(
            "Please look at this.\n\nBegin forwarded message:\n\n"
            "> From: Dr. Smith <smith@hospital.example>\n> Subject: coding question\n>\n"
            "> Which code for fatty liver, K76.0?\n"
        )
        assert "> Which code for fatty liver, K76.0?" in parsed.text
        assert parsed.quoted == ""

    def test_outlook_forward_with_fw_subject_is_the_question(self):
        parsed = _parsed(
            "See below.\n\n________________________________\n"
            "From: Dr. Smith <smith@hospital.example>\nSent: Monday, January 5, 2026 10:30 AM\n"
            "Subject: coding question\n\nWhich code for fatty liver, K76.0?\n",
            Subject="FW: coding question",
        )
        assert parsed.text.endswith("Which code for fatty liver, K76.0?")
        assert parsed.forward_headers.splitlines() == [
            "From: Dr. Smith <smith@hospital.example>", "Sent: Monday, January 5, 2026 10:30 AM",
            "Subject: coding question"]
        assert parsed.quoted == ""

    # -- HTML
    def test_html_only_mail_is_converted_to_text(self):
        message = EmailMessage()
        message["From"] = "jane@clinic.example"
        message["Subject"] = "Question"
        message.set_content(
            "<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
            "<body><p>Is <b>K76.0</b> billable?</p><p>Thanks &amp; regards</p></body></html>",
            subtype="html",
        )
        parsed = parse_email(message.as_bytes())
        assert parsed.text == "Is K76.0 billable?\n\nThanks & regards"

    def test_plain_part_is_preferred_over_html(self):
        message = EmailMessage()
        message["From"] = "jane@clinic.example"
        message.set_content("plain version")
        message.add_alternative("<p>html version</p>", subtype="html")
        assert parse_email(message.as_bytes()).text == "plain version"

    def test_gmail_html_reply_drops_the_blockquote(self):
        message = EmailMessage()
        message["From"] = "jane@clinic.example"
        message.set_content(
            '<div dir="ltr">And K76.0?</div><br><div class="gmail_quote"><div class="gmail_attr">'
            "On Mon, Jan 5, 2026 at 10:30 AM Consultant &lt;ask@x.example&gt; wrote:<br></div>"
            '<blockquote class="gmail_quote"><p>We have <b>your</b> question.</p></blockquote></div>',
            subtype="html",
        )
        parsed = parse_email(message.as_bytes())
        assert parsed.text == "And K76.0?"
        assert "> We have your question." in parsed.quoted

    # -- sender
    def test_sender_is_lowercased_and_display_name_kept(self):
        parsed = _parsed("hi", From='"Coder, Jane" <Jane.Coder@Clinic.EXAMPLE>')
        assert parsed.sender == "jane.coder@clinic.example"
        assert parsed.sender_name == "Coder, Jane"

    def test_encoded_display_name_is_decoded(self):
        parsed = _parsed("hi", From="=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@clinic.example>")
        assert parsed.sender_name == "José Pérez"

    def test_missing_from_falls_back_to_the_envelope_sender(self):
        parsed = parse_email(_raw("hi", From=None), envelope_from="<Bounce.Me@Relay.Example>")
        assert parsed.sender == "bounce.me@relay.example"
        assert parsed.sender_name == ""

    def test_from_without_an_address_falls_back_to_the_envelope_sender(self):
        parsed = parse_email(_raw("hi", From="undisclosed-recipients:;"), envelope_from="real@clinic.example")
        assert parsed.sender == "real@clinic.example"

    # -- threading
    def test_message_id_in_reply_to_and_references_are_extracted(self):
        parsed = _parsed(
            "hi",
            Message_ID="<q2@clinic.example>",
            In_Reply_To="<a2@consultant.localhost> (Consultant's message of Monday)",
            References="<q1@clinic.example>\r\n <a1@consultant.localhost>\r\n\t<a2@consultant.localhost>",
        )
        assert parsed.message_id == "<q2@clinic.example>"
        assert parsed.in_reply_to == "<a2@consultant.localhost>"
        assert parsed.references == ("<q1@clinic.example>", "<a1@consultant.localhost>", "<a2@consultant.localhost>")

    def test_thread_ids_are_nearest_first(self):
        parsed = _parsed("hi", In_Reply_To="<c@x>", References="<a@x> <b@x> <c@x>")
        assert parsed.thread_ids == ("<c@x>", "<b@x>", "<a@x>")

    def test_in_reply_to_missing_from_references_comes_first(self):
        parsed = _parsed("hi", In_Reply_To="<d@x>", References="<a@x> <b@x>")
        assert parsed.thread_ids == ("<d@x>", "<b@x>", "<a@x>")

    def test_in_reply_to_is_first_even_when_references_list_it_earlier(self):
        parsed = _parsed("hi", In_Reply_To="<a@x>", References="<a@x> <b@x> <b@x>")
        assert parsed.thread_ids == ("<a@x>", "<b@x>")

    def test_no_threading_headers_means_no_thread_ids(self):
        parsed = _parsed("hi")
        assert (parsed.message_id, parsed.in_reply_to, parsed.references, parsed.thread_ids) == (None, None, (), ())

    def test_message_id_the_header_parser_chokes_on_does_not_raise(self):
        parsed = _parsed("hi", Message_ID="<[odd]@clinic.example>")
        assert parsed.message_id == "<[odd]@clinic.example>"
        assert _parsed("hi", Message_ID="<>").message_id is None

    # -- MIME structure
    def test_attachments_are_listed(self):
        message = EmailMessage()
        message["From"] = "jane@clinic.example"
        message.set_content("See the attached op note.")
        message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="op-note.pdf")
        message.add_attachment(b"\x89PNG", maintype="image", subtype="png")
        parsed = parse_email(message.as_bytes())
        assert parsed.text == "See the attached op note."
        assert parsed.attachments == ("op-note.pdf", "image/png")

    def test_broken_mime_is_recorded_as_defects(self):
        raw = (
            b"From: jane@clinic.example\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
            b"--XX\r\nContent-Type: text/plain\r\n\r\nIs I10 billable?\r\n"
        )
        parsed = parse_email(raw)
        assert parsed.text == "Is I10 billable?"
        assert "CloseBoundaryNotFoundDefect" in parsed.defects

    def test_multipart_without_boundary_is_recorded(self):
        raw = b"From: jane@clinic.example\r\nContent-Type: multipart/mixed\r\n\r\nhello\r\n"
        assert "NoBoundaryInMultipartDefect" in parse_email(raw).defects

    def test_well_formed_mail_has_no_defects(self):
        assert _parsed("hello").defects == ()

    def test_unknown_charset_does_not_raise(self):
        raw = (
            b"From: jane@clinic.example\r\nSubject: =?x-unknown?q?K76=2E0?=\r\n"
            b'Content-Type: text/plain; charset="x-unknown"\r\n\r\nIs K76.0 billable? caf\xe9\r\n'
        )
        parsed = parse_email(raw)
        assert parsed.text.startswith("Is K76.0 billable? caf")
        assert parsed.sender == "jane@clinic.example"

    def test_quoted_printable_utf8_body_is_decoded(self):
        raw = _raw("Caf=C3=A9 question: E11.9?", Content_Type='text/plain; charset="utf-8"',
                   Content_Transfer_Encoding="quoted-printable")
        assert parse_email(raw).text == "Café question: E11.9?"

    def test_subject_is_one_line(self):
        assert _parsed("hi", Subject="Re: fatty\r\n liver\tK76.0").subject == "Re: fatty liver K76.0"

    def test_machine_mail_is_flagged(self):
        assert _parsed("away", Auto_Submitted="auto-replied").machine is not None
        assert _parsed("a person").machine is None


class TestSentOn:
    @pytest.mark.parametrize("header, day", [("Sun, 14 Jun 2026 23:30:00 -0500", "2026-06-15"),
                                             ("14 Jun 2026 09:00:00 +0000", "2026-06-14"),
                                             ("not a date", None), (None, None)])
    def test_the_date_header_read_as_a_utc_day(self, header, day):
        from datetime import date

        from tests.builders import question_email

        raw = question_email("What is K76.0?")
        head, body = raw.split(b"\r\n\r\n", 1) if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)
        sep = b"\r\n" if b"\r\n" in head else b"\n"
        lines = [l for l in head.split(sep) if not l.lower().startswith(b"date:")]
        if header is not None:
            lines.append(b"Date: " + header.encode())
        parsed = parse_email(sep.join(lines) + sep + sep + body)
        assert parsed.sent_on == (date.fromisoformat(day) if day else None)
