"""Quote and signature stripping, per client, on realistic messages (tests/fixtures/emails/clients/,
invented text) parsed end to end, plus the splitting functions on their own."""

from pathlib import Path

import pytest

from consultant.mail.mime import ParseLimits
from consultant.mail.parse import ParsedEmail, parse_email
from consultant.mail.quotes import split_quoted, strip_signature

CLIENTS = Path(__file__).parents[2] / "fixtures" / "emails" / "clients"


def client(name: str) -> ParsedEmail:
    return parse_email((CLIENTS / name).read_bytes(), "jane.coder@clinic.example", ParseLimits())


class TestClientReplies:
    def test_gmail_reply_with_wrapped_attribution(self):
        parsed = client("gmail_reply.eml")
        assert parsed.text == "Thanks! And is K76.0 billable for a 2026 date of service?"
        assert parsed.quoted.startswith("On Mon, Jan 5, 2026 at 10:30 AM Coding Consultant")
        assert "> We have your question (reference CC-000001)." in parsed.quoted

    def test_gmail_html_only_in_german(self):
        parsed = client("gmail_html_only_german.eml")
        assert parsed.text == "Danke. Ist I10 für 2026 abrechenbar?"
        assert parsed.quoted.startswith("Am Mo., 5. Jan. 2026 um 10:30 Uhr schrieb")
        assert "> Wir haben Ihre Frage erhalten." in parsed.quoted

    def test_outlook_html_only_reply_drops_the_from_sent_block(self):
        parsed = client("outlook_html_only_reply.eml")
        assert parsed.text == "Is S72.001A right for the initial encounter?"
        assert parsed.quoted.startswith("From: Coding Consultant <ask@consultant.localhost>\nSent: Monday")
        assert "We have your question." in parsed.quoted
        assert "MsoNormal" not in parsed.text + parsed.quoted

    def test_outlook_web_rule_and_mobile_signature(self):
        parsed = client("outlook_web_rule.eml")
        assert parsed.text == "Does E11.9 need a second code for long-term insulin use?"
        assert parsed.quoted.startswith("________________________________\nFrom: Coding Consultant")

    def test_outlook_original_message_cuts_the_sign_off_name(self):
        parsed = client("outlook_original_message.eml")
        assert parsed.text == "Thanks, one more: is I10 the right code with no heart involvement?"
        assert parsed.signature == "Jane"
        assert parsed.quoted.startswith("-----Original Message-----")

    @pytest.mark.parametrize(("name", "question", "first_quoted"), [
        ("outlook_german.eml", "Ist J45.909 für 2026 noch gültig?", "Von: Coding Consultant"),
        ("outlook_french.eml", "Le code K21.9 est-il correct pour 2026 ?", "De : Coding Consultant"),
        ("outlook_spanish.eml", "¿Es N39.0 el código correcto para 2026?", "-----Mensaje original-----"),
    ])
    def test_outlook_localized_header_blocks(self, name, question, first_quoted):
        parsed = client(name)
        assert parsed.text == question
        assert parsed.quoted.startswith(first_quoted)

    def test_apple_mail_reply_from_an_iphone(self):
        parsed = client("apple_mail_reply.eml")
        assert parsed.text == "Follow-up: is S72.001A for the initial encounter only?"
        assert parsed.quoted.startswith("> On Jan 5, 2026, at 10:30 AM, Coding Consultant")

    def test_thunderbird_inline_answers_are_kept_and_the_signature_dropped(self):
        parsed = client("thunderbird_inline_reply.eml")
        assert parsed.text == "January 5, 2026.\n\nOutpatient."
        assert parsed.quoted.splitlines() == [
            "On 1/5/26 10:30 AM, Coding Consultant wrote:", "> Which date of service?", "> Inpatient or outpatient?"]


class TestClientForwards:
    def test_gmail_forward_is_the_question_without_its_headers_and_sign_off(self):
        parsed = client("gmail_forward.eml")
        assert parsed.text == "---------- Forwarded message ---------\n\nWhich code for fatty liver, K76.0 or K76.9?"
        assert parsed.forward_headers.splitlines() == [
            "From: Dr. Smith <smith@hospital.example>", "Date: Mon, Jan 5, 2026 at 9:12 AM",
            "Subject: coding question", "To: Jane Coder <jane.coder@clinic.example>"]
        assert parsed.signature == "Thanks,\nDr. Smith"
        assert parsed.quoted == ""

    def test_apple_mail_forward_keeps_the_forwarded_lines(self):
        parsed = client("apple_mail_forward.eml")
        assert parsed.text.startswith("Please look at this one.\n\nBegin forwarded message:")
        assert parsed.text.endswith("> Which code for fatty liver, K76.0 or K76.9?")
        assert "> From: Dr. Smith" not in parsed.text and "> Date:" not in parsed.text
        assert parsed.forward_headers.startswith("> From: Dr. Smith <smith@hospital.example>\n> Subject: coding")
        assert parsed.quoted == ""


class TestSplitQuoted:
    def test_reply_quoting_a_forward_still_splits_at_the_quote(self):
        text, quoted = split_quoted(
            "Thanks!\n\nOn Mon, Jan 5, 2026 at 10:30 AM Consultant <ask@x.example> wrote:\n"
            "> ---------- Forwarded message ---------\n> old\n"
        )
        assert text.strip() == "Thanks!"
        assert "Forwarded message" in quoted

    def test_localized_forward_markers_keep_the_forward(self):
        for marker in ("-------- Weitergeleitete Nachricht --------", "---------- Message transféré ---------",
                       "---------- Mensaje reenviado ---------", "Anfang der weitergeleiteten Nachricht:"):
            text, quoted = split_quoted(f"Bitte ansehen.\n\n{marker}\nVon: Dr. Smith\nDatum: heute\n\nK76.0?")
            assert text.endswith("K76.0?") and quoted == "", marker

    def test_a_sentence_starting_with_de_is_not_a_header_block(self):
        body = "De: the operative report says closed fracture.\nWhich code?"
        assert split_quoted(body) == (body, "")


class TestStripSignature:
    def test_signature_above_a_forwarded_message_keeps_the_forward(self):
        assert strip_signature(
            "Please help.\n-- \nJane\n---------- Forwarded message ---------\nFrom: Dr. Smith\n\nK76.0?\n-- \nDr. Smith"
        ) == "Please help.\n---------- Forwarded message ---------\nFrom: Dr. Smith\n\nK76.0?"

    @pytest.mark.parametrize("line", ["Sent from my iPhone", "Get Outlook for Android<https://aka.ms/ghei36>",
                                      "Von meinem iPhone gesendet", "Envoyé de mon iPad", "Enviado desde mi iPhone",
                                      "Sent from Mail for Windows"])
    def test_a_closing_mobile_signature_is_dropped(self, line):
        assert strip_signature(f"Is I10 billable?\n\n{line}\n\n") == "Is I10 billable?\n"

    def test_a_mobile_signature_phrase_inside_the_question_stays(self):
        text = "Sent from my iPhone\nIs I10 billable?"
        assert strip_signature(text) == text
