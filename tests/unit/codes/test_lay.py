from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, func, select, update

from consultant.codes.lay import STARTER_AUTHOR, load_starter_set, set_lay_description, starter_set
from consultant.codes.models import CatalogCode, LayDescription
from consultant.db.session import session_scope


def _lay(system: str, code: str) -> LayDescription | None:
    with session_scope() as session:
        return session.scalar(select(LayDescription)
                              .where(LayDescription.system == system, LayDescription.code == code))


class TestStarterSet:
    def test_about_twenty_entries_signed_by_the_starter_author(self):
        entries = starter_set()
        assert 18 <= len(entries) <= 25
        assert {e.author for e in entries} == {STARTER_AUTHOR}
        assert all(isinstance(e.written, date) and e.text for e in entries)

    def test_covers_the_requested_codes(self):
        keys = {(e.system, e.code) for e in starter_set()}
        wanted = {("icd10cm", c) for c in ("K76.0", "E11.9", "I10", "J45.909", "M54.50", "N39.0", "F41.1", "K21.9",
                                           "E78.5", "R51.9", "Z00.00")}
        wanted |= {("cpt", c) for c in ("99213", "99214", "20610", "47370", "76940")}
        wanted |= {("hcpcs", "J1100"), ("hcpcs", "G0439")}
        assert wanted <= keys

    def test_icd10cm_entries_are_billable_codes(self, app):
        codes = [e.code for e in starter_set() if e.system == "icd10cm"]
        with session_scope() as session:
            kinds = dict(session.execute(select(CatalogCode.code, CatalogCode.kind).where(
                CatalogCode.system == "icd10cm", CatalogCode.code.in_(codes))).all())
        assert kinds == {code: "billable" for code in codes}

    def test_texts_are_not_the_official_descriptors(self, app):
        entries = [e for e in starter_set() if e.system == "icd10cm"]
        with session_scope() as session:
            official = dict(session.execute(select(CatalogCode.code, CatalogCode.descriptor).where(
                CatalogCode.system == "icd10cm", CatalogCode.code.in_([e.code for e in entries]))).all())
        assert all(e.text.lower() != official[e.code].lower() for e in entries)


class TestLoadStarterSet:
    def test_inserts_every_entry_once(self, app, no_lay_texts):
        with session_scope() as session:
            assert load_starter_set(session) == len(starter_set())
        with session_scope() as session:
            assert load_starter_set(session) == 0
            assert session.scalar(select(func.count()).select_from(LayDescription)) == len(starter_set())
        row = _lay("icd10cm", "K76.0")
        assert row.author == STARTER_AUTHOR
        assert row.written_at == datetime(2026, 11, 24, tzinfo=timezone.utc)

    def test_refreshes_an_unedited_starter_text(self, app):
        with session_scope() as session:
            load_starter_set(session)
            session.execute(update(LayDescription).where(LayDescription.code == "I10").values(text="outdated wording"))
        with session_scope() as session:
            assert load_starter_set(session) == 1
        assert _lay("icd10cm", "I10").text != "outdated wording"

    def test_never_overwrites_a_staff_edit(self, app):
        with session_scope() as session:
            load_starter_set(session)
            set_lay_description(session, "icd10cm", "I10", "Our own newer wording for high blood pressure.",
                                "Dana Coder")
        with session_scope() as session:
            assert load_starter_set(session) == 0
        row = _lay("icd10cm", "I10")
        assert (row.text, row.author) == ("Our own newer wording for high blood pressure.", "Dana Coder")

    def test_leaves_a_staff_text_written_before_the_starter_set(self, app, no_lay_texts):
        with session_scope() as session:
            set_lay_description(session, "cpt", "99213", "Staff text first.", "Dana Coder")
        with session_scope() as session:
            assert load_starter_set(session) == len(starter_set()) - 1
        assert _lay("cpt", "99213").text == "Staff text first."


@pytest.fixture
def no_lay_texts(app):
    """The catalog as before any lay text was loaded (bootstrap loads the starter set)."""
    with session_scope() as session:
        session.execute(delete(LayDescription))


class TestSetLayDescription:
    def test_inserts_with_normalised_code(self, app):
        with session_scope() as session:
            row = set_lay_description(session, "icd10cm", "k760", "  Fat in the liver,\n not from alcohol. ",
                                      "Dana Coder")
            assert row.id is not None
        row = _lay("icd10cm", "K76.0")
        assert (row.text, row.author) == ("Fat in the liver, not from alcohol.", "Dana Coder")

    def test_replaces_the_earlier_text_in_place(self, app):
        with session_scope() as session:
            first = set_lay_description(session, "hcpcs", "J1100", "First text.", "Dana Coder").id
        with session_scope() as session:
            second = set_lay_description(session, "hcpcs", "J1100", "Second text.", "Lee Reviewer")
            assert second.id == first
        row = _lay("hcpcs", "J1100")
        assert (row.text, row.author) == ("Second text.", "Lee Reviewer")
        assert row.updated_at >= row.written_at

    @pytest.mark.parametrize(("system", "text", "author", "message"), [
        ("icd10cm", "   ", "Dana Coder", "needs text"),
        ("icd10cm", "Some text.", " ", "author"),
        ("icd10cm", "Some text.", STARTER_AUTHOR, "author"),
        ("snomed", "Some text.", "Dana Coder", "unknown code system"),
    ])
    def test_rejects_incomplete_entries(self, app, system, text, author, message):
        with session_scope() as session, pytest.raises(ValueError, match=message):
            set_lay_description(session, system, "K76.0", text, author)
