import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from consultant.codes.check import (
    CheckResult, ExcludesFinding, check_codes, format_check, normalise_icd, readings,
)
from consultant.codes.importers import mue, ncci
from consultant.codes.lookup import Status
from consultant.codes.models import CatalogRelease, CodeNote
from consultant.db.session import session_scope

CODES = Path(__file__).parents[2] / "fixtures" / "codes"
DOS = date(2026, 3, 2)


def _check(*codes: str, on: date | None = DOS) -> CheckResult:
    with session_scope() as session:
        return check_codes(session, list(codes), on)


def _notes(*notes: tuple[str, str, str, list[dict]], release: str | None = None) -> None:
    """Our own Excludes notes in the documented CodeNote shape, in place of whatever the catalog holds."""
    with session_scope() as session:
        session.execute(delete(CodeNote))
        release_id = None
        if release:
            row = CatalogRelease(system="icd10cm", source="test notes", version=release)
            session.add(row)
            session.flush()
            release_id = row.id
        for position, (code, kind, text, refs) in enumerate(notes):
            session.add(CodeNote(system="icd10cm", code=code, kind=kind, text=text, refs=refs,
                                 position=position, release_id=release_id))


@pytest.fixture
def edits(app):
    """The NCCI and MUE fixtures imported as a coder's operator would."""
    with session_scope() as session:
        ncci.load(session, CODES / "ncci_practitioner_sample.txt", "NCCI PTP practitioner v32.1")
        ncci.load(session, CODES / "ncci_hospital_sample.txt", "NCCI PTP hospital v32.1")
        mue.load(session, CODES / "mue_practitioner_sample.txt", effective_date=date(2026, 1, 1))
        mue.load(session, CODES / "mue_outpatient_sample.txt", effective_date=date(2026, 1, 1))
    return app


class TestNormaliseIcd:
    def test_dot_inserted_and_case_raised(self):
        assert normalise_icd("k760") == "K76.0"
        assert normalise_icd("S72001A") == "S72.001A"
        assert normalise_icd("K76") == "K76"
        assert normalise_icd(" k75.81 ") == "K75.81"

    def test_trailing_dash_of_the_index_is_dropped(self):
        assert normalise_icd("M54.5-") == "M54.5"


class TestReadings:
    def test_shapes(self):
        assert readings("K760") == [("icd10cm", "K76.0")]
        assert readings("99213") == [("cpt", "99213")]
        assert readings("0001U") == [("cpt", "0001U")]
        assert readings("0DTJ4ZZ") == [("pcs", "0DTJ4ZZ")]
        assert readings("hello") == []
        assert readings("M54.5-") == [("icd10cm", "M54.5")]
        assert readings("S72001A") == [("icd10cm", "S72.001A"), ("pcs", "S72001A")]

    def test_letter_and_four_digits_could_be_either(self):
        assert readings("J1100") == [("hcpcs", "J1100"), ("icd10cm", "J11.00")]


class TestCheckCodes:
    # --- systems and normalising

    def test_codes_are_normalised_named_and_deduplicated(self, app):
        result = _check("K760", "k75.81", "K76.0", "99213", "G0463", "hello")
        assert [(c.given, c.code, c.system, c.status) for c in result.codes] == [
            ("K760", "K76.0", "icd10cm", Status.BILLABLE),
            ("k75.81", "K75.81", "icd10cm", Status.BILLABLE),
            ("99213", "99213", "cpt", Status.LICENSED_TEXT_MISSING),
            ("G0463", "G0463", "hcpcs", Status.CODE_SET_NOT_LOADED),
            ("hello", "hello", "unrecognised", "unrecognised"),
        ]
        assert result.codes[0].descriptor == "Fatty (change of) liver, not elsewhere classified"
        assert result.codes[0].system_name == "ICD-10-CM"

    def test_header_and_invalid_icd_codes_say_so(self, app):
        header, invalid = _check("K76", "K76.99").codes
        assert (header.status, invalid.status) == (Status.HEADER, Status.INVALID)

    def test_hcpcs_shaped_entry_is_icd_when_no_hcpcs_table_knows_it(self, app):
        [code] = _check("J1100").codes
        assert (code.system, code.code) == ("icd10cm", "J11.00")
        assert code.remark == "read as ICD-10-CM J11.00: no imported HCPCS Level II table has J1100"

    def test_hcpcs_shaped_entry_is_hcpcs_when_an_edit_table_knows_it(self, edits):
        [code] = _check("J1100").codes
        assert (code.system, code.code) == ("hcpcs", "J1100")
        assert code.remark == "read as HCPCS Level II J1100; also ICD-10-CM J11.00"

    # --- ICD-10-CM Excludes notes

    def test_excludes1_on_the_code_itself_in_either_order(self, app):
        _notes(("K76.0", "excludes1", "nonalcoholic steatohepatitis (NASH) (K75.81)", [{"code": "K75.81"}]))
        for order in (("K760", "K75.81"), ("K75.81", "K760")):
            [finding] = _check(*order).excludes
            assert (finding.kind, finding.code, finding.other, finding.note_code) == ("excludes1", "K76.0", "K75.81", "K76.0")
            assert finding.conflict
            assert finding.meaning == "Excludes1: never coded together"

    def test_note_on_the_category_applies_to_its_codes(self, app):
        _notes(("K76", "excludes1", "nonalcoholic steatohepatitis (K75.81)", [{"code": "K75.81"}]))
        [finding] = _check("K76.0", "K75.81").excludes
        assert (finding.code, finding.note_code) == ("K76.0", "K76")

    def test_excludes2_by_range_on_the_block_is_not_a_conflict(self, app):
        _notes(("K70-K77", "excludes2", "viral hepatitis (B15-B19)", [{"from": "B15", "to": "B19"}]))
        result = _check("K76.0", "B17.10")
        [finding] = result.excludes
        assert (finding.kind, finding.code, finding.other, finding.note_code) == ("excludes2", "K76.0", "B17.10", "K70-K77")
        assert finding.meaning == "Excludes2: both may be coded when both conditions are present"
        assert not finding.conflict
        assert result.conflicting_pairs == []

    def test_range_ends_are_inclusive_and_nothing_outside_matches(self, app):
        _notes(("K70-K77", "excludes2", "viral hepatitis (B15-B19)", [{"from": "B15", "to": "B19"}]))
        assert len(_check("K76.0", "B19.9").excludes) == 1
        assert len(_check("K76.0", "B15.9").excludes) == 1
        assert _check("K76.0", "B20").excludes == []
        assert _check("K76.0", "B10.01").excludes == []

    def test_prefix_reference(self, app):
        _notes(("K76", "excludes2", "alcoholic liver disease (K70.-)", [{"prefix": "K70"}]))
        [finding] = _check("K76.0", "K70.30").excludes
        assert (finding.other, finding.note_code) == ("K70.30", "K76")
        assert _check("K76.0", "K71.0").excludes == []

    def test_code_reference_covers_the_codes_below_it(self, app):
        _notes(("K76.0", "excludes1", "other specified inflammatory liver diseases (K75.8)", [{"code": "K75.8"}]))
        assert len(_check("K76.0", "K75.81").excludes) == 1
        assert _check("K76.0", "K75.9").excludes == []

    def test_unrelated_codes_have_no_findings(self, app):
        _notes(("K76.0", "excludes1", "nonalcoholic steatohepatitis (K75.81)", [{"code": "K75.81"}]))
        assert _check("K76.0", "I10").excludes == []

    def test_a_code_with_its_own_category_is_not_a_conflict(self, app):
        _notes(("K76", "excludes1", "contrived: the category's own codes", [{"prefix": "K76"}]))
        assert _check("K76", "K76.0").excludes == []

    def test_version_from_the_notes_release_else_from_the_code(self, app):
        _notes(("K76.0", "excludes1", "nonalcoholic steatohepatitis (K75.81)", [{"code": "K75.81"}]),
               release="ICD-10-CM 2026 April notes")
        [finding] = _check("K76.0", "K75.81").excludes
        assert (finding.source, finding.version) == ("test notes", "ICD-10-CM 2026 April notes")
        _notes(("K76.0", "excludes1", "nonalcoholic steatohepatitis (K75.81)", [{"code": "K75.81"}]))
        [finding] = _check("K76.0", "K75.81").excludes
        assert finding.version == "ICD-10-CM 2026"
        assert "simple-icd-10-cm" in finding.source

    def test_real_notes_make_k76_0_with_k75_81_an_excludes1_conflict(self, app):
        with session_scope() as session:
            loaded = session.scalar(select(CodeNote.id).where(CodeNote.system == "icd10cm", CodeNote.code == "K76.0"))
        assert loaded is not None, "the ICD-10-CM load must bring K76.0's notes"
        result = _check("K76.0", "K75.81")
        assert [(f.kind, f.code, f.other) for f in result.excludes if f.kind == "excludes1"] == [
            ("excludes1", "K76.0", "K75.81")]
        assert result.conflicting_pairs == [("K76.0", "K75.81", ["Excludes1"])]
        assert result.excludes[0].version == "ICD-10-CM 2026"
        assert "K75.81" in result.excludes[0].text

    # --- NCCI PTP edits

    def test_ptp_edit_in_either_order_names_column_1_indicator_rationale_and_setting(self, edits):
        for order in (("47370", "76940"), ("76940", "47370")):
            practitioner, hospital = _check(*order).ptp
            assert (practitioner.column1, practitioner.column2, practitioner.setting) == ("47370", "76940", "practitioner")
            assert hospital.setting == "hospital"
            assert (practitioner.modifier_indicator, practitioner.meaning) == ("1", "allowed with an appropriate modifier")
            assert practitioner.rationale == "Standards of medical / surgical services"
            assert (practitioner.effective_date, practitioner.deletion_date) == (date(2002, 1, 1), None)
            assert practitioner.version == "NCCI PTP practitioner v32.1"
            assert practitioner.source == "CMS NCCI PTP edits, practitioner (ncci_practitioner_sample.txt)"

    def test_indicator_0_means_no_modifier(self, edits):
        [finding] = _check("43239", "43235", "99213").ptp[:1]
        assert (finding.modifier_indicator, finding.meaning) == ("0", "modifier not allowed")
        assert finding.conflict

    def test_edit_deleted_before_the_date_of_service_does_not_apply(self, edits):
        assert _check("97140", "97530", on=date(2026, 3, 2)).ptp == []
        assert _check("97140", "97530", on=date(2021, 1, 1)).ptp == []  # the deletion date itself is outside
        [finding] = _check("97140", "97530", on=date(2020, 12, 31)).ptp
        assert finding.deletion_date == date(2021, 1, 1)

    def test_edit_effective_after_the_date_of_service_does_not_apply(self, edits, tmp_path):
        assert _check("20610", "20604", on=date(2026, 6, 30)).ptp == []
        # v32.1 (2026 Q2) speaks for dates through 2026-06-30 only: the Q3 file carries the edit from 2026-07-01
        later = tmp_path / "ccipra-v322r0-f1.txt"
        later.write_bytes((CODES / "ncci_practitioner_sample.txt").read_bytes())
        with session_scope() as session:
            ncci.load(session, later)
        [finding] = _check("20610", "20604", on=date(2026, 7, 1)).ptp
        assert finding.effective_date == date(2026, 7, 1)

    def test_pair_with_two_windows_gives_the_edit_in_force(self, edits):
        [earlier] = _check("29881", "29877", on=date(2020, 5, 1)).ptp
        [later] = _check("29881", "29877", on=date(2022, 5, 1)).ptp
        assert (earlier.modifier_indicator, later.modifier_indicator) == ("1", "0")

    def test_edit_deleted_the_day_it_took_effect_never_applies(self, edits):
        assert _check("47370", "47001", on=date(2010, 1, 1)).ptp == []

    def test_codes_without_an_edit_have_none(self, edits):
        assert _check("99213", "76940").ptp == []

    # --- MUE

    def test_mue_per_code_and_setting(self, edits):
        practitioner, hospital = _check("76940").mue
        assert (practitioner.code, practitioner.setting, practitioner.value) == ("76940", "practitioner", 1)
        assert (practitioner.adjudication_indicator, practitioner.meaning) == (3, "date of service edit: clinical")
        assert practitioner.rationale == "Code Descriptor / CPT Instruction"
        assert practitioner.version == "MUE practitioner 2026 Q1"
        assert (hospital.setting, hospital.version) == ("outpatient-hospital", "MUE outpatient hospital 2026 Q1")
        [line_edit, _] = _check("20610").mue
        assert (line_edit.adjudication_indicator, line_edit.meaning) == (1, "line edit")

    def test_mue_is_looked_up_for_the_date_of_service(self, edits, tmp_path):
        newer = tmp_path / "MCR_MUE_PractitionerServices_Eff_04-01-2026.txt"
        newer.write_text((CODES / "mue_practitioner_sample.txt").read_text(encoding="cp1252").replace(
            "11103\t6\t", "11103\t8\t"), encoding="cp1252")
        with session_scope() as session:
            mue.load(session, newer)
        assert [m.value for m in _check("11103", on=date(2026, 3, 2)).mue] == [6]
        assert [m.value for m in _check("11103", on=date(2026, 4, 1)).mue] == [8]
        assert _check("11103", on=date(2025, 12, 31)).mue == []

    # --- what was checked, with which release, and what was not

    def test_tables_never_imported_are_not_checked(self, app):
        result = _check("47370", "76940")
        assert [(t.name, t.checked, t.reason) for t in result.tables] == [
            ("NCCI PTP practitioner edits", False, "not imported"), ("NCCI PTP hospital edits", False, "not imported"),
            ("MUE practitioner table", False, "not imported"), ("MUE outpatient hospital table", False, "not imported"),
            ("MUE DME table", False, "not imported")]
        assert _check("K76.0").tables == []

    def test_each_table_names_the_release_it_was_checked_with_and_its_dates(self, edits):
        result = _check("47370", "76940")
        assert [t.name for t in result.not_checked] == ["MUE DME table"]
        practitioner = result.table("ncci:practitioner")
        assert practitioner.checked and practitioner.release.version == "NCCI PTP practitioner v32.1"
        assert practitioner.cited == "NCCI PTP practitioner v32.1, through 2026-06-30"
        assert result.table("mue:practitioner").cited == "MUE practitioner 2026 Q1, 2026-01-01 to 2026-03-31"

    def test_a_table_whose_release_does_not_cover_the_date_is_not_checked_and_finds_nothing(self, edits):
        result = _check("47370", "76940", on=date(2026, 7, 1))
        practitioner = result.table("ncci:practitioner")
        assert not practitioner.checked
        assert practitioner.reason == "NCCI PTP practitioner v32.1 covers through 2026-06-30, not 2026-07-01"
        assert result.ptp == [] and result.mue == []  # the edit and MUEs in the files are not read for this date

    def test_excludes_notes_are_checked_for_the_dates_of_the_icd10cm_release(self, app):
        inside = _check("K76.0", "K75.81", on=date(2026, 9, 30))
        assert inside.table("excludes").cited == "ICD-10-CM 2026, 2025-10-01 to 2026-09-30"
        assert inside.conflicting_pairs == [("K76.0", "K75.81", ["Excludes1"])]
        outside = _check("K76.0", "K75.81", on=date(2026, 10, 1))
        assert outside.table("excludes").reason == "ICD-10-CM 2026 covers 2025-10-01 to 2026-09-30, not 2026-10-01"
        assert outside.excludes == [] and outside.conflicting_pairs == []

    def test_excludes_apply_between_icd10cm_codes_and_ncci_between_procedures_only(self, app):
        mixed = _check("K76.0", "47370")
        assert [t.table for t in mixed.pair_tables] == [] and mixed.unpaired
        assert not _check("K76.0", "K75.81").unpaired

    def test_date_of_service_defaults_to_today(self, app):
        with session_scope() as session:
            assert check_codes(session, ["K76.0"]).on == date.today()


class TestCheckResultAsDict:
    def test_is_json_with_every_finding_its_meaning_version_and_the_tables(self, edits):
        _notes(("K76.0", "excludes1", "nonalcoholic steatohepatitis (K75.81)", [{"code": "K75.81"}]))
        data = json.loads(json.dumps(_check("K760", "K75.81", "47370", "76940").as_dict()))
        assert data["date_of_service"] == "2026-03-02"
        assert data["codes"][0] == {
            "given": "K760", "code": "K76.0", "system": "icd10cm", "system_name": "ICD-10-CM", "status": "billable",
            "descriptor": "Fatty (change of) liver, not elsewhere classified", "remark": None, "release": None}
        assert data["conflicts"] == [{"codes": ["K76.0", "K75.81"], "by": ["Excludes1"]},
                                     {"codes": ["47370", "76940"], "by": ["NCCI PTP practitioner", "NCCI PTP hospital"]}]
        assert data["excludes"][0]["kind"] == "excludes1"
        assert data["excludes"][0]["version"] == "ICD-10-CM 2026"
        assert data["ncci_ptp"][0] == {
            "column1": "47370", "column2": "76940", "setting": "practitioner", "modifier_indicator": "1",
            "meaning": "allowed with an appropriate modifier", "conflict": True,
            "effective_date": "2002-01-01", "deletion_date": None,
            "rationale": "Standards of medical / surgical services",
            "source": "CMS NCCI PTP edits, practitioner (ncci_practitioner_sample.txt)",
            "version": "NCCI PTP practitioner v32.1"}
        assert data["mue"][0]["meaning"] == "date of service edit: policy"
        assert data["mue"][0]["effective_date"] == "2026-01-01"
        tables = {t["table"]: t for t in data["tables"]}
        assert list(tables) == ["excludes", "ncci:practitioner", "ncci:hospital", "mue:practitioner",
                                "mue:outpatient-hospital", "mue:dme"]
        assert tables["excludes"]["checked"] is True
        assert tables["excludes"]["release"]["version"] == "ICD-10-CM 2026"
        assert (tables["excludes"]["release"]["valid_from"], tables["excludes"]["release"]["valid_to"]) == (
            "2025-10-01", "2026-09-30")
        assert tables["ncci:hospital"]["release"]["dates"] == "through 2026-06-30"
        assert tables["mue:dme"] == {"table": "mue:dme", "name": "MUE DME table", "checked": False, "loaded": False,
                                     "release": None, "reason": "not imported"}
        assert data["not_checked"] == ["MUE DME table: not imported"]

    def test_a_code_not_in_the_catalog_carries_the_release_it_was_looked_up_in(self, app):
        data = json.loads(json.dumps(_check("K76.99", "K76.0").as_dict()))
        assert data["codes"][0]["status"] == "invalid"
        assert data["codes"][0]["release"]["version"] == "ICD-10-CM 2026"
        assert data["codes"][0]["release"]["full"] is True
        assert data["codes"][1]["release"] is None


class TestFormatCheck:
    def test_reads_as_codes_findings_and_verdict(self, edits):
        _notes(("K76.0", "excludes1", "nonalcoholic steatohepatitis (NASH) (K75.81)", [{"code": "K75.81"}]),
               ("K70-K77", "excludes2", "viral hepatitis (B15-B19)", [{"from": "B15", "to": "B19"}]))
        text = format_check(_check("K760", "K75.81", "B17.10", "47370", "76940"))
        assert text == "\n".join([
            "Date of service 2026-03-02",
            "  K76.0   ICD-10-CM  Fatty (change of) liver, not elsewhere classified (given K760)",
            "  K75.81  ICD-10-CM  Nonalcoholic steatohepatitis (NASH)",
            "  B17.10  ICD-10-CM  Acute hepatitis C without hepatic coma",
            "  47370   CPT        no descriptor: CPT text needs the licensee's file",
            "  76940   CPT        no descriptor: CPT text needs the licensee's file",
            "",
            "Excludes1: never coded together",
            '  K76.0 + K75.81: note at K76.0 "nonalcoholic steatohepatitis (NASH) (K75.81)" [ICD-10-CM 2026]',
            "",
            "Excludes2: both may be coded when both conditions are present",
            '  K76.0 + B17.10: note at K70-K77 "viral hepatitis (B15-B19)" [ICD-10-CM 2026]',
            '  K75.81 + B17.10: note at K70-K77 "viral hepatitis (B15-B19)" [ICD-10-CM 2026]',
            "",
            "NCCI PTP edits (column 2 is not paid separately from column 1)",
            "  column 1 47370, column 2 76940 (practitioner): modifier indicator 1, allowed with an appropriate modifier",
            "    Standards of medical / surgical services; effective 2002-01-01 [NCCI PTP practitioner v32.1]",
            "  column 1 47370, column 2 76940 (hospital): modifier indicator 1, allowed with an appropriate modifier",
            "    Standards of medical / surgical services; effective 2002-01-01 [NCCI PTP hospital v32.1]",
            "",
            "MUE (most units per claim line or date of service)",
            "  47370, practitioner: 1 unit; MAI 2: date of service edit: policy; Anatomic Consideration [MUE practitioner 2026 Q1]",
            "  47370, outpatient hospital: 1 unit; MAI 2: date of service edit: policy; Anatomic Consideration "
            "[MUE outpatient hospital 2026 Q1]",
            "  76940, practitioner: 1 unit; MAI 3: date of service edit: clinical; Code Descriptor / CPT Instruction "
            "[MUE practitioner 2026 Q1]",
            "  76940, outpatient hospital: 1 unit; MAI 3: date of service edit: clinical; Code Descriptor / CPT Instruction "
            "[MUE outpatient hospital 2026 Q1]",
            "",
            "Conflicts: K76.0 + K75.81 (Excludes1); 47370 + 76940 (NCCI PTP practitioner, NCCI PTP hospital).",
            "Checked for 2026-03-02: ICD-10-CM Excludes notes [ICD-10-CM 2026, 2025-10-01 to 2026-09-30]; "
            "NCCI PTP practitioner edits [NCCI PTP practitioner v32.1, through 2026-06-30]; "
            "NCCI PTP hospital edits [NCCI PTP hospital v32.1, through 2026-06-30]; "
            "MUE practitioner table [MUE practitioner 2026 Q1, 2026-01-01 to 2026-03-31]; "
            "MUE outpatient hospital table [MUE outpatient hospital 2026 Q1, 2026-01-01 to 2026-03-31].",
            "Not checked: MUE DME table (not imported).",
        ])

    def test_no_conflict_is_said_only_of_the_tables_checked(self, edits):
        text = format_check(_check("99213", "76940"))
        assert "No conflict in the tables checked." in text.splitlines()
        assert "Excludes" not in text  # Excludes notes govern ICD-10-CM codes, not a CPT pair

    def test_nothing_checked_is_not_called_no_conflict(self, app):
        _notes()
        text = format_check(_check("K76.0", "I10", "hello"))
        assert text.splitlines()[-2:] == [
            "Conflicts not checked: no table that pairs these codes was checked for 2026-03-02.",
            "Not checked: ICD-10-CM Excludes notes (not imported)."]
        assert "  hello  unrecognised  not a code shape: not checked" in text
        assert "No conflict" not in text
        text = format_check(_check("47370", "76940"))
        assert "Conflicts not checked: no table that pairs these codes was checked for 2026-03-02." in text
        assert "Not checked: NCCI PTP practitioner edits (not imported); NCCI PTP hospital edits (not imported)" in text
        assert "Excludes" not in text

    def test_a_diagnosis_with_a_procedure_is_not_a_pair_any_table_decides(self, app):
        text = format_check(_check("K76.0", "99213"))
        assert ("No table pairs these codes: Excludes notes pair ICD-10-CM codes, NCCI PTP edits pair CPT and "
                "HCPCS codes.") in text

    def test_codes_not_in_the_catalog_name_the_release_and_its_dates(self, app):
        text = format_check(_check("K76.99", "K76.0", on=date(2026, 3, 2)))
        assert "  K76.99  ICD-10-CM  not a valid code in ICD-10-CM 2026, 2025-10-01 to 2026-09-30" in text
        text = format_check(_check("K76.99", "K76.0", on=date(2026, 12, 2)))
        assert ("K76.99  ICD-10-CM  not in ICD-10-CM 2026, which covers 2025-10-01 to 2026-09-30: no loaded release "
                "covers 2026-12-02, so its validity is not checked") in text
        assert "not a valid code" not in text

    def test_ambiguous_entry_shows_how_it_was_read(self, edits):
        text = format_check(_check("J1100"))
        assert "read as HCPCS Level II J1100; also ICD-10-CM J11.00" in text
        assert "  J1100, practitioner: 120 units; MAI 3: date of service edit: clinical; Prescribing Information" in text

    def test_result_types_are_exported_for_callers(self):
        assert ExcludesFinding("excludes2", "A", "B", "A", "t", None, None).conflict is False


class TestCodesNotInTheCatalog:
    def test_icd10cm_is_a_full_release_so_a_missing_code_is_invalid_for_its_dates_only(self, app):
        [inside] = _check("K76.99", on=date(2026, 3, 2)).codes
        assert inside.status == Status.INVALID and inside.release.full
        [before] = _check("K76.99", on=date(2025, 9, 30)).codes
        [after] = _check("K76.99", on=date(2026, 10, 1)).codes
        assert before.status == after.status == Status.NOT_COVERED

    def test_a_cpt_code_missing_from_the_licensees_file_is_not_invalid(self, app):
        from consultant.codes.importers import cpt

        with session_scope() as session:
            cpt.load(session, CODES / "cpt_long_sample.txt", version="CPT 2026 (licensed file)")
        [code] = _check("99214").codes
        assert (code.status, code.release.version, code.release.dates) == (
            Status.NOT_IN_FILE, "CPT 2026 (licensed file)", "2026-01-01 to 2026-12-31")
        assert "  99214  CPT  not in the loaded CPT file (CPT 2026 (licensed file), 2026-01-01 to 2026-12-31)" in \
            format_check(_check("99214"))

    def test_an_invalid_code_takes_no_part_in_excludes_findings(self, app):
        result = _check("K76.99", "S72.001A", "K76.0")
        assert [c.status for c in result.codes][0] == Status.INVALID
        assert all("K76.99" not in (f.code, f.other) for f in result.excludes)
