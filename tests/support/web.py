"""Helpers for driving the staff web app: accounts, a signed-in TestClient, questions through the pipeline."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from consultant.consult.pipeline import run_inbound
from consultant.db.session import session_scope
from consultant.mail.inbound import Envelope, store_raw
from consultant.settings import Settings
from consultant.staff.accounts import add_staff

PASSWORD = "correct horse battery staple"
REVIEWER = "reviewer@consultant.localhost"
ADMIN = "admin@consultant.localhost"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def add_accounts() -> None:
    with session_scope() as session:
        add_staff(session, REVIEWER, PASSWORD, "reviewer")
        add_staff(session, ADMIN, PASSWORD, "admin")


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def sign_in(client: TestClient, email: str = REVIEWER, password: str = PASSWORD):
    token = csrf_of(client.get("/sign-in").text)
    return client.post("/sign-in", data={"csrf": token, "email": email, "password": password, "next": "/"})


def ask(settings: Settings, raw: bytes, sender: str = "coder@example.org") -> int:
    """Store a question as the receiver would and run the pipeline on it; returns the inbound id."""
    with session_scope() as session:
        stored = store_raw(session, raw, Envelope(mail_from=sender, rcpt_to=(settings.address,), peer="127.0.0.1"))
    run_inbound(settings, stored.inbound_id)
    return stored.inbound_id
