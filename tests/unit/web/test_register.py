"""The public registration pages: ask for a code on the web, confirm it at the emailed link."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from consultant import jobs
from consultant.db.models import InboundEmail, OutboundEmail, RegistrationToken, Sender
from consultant.db.session import session_scope
from consultant.shipped import shipped
from tests.builders import question_email
from tests.support.web import ask, csrf_of

GUEST = "guest@example.org"


@pytest.fixture
def metered(configure, staff_app):
    return configure(database_url=staff_app.database_url, plans=str(shipped("config") / "plans.toml"),
                     web_base_url="https://testserver")


def over_quota(settings, sender=GUEST) -> int:
    """The sender's first question is answered; the second is held for quota. Returns the held inbound id."""
    ask(settings, question_email("What is K76.0?", sender=sender), sender=sender)
    return ask(settings, question_email("What is E11.9?", sender=sender, subject="Second"), sender=sender)


def request_code(client, address=GUEST):
    form = client.get("/register")
    return client.post("/register", data={"csrf": csrf_of(form.text), "email": address})


def registration_mails(address=GUEST) -> list:
    with session_scope() as session:
        rows = session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "registration")
                               .order_by(OutboundEmail.id)).all()
        return [message_from_bytes(r.raw, policy=policy.default) for r in rows if r.rcpt_to == [address]]


def confirm_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    [link] = [word for word in text.split() if word.startswith("https://testserver/register/confirm?token=")]
    return link.removeprefix("https://testserver")


def held_status(inbound_id: int) -> str:
    with session_scope() as session:
        return session.scalar(select(InboundEmail.status).where(InboundEmail.id == inbound_id))


class TestRequestCode:
    def test_posting_without_the_form_token_is_refused(self, client, metered):
        over_quota(metered)
        assert client.post("/register", data={"email": GUEST}).status_code == 403
        client.get("/register")
        assert client.post("/register", data={"email": GUEST, "csrf": "forged"}).status_code == 403
        assert registration_mails() == []

    def test_a_guest_gets_a_code_by_email_sent_after_commit(self, client, metered, dispatched):
        over_quota(metered)
        page = request_code(client, "Guest+web@Example.org")
        assert page.status_code == 200 and "a one-time confirmation code is on its way" in page.text
        [mail] = registration_mails()
        assert mail["To"] == GUEST and mail["Subject"].split()[-1].startswith("REG-")
        [(outbound_id,)] = dispatched.named(jobs.SEND_OUTBOUND)
        with session_scope() as session:
            assert session.get(OutboundEmail, outbound_id).kind == "registration"

    def test_the_page_says_the_same_for_unknown_and_registered_addresses(self, client, metered):
        over_quota(metered)
        ask(metered, question_email("What is I10?", sender="member@example.org"), sender="member@example.org")
        with session_scope() as session:
            session.execute(update(Sender).where(Sender.address == "member@example.org").values(plan="registered"))
        pages = [request_code(client, a).text.replace(a, "ADDRESS")
                 for a in (GUEST, "stranger@example.org", "member@example.org")]
        assert pages[0] == pages[1] == pages[2]
        assert registration_mails("stranger@example.org") == []
        [already] = registration_mails("member@example.org")
        assert "registered already" in already.get_body(("plain",)).get_content()

    def test_codes_per_address_are_rate_limited(self, client, metered):
        over_quota(metered)
        for _ in range(5):
            assert request_code(client).status_code == 200
        assert len(registration_mails()) == 3
        with session_scope() as session:
            assert len(session.scalars(select(RegistrationToken.id)).all()) == 3

    def test_a_malformed_address_is_refused_with_a_reason(self, client, metered):
        page = request_code(client, "not an address")
        assert page.status_code == 400 and "enter an email address" in page.text


class TestConfirm:
    def test_round_trip_confirms_once_and_releases_what_was_held(self, client, metered, dispatched):
        held_id = over_quota(metered)
        request_code(client)
        link = confirm_link(registration_mails()[0])
        shown = client.get(link)
        assert "Confirm my registration" in shown.text and held_status(held_id) == "held"
        token = link.partition("token=")[2]
        assert client.post("/register/confirm", data={"token": token}).status_code == 403
        done = client.post("/register/confirm", data={"csrf": csrf_of(shown.text), "token": token})
        assert done.status_code == 200 and "Your registration is confirmed" in done.text
        assert f"{GUEST} is on the\nregistered plan" in done.text
        assert held_status(held_id) == "received" and (held_id,) in dispatched.named(jobs.PROCESS_INBOUND)
        again = client.get(link)
        repeated = client.post("/register/confirm", data={"csrf": csrf_of(again.text), "token": token})
        assert repeated.status_code == 400 and "used already" in repeated.text

    def test_an_expired_code_gets_its_page(self, client, metered):
        over_quota(metered)
        request_code(client)
        link = confirm_link(registration_mails()[0])
        with session_scope() as session:
            session.execute(update(RegistrationToken).values(expires_at=RegistrationToken.created_at))
        shown = client.get(link)
        page = client.post("/register/confirm", data={"csrf": csrf_of(shown.text), "token": link.partition("=")[2]})
        assert page.status_code == 400 and "has expired" in page.text and 'href="/register"' in page.text

    def test_an_unknown_code_gets_its_page(self, client, metered):
        shown = client.get("/register/confirm?token=REG-" + "x" * 32)
        page = client.post("/register/confirm", data={"csrf": csrf_of(shown.text), "token": "REG-" + "x" * 32})
        assert page.status_code == 400 and "not known" in page.text

    def test_a_link_without_a_code_says_so(self, client, metered):
        assert "has no confirmation code" in client.get("/register/confirm").text
