import email
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import parseaddr

import pytest

from consultant.mail.machine import machine_kind
from consultant.mail.parse import parse_email
from tests.support.corpus import CORPUS  # see its README.md


def _message(subject: str = "Is K76.0 billable?", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "jane@clinic.example"
    message["To"] = "ask@consultant.localhost"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Hello, a question about K76.0.")
    return message


def _kind(message: EmailMessage, sender: str = "jane@clinic.example", envelope_from: str = "jane@clinic.example"):
    return machine_kind(message, sender, envelope_from)


def _report(report_type: str) -> EmailMessage:
    raw = (
        "From: Mail Delivery System <mailer-daemon@relay.example>\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.example\r\n\r\n"
        "Final-Recipient: rfc822; jane@clinic.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
    )
    return email.message_from_string(raw, policy=policy.default)


def _envelope_from(raw: bytes) -> str:
    """Return-Path when present (the relay's envelope sender), else the From address."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    return_path = headers.get("Return-Path")
    if return_path is not None:
        value = str(return_path).strip()
        return "<>" if value.replace(" ", "") in ("", "<>") else parseaddr(value)[1]
    return parseaddr(str(headers.get("From") or ""))[1]


def _walk(folder: str) -> dict[str, str | None]:
    """Every .eml in the folder -> its machine kind (or the exception it raised)."""
    kinds: dict[str, str | None] = {}
    files = sorted((CORPUS / folder).glob("*.eml"))
    assert files, f"no messages found in {CORPUS / folder}"
    for path in files:
        raw = path.read_bytes()
        try:
            kinds[path.name] = parse_email(raw, envelope_from=_envelope_from(raw)).machine
        except Exception as exc:  # reported by name below
            kinds[path.name] = f"EXCEPTION {type(exc).__name__}: {exc}"
    return kinds


class TestMachineKind:
    def test_ordinary_message_is_a_person(self):
        assert _kind(_message()) is None

    def test_delivery_status_wrapped_in_multipart_mixed_is_a_bounce(self):
        raw = (b"From: gateway@relay.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
               b"Content-Type: text/plain\n\nNo such user\n--b\nContent-Type: message/delivery-status\n\n"
               b"Action: failed\n\n--b--\n")
        message = email.message_from_bytes(raw, policy=policy.default)
        assert _kind(message, "gateway@relay.example") == "bounce (message/delivery-status)"

    def test_a_bare_delivery_status_message_is_a_bounce(self):
        message = email.message_from_bytes(b"Content-Type: message/delivery-status\n\nAction: failed\n",
                                           policy=policy.default)
        assert _kind(message, "") == "bounce (message/delivery-status)"

    def test_null_return_path_header_is_machine_mail(self):
        assert _kind(_message(Return_Path="<>")) == "null sender (Return-Path: <>)"

    def test_a_bounce_from_a_list_server_is_called_a_bounce(self):
        message = _message("Undeliverable Message", Precedence="bulk", List_Id="<neko.example.org>")
        assert _kind(message) == "bounce (subject)"

    def test_mail_could_not_be_delivered_subject_is_a_bounce(self):
        assert _kind(_message("Mail could not be delivered")) == "bounce (subject)"

    def test_delivery_status_report_is_a_bounce(self):
        assert _kind(_report("delivery-status")).startswith("bounce")

    def test_feedback_report_is_a_feedback_report(self):
        assert _kind(_report("feedback-report")).startswith("feedback report")

    def test_other_report_is_still_machine_mail(self):
        assert _kind(_report("disposition-notification")).startswith("report")

    @pytest.mark.parametrize(
        "value", ["auto-replied", "auto-generated", "Auto-Replied", "auto-notified; owner-email=x@y"])
    def test_auto_submitted_is_an_auto_reply(self, value):
        assert _kind(_message(Auto_Submitted=value)).startswith("auto-reply")

    @pytest.mark.parametrize("value", ["no", "No", "no (sent by a person)"])
    def test_auto_submitted_no_is_a_person(self, value):
        assert _kind(_message(Auto_Submitted=value)) is None

    @pytest.mark.parametrize("value", ["bulk", "list", "junk", "Bulk"])
    def test_precedence_bulk_list_junk_is_bulk_mail(self, value):
        assert _kind(_message(Precedence=value)) == f"bulk mail (Precedence: {value.lower()})"

    def test_precedence_first_class_is_a_person(self):
        assert _kind(_message(Precedence="first-class")) is None

    @pytest.mark.parametrize("header", ["List-Id", "List-Unsubscribe", "List-Post", "Mailing-List", "X-MLServer"])
    def test_mailing_list_headers_mark_list_mail(self, header):
        assert _kind(_message(**{header: "<coders.lists.example>"})).startswith("mailing list")

    @pytest.mark.parametrize("envelope_from", ["", "<>", "  <> "])
    def test_null_envelope_sender_is_a_delivery_notification(self, envelope_from):
        assert _kind(_message(), envelope_from=envelope_from).startswith("null envelope sender")

    @pytest.mark.parametrize(
        "sender",
        ["mailer-daemon@relay.example", "postmaster@clinic.example", "post_master@vtext.example",
         "no-reply@payer.example", "noreply@payer.example", "do_not_reply@payer.example"],
    )
    def test_daemon_and_no_reply_senders_are_machines(self, sender):
        assert _kind(_message(), sender=sender).startswith("machine sender")

    def test_a_person_named_like_a_daemon_prefix_only_in_the_domain_is_a_person(self):
        assert _kind(_message(), sender="jane@postmaster.example") is None

    def test_x_autoreply_is_an_auto_reply(self):
        assert _kind(_message(X_Autoreply="yes")) == "auto-reply (X-Autoreply)"

    def test_x_auto_response_suppress_oof_is_an_auto_reply_but_dr_alone_is_not(self):
        assert _kind(_message(X_Auto_Response_Suppress="OOF, AutoReply")).startswith("auto-reply")
        assert _kind(_message(X_Auto_Response_Suppress="DR")) is None

    @pytest.mark.parametrize(
        ("subject", "kind"),
        [
            ("Automatic reply: Is K76.0 billable?", "auto-reply"),
            ("Auto reply: Nyaan", "auto-reply"),
            ("Out of Office AutoReply: coding question", "auto-reply"),
            ("Undeliverable: Is K76.0 billable?", "bounce"),
            ("Fwd: Returned mail: see transcript for details", "bounce"),
            ("complaint about message from 192.0.2.1", "feedback report"),
        ],
    )
    def test_machine_subjects(self, subject, kind):
        assert _kind(_message(subject)) == f"{kind} (subject)"

    @pytest.mark.parametrize(
        "subject",
        ["Out of office visit: 99213 or 99214?", "Re: Automatic replies for denials", "Returned claim for E11.9"],
    )
    def test_person_subjects_that_look_a_little_like_machine_ones(self, subject):
        assert _kind(_message(subject)) is None

    # -- real corpora (tests/corpus/README.md)

    def test_every_sisimai_bounce_is_machine_mail(self):
        kinds = _walk("sisimai-bounces")
        failing = sorted(name for name, kind in kinds.items() if kind is None or kind.startswith("EXCEPTION"))
        assert len(kinds) >= 600
        assert failing == [], f"{len(failing)} of {len(kinds)} not classified as machine mail: " + ", ".join(
            f"{name} ({kinds[name]})" for name in failing
        )

    def test_no_sisimai_not_bounce_is_a_bounce(self):
        kinds = _walk("sisimai-not-bounces")
        failing = sorted(name for name, kind in kinds.items() if kind and kind.startswith(("bounce", "EXCEPTION")))
        assert len(kinds) == 3
        assert failing == [], "classified as bounces: " + ", ".join(f"{name} ({kinds[name]})" for name in failing)

    def test_plain_not_bounces_are_a_person(self):
        kinds = _walk("sisimai-not-bounces")
        assert kinds["is-not-bounce-01.eml"] is None
        assert kinds["is-not-bounce-02.eml"] is None
