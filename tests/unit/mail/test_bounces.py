from consultant.mail.bounces import read_bounce

OURS = "<20261124.abc123@consultant.localhost>"


def dsn(action: str = "failed", status: str = "5.1.1", message_id: str = OURS) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: ask@consultant.localhost\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; gone@example.org\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Coding Consultant <ask@consultant.localhost>\r\nMessage-ID: {message_id}\r\n"
        "--b--\r\n"
    ).encode()


class TestReadBounce:
    def test_a_failure_report_names_our_message_and_why(self):
        bounce = read_bounce(dsn(), "consultant.localhost", "")
        assert bounce.message_ids == (OURS,)
        assert bounce.reason == "status 5.1.1; smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected"

    def test_a_delay_notice_is_not_a_failure(self):
        assert read_bounce(dsn(action="delayed", status="4.4.1"), "consultant.localhost", "") is None

    def test_a_report_about_someone_elses_mail_is_not_ours(self):
        assert read_bounce(dsn(message_id="<x@other.example>"), "consultant.localhost", "") is None

    def test_a_vacation_reply_quoting_our_message_id_is_not_a_bounce(self):
        raw = (f"From: coder@example.org\r\nSubject: Out of office\r\nIn-Reply-To: {OURS}\r\n"
               "Auto-Submitted: auto-replied\r\n\r\nI am away until Monday.\r\n").encode()
        assert read_bounce(raw, "consultant.localhost", "coder@example.org") is None

    def test_a_non_standard_bounce_from_the_mailer_daemon(self):
        raw = ("From: MAILER-DAEMON@mx.example.net\r\nSubject: failure notice\r\n\r\n"
               f"Sorry, I couldn't deliver your message.\r\n--- Below this line is a copy ---\r\nMessage-ID: {OURS}\r\n"
               ).encode()
        bounce = read_bounce(raw, "consultant.localhost", "")
        assert bounce.message_ids == (OURS,) and bounce.reason.startswith("returned by a mail server")
