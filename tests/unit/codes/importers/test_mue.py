from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consultant.codes.importers import ImportFormatError, import_file, mue
from consultant.codes.importers.base import read_lines
from consultant.codes.models import CatalogChange, CatalogRelease, MueLimit
from consultant.db.session import session_scope

CODES = Path(__file__).parents[3] / "fixtures" / "codes"
PRACTITIONER = CODES / "mue_practitioner_sample.txt"
OUTPATIENT = CODES / "mue_outpatient_sample.txt"
HEADER = "HCPCS/CPT Code\tPractitioner Services MUE Values\tMUE Adjudication Indicator\tMUE Rationale"


def _file(tmp_path: Path, name: str, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / name
    lines = ["CPT codes, descriptions and other data only are copyright 2025 American Medical Association.", header, *rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def _limits(setting: str) -> dict[tuple[str, date | None], MueLimit]:
    with session_scope() as session:
        rows = session.scalars(select(MueLimit).where(MueLimit.setting == setting)).all()
    return {(r.code, r.effective_date): r for r in rows}


def _counts() -> tuple[int, int, int]:
    with session_scope() as session:
        return (session.scalar(select(func.count()).select_from(MueLimit)),
                session.scalar(select(func.count()).select_from(CatalogRelease).where(CatalogRelease.system == "mue")),
                session.scalar(select(func.count()).select_from(CatalogChange).where(CatalogChange.system == "mue")))


def _load(path: Path, version: str | None = None, **kwargs):
    with session_scope() as session:
        return mue.load(session, path, version=version, **kwargs)


class TestParse:
    def test_reads_the_tab_delimited_table(self):
        table = mue.parse(read_lines(PRACTITIONER), "mue_practitioner_sample.txt")
        assert table.setting == "practitioner"
        assert len(table.rows) == 10
        row = next(r for r in table.rows if r.code == "11102")
        assert (row.value, row.adjudication_indicator, row.rationale, row.line) == (1, 2, "Clinical: Data", 5)
        assert next(r for r in table.rows if r.code == "J1100").value == 120

    def test_reads_the_cms_csv_with_its_quoted_multiline_notice_and_wrapped_header(self):
        table = mue.parse(read_lines(OUTPATIENT))
        assert table.setting == "outpatient-hospital"
        assert table.preamble == ["CPT codes, descriptions and other data only are copyright 2025 American Medical "
                                  "Association. All Rights Reserved. Applicable FARS/DFARS Apply."]
        assert [(r.code, r.value, r.adjudication_indicator, r.line) for r in table.rows][:2] == [
            ("20610", 2, 1, 6), ("36415", 2, 3, 7)]

    @pytest.mark.parametrize(("column", "setting"), [
        ("Practitioner Services MUE Values", "practitioner"),
        ("Outpatient Hospital Services MUE Values", "outpatient-hospital"),
        ("Facility Outpatient Hospital Services MUE Values", "outpatient-hospital"),
        ("DME Supplier Services MUE Values", "dme"),
        ("MUE Values", None),
    ])
    def test_value_column_names_the_setting(self, column, setting):
        header = f"HCPCS/CPT Code,{column},MUE Adjudication Indicator,MUE Rationale"
        assert mue.parse([header, "E0114,1,1 Line Edit,Nature of Equipment"]).setting == setting

    def test_columns_are_found_by_name(self):
        header = "HCPCS/CPT Code,MUE Rationale,MUE Adjudication Indicator,Practitioner Services MUE Values"
        [row] = mue.parse([header, "36415,CMS Policy,2 Date of Service Edit: Policy,4"]).rows
        assert (row.value, row.adjudication_indicator, row.rationale) == (4, 2, "CMS Policy")

    def test_bare_indicator_digit_and_zero_value_are_accepted(self):
        [row] = mue.parse([HEADER, "0002M\t0\t3\tNature of Analyte"]).rows
        assert (row.value, row.adjudication_indicator) == (0, 3)

    @pytest.mark.parametrize(("fixture", "line", "reason"), [
        ("mue_practitioner_malformed_indicator.txt", 8,
         "adjudication indicator '4 Date of Service Edit: Clinical' does not start with 1, 2 or 3"),
        ("mue_outpatient_malformed_value.txt", 9, "MUE value 'one' is not a whole number"),
    ])
    def test_malformed_fixture_names_line_and_reason(self, fixture, line, reason):
        with pytest.raises(ImportFormatError) as raised:
            mue.parse(read_lines(CODES / fixture), fixture)
        assert (raised.value.line, raised.value.reason, raised.value.source) == (line, reason, fixture)

    @pytest.mark.parametrize(("row", "reason"), [
        ("1110\t1\t2 Date of Service Edit: Policy\tClinical: Data", "code '1110' is not a 5-character CPT/HCPCS code"),
        ("11102\t-1\t2 Date of Service Edit: Policy\tClinical: Data", "MUE value '-1' is not a whole number"),
        ("11102\t1\t1 Date of Service Edit: Policy\tClinical: Data",
         "adjudication indicator '1 Date of Service Edit: Policy': 1 is 'line edit'"),
        ("11102\t1\t2 Date of Service Edit: Policy\t", "MUE rationale is empty"),
        ("11102\t1\t2 Date of Service Edit: Policy",
         "3 fields, expected 4 (code, MUE value, adjudication indicator, rationale)"),
        ("11102\t1\t2 Date of Service Edit: Policy\tClinical: Data\textra",
         "5 fields, expected 4 (code, MUE value, adjudication indicator, rationale)"),
    ])
    def test_bad_row_is_refused_with_its_reason(self, row, reason):
        with pytest.raises(ImportFormatError) as raised:
            mue.parse(["notice", HEADER, "11103\t6\t2 Date of Service Edit: Policy\tClinical: Data", row])
        assert (raised.value.line, raised.value.reason) == (4, reason)

    def test_conflicting_duplicate_code_is_refused(self):
        rows = ["11102\t1\t2\tClinical: Data", "11102\t2\t2\tClinical: Data"]
        with pytest.raises(ImportFormatError, match="line 3: code 11102 differs from line 2"):
            mue.parse([HEADER, *rows])

    def test_header_without_indicator_column_is_refused(self):
        with pytest.raises(ImportFormatError) as raised:
            mue.parse(["HCPCS/CPT Code,Practitioner Services MUE Values,MUE Rationale", "11102,1,Clinical: Data"])
        assert (raised.value.line, raised.value.reason) == (1, "header lacks 'MUE Adjudication Indicator'")

    def test_file_of_something_else_is_refused(self):
        with pytest.raises(ImportFormatError, match="not a CMS MUE table"):
            mue.parse(["Column1/Column2 Edits", "Column 1\tColumn 2\tEffective Date"])


class TestSettingOf:
    def test_header_names_the_setting(self):
        assert mue.setting_of("table.csv", "dme") == "dme"

    def test_file_name_or_argument_names_it_when_the_header_does_not(self):
        assert mue.setting_of("MCR_MUE_OutpatientHospitalServices_Eff_01-01-2026.csv", None) == "outpatient-hospital"
        assert mue.setting_of("table.csv", None, "dme") == "dme"

    def test_disagreement_is_refused(self):
        with pytest.raises(ImportFormatError, match="the table is for practitioner, not dme"):
            mue.setting_of("table.csv", "practitioner", "dme")
        with pytest.raises(ImportFormatError, match="the table is for outpatient-hospital, not practitioner"):
            mue.setting_of("MCR_MUE_PractitionerServices_Eff_01-01-2026.csv", "outpatient-hospital")

    def test_nothing_naming_it_is_refused(self):
        with pytest.raises(ImportFormatError, match="cannot tell which MUE table"):
            mue.setting_of("table.csv", None)


class TestEffectiveDateOf:
    def test_from_the_cms_file_name(self):
        assert mue.effective_date_of("MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", []) == date(2026, 4, 1)
        assert mue.effective_date_of("medicare-ncci-2025-q4-practitioner-services-mue-table.zip", []) == date(2025, 10, 1)

    def test_from_the_preamble(self):
        assert mue.effective_date_of("table.csv", ["Practitioner Services MUE Table", "Effective 07/01/2026"]) == date(2026, 7, 1)

    def test_none_when_nothing_says(self):
        assert mue.effective_date_of("mue_practitioner_sample.txt", ["copyright 2025"]) is None


class TestLoad:
    def test_imports_every_limit_with_its_release(self, app):
        report = _load(PRACTITIONER, effective_date=date(2026, 1, 1))
        assert (report.system, report.version, report.rows, report.added) == ("mue", "MUE practitioner 2026 Q1", 10, 10)
        assert report.source == "CMS MUE table, practitioner (mue_practitioner_sample.txt)"
        limit = _limits("practitioner")[("11102", date(2026, 1, 1))]
        assert (limit.value, limit.adjudication_indicator, limit.rationale, limit.deletion_date) == (
            1, 2, "Clinical: Data", None)
        with session_scope() as session:
            assert session.get(CatalogRelease, limit.release_id).version == "MUE practitioner 2026 Q1"

    def test_effective_date_and_version_from_the_cms_file_name(self, app, tmp_path):
        named = tmp_path / "MCR_MUE_OutpatientHospitalServices_Eff_04-01-2026.csv"
        named.write_bytes(OUTPATIENT.read_bytes())
        report = _load(named)
        assert report.version == "MUE outpatient hospital 2026 Q2"
        assert set(_limits("outpatient-hospital")) == {
            (code, date(2026, 4, 1)) for code in ("20610", "36415", "47370", "76940", "96372", "G0463")}

    def test_settings_are_kept_apart(self, app):
        _load(PRACTITIONER)
        _load(OUTPATIENT)
        assert _limits("practitioner")[("36415", None)].value == 2
        assert _limits("outpatient-hospital")[("36415", None)].rationale == "Nature of Service/Procedure"
        assert len(_limits("practitioner")) == 10

    def test_newer_table_keeps_history_for_the_date_of_service(self, app, tmp_path):
        _load(PRACTITIONER, effective_date=date(2026, 1, 1))
        before = _limits("practitioner")
        rows = [line for line in read_lines(PRACTITIONER)[3:] if not line.startswith("0001U")]
        rows = [line.replace("11103\t6\t", "11103\t8\t") for line in rows] + ["11104\t1\t2 Date of Service Edit: Policy\tClinical: Data"]
        newer = _file(tmp_path, "MCR_MUE_PractitionerServices_Eff_04-01-2026.txt", *rows)

        report = _load(newer)

        assert (report.version, report.rows, report.added, report.changed, report.removed) == (
            "MUE practitioner 2026 Q2", 10, 1, 1, 1)
        after = _limits("practitioner")
        old, new = after[("11103", date(2026, 1, 1))], after[("11103", date(2026, 4, 1))]
        assert (old.value, old.deletion_date) == (6, date(2026, 4, 1))
        assert (new.value, new.deletion_date, new.release_id) == (8, None, report.release_id)
        assert after[("0001U", date(2026, 1, 1))].deletion_date == date(2026, 4, 1)
        unchanged = after[("11102", date(2026, 1, 1))]
        assert unchanged.id == before[("11102", date(2026, 1, 1))].id
        assert (unchanged.deletion_date, unchanged.release_id) == (None, report.release_id)
        assert after[("11104", date(2026, 4, 1))].value == 1
        with session_scope() as session:
            changes = {(c.code, c.change, c.field, c.old, c.new) for c in session.scalars(
                select(CatalogChange).where(CatalogChange.release_id == report.release_id))}
        assert changes == {("11103", "changed", "value", "6", "8"), ("0001U", "removed", None, None, None),
                           ("11104", "added", None, None, None)}

    def test_reimport_without_dates_updates_in_place(self, app, tmp_path):
        _load(PRACTITIONER)
        before = _limits("practitioner")
        rows = [line.replace("J1100\t120\t", "J1100\t100\t") for line in read_lines(PRACTITIONER)[3:]
                if not line.startswith("G0289")]
        report = _load(_file(tmp_path, "practitioner.txt", *rows))
        assert (report.added, report.changed, report.removed) == (0, 1, 1)
        after = _limits("practitioner")
        assert ("G0289", None) not in after
        assert after[("J1100", None)].id == before[("J1100", None)].id
        assert after[("J1100", None)].value == 100

    def test_reimport_of_the_same_table_changes_nothing(self, app):
        _load(PRACTITIONER, effective_date=date(2026, 1, 1))
        before = {k: (r.id, r.value, r.deletion_date) for k, r in _limits("practitioner").items()}
        report = _load(PRACTITIONER, effective_date=date(2026, 1, 1))
        assert (report.added, report.changed, report.removed) == (0, 0, 0)
        assert {k: (r.id, r.value, r.deletion_date) for k, r in _limits("practitioner").items()} == before

    def test_older_table_is_refused_and_nothing_written(self, app):
        _load(PRACTITIONER, effective_date=date(2026, 4, 1))
        before = _counts()
        with pytest.raises(ValueError, match="effective 2026-04-01, later than this one"):
            _load(PRACTITIONER, effective_date=date(2026, 1, 1))
        assert _counts() == before

    @pytest.mark.parametrize("fixture", ["mue_practitioner_malformed_indicator.txt", "mue_outpatient_malformed_value.txt"])
    def test_malformed_file_changes_nothing(self, app, fixture):
        _load(PRACTITIONER)
        _load(OUTPATIENT)
        before = (_counts(), {k: (r.id, r.value) for k, r in _limits("practitioner").items()},
                  {k: (r.id, r.value) for k, r in _limits("outpatient-hospital").items()})
        with pytest.raises(ImportFormatError) as raised:
            _load(CODES / fixture, effective_date=date(2026, 4, 1))
        assert raised.value.source == fixture
        assert (_counts(), {k: (r.id, r.value) for k, r in _limits("practitioner").items()},
                {k: (r.id, r.value) for k, r in _limits("outpatient-hospital").items()}) == before

    def test_setting_contradicting_the_header_writes_nothing(self, app):
        with pytest.raises(ImportFormatError, match="the table is for practitioner, not dme"):
            _load(PRACTITIONER, setting="dme")
        assert _counts() == (0, 0, 0)

    def test_import_file_dispatches_to_this_importer(self, app):
        with session_scope() as session:
            report = import_file(session, "mue", OUTPATIENT, version="MUE outpatient hospital 2026 Q1")
        assert (report.system, report.version, report.added) == ("mue", "MUE outpatient hospital 2026 Q1", 6)


class TestCoverage:
    def test_a_table_covers_the_quarter_it_takes_effect_in(self, app):
        report = _load(PRACTITIONER, effective_date=date(2026, 4, 1))
        with session_scope() as session:
            release = session.get(CatalogRelease, report.release_id)
        assert (release.setting, release.valid_from, release.valid_to) == (
            "practitioner", date(2026, 4, 1), date(2026, 6, 30))
        assert report.dates == "2026-04-01 to 2026-06-30"

    def test_without_an_effective_date_its_dates_are_not_stated(self, app):
        report = _load(OUTPATIENT)
        with session_scope() as session:
            release = session.get(CatalogRelease, report.release_id)
        assert (release.setting, release.valid_from, release.valid_to) == ("outpatient-hospital", None, None)
