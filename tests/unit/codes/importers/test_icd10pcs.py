from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from consultant.codes.importers import ImportFormatError, icd10pcs, import_file
from consultant.codes.models import CatalogCode, CatalogRelease
from consultant.db.session import session_scope

CODES = Path(__file__).parents[3] / "fixtures" / "codes"
SAMPLE = CODES / "pcs_order_sample.txt"
# a real row of the order file: order number, code, flag, short description (59 characters), long
LINE = ("00002 0016070 1 Bypass Cereb Vent to Nasophar with Autol Sub, Open Approach  "
        "Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach")
HEADER = "00001 001     0 " + "Central Nervous System and Cranial Nerves, Bypass".ljust(60) + \
    " Central Nervous System and Cranial Nerves, Bypass"


def _pcs(code: str) -> CatalogCode | None:
    with session_scope() as session:
        return session.scalar(select(CatalogCode).where(CatalogCode.system == "pcs", CatalogCode.code == code))


def _file(tmp_path: Path, *lines: str, name: str = "icd10pcs_order_2026.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


class TestLoad:
    def test_billable_code_has_long_and_short_descriptions_and_its_table_as_parent(self, app):
        with session_scope() as session:
            report = icd10pcs.load(session, SAMPLE)
        assert (report.system, report.added, report.rows) == ("pcs", 10, 10)
        row = _pcs("0F504ZZ")
        assert row.descriptor == "Destruction of Liver, Percutaneous Endoscopic Approach"
        assert row.short_descriptor == "Destruction of Liver, Perc Endo Approach"
        assert (row.kind, row.parent) == ("billable", "0F5")
        assert (row.source, row.version) == ("pcs_order_sample.txt", "ICD-10-PCS")

    def test_three_character_table_is_a_header_without_parent(self, app):
        with session_scope() as session:
            icd10pcs.load(session, SAMPLE)
        row = _pcs("0F5")
        assert (row.kind, row.parent) == ("header", None)
        assert row.descriptor == "Hepatobiliary System and Pancreas, Destruction"

    def test_version_comes_from_the_cms_file_name_unless_given(self, app, tmp_path):
        named = _file(tmp_path, HEADER, LINE)
        with session_scope() as session:
            assert icd10pcs.load(session, named).version == "ICD-10-PCS 2026"
        with session_scope() as session:
            report = icd10pcs.load(session, named, version="ICD-10-PCS 2026 (errata)")
        assert _pcs("0016070").version == "ICD-10-PCS 2026 (errata)"
        with session_scope() as session:
            assert session.get(CatalogRelease, report.release_id).version == "ICD-10-PCS 2026 (errata)"

    def test_registry_imports_the_order_file(self, app):
        with session_scope() as session:
            report = import_file(session, "icd10pcs", SAMPLE)
        assert (report.system, report.source) == ("pcs", "pcs_order_sample.txt")
        assert _pcs("0FB03ZX").descriptor == "Excision of Liver, Percutaneous Approach, Diagnostic"

    def test_next_year_file_updates_changes_and_removes(self, app, tmp_path):
        with session_scope() as session:
            icd10pcs.load(session, SAMPLE)
        kept_id = _pcs("0016070").id
        revised = LINE.replace("Open Approach", "Open Approach, revised", 1)
        with session_scope() as session:
            report = icd10pcs.load(session, _file(tmp_path, HEADER, revised))
        assert (report.added, report.changed, report.removed) == (0, 1, 8)
        assert _pcs("0016070").id == kept_id
        assert _pcs("0F504ZZ") is None

    def test_malformed_file_writes_nothing(self, app):
        with pytest.raises(ImportFormatError) as caught, session_scope() as session:
            icd10pcs.load(session, CODES / "pcs_order_malformed.txt")
        assert caught.value.line == 5
        assert "flag '2'" in caught.value.reason
        assert _pcs("001") is None
        with session_scope() as session:
            assert session.scalar(select(CatalogRelease).where(CatalogRelease.system == "pcs")) is None


class TestParse:
    def test_reads_every_row_of_the_sample(self):
        rows = icd10pcs.parse(SAMPLE)
        assert [row.code for row in rows][:3] == ["001", "0016070", "0F5"]
        assert {row.kind for row in rows} == {"billable", "header"}
        assert sum(row.kind == "header" for row in rows) == 3

    def test_short_description_of_exactly_60_characters_and_trailing_blanks(self, tmp_path):
        short = "X" * 60
        [row] = icd10pcs.parse(_file(tmp_path, f"00001 0F504ZZ 1 {short} Long text   "))
        assert (row.short_descriptor, row.descriptor) == (short, "Long text")

    @pytest.mark.parametrize(("line", "reason"), [
        (LINE[:70], "long description starts at column 78"),
        (LINE[:5] + "-" + LINE[6:], "columns 6, 14, 16 and 77 must be blank"),
        (LINE[:76] + "x" + LINE[77:], "columns 6, 14, 16 and 77 must be blank"),
        ("0000A" + LINE[5:], "order number '0000A'"),
        (LINE.replace("0016070", "0016O70"), "'0016O70' is not an ICD-10-PCS code"),
        (LINE.replace("0016070", "0016-70"), "is not an ICD-10-PCS code"),
        (LINE[:14] + "2" + LINE[15:], "flag '2' is neither 0 nor 1"),
        (HEADER[:14] + "1" + HEADER[15:], "001 is flagged billable but has 3 characters"),
        (LINE[:16] + " " * 60 + LINE[76:], "0016070 has no short description"),
    ])
    def test_malformed_line_is_named_with_its_reason(self, tmp_path, line, reason):
        with pytest.raises(ImportFormatError) as caught:
            icd10pcs.parse(_file(tmp_path, HEADER, line))
        assert caught.value.line == 2
        assert reason in caught.value.reason
        assert str(caught.value).startswith("icd10pcs_order_2026.txt: line 2: ")

    def test_repeated_code_is_refused(self, tmp_path):
        with pytest.raises(ImportFormatError, match="line 3: code 0016070 repeats line 2"):
            icd10pcs.parse(_file(tmp_path, HEADER, LINE, LINE))

    def test_empty_file_is_refused_rather_than_emptying_the_catalog(self, tmp_path):
        with pytest.raises(ImportFormatError, match="no codes"):
            icd10pcs.parse(_file(tmp_path, "", ""))


class TestDefaultVersion:
    def test_year_in_the_cms_name(self):
        assert icd10pcs.default_version(Path("icd10pcs_order_2026.txt")) == "ICD-10-PCS 2026"

    def test_no_year_in_the_name(self):
        assert icd10pcs.default_version(Path("pcs_order_sample.txt")) == "ICD-10-PCS"


class TestCoverage:
    """Only the whole official order file defines which ICD-10-PCS codes exist, for its fiscal year."""

    def _rows(self, sections: str, per_section: int) -> list:
        from consultant.codes.importers.base import CodeRow

        return [CodeRow(f"{s}{n:06d}", "test") for s in sections for n in range(per_section)]

    def test_the_sample_is_partial_for_the_fiscal_year_of_its_name(self, app, tmp_path):
        named = _file(tmp_path, *SAMPLE.read_text().splitlines(), name="icd10pcs_order_2026.txt")
        with session_scope() as session:
            report = icd10pcs.load(session, named)
            release = session.get(CatalogRelease, report.release_id)
        assert (release.full, release.valid_from, release.valid_to) == (False, date(2025, 10, 1), date(2026, 9, 30))
        assert "fewer than the 70,000 the official file has" in report.summary()

    def test_full_given_is_stored(self, app):
        with session_scope() as session:
            report = import_file(session, "icd10pcs", SAMPLE, full=True)
            release = session.get(CatalogRelease, report.release_id)
        assert (release.full, release.valid_from) == (True, None)  # no year in the name: dates not stated

    def test_the_official_size_in_every_section_is_full(self):
        coverage = icd10pcs.coverage_of(Path("icd10pcs_order_2027.txt"), "ICD-10-PCS 2027",
                                        self._rows(icd10pcs.SECTIONS, 4200))
        assert (coverage.full, coverage.valid_from, coverage.valid_to) == (True, date(2026, 10, 1), date(2027, 9, 30))

    def test_a_missing_section_is_partial(self):
        coverage = icd10pcs.coverage_of(Path("icd10pcs_order_2026.txt"), "ICD-10-PCS 2026",
                                        self._rows(icd10pcs.SECTIONS.replace("X", ""), 4500))
        assert not coverage.full and "section(s) X" in coverage.basis
