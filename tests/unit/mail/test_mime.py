"""MIME quirks and limits, on small invented messages (tests/fixtures/emails/quirks/)."""

from email import message_from_bytes, policy
from pathlib import Path

import pytest

from consultant.mail.mime import (
    MimeLimitExceeded,
    ParseLimits,
    attachment_names,
    body_text,
    check_header_size,
    check_structure,
    clean_header_text,
    decode_payload,
)
from consultant.mail.parse import UnparseableEmail, parse_email

QUIRKS = Path(__file__).parents[2] / "fixtures" / "emails" / "quirks"


def quirk(name: str):
    return parse_email((QUIRKS / name).read_bytes(), "jane.coder@clinic.example", ParseLimits())


def nested(depth: int) -> bytes:
    head = b"From: a@x.example\nContent-Type: multipart/mixed; boundary=b0\n\n"
    opening = b"".join(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(depth))
    return head + opening + b"--b%d\nContent-Type: text/plain\n\nIs I10 billable?\n" % depth


def many_parts(count: int) -> bytes:
    parts = b"".join(b"--b\nContent-Type: text/plain\n\npart %d\n" % i for i in range(count))
    return b"From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n" + parts + b"--b--\n"


class TestQuirks:
    def test_signed_mail_gives_the_signed_text(self):
        parsed = quirk("signed.eml")
        assert parsed.text == "Is Z79.4 needed with E11.65?"
        assert parsed.attachments == ("smime.p7s",)

    def test_8bit_headers_unknown_charset_and_rfc2231_filename(self):
        parsed = quirk("eight_bit_rfc2231.eml")
        assert (parsed.subject, parsed.sender_name) == ("Question codée en 8 bits", "René Codeur")
        assert parsed.text == "Le code K76.0 est-il validé ?"
        assert parsed.attachments == ("compte-rendu opératoire n°1.pdf",)

    def test_multipart_without_boundary_is_read_as_text(self):
        assert quirk("missing_boundary.eml").text == "Is M54.50 still valid for low back pain?"

    def test_forward_as_attachment_is_the_question(self):
        assert quirk("forward_as_attachment.eml").text == "Which code for fatty liver, K76.0 or K76.9?"

    def test_tnef_only_mail_is_unparseable_with_its_reason(self):
        with pytest.raises(UnparseableEmail, match="TNEF winmail.dat"):
            quirk("tnef_only.eml")

    def test_outlook_msg_file_and_headerless_bytes_are_not_mail(self):
        with pytest.raises(UnparseableEmail, match="Outlook .msg"):
            parse_email(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "", ParseLimits())
        with pytest.raises(UnparseableEmail, match="no mail header fields"):
            parse_email(b"just some words\nand more\n", "", ParseLimits())


class TestLimits:
    def test_nesting_up_to_the_limit_is_read(self):
        assert parse_email(nested(5), "", ParseLimits(max_depth=6)).text == "Is I10 billable?"

    def test_nesting_past_the_limit_is_unparseable(self):
        with pytest.raises(UnparseableEmail, match="nested deeper than 6 levels"):
            parse_email(nested(8), "", ParseLimits(max_depth=6))

    def test_endless_nesting_is_unparseable_not_a_crash(self):
        with pytest.raises(UnparseableEmail):
            parse_email(nested(3000), "", ParseLimits(max_depth=10_000))

    def test_too_many_parts(self):
        with pytest.raises(UnparseableEmail, match="more than 50 MIME parts"):
            parse_email(many_parts(60), "", ParseLimits(max_parts=50))
        assert parse_email(many_parts(40), "", ParseLimits(max_parts=50)).text == "part 0"

    def test_header_section_too_large_is_refused_before_parsing(self):
        raw = b"From: a@x.example\nX-Filler: " + b"x" * 5000 + b"\n\nbody\n"
        with pytest.raises(MimeLimitExceeded, match="larger than 4096 bytes"):
            check_header_size(raw, ParseLimits(max_header_bytes=4096))
        check_header_size(raw, ParseLimits(max_header_bytes=8192))

    def test_limits_come_from_settings(self, configure):
        settings = configure(max_mime_parts="7", max_mime_depth="3", max_header_bytes="2048")
        assert ParseLimits.from_settings(settings) == ParseLimits(7, 3, 2048)
        with pytest.raises(UnparseableEmail, match="more than 7 MIME parts"):
            parse_email(many_parts(10))


class TestHelpers:
    def test_check_structure_counts_without_recursion(self):
        message = message_from_bytes(many_parts(3), policy=policy.default)
        check_structure(message, ParseLimits(max_parts=4))
        with pytest.raises(MimeLimitExceeded):
            check_structure(message, ParseLimits(max_parts=3))

    def test_decode_payload_falls_back_for_unknown_and_wrong_charsets(self):
        unknown = message_from_bytes(b"Content-Type: text/plain; charset=x-nope\n\ncaf\xc3\xa9\n",
                                     policy=policy.default)
        wrong = message_from_bytes(b"Content-Type: text/plain; charset=us-ascii\n\ncaf\xe9\n", policy=policy.default)
        assert decode_payload(unknown) == "café\n"
        assert decode_payload(wrong) == "café\n"

    def test_body_text_of_html_only_mail(self):
        message = message_from_bytes(b"Content-Type: text/html\n\n<p>Is <b>I10</b> billable?</p>",
                                     policy=policy.default)
        assert body_text(message) == "Is I10 billable?"

    def test_attachment_names_fall_back_to_the_content_type(self):
        raw = (b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
               b"--b\nContent-Type: image/png\nContent-Disposition: attachment\n\nxx\n--b--\n")
        assert list(attachment_names(message_from_bytes(raw, policy=policy.default))) == ["image/png"]

    def test_clean_header_text_decodes_8bit_and_folds_to_one_line(self):
        assert clean_header_text("Ren\udce9\r\n Codeur") == "René Codeur"
        assert clean_header_text("caf\udcc3\udca9") == "café"

    def test_a_charset_name_with_a_nul_byte_and_8bit_body_does_not_raise(self):
        raw = (b"From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
               b"Content-Type: text/plain; charset=\"utf\x00-8\"\n\ncaf\xe9 K76.0\n--b--\n")
        assert parse_email(raw, "", ParseLimits()).text == "café K76.0"
