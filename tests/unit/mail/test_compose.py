import email
import re
from email import policy
from email.message import EmailMessage

import pytest

from consultant.mail.compose import UnsafeHeaderValue, compose, new_message_id, safe_address
from consultant.mail.render import Rendered

RENDERED = Rendered(subject="Re: Is K76.0 billable? [CC-1]", text="Hello,\nK76.0 is billable.\n", html="<p>Hello</p>\n")


def _compose(rendered: Rendered = RENDERED, **overrides) -> bytes:
    arguments = {
        "from_name": "Coding Consultant",
        "from_address": "ask@consultant.localhost",
        "to_address": "jane@clinic.example",
        "message_id": "<cc.1@consultant.localhost>",
        "in_reply_to": "<q1@clinic.example>",
        "references": ["<q0@clinic.example>", "<a0@consultant.localhost>", "<q1@clinic.example>"],
        "auto_submitted": True,
    }
    arguments.update(overrides)
    return compose(rendered, **arguments)


def _parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


class TestCompose:
    def test_headers_are_present_and_right(self):
        message = _parse(_compose())
        assert message["From"] == "Coding Consultant <ask@consultant.localhost>"
        assert message["To"] == "jane@clinic.example"
        assert message["Subject"] == "Re: Is K76.0 billable? [CC-1]"
        assert message["Message-ID"] == "<cc.1@consultant.localhost>"
        assert message["In-Reply-To"] == "<q1@clinic.example>"
        assert message["References"].split() == [
            "<q0@clinic.example>", "<a0@consultant.localhost>", "<q1@clinic.example>"]
        assert message["Auto-Submitted"] == "auto-replied"
        assert message["Date"] is not None

    def test_without_auto_submitted_there_is_no_auto_submitted_header(self):
        assert _parse(_compose(auto_submitted=False))["Auto-Submitted"] is None

    def test_a_first_message_has_no_threading_headers(self):
        message = _parse(_compose(in_reply_to=None, references=[]))
        assert message["In-Reply-To"] is None
        assert message["References"] is None

    @pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
    def test_line_break_in_subject_cannot_inject_a_header(self, newline):
        rendered = Rendered(subject=f"Re: question{newline}Bcc: victim@x.example", text="hi\n", html=None)
        raw = _compose(rendered)
        message = _parse(raw)
        assert message["Bcc"] is None
        assert b"\nBcc:" not in raw
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert message["Subject"] == "Re: question Bcc: victim@x.example"

    @pytest.mark.parametrize("newline", ["\r\n", "\n"])
    def test_line_break_in_display_name_cannot_inject_a_header(self, newline):
        raw = _compose(from_name=f"Consultant{newline}Bcc: victim@x.example")
        message = _parse(raw)
        assert message["Bcc"] is None
        assert b"\nBcc:" not in raw
        assert message["From"].addresses[0].addr_spec == "ask@consultant.localhost"

    def test_invalid_message_ids_in_references_are_dropped(self):
        message = _parse(_compose(
            in_reply_to="not-an-id",
            references=["<good@x.example>", "bad id", "<with space@x>", "<a\r\nBcc: v@x>", None, "<two@x><three@x>"],
        ))
        assert message["In-Reply-To"] is None
        assert message["References"] == "<good@x.example>"
        assert message["Bcc"] is None

    def test_references_keep_only_the_last_twenty(self):
        chain = [f"<m{i}@x.example>" for i in range(30)]
        references = _parse(_compose(references=chain))["References"].split()
        assert references == chain[-20:]

    @pytest.mark.parametrize(
        "to_address",
        ["jane@clinic.example\r\nBcc: victim@x.example", "jane@clinic.example\nBcc: victim@x.example",
         "jane.clinic.example", "", "jane@clinic.example, victim@x.example", "jane@@clinic.example"],
    )
    def test_unsafe_to_address_raises(self, to_address):
        with pytest.raises(UnsafeHeaderValue):
            _compose(to_address=to_address)

    def test_unsafe_own_message_id_raises(self):
        with pytest.raises(UnsafeHeaderValue):
            _compose(message_id="<cc.1@consultant.localhost>\r\nBcc: victim@x.example")

    def test_output_uses_crlf_line_ends_only(self):
        raw = _compose()
        assert b"\r\n" in raw
        assert re.search(rb"(?<!\r)\n", raw) is None
        assert re.search(rb"\r(?!\n)", raw) is None

    def test_text_and_html_alternatives_are_present(self):
        message = _parse(_compose())
        assert message.get_content_type() == "multipart/alternative"
        assert message.get_body(("plain",)).get_content().splitlines() == ["Hello,", "K76.0 is billable."]
        assert message.get_body(("html",)).get_content().splitlines() == ["<p>Hello</p>"]

    def test_text_only_when_there_is_no_html(self):
        message = _parse(_compose(Rendered(subject="s", text="only text\n", html=None)))
        assert message.get_content_type() == "text/plain"
        assert message.get_content().splitlines() == ["only text"]

    def test_non_ascii_subject_and_name_survive_encoding(self):
        message = _parse(_compose(Rendered(subject="Réponse: café", text="é\n", html=None), from_name="Cónsul"))
        assert message["Subject"] == "Réponse: café"
        assert message["From"].addresses[0].display_name == "Cónsul"


class TestSafeAddress:
    def test_display_name_is_removed(self):
        assert safe_address('"Coder, Jane" <jane@clinic.example>') == "jane@clinic.example"

    @pytest.mark.parametrize("value", ["jane@clinic.example\r\n", "jane@clinic.example\x00", "a..b@x.example"])
    def test_control_characters_and_double_dots_are_refused(self, value):
        with pytest.raises(UnsafeHeaderValue):
            safe_address(value)


class TestNewMessageId:
    def test_message_id_is_in_our_domain_and_unique(self):
        first, second = new_message_id("consultant.localhost"), new_message_id("consultant.localhost")
        assert re.fullmatch(r"<[^<>\s@]+@consultant\.localhost>", first)
        assert first != second
