import json
from datetime import date

import pytest
from sqlalchemy import delete, insert, update

from pathlib import Path

from consultant.codes.importers import cpt, hcpcs, icd10pcs
from consultant.codes.importers.base import Coverage, new_release
from consultant.codes.lay import load_starter_set
from consultant.codes.lookup import Status
from consultant.codes.models import CatalogCode, LayDescription, MueLimit, NcciEdit
from consultant.codes.show import DELETED, SHAPELESS, CodeDetail, code_detail, format_detail, normalise, readings
from consultant.db.session import session_scope

DOS = date(2026, 3, 2)
CODES = Path(__file__).parents[2] / "fixtures" / "codes"


def _detail(code: str, system: str | None = None, on: date | None = DOS) -> CodeDetail:
    with session_scope() as session:
        return code_detail(session, code, system=system, on=on)


def _edits() -> None:
    """99213 in three NCCI edits (one deleted before DOS, one not yet in force) and one MUE."""
    with session_scope() as session:
        ptp = new_release(session, "ncci-ptp", "ncci_ptp_practitioner.txt", "NCCI PTP v32.1",
                          Coverage(setting="practitioner"))
        hospital = new_release(session, "ncci-ptp", "ncci_ptp_hospital.txt", "NCCI PTP hospital v32.1",
                               Coverage(setting="hospital"))
        mue = new_release(session, "mue", "mue_practitioner.csv", "MUE Practitioner 2026 Q1",
                          Coverage(valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), setting="practitioner"))
        session.execute(insert(NcciEdit), [
            {"setting": "practitioner", "column1": "99213", "column2": "36415", "effective_date": date(2020, 1, 1),
             "deletion_date": None, "modifier_indicator": "1", "rationale": "Standards of medical / surgical practice",
             "release_id": ptp.id},
            {"setting": "practitioner", "column1": "20610", "column2": "99213", "effective_date": date(2019, 1, 1),
             "deletion_date": None, "modifier_indicator": "1",
             "rationale": "Misuse of column two code with column one code",
             "release_id": ptp.id},
            {"setting": "practitioner", "column1": "99213", "column2": "96372", "effective_date": date(2018, 1, 1),
             "deletion_date": date(2025, 12, 31), "modifier_indicator": "1", "rationale": "Deleted",
             "release_id": ptp.id},
            {"setting": "hospital", "column1": "99213", "column2": "93000", "effective_date": date(2026, 7, 1),
             "deletion_date": None, "modifier_indicator": "0", "rationale": "Future", "release_id": hospital.id},
        ])
        session.execute(insert(MueLimit).values(
            setting="practitioner", code="99213", value=1, adjudication_indicator=2,
            rationale="Code Descriptor / CPT Instruction", effective_date=date(2026, 1, 1), release_id=mue.id))


class TestNormalise:
    @pytest.mark.parametrize(("system", "given", "code"), [
        ("icd10cm", "k760", "K76.0"), ("icd10cm", " K76.0 ", "K76.0"), ("icd10cm", "S72.0-", "S72.0"),
        ("icd10cm", "i10", "I10"), ("icd10cm", "S72001A", "S72.001A"), ("cpt", " 99213", "99213"),
        ("hcpcs", "j 1100", "J1100"),
    ])
    def test_upper_case_and_icd10cm_dot(self, system, given, code):
        assert normalise(system, given) == code


class TestReadings:
    @pytest.mark.parametrize(("given", "found"), [
        ("K76.0", [("icd10cm", "K76.0")]),
        ("k760", [("icd10cm", "K76.0")]),
        ("I10", [("icd10cm", "I10")]),
        ("K70-K77", [("icd10cm", "K70-K77")]),
        ("99213", [("cpt", "99213")]),
        ("0001U", [("cpt", "0001U")]),
        ("3008F", [("cpt", "3008F")]),
        ("0596T", [("cpt", "0596T")]),
        ("J1100", [("hcpcs", "J1100"), ("icd10cm", "J11.00")]),
        ("0DTJ4ZZ", [("pcs", "0DTJ4ZZ")]),
        ("S72001A", [("icd10cm", "S72.001A")]),
        ("B2111ZZ", [("icd10cm", "B21.11ZZ"), ("pcs", "B2111ZZ")]),
        ("59", [("modifier", "59")]),
        ("hello", []),
    ])
    def test_system_guessed_from_shape(self, given, found):
        assert readings(given) == found

    def test_given_system_wins(self):
        assert readings("j1100", "icd10cm") == [("icd10cm", "J11.00")]


class TestCodeDetail:
    def test_billable_code(self, app):
        detail = _detail("K76.0")
        assert (detail.system, detail.code, detail.kind) == ("icd10cm", "K76.0", "billable")
        assert detail.status == Status.BILLABLE
        assert detail.descriptor == "Fatty (change of) liver, not elsewhere classified"
        assert [r.code for r in detail.lineage] == ["K76", "K70-K77", "11"]
        assert detail.ncci is None and detail.mue == [] and detail.children == [] and detail.suggestions == []
        assert [s.what for s in detail.sources] == ["descriptor, notes", "lay description"]  # starter set loaded
        assert detail.sources[0].version == "ICD-10-CM 2026"

    def test_input_is_normalised(self, app):
        detail = _detail("k760")
        assert (detail.given, detail.code, detail.status) == ("k760", "K76.0", Status.BILLABLE)

    def test_own_notes_with_refs(self, app):
        notes = _detail("K76.0").notes
        own = [n for n in notes["excludes1"] if n.inherited_from is None]
        assert [(n.text, n.refs) for n in own] == [
            ("nonalcoholic steatohepatitis (NASH) (K75.81)", [{"code": "K75.81"}])]
        assert [n.text for n in notes["inclusion_term"]] == [
            "Metabolic dysfunction-associated steatotic liver disease (MASLD)",
            "Nonalcoholic fatty liver disease (NAFLD)"]

    def test_notes_inherited_from_category_block_and_chapter(self, app):
        notes = _detail("K76.0").notes
        inherited = {(n.text, n.inherited_from) for n in notes["excludes2"]}
        assert ("alcoholic liver disease (K70.-)", "K76") in inherited
        assert ("viral hepatitis (B15-B19)", "K70-K77") in inherited
        assert ("neoplasms (C00-D49)", "11") in inherited
        assert ("jaundice NOS (R17)", "K70-K77") in {(n.text, n.inherited_from) for n in notes["excludes1"]}
        assert list(notes) == [k for k in ("inclusion_term", "excludes1", "excludes2") if k in notes]

    def test_nearest_notes_come_first(self, app):
        owners = [n.inherited_from for n in _detail("K76.0").notes["excludes2"]]
        assert owners == sorted(owners, key=["K76", "K70-K77", "11"].index)

    def test_inclusion_terms_are_not_inherited(self, app):
        notes = _detail("Z68.1").notes
        assert "inclusion_term" not in notes
        assert any(n.inherited_from == "Z68" for n in notes["note"])

    def test_seventh_character_definitions_inherited_by_the_full_code(self, app):
        detail = _detail("S72.001A")
        assert detail.status == Status.BILLABLE
        sevenths = detail.notes["seven_chr_def"]
        assert sevenths[0].text == "A: initial encounter for closed fracture"
        assert {n.inherited_from for n in sevenths} == {"S72"}

    def test_header_lists_its_billable_codes_capped(self, app):
        detail = _detail("S72.001")
        assert detail.status == Status.HEADER
        assert detail.children_total == 16
        assert [c.code for c in detail.children[:3]] == ["S72.001A", "S72.001B", "S72.001C"]
        assert len(detail.children) == 12
        assert all(c.kind == "billable" for c in detail.children)

    def test_category_lists_every_billable_code_under_it(self, app):
        detail = _detail("K76.8")
        assert [c.code for c in detail.children] == ["K76.81", "K76.82", "K76.89"]
        assert detail.children_total == 3

    def test_block_lists_its_categories(self, app):
        detail = _detail("K70-K77")
        assert (detail.status, detail.kind) == (Status.HEADER, "block")
        assert [c.code for c in detail.children] == ["K70", "K71", "K72", "K73", "K74", "K75", "K76", "K77"]

    def test_chapter_with_system_given(self, app):
        detail = _detail("11", system="icd10cm")
        assert detail.kind == "chapter"
        assert detail.children[0].code == "K00-K14" and detail.children_total == 10

    def test_invalid_code_suggests_its_neighbours(self, app):
        detail = _detail("K76.99")
        assert detail.status == Status.INVALID and detail.descriptor is None
        codes = [c.code for c in detail.suggestions]
        assert {"K76.89", "K76.81", "K76.82"} <= set(codes)
        assert codes.index("K76.89") < codes.index("K76.81")
        assert "K76.0" not in codes

    def test_invalid_seventh_character_suggests_the_full_codes(self, app):
        detail = _detail("S72.0011")
        assert detail.status == Status.INVALID
        assert 3 <= len(detail.suggestions) <= 8
        assert all(c.code.startswith("S72.001") and len(c.code) == 8 for c in detail.suggestions)
        assert detail.suggestions[0].code == "S72.001A"

    def test_invalid_category_suggests_from_the_nearest_category(self, app):
        detail = _detail("K7A.0")  # no category K7A
        assert detail.suggestions and all(c.code.startswith("K7") for c in detail.suggestions)

    def test_deleted_code_on_a_later_date(self, app):
        with session_scope() as session:
            session.execute(update(CatalogCode).where(CatalogCode.system == "icd10cm", CatalogCode.code == "K76.0")
                            .values(deletion_date=date(2025, 9, 30)))
        later = _detail("K76.0", on=date(2025, 10, 1))
        assert later.status == DELETED
        assert later.deletion_date == date(2025, 9, 30)
        assert later.descriptor == "Fatty (change of) liver, not elsewhere classified"
        assert _detail("K76.0", on=date(2025, 9, 30)).status == Status.BILLABLE

    def test_code_not_yet_in_effect_is_invalid_on_the_date(self, app):
        with session_scope() as session:
            session.execute(update(CatalogCode).where(CatalogCode.system == "icd10cm", CatalogCode.code == "K76.0")
                            .values(effective_date=date(2026, 10, 1)))
        detail = _detail("K76.0", on=date(2026, 9, 30))
        assert detail.status == Status.INVALID
        assert any("effective 2026-10-01" in r for r in detail.remarks)

    def test_cpt_without_licensed_file(self, app):
        detail = _detail("99213")
        assert (detail.system, detail.status, detail.descriptor) == ("cpt", Status.LICENSED_TEXT_MISSING, None)
        assert detail.ncci is not None and detail.ncci.loaded is False
        assert detail.suggestions == []

    def test_cpt_rows_without_a_release_row_are_named_by_their_version(self, app):
        with session_scope() as session:
            session.execute(insert(CatalogCode).values(system="cpt", code="99214", descriptor="licensed text",
                                                       kind="billable", source="cpt.txt", version="CPT 2026",
                                                       attributes={}))
        detail = _detail("99213")
        assert (detail.status, detail.release.version, detail.suggestions) == (Status.NOT_IN_FILE, "CPT 2026", [])

    def test_pcs_and_hcpcs_not_loaded(self, app):
        assert _detail("0DTJ4ZZ").status == Status.CODE_SET_NOT_LOADED
        assert (_detail("A0428").system, _detail("A0428").status) == ("hcpcs", Status.CODE_SET_NOT_LOADED)
        assert _detail("G0439", system="hcpcs").status == Status.CODE_SET_NOT_LOADED
        # also an ICD-10-CM code (G04.39), but our lay text knows HCPCS G0439
        assert (_detail("G0439").system, _detail("G0439").code) == ("hcpcs", "G0439")

    def test_ambiguous_entry_read_as_the_code_set_that_knows_it(self, app):
        with session_scope() as session:  # without our lay text, nothing here knows HCPCS J1100
            session.execute(delete(LayDescription).where(LayDescription.code == "J1100"))
        detail = _detail("J1100")
        assert (detail.system, detail.code, detail.status) == ("icd10cm", "J11.00", Status.BILLABLE)
        assert "no imported HCPCS Level II table has J1100" in detail.remarks[0]
        with session_scope() as session:
            load_starter_set(session)  # our lay text knows HCPCS J1100
        detail = _detail("J1100")
        assert (detail.system, detail.code, detail.status) == ("hcpcs", "J1100", Status.CODE_SET_NOT_LOADED)
        assert "dexamethasone" in detail.lay.text
        assert "also valid as ICD-10-CM J11.00" in detail.remarks[0]
        assert _detail("J1100", system="icd10cm").code == "J11.00"

    def test_lay_description_and_its_source(self, app):
        with session_scope() as session:
            load_starter_set(session)
        detail = _detail("K76.0")
        assert detail.lay.author == "consultant staff (starter set)"
        assert "liver" in detail.lay.text
        assert detail.sources[-1].what == "lay description"

    def test_ncci_edits_and_mue_in_force_on_the_date(self, app):
        _edits()
        detail = _detail("99213")
        assert (detail.ncci.total, detail.ncci.as_column1, detail.ncci.as_column2) == (2, 1, 1)
        assert {(p["column1"], p["column2"]) for p in detail.ncci.pairs} == {("99213", "36415"), ("20610", "99213")}
        [mue] = detail.mue
        assert (mue.setting, mue.value, mue.adjudication_indicator) == ("practitioner", 1, 2)
        assert {"NCCI PTP v32.1", "MUE Practitioner 2026 Q1"} <= {s.version for s in detail.sources}

    def test_edits_follow_the_date_of_service(self, app):
        _edits()
        earlier = _detail("99213", on=date(2025, 6, 1))
        assert earlier.ncci.total == 3  # the edit deleted at the end of 2025 was still in force
        assert earlier.mue == []  # the MUE starts in 2026
        later = _detail("99213", on=date(2026, 7, 1))
        assert later.ncci.total == 3 and "hospital" in {p["setting"] for p in later.ncci.pairs}

    def test_icd10cm_has_no_edit_section(self, app):
        _edits()
        detail = _detail("K76.0")
        assert detail.ncci is None and detail.mue == []

    def test_shapeless_entry(self, app):
        detail = _detail("hello")
        assert (detail.system, detail.status) == (SHAPELESS, Status.INVALID)
        assert detail.remarks

    def test_date_defaults_to_today(self, app):
        assert _detail("K76.0", on=None).on == date.today()


def _import(load, path: Path, **options) -> None:
    with session_scope() as session:
        load(session, path, **options)


class TestCodesNotInTheCatalog:
    """A file is a source of descriptors; only a full official release may declare a code invalid, and only
    for the dates it covers."""

    def test_a_cpt_code_missing_from_the_licensees_file_is_not_invalid_and_gets_no_neighbours(self, app):
        _import(cpt.load, CODES / "cpt_long_sample.txt", version="CPT 2026 (licensed file)")  # 99213, not 99214
        detail = _detail("99214")
        assert (detail.status, detail.suggestions) == (Status.NOT_IN_FILE, [])
        assert (detail.release.version, detail.release.full, detail.release.dates) == (
            "CPT 2026 (licensed file)", False, "2026-01-01 to 2026-12-31")
        text = format_detail(detail)
        assert text.splitlines()[0] == ("99214  CPT  not in the loaded CPT file (CPT 2026 (licensed file), "
                                        "2026-01-01 to 2026-12-31)  (date of service 2026-03-02)")
        assert "not a valid code" not in text and "Did you mean" not in text and "99213" not in text
        assert "In plain words:" in text  # our lay text for a code that exists is no contradiction now

    def test_an_invalid_icd10cm_code_names_the_full_release_and_its_dates(self, app):
        detail = _detail("K76.99")
        assert detail.release.full and detail.release.version == "ICD-10-CM 2026"
        assert format_detail(detail).splitlines()[0] == (
            "K76.99  ICD-10-CM  not a valid code in ICD-10-CM 2026, 2025-10-01 to 2026-09-30  "
            "(date of service 2026-03-02)")

    def test_an_icd10cm_code_outside_the_release_dates_is_not_judged(self, app):
        for on in (date(2025, 9, 30), date(2026, 10, 1)):
            detail = _detail("K76.99", on=on)
            assert (detail.status, detail.suggestions) == (Status.NOT_COVERED, [])
            assert (f"not in ICD-10-CM 2026, which covers 2025-10-01 to 2026-09-30: no loaded release covers "
                    f"{on.isoformat()}, so its validity is not checked") in format_detail(detail)

    def test_a_partial_hcpcs_file_does_not_define_the_code_set(self, app):
        _import(hcpcs.load, CODES / "hcpcs_anweb_sample.txt")  # an extract of 4 procedure codes
        detail = _detail("G0438", system="hcpcs")
        assert (detail.status, detail.suggestions, detail.release.full) == (Status.NOT_IN_FILE, [], False)
        assert "not in the loaded HCPCS Level II file (HCPCS 2025 Q1, dates not stated)" in format_detail(detail)

    def test_a_full_hcpcs_release_declares_invalid_with_nearest_codes_for_its_quarter_only(self, app, tmp_path):
        official = tmp_path / "HCPC2026_JAN_ANWEB.txt"
        official.write_bytes((CODES / "hcpcs_anweb_sample.txt").read_bytes())
        _import(hcpcs.load, official, full=True)
        detail = _detail("G0438", system="hcpcs")
        assert detail.status == Status.INVALID
        assert "G0439" in [c.code for c in detail.suggestions]
        assert "not a valid code in HCPCS 2026 Q1, 2026-01-01 to 2026-03-31" in format_detail(detail)
        later = _detail("G0438", system="hcpcs", on=date(2026, 4, 1))
        assert (later.status, later.suggestions) == (Status.NOT_COVERED, [])

    def test_a_partial_file_after_a_full_one_leaves_the_set_undefined(self, app, tmp_path):
        official = tmp_path / "HCPC2026_JAN_ANWEB.txt"
        official.write_bytes((CODES / "hcpcs_anweb_sample.txt").read_bytes())
        _import(hcpcs.load, official, full=True)
        _import(hcpcs.load, official, full=False)  # it replaced the rows: it defines nothing
        assert _detail("G0438", system="hcpcs").status == Status.NOT_IN_FILE

    def test_icd10pcs_full_only_when_the_importer_says_or_the_file_is_official(self, app, tmp_path):
        named = tmp_path / "icd10pcs_order_2026.txt"
        named.write_bytes((CODES / "pcs_order_sample.txt").read_bytes())
        _import(icd10pcs.load, named)
        assert _detail("0016079", system="pcs").status == Status.NOT_IN_FILE
        _import(icd10pcs.load, named, full=True)
        detail = _detail("0016079", system="pcs")
        assert detail.status == Status.INVALID and detail.suggestions
        assert detail.release.dates == "2025-10-01 to 2026-09-30"

    def test_our_lay_text_is_not_shown_beside_an_invalid_code(self, app):
        with session_scope() as session:
            session.add(LayDescription(system="icd10cm", code="K76.99", text="a staff text", author="staff"))
        assert "In plain words" not in format_detail(_detail("K76.99"))

    def test_a_code_in_a_release_that_does_not_cover_the_date_says_so(self, app):
        detail = _detail("K76.0", on=date(2026, 12, 2))
        assert detail.status == Status.BILLABLE
        assert ("ICD-10-CM 2026 covers 2025-10-01 to 2026-09-30, not 2026-12-02: shown as that release has it"
                in detail.remarks)
        assert _detail("K76.0").remarks == []

    def test_json_carries_the_release_and_the_status_in_words(self, app):
        data = json.loads(json.dumps(_detail("K76.99").as_dict()))
        assert data["release"] == {"version": "ICD-10-CM 2026", "source": data["release"]["source"], "full": True,
                                   "valid_from": "2025-10-01", "valid_to": "2026-09-30",
                                   "dates": "2025-10-01 to 2026-09-30"}
        assert data["status_text"] == "not a valid code in ICD-10-CM 2026, 2025-10-01 to 2026-09-30"


class TestEditTables:
    def test_tables_not_imported_are_named_not_called_empty(self, app):
        detail = _detail("99213")
        assert [(t.name, t.checked, t.reason) for t in detail.ncci.tables] == [
            ("NCCI PTP practitioner edits", False, "not imported"), ("NCCI PTP hospital edits", False, "not imported")]
        assert [t.name for t in detail.mue_tables if not t.checked] == [
            "MUE practitioner table", "MUE outpatient hospital table", "MUE DME table"]

    def test_a_release_that_does_not_cover_the_date_is_not_read(self, app):
        _edits()
        detail = _detail("99213", on=date(2027, 1, 4))  # the MUE release covers 2026 only
        assert detail.mue == []
        [mue] = [t for t in detail.mue_tables if t.table == "mue:practitioner"]
        assert mue.reason == "MUE Practitioner 2026 Q1 covers 2026-01-01 to 2026-12-31, not 2027-01-04"
        text = format_detail(detail)
        assert "MUE: none" not in text
        assert "  not checked: MUE practitioner table (MUE Practitioner 2026 Q1 covers 2026-01-01 to 2026-12-31, " \
               "not 2027-01-04)" in text


class TestCodeDetailAsDict:
    def test_json_ready(self, app):
        data = _detail("K76.0").as_dict()
        assert json.loads(json.dumps(data)) == data
        assert data["date_of_service"] == "2026-03-02"
        assert data["status"] == "billable" and data["system_name"] == "ICD-10-CM"
        assert data["notes"]["excludes1"][0] == {"text": "nonalcoholic steatohepatitis (NASH) (K75.81)",
                                                 "refs": [{"code": "K75.81"}], "inherited_from": None}
        assert data["lineage"][0] == {"code": "K76", "descriptor": "Other diseases of liver", "kind": "header"}

    def test_edits_and_lay_text(self, app):
        _edits()
        with session_scope() as session:
            load_starter_set(session)
        data = _detail("99213").as_dict()
        assert json.loads(json.dumps(data)) == data
        assert data["ncci"]["total"] == 2 and data["mue"][0]["effective_date"] == "2026-01-01"
        assert data["lay_description"]["author"] == "consultant staff (starter set)"


class TestFormatDetail:
    def test_billable_code(self, app):
        text = format_detail(_detail("K76.0"))
        lines = text.splitlines()
        assert lines[0] == "K76.0  ICD-10-CM  billable  (date of service 2026-03-02)"
        assert lines[1] == "Fatty (change of) liver, not elsewhere classified"
        assert "  - nonalcoholic steatohepatitis (NASH) (K75.81)" in lines
        assert "  - jaundice NOS (R17)  [from K70-K77]" in lines
        assert "Excludes1:" in lines and "Inclusion terms:" in lines
        assert any(line.startswith("  descriptor, notes: ICD-10-CM 2026 - ") for line in lines)

    def test_header_says_how_many_more(self, app):
        text = format_detail(_detail("S72.001"))
        assert "Billable codes under it (16):" in text
        assert "  ... and 4 more" in text

    def test_invalid_code_offers_suggestions(self, app):
        text = format_detail(_detail("K76.99"))
        assert "not a valid code" in text.splitlines()[0]
        assert "Did you mean:" in text
        assert "  K76.89  Other specified diseases of liver" in text

    def test_procedure_code_with_edits(self, app):
        _edits()
        text = format_detail(_detail("99213"))
        assert "no descriptor without the licensee's CPT file" in text
        assert "NCCI PTP: 2 edit(s) in force" in text
        assert "  99213 / 36415  practitioner, modifier allowed" in text
        assert "MUE practitioner: 1 unit(s) per day (policy)" in text

    def test_procedure_code_without_edit_tables(self, app):
        text = format_detail(_detail("99213"))
        assert "NCCI PTP: not checked for the date" in text
        assert "  not checked: NCCI PTP practitioner edits (not imported); NCCI PTP hospital edits (not imported)" in text
        assert "no edit" not in text.lower() and "MUE: none" not in text

    def test_procedure_code_says_which_tables_were_checked_with_their_releases(self, app):
        _edits()
        text = format_detail(_detail("99213"))
        assert ("  checked for 2026-03-02: NCCI PTP practitioner edits [NCCI PTP v32.1, dates not stated]; "
                "NCCI PTP hospital edits [NCCI PTP hospital v32.1, dates not stated]") in text
        assert "  checked for 2026-03-02: MUE practitioner table [MUE Practitioner 2026 Q1, 2026-01-01 to 2026-12-31]" in text
        assert "  not checked: MUE outpatient hospital table (not imported); MUE DME table (not imported)" in text

    def test_deleted_code_remark(self, app):
        with session_scope() as session:
            session.execute(update(CatalogCode).where(CatalogCode.system == "icd10cm", CatalogCode.code == "K76.0")
                            .values(deletion_date=date(2025, 9, 30)))
        text = format_detail(_detail("K76.0"))
        assert "K76.0  ICD-10-CM  deleted" in text
        assert "! deleted: valid through 2025-09-30" in text
