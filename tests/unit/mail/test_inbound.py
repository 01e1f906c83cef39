import hashlib

import pytest
from sqlalchemy import func, select

from consultant import jobs
from consultant.db.models import InboundEmail
from consultant.db.session import session_scope
from consultant.mail.inbound import Envelope, header_message_id, message_id_key, store_raw

ENVELOPE = Envelope(mail_from="jane@clinic.example", rcpt_to=("ask@consultant.localhost",), peer="127.0.0.1",
                    helo="clinic.example")


def _raw(message_id: str | None = "<q1@clinic.example>", body: str = "Is K76.0 billable?") -> bytes:
    head = "From: jane@clinic.example\r\nTo: ask@consultant.localhost\r\nSubject: Question\r\n"
    if message_id is not None:
        head += f"Message-ID: {message_id}\r\n"
    return f"{head}\r\n{body}\r\n".encode()


def _store(raw: bytes, envelope: Envelope = ENVELOPE):
    with session_scope() as session:
        return store_raw(session, raw, envelope)


def _rows() -> list[InboundEmail]:
    with session_scope() as session:
        return list(session.scalars(select(InboundEmail).order_by(InboundEmail.id)))


class TestStoreRaw:
    def test_stores_bytes_envelope_message_id_hash_and_size(self, app):
        raw = _raw()
        stored = _store(raw)
        [row] = _rows()
        assert stored.created is True
        assert row.id == stored.inbound_id
        assert row.raw == raw
        assert (row.mail_from, row.rcpt_to, row.peer, row.helo, row.channel) == (
            "jane@clinic.example", ["ask@consultant.localhost"], "127.0.0.1", "clinic.example", "smtp")
        assert row.message_id == "<q1@clinic.example>"
        assert row.message_id_key == "q1@clinic.example"
        assert row.sha256 == hashlib.sha256(raw).hexdigest()
        assert row.size == len(raw)

    def test_same_bytes_twice_is_one_row(self, app):
        first = _store(_raw())
        second = _store(_raw())
        assert first.created is True
        assert second.created is False
        assert second.inbound_id == first.inbound_id
        assert len(_rows()) == 1

    def test_same_message_id_with_different_bytes_is_a_second_row(self, app):
        first = _store(_raw(body="first copy"))
        second = _store(_raw(body="a different copy"))
        assert second.created is True
        assert second.inbound_id != first.inbound_id
        assert [r.message_id_key for r in _rows()] == ["q1@clinic.example", "q1@clinic.example"]

    def test_without_message_id_the_key_is_the_hash(self, app):
        raw = _raw(message_id=None)
        _store(raw)
        [row] = _rows()
        assert row.message_id is None
        assert row.message_id_key == f"sha256:{hashlib.sha256(raw).hexdigest()}"

    def test_one_process_job_is_dispatched(self, app, dispatched):
        stored = _store(_raw())
        assert dispatched.named(jobs.PROCESS_INBOUND) == [(stored.inbound_id,)]

    def test_duplicate_dispatches_no_second_job(self, app, dispatched):
        stored = _store(_raw())
        _store(_raw())
        assert dispatched.named(jobs.PROCESS_INBOUND) == [(stored.inbound_id,)]

    def test_the_job_leaves_only_after_the_row_is_committed(self, app, dispatched):
        seen: list[tuple[str, bool]] = []

        def check_visible(name: str, ids: tuple[int, ...], countdown: float | None) -> None:
            with session_scope() as other:  # a separate connection sees only committed rows
                seen.append((name, other.get(InboundEmail, ids[0]) is not None))

        previous = jobs.use_dispatcher(check_visible)
        try:
            _store(_raw())
        finally:
            jobs.use_dispatcher(previous)
        assert seen == [(jobs.PROCESS_INBOUND, True)]

    def test_no_job_when_the_commit_fails(self, app, dispatched, monkeypatch: pytest.MonkeyPatch):
        with session_scope() as session:
            def broken_commit() -> None:
                raise RuntimeError("disk full")

            monkeypatch.setattr(session, "commit", broken_commit)
            with pytest.raises(RuntimeError):
                store_raw(session, _raw(), ENVELOPE)
            monkeypatch.undo()
            session.rollback()
        assert dispatched.jobs == []
        with session_scope() as session:
            assert session.scalar(select(func.count()).select_from(InboundEmail)) == 0


class TestHeaderMessageId:
    def test_plain_header(self):
        assert header_message_id(_raw("<q1@clinic.example>")) == "<q1@clinic.example>"

    def test_folded_header(self):
        raw = b"From: a@x.example\r\nMessage-ID:\r\n  <q1@clinic.example>\r\nSubject: s\r\n\r\nbody\r\n"
        assert header_message_id(raw) == "<q1@clinic.example>"

    def test_case_insensitive_name_and_bare_lf(self):
        assert header_message_id(b"message-id: <q1@clinic.example>\n\nbody\n") == "<q1@clinic.example>"

    def test_trailing_comment_is_dropped(self):
        assert header_message_id(b"Message-Id: <q1@clinic.example> (added by relay)\r\n\r\n") == "<q1@clinic.example>"

    def test_missing_header(self):
        assert header_message_id(_raw(message_id=None)) is None

    def test_message_id_in_the_body_is_not_a_header(self):
        assert header_message_id(b"Subject: s\r\n\r\nMessage-ID: <in-body@x.example>\r\n") is None

    def test_other_headers_ending_in_message_id_do_not_count(self):
        assert header_message_id(b"X-Original-Message-ID: <other@x.example>\r\n\r\n") is None


class TestMessageIdKey:
    def test_brackets_are_stripped(self):
        assert message_id_key("<q1@clinic.example>", "abc") == "q1@clinic.example"

    def test_no_message_id_uses_the_digest(self):
        assert message_id_key(None, "abc") == "sha256:abc"

    def test_very_long_id_is_hashed_to_fit(self):
        key = message_id_key("<" + "x" * 300 + "@clinic.example>", "abc")
        assert key.startswith("long:") and len(key) <= 255
