from sqlalchemy import select

from consultant.codes.importers import icd10cm
from consultant.codes.models import CatalogCode
from consultant.db.session import session_scope


def _row(code: str) -> CatalogCode:
    with session_scope() as session:
        return session.scalar(select(CatalogCode).where(CatalogCode.system == "icd10cm", CatalogCode.code == code))


class TestLoad:
    def test_billable_code_has_official_descriptor_and_source(self, app):
        row = _row("K76.0")
        assert row.descriptor == "Fatty (change of) liver, not elsewhere classified"
        assert row.kind == "billable"
        assert row.version == "ICD-10-CM 2026"
        assert "simple-icd-10-cm" in row.source

    def test_seventh_character_codes_are_expanded(self, app):
        assert _row("S72.001").kind == "header"
        full = _row("S72.001A")
        assert full.kind == "billable"
        assert full.parent == "S72.001"
        assert "initial encounter for closed fracture" in full.descriptor

    def test_block_named_like_its_category_is_stored_as_the_category(self, app):
        assert _row("B10").kind == "header"
        assert _row("B10.01").kind == "billable"

    def test_chapters_and_blocks_are_kept_apart_from_codes(self, app):
        assert _row("K70-K77").kind == "block"
        assert _row("11").kind == "chapter"

    def test_reload_replaces_rows_without_duplicates(self, app):
        with session_scope() as session:
            before = icd10cm.loaded_count(session)
            assert before > 90_000
            assert icd10cm.load(session) == before
        with session_scope() as session:
            assert icd10cm.loaded_count(session) == before
