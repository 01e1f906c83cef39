from pathlib import Path

from sqlalchemy import select

from consultant import jobs
from consultant.db.models import InboundEmail
from consultant.db.session import session_scope
from consultant.mail.inject import DUPLICATE, REFUSED, STORED, envelope_sender, inject, input_kind, mbox_messages
from tests.builders import question_email


def _rows() -> list[InboundEmail]:
    with session_scope() as session:
        return list(session.scalars(select(InboundEmail).order_by(InboundEmail.id)))


def _eml(folder: Path, name: str, **kwargs) -> Path:
    path = folder / name
    path.write_bytes(question_email(**kwargs))
    return path


MBOX_SEPARATOR = b"From coder@example.org Tue Nov 24 09:00:00 2026\n"


def _mbox(path: Path, *messages: bytes, separator: bytes = MBOX_SEPARATOR) -> Path:
    path.write_bytes(b"".join(separator + m.replace(b"\r\n", b"\n") + b"\n" for m in messages))
    return path


def _maildir(root: Path) -> Path:
    for folder in ("cur", "new", "tmp"):
        (root / folder).mkdir(parents=True)
    return root


class TestInputKind:
    def test_each_kind_is_recognised(self, tmp_path):
        assert input_kind(_eml(tmp_path, "a.eml")) == "eml"
        assert input_kind(_mbox(tmp_path / "box", question_email())) == "mbox"
        assert input_kind(_maildir(tmp_path / "md")) == "maildir"
        assert input_kind(tmp_path) == "folder"


class TestInject:
    def test_an_eml_file_is_stored_with_channel_inject_and_queued(self, app, tmp_path, dispatched):
        report = inject(app, _eml(tmp_path, "q.eml", sender="jane@clinic.example"))
        [row] = _rows()
        assert [r.outcome for r in report.results] == [STORED]
        assert (row.channel, row.mail_from, row.rcpt_to) == ("inject", "jane@clinic.example", [app.address])
        assert row.raw == (tmp_path / "q.eml").read_bytes()
        assert dispatched.named(jobs.PROCESS_INBOUND) == [(row.id,)]

    def test_the_same_file_twice_is_a_duplicate(self, app, tmp_path, dispatched):
        path = _eml(tmp_path, "q.eml")
        inject(app, path)
        again = inject(app, path)
        assert [r.outcome for r in again.results] == [DUPLICATE]
        assert len(_rows()) == 1 and len(dispatched.named(jobs.PROCESS_INBOUND)) == 1

    def test_a_folder_of_eml_files(self, app, tmp_path):
        _eml(tmp_path, "a.eml")
        _eml(tmp_path, "b.eml")
        (tmp_path / "notes.txt").write_text("not mail")
        report = inject(app, tmp_path)
        assert report.summary() == "2 stored, 0 duplicate, 0 refused"

    def test_a_maildir_reads_new_and_cur(self, app, tmp_path):
        root = _maildir(tmp_path / "Maildir")
        (root / "new" / "1.host").write_bytes(question_email(text="first"))
        (root / "cur" / "2.host:2,S").write_bytes(question_email(text="second"))
        report = inject(app, root)
        assert [r.outcome for r in report.results] == [STORED, STORED]
        assert {b"first" in row.raw for row in _rows()} == {True, False}

    def test_an_mbox_is_split_at_from_lines_and_keeps_the_envelope_sender(self, app, tmp_path):
        box = _mbox(tmp_path / "box", question_email(text="one"), question_email(text="two\n\n>From the chart: K76.0"))
        report = inject(app, box)
        assert report.summary() == "2 stored, 0 duplicate, 0 refused"
        rows = _rows()
        assert [r.mail_from for r in rows] == ["coder@example.org", "coder@example.org"]
        assert rows[1].raw.endswith(b"\n>From the chart: K76.0\n")
        assert not rows[0].raw.startswith(b"From ")

    def test_huge_files_are_refused_with_the_smtp_limit_without_being_stored(self, configure, catalog_db, tmp_path):
        import shutil
        copy = tmp_path / "db.sqlite3"
        shutil.copyfile(catalog_db, copy)
        settings = configure(database_url=f"sqlite:///{copy}", max_message_bytes="2000")
        big = _eml(tmp_path, "big.eml", text="x" * 3000)
        small = _eml(tmp_path, "small.eml")
        box = _mbox(tmp_path / "box", question_email(text="y" * 3000), question_email())
        results = [r for path in (big, small, box) for r in inject(settings, path).results]
        assert [r.outcome for r in results] == [REFUSED, STORED, REFUSED, STORED]
        assert results[0].reason == "larger than CONSULTANT_MAX_MESSAGE_BYTES (2000 bytes)"
        assert len(_rows()) == 2

    def test_an_empty_file_is_refused(self, app, tmp_path):
        (tmp_path / "empty.eml").write_bytes(b"")
        [result] = inject(app, tmp_path / "empty.eml").results
        assert (result.outcome, result.reason) == (REFUSED, "empty file")


class TestMboxMessages:
    def test_a_from_line_inside_a_paragraph_does_not_split(self, tmp_path):
        box = tmp_path / "box"
        box.write_bytes(b"From a@x.example Mon Jan  5 10:00:00 2026\nSubject: s\n\nline\nFrom here on\n")
        [source] = list(mbox_messages(box, 10_000))
        assert source.raw.endswith(b"line\nFrom here on\n")

    def test_mailer_daemon_is_the_null_sender(self, tmp_path):
        box = tmp_path / "box"
        box.write_bytes(b"From MAILER-DAEMON Mon Jan  5 10:00:00 2026\nSubject: s\n\nbounce\n")
        [source] = list(mbox_messages(box, 10_000))
        assert source.envelope_from == ""


class TestEnvelopeSender:
    def test_return_path_wins(self):
        assert envelope_sender(b"Return-Path: <bounces@list.example>\nFrom: a@x.example\n\nbody") == (
            "bounces@list.example")

    def test_null_return_path_is_the_null_sender(self):
        assert envelope_sender(b"Return-Path: <>\nFrom: MAILER-DAEMON@x.example\n\nbody") == ""

    def test_without_return_path_the_from_header_is_used(self):
        assert envelope_sender(b"From: Jane <jane@clinic.example>\n\nbody") == "jane@clinic.example"

    def test_the_mbox_sender_comes_before_the_from_header(self):
        assert envelope_sender(b"From: jane@clinic.example\n\nbody", "relay@x.example") == "relay@x.example"
