"""The staff web app in a real headless Chromium, against `consultant run` (receiver, workers and web app),
with replies read at a real SMTP sink."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import update

from consultant.db.base import utcnow
from consultant.db.models import Question
from consultant.db.session import make_engine
from tests.builders import question_email
from tests.support.browser import chromium
from tests.support.product import WORKER_READY, Process, consultant_argv, free_port, product_env, run_command
from tests.support.servers import HOST, SmtpSink
from tests.support.web import PASSWORD

REVIEWER = "reviewer@example.org"
ADMIN = "admin@example.org"
COVERAGE = "Does Medicare pay for K76.0 when billed with E11.9?"


class Service:
    def __init__(self, run: Process, smtp_port: int, web_port: int, data_dir: Path, sink: SmtpSink) -> None:
        self.run, self.smtp_port, self.web_port, self.data_dir, self.sink = run, smtp_port, web_port, data_dir, sink
        self.url = f"http://{HOST}:{web_port}"

    def send(self, raw: bytes, sender: str = "coder@example.org") -> None:
        with smtplib.SMTP(HOST, self.smtp_port, timeout=10) as smtp:
            smtp.sendmail(sender, ["ask@consultant.localhost"], raw)

    def backdate(self, message_id: str, hours: float) -> None:
        engine = make_engine(f"sqlite:///{self.data_dir / 'consultant.sqlite3'}")
        with engine.begin() as connection:
            connection.execute(update(Question).where(Question.message_id_key == message_id.strip("<>"))
                               .values(created_at=utcnow() - timedelta(hours=hours)))
        engine.dispose()


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("web")
    smtp_port, web_port = free_port(), free_port()
    with SmtpSink() as sink:
        env = product_env(tmp / "var", smtp_listen=f"{HOST}:{smtp_port}", web_listen=f"{HOST}:{web_port}",
                          relay=sink.url)
        run_command(consultant_argv("staff", "add", REVIEWER, "--role", "reviewer", "--password", PASSWORD), env)
        run_command(consultant_argv("staff", "add", ADMIN, "--role", "admin", "--password", PASSWORD), env)
        with Process("run", consultant_argv("run"), env, tmp) as run:
            run.wait_for_port(smtp_port, timeout=120)
            run.wait_for_port(web_port, timeout=120)
            run.wait_for_log(WORKER_READY, timeout=120)
            yield Service(run, smtp_port, web_port, tmp / "var", sink)


def sign_in(page, service: Service, email: str = REVIEWER) -> None:
    page.goto(service.url + "/")
    assert page.url.startswith(service.url + "/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('Review queue')")


class TestReviewInTheBrowser:
    def test_oldest_overdue_item_is_edited_sent_and_arrives_threaded(self, service):
        before = len(service.sink.messages)
        service.send(question_email(COVERAGE, sender="fresh@example.org", message_id="<fresh@example.org>",
                                    subject="Fresh"), "fresh@example.org")
        service.send(question_email(COVERAGE, sender="late@example.org", message_id="<late@example.org>",
                                    subject="Late one"), "late@example.org")
        service.send(question_email(COVERAGE, sender="later@example.org", message_id="<oldest@example.org>",
                                    subject="Oldest one"), "later@example.org")
        service.sink.wait_for(before + 3, timeout=30)  # three acknowledgements
        service.backdate("<late@example.org>", 30)
        service.backdate("<oldest@example.org>", 50)
        with chromium() as browser:
            page = browser.new_page()
            sign_in(page, service)
            overdue = page.locator("tr.overdue")
            assert overdue.count() >= 2
            first = overdue.first
            assert "later@example.org" in first.inner_text()
            first.locator("a").first.click()
            page.wait_for_selector("textarea[name=text]")
            assert "Oldest one" in page.inner_text("h1")
            page.fill("textarea[name=text]", "Medicare covers K76.0 here under an invented NCD 9.9.")
            page.click("button[name=action][value=send]")
            page.wait_for_selector("p.done:has-text('sent')")
        [reply] = [m for m in service.sink.wait_for(before + 4, timeout=30)
                   if m.message["In-Reply-To"] == "<oldest@example.org>" and "reviewed" not in m.message["Subject"]
                   and "invented NCD" in m.message.get_body(("plain",)).get_content()]
        assert reply.rcpt_tos == ["later@example.org"]
        assert reply.message["Subject"].startswith("Re: Oldest one [CC-")
        assert reply.message["References"] == "<oldest@example.org>"
        text = reply.message.get_body(("plain",)).get_content()
        assert "not a payer determination" in text and "Reference CC-" in text


HOSTILE_HTML = """<html><head><base href="{other}/"><meta http-equiv="refresh" content="0;url={other}/meta">
<link rel="stylesheet" href="{other}/css"><style>body {{ background: url({other}/bg) }}</style></head>
<body onload="alert('body')"><p id="q">Patient Jane Roe asks: is K76.0 right for her?</p>
<script>alert('script'); fetch('{other}/fetch')</script>
<img src="x" onerror="alert('onerror')"><img src="{other}/pixel.png">
<svg onload="alert('svg')"><circle r="1"/></svg>
<a href="javascript:alert('link')">click</a>
<iframe src="{other}/frame"></iframe><object data="{other}/object"></object>
<div style="background-image: url({other}/div)">styled</div>
<form action="{other}/form"><input autofocus onfocus="alert('focus')"></form>
</body></html>"""


def hostile_email(other: str) -> bytes:
    boundary = "hostile-boundary"
    html = HOSTILE_HTML.format(other=other)
    return "\r\n".join([
        "From: attacker@example.org", "To: ask@consultant.localhost", "Subject: Hostile html",
        "Message-ID: <hostile@example.org>", "Date: Tue, 24 Nov 2026 09:00:00 +0000", "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"', "",
        f"--{boundary}", 'Content-Type: text/plain; charset="utf-8"', "",
        "Patient Jane Roe asks: is K76.0 right for her?", "",
        f"--{boundary}", 'Content-Type: text/html; charset="utf-8"', "", *html.splitlines(), "",
        f"--{boundary}--", "",
    ]).encode()


@pytest.fixture
def other_origin() -> Iterator[list[str]]:
    """An HTTP server on another origin that records every request it gets (none should come)."""
    hits: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hits.append(f"http://localhost:{server.server_address[1]}")  # first item: the origin itself
    yield hits
    server.shutdown()
    server.server_close()


class TestHostileHtml:
    def test_xss_payloads_run_nothing_and_load_nothing(self, service, other_origin):
        origin = other_origin[0]
        before = len(service.sink.messages)
        service.send(hostile_email(origin), "attacker@example.org")
        service.sink.wait_for(before + 1, timeout=30)
        dialogs: list[str] = []
        foreign: list[str] = []
        with chromium() as browser:
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            browser.on("request", lambda request: None if request.url.startswith((service.url, "data:", "about:"))
                       else foreign.append(request.url))
            sign_in(page, service)
            page.click("tr:has-text('attacker@example.org') a")
            page.wait_for_selector("pre.question-text")
            page.click("a:has-text('Show the HTML part')")
            frame_element = page.wait_for_selector("iframe.mail")
            assert frame_element.get_attribute("sandbox") == ""
            frame = frame_element.content_frame()
            frame.wait_for_selector("#q, p")
            assert "is K76.0 right for her?" in frame.inner_text("body")
            assert frame.locator("script, img, svg, iframe, object, form, input, link, meta[http-equiv], base, style, [onload]").count() == 0
            page.wait_for_timeout(1000)  # let anything that could fire (refresh, onload, autofocus) fire
        assert dialogs == []
        assert foreign == []
        assert other_origin[1:] == []


class TestGuards:
    def test_csrf_is_refused_and_a_reviewer_cannot_reach_admin_pages(self, service):
        with chromium() as browser:
            page = browser.new_page()
            sign_in(page, service)
            status = page.evaluate("""async () => {
                const body = new URLSearchParams({text: 'forged note'});
                const bare = await fetch('/consultations/1/note', {method: 'POST', body});
                body.set('csrf', 'forged-token');
                const forged = await fetch('/consultations/1/note', {method: 'POST', body});
                return [bare.status, forged.status];
            }""")
            assert status == [403, 403]
            assert page.locator("nav a:has-text('Audit log')").count() == 0
            response = page.goto(service.url + "/admin/audit")
            assert response.status == 403
            assert "for administrators" in page.inner_text("main")
