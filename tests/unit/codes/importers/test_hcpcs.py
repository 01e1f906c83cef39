import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from consultant.codes.importers import ImportFormatError, cpt, hcpcs, import_file
from consultant.codes.models import CatalogCode, CatalogRelease
from consultant.db.session import session_scope

CODES = Path(__file__).parents[3] / "fixtures" / "codes"
SAMPLE = CODES / "hcpcs_anweb_sample.txt"
RECORDS = SAMPLE.read_text().splitlines()  # 0-2 LT RT XS, 3 XS continuation, 4 A0425, 5 G0202, 6-7 G0439, 8 J1100


def _code(system: str, code: str) -> CatalogCode | None:
    with session_scope() as session:
        return session.scalar(select(CatalogCode).where(CatalogCode.system == system, CatalogCode.code == code))


def _file(tmp_path: Path, *records: str, name: str = "HCPC2026_JAN_ANWEB.txt") -> Path:
    path = tmp_path / name
    path.write_text("\r\n".join(records) + "\r\n")
    return path


def _put(record: str, column: int, text: str) -> str:
    """`record` with `text` written from 1-based `column` on."""
    record = record.ljust(320)
    return record[:column - 1] + text + record[column - 1 + len(text):]


class TestLoad:
    def test_procedure_with_attributes_dates_and_source(self, app):
        with session_scope() as session:
            hcpcs.load(session, SAMPLE)
        row = _code("hcpcs", "A0425")
        assert (row.descriptor, row.short_descriptor) == ("Ground mileage, per statute mile", "Ground mileage")
        assert row.kind == "billable"
        assert row.effective_date == date(1995, 1, 1)
        assert row.deletion_date is None
        assert row.attributes == {"coverage_code": "D", "betos": "O1A", "action_code": "N",
                                  "action_effective_date": "1995-01-01", "pricing_indicators": ["52"]}
        assert (row.source, row.version) == ("hcpcs_anweb_sample.txt", "HCPCS 2025 Q1")

    def test_continuation_records_complete_the_long_description(self, app):
        with session_scope() as session:
            hcpcs.load(session, SAMPLE)
        assert _code("hcpcs", "G0439").descriptor == (
            "Annual wellness visit, includes a personalized prevention plan of service (pps), subsequent visit")
        assert _code("modifier", "XS").descriptor == (
            "Separate structure, a service that is distinct because it was performed on a separate organ/structure")

    def test_terminated_code_keeps_its_termination_date(self, app):
        with session_scope() as session:
            hcpcs.load(session, SAMPLE)
        row = _code("hcpcs", "G0202")
        assert (row.effective_date, row.deletion_date) == (date(2002, 4, 1), date(2017, 12, 31))
        assert row.attributes["action_code"] == "D"

    def test_modifiers_go_to_the_modifier_system_marked_as_hcpcs(self, app):
        with session_scope() as session:
            report = hcpcs.load(session, SAMPLE)
        row = _code("modifier", "LT")
        assert (row.kind, row.short_descriptor) == ("modifier", "Left side")
        assert row.attributes["set"] == "hcpcs"
        assert _code("hcpcs", "LT") is None
        assert (report.system, report.added, report.rows) == ("hcpcs", 7, 7)  # 4 procedures + 3 modifiers
        with session_scope() as session:
            releases = session.scalars(select(CatalogRelease).where(CatalogRelease.source == SAMPLE.name)).all()
        assert sorted((r.system, r.added) for r in releases) == [("hcpcs", 4), ("modifier", 3)]

    def test_registry_import_with_quarter_from_the_cms_file_name(self, app, tmp_path):
        path = tmp_path / "HCPC2026_JAN_ANWEB.txt"
        shutil.copyfile(SAMPLE, path)
        with session_scope() as session:
            report = import_file(session, "hcpcs", path)
        assert (report.version, report.source) == ("HCPCS 2026 Q1", "HCPC2026_JAN_ANWEB.txt")
        assert _code("hcpcs", "J1100").version == "HCPCS 2026 Q1"
        assert _code("modifier", "RT").version == "HCPCS 2026 Q1"

    def test_reimport_changes_nothing_and_keeps_ids(self, app):
        with session_scope() as session:
            hcpcs.load(session, SAMPLE)
        before = _code("hcpcs", "J1100").id
        with session_scope() as session:
            again = hcpcs.load(session, SAMPLE)
        assert (again.added, again.changed, again.removed) == (0, 0, 0)
        assert _code("hcpcs", "J1100").id == before

    def test_next_quarter_records_changes_and_removals_in_both_systems(self, app, tmp_path):
        with session_scope() as session:
            hcpcs.load(session, SAMPLE)
        j1100 = _put(RECORDS[8], 293, "C")
        with session_scope() as session:
            report = hcpcs.load(session, _file(tmp_path, RECORDS[0], RECORDS[4], j1100))
        assert (report.added, report.changed, report.removed) == (0, 1, 4)  # G0202 G0439 RT XS gone
        assert _code("hcpcs", "J1100").attributes["action_code"] == "C"
        assert _code("modifier", "XS") is None

    def test_cpt_modifiers_survive_an_hcpcs_import(self, app):
        with session_scope() as session:
            cpt.load(session, CODES / "cpt_modifier_sample.txt")
        with session_scope() as session:
            hcpcs.load(session, SAMPLE)
        assert _code("modifier", "25").attributes["set"] == "cpt"
        assert _code("modifier", "LT").attributes["set"] == "hcpcs"

    def test_malformed_file_writes_nothing(self, app):
        with pytest.raises(ImportFormatError) as caught, session_scope() as session:
            hcpcs.load(session, CODES / "hcpcs_anweb_malformed.txt")
        assert (caught.value.line, caught.value.source) == (5, "hcpcs_anweb_malformed.txt")
        assert "'19951301' is not a YYYYMMDD date" in caught.value.reason
        assert _code("modifier", "LT") is None  # lines 1-4 were good, and still nothing was written
        with session_scope() as session:
            releases = select(CatalogRelease).where(CatalogRelease.system.in_(["hcpcs", "modifier"]))
            assert session.scalar(releases) is None


class TestParse:
    def test_records_with_trailing_blanks_trimmed_or_kept_read_the_same(self, tmp_path):
        trimmed = hcpcs.parse(_file(tmp_path, *(r.rstrip() for r in RECORDS)))
        padded = hcpcs.parse(_file(tmp_path, *(r.ljust(320) for r in RECORDS), name="padded.txt"))
        assert trimmed == padded
        assert [row.code for row in trimmed[0]] == ["A0425", "G0202", "G0439", "J1100"]
        assert [row.code for row in trimmed[1]] == ["LT", "RT", "XS"]

    @pytest.mark.parametrize(("record", "reason"), [
        (RECORDS[4].ljust(320) + "X", "321 characters; records are 320"),
        ("A0425001", "8 characters"),
        (_put(RECORDS[4], 11, "5"), "record id '5' in column 11"),
        (_put(RECORDS[4], 6, "00A00"), "sequence number '00A00'"),
        (_put(RECORDS[4], 1, "A042 "), "'A042 ' is not a HCPCS Level II code"),
        (_put(RECORDS[4], 1, "04250"), "'04250' is not a HCPCS Level II code"),
        (_put(RECORDS[0], 1, "X"), "'X  LT' is not a modifier"),
        (_put(RECORDS[4], 277, "2025-1-1"), "action effective date (277-284) '2025-1-1'"),
        (_put(RECORDS[4], 285, "20250230"), "termination date (285-292) '20250230'"),
        (_put(RECORDS[4], 12, " " * 80), "A0425 has no long description"),
    ])
    def test_malformed_record_is_named_with_its_reason(self, tmp_path, record, reason):
        with pytest.raises(ImportFormatError) as caught:
            hcpcs.parse(_file(tmp_path, RECORDS[8], record))
        assert caught.value.line == 2
        assert reason in caught.value.reason

    def test_continuation_must_follow_its_first_record(self, tmp_path):
        with pytest.raises(ImportFormatError, match="line 2: continuation of G0439 does not follow"):
            hcpcs.parse(_file(tmp_path, RECORDS[4], RECORDS[7]))
        with pytest.raises(ImportFormatError, match="line 2: continuation of XS does not follow"):
            hcpcs.parse(_file(tmp_path, RECORDS[4], RECORDS[3]))

    def test_repeated_code_is_refused(self, tmp_path):
        with pytest.raises(ImportFormatError, match="line 3: J1100 repeats line 1"):
            hcpcs.parse(_file(tmp_path, RECORDS[8], RECORDS[4], RECORDS[8]))

    def test_file_without_procedures_is_refused(self, tmp_path):
        with pytest.raises(ImportFormatError, match="no procedure records"):
            hcpcs.parse(_file(tmp_path, RECORDS[0], RECORDS[1]))


class TestDefaultVersion:
    @pytest.mark.parametrize(("name", "version"), [
        ("HCPC2026_JAN_ANWEB.txt", "HCPCS 2026 Q1"),
        ("HCPC2026_APR_ANWEB_v2.txt", "HCPCS 2026 Q2"),
        ("HCPC2025_OCT_ANWEB.txt", "HCPCS 2025 Q4"),
        ("HCPC2016_CONTR_ANWEB.txt", "HCPCS 2016"),
    ])
    def test_from_the_cms_file_name(self, name, version):
        assert hcpcs.default_version(Path(name), []) == version

    def test_from_the_latest_action_effective_date_inside(self):
        procedures, modifiers = hcpcs.parse(SAMPLE)
        assert hcpcs.default_version(SAMPLE, procedures + modifiers) == "HCPCS 2025 Q1"

    def test_nothing_to_go_by(self):
        assert hcpcs.default_version(Path("codes.txt"), []) == "HCPCS"


def _release(report) -> CatalogRelease:
    with session_scope() as session:
        return session.get(CatalogRelease, report.release_id)


def _official_codes(letters: str, per_letter: int) -> list:
    from consultant.codes.importers.base import CodeRow

    return [CodeRow(f"{letter}{n:04d}", "test") for letter in letters for n in range(per_letter)]


class TestCoverage:
    """Only the whole official file defines which HCPCS codes exist, for the quarter in its name."""

    def test_an_extract_is_partial_and_says_why(self, app):
        with session_scope() as session:
            report = hcpcs.load(session, SAMPLE)
        release = _release(report)
        assert (release.full, release.valid_from, release.valid_to) == (False, None, None)
        assert "4 procedure codes, fewer than the 5,000 the official file has" in report.summary()
        assert "\"not in the loaded file\", never invalid" in report.summary()

    def test_full_given_is_stored_with_the_quarter_of_the_cms_file_name(self, app, tmp_path):
        path = tmp_path / "HCPC2026_APR_ANWEB.txt"
        shutil.copyfile(SAMPLE, path)
        with session_scope() as session:
            report = import_file(session, "hcpcs", path, full=True)
        release = _release(report)
        assert (release.full, release.valid_from, release.valid_to) == (True, date(2026, 4, 1), date(2026, 6, 30))
        with session_scope() as session:
            modifiers = session.scalars(select(CatalogRelease).where(CatalogRelease.system == "modifier")).one()
        assert modifiers.full is False  # CPT modifiers come from the AMA's file: neither list is the whole set

    def test_partial_given_wins_over_the_size(self, app, tmp_path):
        with session_scope() as session:
            report = hcpcs.load(session, SAMPLE, full=False)
        assert _release(report).full is False and "--partial given" in report.summary()

    def test_the_official_size_in_every_section_is_full_without_the_option(self):
        coverage = hcpcs.coverage_of(Path("HCPC2026_JAN_ANWEB.txt"), _official_codes(hcpcs.SECTIONS, 320))
        assert (coverage.full, coverage.valid_from, coverage.valid_to) == (True, date(2026, 1, 1), date(2026, 3, 31))

    def test_many_codes_in_one_section_are_an_extract(self):
        coverage = hcpcs.coverage_of(Path("HCPC2026_JAN_ANWEB.txt"), _official_codes("J", 5100))
        assert not coverage.full and coverage.basis.startswith("no procedure codes in section(s) A, B, C,")

    def test_no_quarter_in_the_name_no_dates(self):
        coverage = hcpcs.coverage_of(Path("hcpcs.txt"), _official_codes(hcpcs.SECTIONS, 320))
        assert coverage.full and (coverage.valid_from, coverage.valid_to) == (None, None)
