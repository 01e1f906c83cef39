from functools import cache

from sqlalchemy import delete, func, insert, select, update

from consultant.codes.importers import icd10cm
from consultant.codes.models import CatalogChange, CatalogCode, CatalogRelease, CodeNote
from consultant.db.session import session_scope


def _row(code: str) -> CatalogCode:
    with session_scope() as session:
        return session.scalar(select(CatalogCode).where(CatalogCode.system == "icd10cm", CatalogCode.code == code))


def _notes(code: str, kind: str | None = None) -> list[CodeNote]:
    with session_scope() as session:
        query = select(CodeNote).where(CodeNote.system == "icd10cm", CodeNote.code == code)
        if kind:
            query = query.where(CodeNote.kind == kind)
        return list(session.scalars(query.order_by(CodeNote.position)))


def _ids(session) -> dict[str, int]:
    return dict(session.execute(select(CatalogCode.code, CatalogCode.id).where(CatalogCode.system == "icd10cm")).all())


@cache
def _parsed() -> icd10cm.Tabular:
    return icd10cm.parse(*icd10cm.data_files())


class TestDataFiles:
    def test_finds_the_packaged_tabular_xml_and_code_list(self):
        tabular, code_list = icd10cm.data_files()
        assert tabular.suffix == ".xml" and "tabular" in tabular.name and "2026" in tabular.name
        assert code_list.name.startswith("code-list") and code_list.exists()


class TestParse:
    def test_every_code_of_the_cms_code_list_and_nothing_else(self):
        _, code_list = icd10cm.data_files()
        listed = {line.split(" ")[0] for line in code_list.read_text("utf-8").splitlines() if line.strip()}
        parsed = [row.code.replace(".", "") for row in _parsed().codes]
        assert len(parsed) == len(set(parsed))
        assert set(parsed) == listed

    def test_seventh_character_descriptor_leaves_out_the_extension_notes(self):
        rows = {row.code: row for row in _parsed().codes if row.code.startswith("H34.812")}
        assert rows["H34.8122"].descriptor == "Central retinal vein occlusion, left eye, stable"
        assert rows["H34.8122"].parent == "H34.812"

    def test_placeholder_x_pads_short_codes(self):
        codes = {row.code for row in _parsed().codes}
        assert {"T07.XXXA", "T07.XXXD", "T07.XXXS", "S00.00XA", "T36.0X5A"} <= codes

    def test_notes_are_numbered_per_code_in_tabular_order(self):
        notes = [n for n in _parsed().notes if n.code == "K76.0"]
        assert [(n.position, n.kind) for n in notes] == [
            (0, "inclusion_term"), (1, "inclusion_term"), (2, "excludes1")]

    def test_all_note_kinds_are_read(self):
        kinds = {n.kind for n in _parsed().notes}
        assert kinds == {"inclusion_term", "includes", "excludes1", "excludes2", "code_first",
                         "use_additional_code", "code_also", "note", "seven_chr_note", "seven_chr_def"}

    def test_extension_note_follows_its_character(self):
        texts = [n.text for n in _parsed().notes if n.code == "H34.81" and n.kind == "seven_chr_def"]
        assert texts == ["0: with macular edema", "1: with retinal neovascularization",
                         "2: stable; Old central retinal vein occlusion"]


class TestLoad:
    def test_billable_code_has_official_descriptor_and_source(self, app):
        row = _row("K76.0")
        assert row.descriptor == "Fatty (change of) liver, not elsewhere classified"
        assert row.kind == "billable"
        assert row.version == "ICD-10-CM 2026"
        assert "simple-icd-10-cm" in row.source
        assert "tabular" in row.source

    def test_seventh_character_codes_are_expanded(self, app):
        assert _row("S72.001").kind == "header"
        full = _row("S72.001A")
        assert full.kind == "billable"
        assert full.parent == "S72.001"
        assert "initial encounter for closed fracture" in full.descriptor

    def test_block_named_like_its_category_is_stored_as_the_category(self, app):
        row = _row("B10")
        assert row.kind == "header"
        assert row.parent == "1"
        assert row.attributes == {"chapter": "1", "section": "B10"}
        assert _row("B10.01").kind == "billable"

    def test_notes_of_a_block_named_like_its_category_go_to_the_category(self, app):
        texts = [n.text for n in _notes("T07", "excludes1")]
        assert "burns and corrosions (T20-T32)" in texts

    def test_chapters_and_blocks_are_kept_apart_from_codes(self, app):
        assert _row("K70-K77").kind == "block"
        assert _row("K70-K77").parent == "11"
        assert _row("11").kind == "chapter"
        assert _row("11").parent is None
        assert _row("K76").parent == "K70-K77"

    def test_attributes_name_chapter_and_block(self, app):
        assert _row("K76.0").attributes == {"chapter": "11", "section": "K70-K77"}
        assert _row("S72.001A").attributes == {"chapter": "19", "section": "S70-S79"}

    def test_excludes1_note_has_its_code_ref(self, app):
        [note] = _notes("K76.0", "excludes1")
        assert note.text == "nonalcoholic steatohepatitis (NASH) (K75.81)"
        assert note.refs == [{"code": "K75.81"}]

    def test_range_and_prefix_refs(self, app):
        viral = [n for n in _notes("K70-K77", "excludes2") if n.text.startswith("viral hepatitis")]
        assert viral[0].refs == [{"from": "B15", "to": "B19"}]
        alcoholic = [n for n in _notes("K76", "excludes2") if n.text.startswith("alcoholic liver disease")]
        assert alcoholic[0].refs == [{"prefix": "K70"}]

    def test_expanded_refs_keep_only_existing_codes(self, app):
        with session_scope() as session:
            notes = session.scalars(select(CodeNote).where(CodeNote.system == "icd10cm",
                                                           CodeNote.text.like("%(E08-E13 with .41)%"))).all()
        assert notes
        refs = notes[0].refs
        assert {"code": "E11.41"} in refs
        assert {"code": "E12.41"} not in refs  # there is no category E12

    def test_inclusion_terms_and_seventh_character_definitions(self, app):
        assert [n.text for n in _notes("K76.0", "inclusion_term")] == [
            "Metabolic dysfunction-associated steatotic liver disease (MASLD)",
            "Nonalcoholic fatty liver disease (NAFLD)"]
        sevenths = [n.text for n in _notes("S72", "seven_chr_def")]
        assert sevenths[0] == "A: initial encounter for closed fracture"
        assert len(sevenths) == 16
        assert all(n.refs == [] for n in _notes("S72", "seven_chr_def"))

    def test_chapter_notes_are_kept(self, app):
        texts = [n.text for n in _notes("1", "excludes2")]
        assert "influenza and other acute respiratory infections (J00-J22)" in texts

    def test_notes_belong_to_the_load_release(self, app):
        with session_scope() as session:
            release = session.scalar(select(CatalogRelease).where(CatalogRelease.system == "icd10cm")
                                     .order_by(CatalogRelease.id.desc()))
            assert release.version == "ICD-10-CM 2026"
            assert release.added > 90_000
            other = session.scalar(select(func.count()).select_from(CodeNote)
                                   .where(CodeNote.system == "icd10cm", CodeNote.release_id != release.id))
            assert other == 0

    def test_reload_keeps_row_ids_and_records_no_changes(self, app):
        with session_scope() as session:
            before = icd10cm.loaded_count(session)
            assert before > 90_000
            ids = _ids(session)
            notes = session.scalar(select(func.count()).select_from(CodeNote).where(CodeNote.system == "icd10cm"))
            assert icd10cm.load(session) == before
        with session_scope() as session:
            assert icd10cm.loaded_count(session) == before
            assert _ids(session) == ids
            release = session.scalar(select(CatalogRelease).order_by(CatalogRelease.id.desc()))
            assert (release.added, release.changed, release.removed) == (0, 0, 0)
            assert session.scalar(select(func.count()).select_from(CatalogChange)
                                  .where(CatalogChange.release_id == release.id)) == 0
            assert session.scalar(select(func.count()).select_from(CodeNote)
                                  .where(CodeNote.system == "icd10cm")) == notes
            assert session.scalar(select(func.count()).select_from(CatalogRelease)
                                  .where(CatalogRelease.system == "icd10cm")) == 2


class TestLoadReport:
    def test_reload_records_history_of_changed_removed_and_added_codes(self, app):
        with session_scope() as session:
            k760 = _ids(session)["K76.0"]
            session.execute(update(CatalogCode).where(CatalogCode.id == k760)
                            .values(descriptor="Fatty liver (old text)"))
            session.execute(delete(CatalogCode).where(CatalogCode.system == "icd10cm", CatalogCode.code == "K76.1"))
            session.execute(insert(CatalogCode).values(system="icd10cm", code="K76.X", descriptor="retired",
                                                       kind="billable", source="test", version="old", attributes={}))
        with session_scope() as session:
            report = icd10cm.load_report(session)
        assert (report.added, report.changed, report.removed) == (1, 1, 1)
        with session_scope() as session:
            changes = {(c.code, c.change): c for c in session.scalars(
                select(CatalogChange).where(CatalogChange.release_id == report.release_id))}
        assert set(changes) == {("K76.0", "changed"), ("K76.1", "added"), ("K76.X", "removed")}
        changed = changes[("K76.0", "changed")]
        assert (changed.field, changed.old, changed.new) == (
            "descriptor", "Fatty liver (old text)", "Fatty (change of) liver, not elsewhere classified")
        row = _row("K76.0")
        assert row.id == k760
        assert row.descriptor == "Fatty (change of) liver, not elsewhere classified"
        assert row.release_id == report.release_id
        assert _row("K76.X") is None


class TestLoadedCount:
    def test_counts_only_icd10cm(self, app):
        with session_scope() as session:
            count = icd10cm.loaded_count(session)
            session.execute(insert(CatalogCode).values(system="hcpcs", code="J1100", descriptor="x", kind="billable",
                                                       source="test", version="test", attributes={}))
            assert icd10cm.loaded_count(session) == count == len(_parsed().codes)


class TestCoverage:
    def test_the_packaged_release_is_full_for_its_fiscal_year(self, app):
        with session_scope() as session:
            release = session.scalars(select(CatalogRelease).where(CatalogRelease.system == "icd10cm")).one()
        assert release.full is True
        assert (release.valid_from.isoformat(), release.valid_to.isoformat()) == ("2025-10-01", "2026-09-30")

    def test_the_fiscal_year_comes_from_the_date_in_the_file_name(self):
        assert (icd10cm.coverage_of("icd10cm-tabular-October-1-2026.xml").valid_from.isoformat(),
                icd10cm.coverage_of("icd10cm-tabular-October-1-2026.xml").valid_to.isoformat()) == (
            "2026-10-01", "2027-09-30")
        assert icd10cm.coverage_of("tabular.xml", "ICD-10-CM 2026").valid_to.isoformat() == "2026-09-30"
        assert icd10cm.coverage_of("tabular.xml", "ICD-10-CM").full is True
