from datetime import date
from pathlib import Path

from consultant.codes.importers import hcpcs
from consultant.codes.lookup import CodeFact, Status, describe
from consultant.codes.mentions import Mention, find_mentions
from consultant.codes.models import CatalogCode
from consultant.db.session import session_scope

ON = date(2026, 3, 2)
CODES = Path(__file__).parents[2] / "fixtures" / "codes"


def _describe(*mentions: tuple[str, str], on: date = ON) -> list[CodeFact]:
    with session_scope() as session:
        return describe(session, [Mention(system, code, index) for index, (system, code) in enumerate(mentions)], on)


class TestDescribe:
    def test_billable_icd10cm_code_has_descriptor_source_and_version(self, app):
        [fact] = _describe(("icd10cm", "K76.0"))
        assert fact.status == Status.BILLABLE
        assert fact.descriptor == "Fatty (change of) liver, not elsewhere classified"
        assert fact.version == "ICD-10-CM 2026"
        assert "simple-icd-10-cm" in fact.source
        assert fact.system_name == "ICD-10-CM"

    def test_code_needing_more_characters_is_a_header(self, app):
        [fact] = _describe(("icd10cm", "S72.001"))
        assert fact.status == Status.HEADER
        assert "femur" in fact.descriptor.lower()
        assert fact.version == "ICD-10-CM 2026"

    def test_category_with_subcodes_is_a_header(self, app):
        [fact] = _describe(("icd10cm", "E11"))
        assert fact.status == Status.HEADER

    def test_unknown_icd10cm_code_is_invalid_without_text_naming_the_release(self, app):
        assert _describe(("icd10cm", "K76.99")) == [
            CodeFact("icd10cm", "K76.99", Status.INVALID, version="ICD-10-CM 2026", dates="2025-10-01 to 2026-09-30")]

    def test_unknown_icd10cm_code_outside_the_release_dates_is_not_judged(self, app):
        [fact] = _describe(("icd10cm", "K76.99"), on=date(2026, 10, 1))
        assert (fact.status, fact.version) == (Status.NOT_COVERED, "ICD-10-CM 2026")
        assert fact.status_label == "release-does-not-cover-date: ICD-10-CM 2026, 2025-10-01 to 2026-09-30"

    def test_cpt_without_a_licensed_file_is_licensed_text_missing(self, app):
        [fact] = _describe(("cpt", "99213"))
        assert fact.status == Status.LICENSED_TEXT_MISSING
        assert fact.descriptor is None
        assert fact.system_name == "CPT"

    def test_cpt_missing_from_a_loaded_licensed_file_is_not_in_the_file_never_invalid(self, app):
        with session_scope() as session:
            session.add(CatalogCode(system="cpt", code="99213", descriptor="(licensee text)", kind="billable",
                                    source="test licensee file", version="CPT test"))
        known, unknown = _describe(("cpt", "99213"), ("cpt", "99999"))
        assert (known.status, known.descriptor, known.version) == (Status.BILLABLE, "(licensee text)", "CPT test")
        assert unknown.status == Status.NOT_IN_FILE

    def test_hcpcs_code_with_no_hcpcs_file_imported_cannot_be_judged(self, app):
        [fact] = _describe(("hcpcs", "J1100"))
        assert fact.status == Status.CODE_SET_NOT_LOADED
        assert fact.descriptor is None

    def test_hcpcs_code_missing_from_a_partial_file_is_not_in_the_file(self, app):
        with session_scope() as session:
            hcpcs.load(session, CODES / "hcpcs_anweb_sample.txt")  # 4 procedure codes: an extract
        known, unknown = _describe(("hcpcs", "G0439"), ("hcpcs", "J9999"))
        assert known.status == Status.BILLABLE
        assert (unknown.status, unknown.version) == (Status.NOT_IN_FILE, "HCPCS 2025 Q1")

    def test_hcpcs_code_missing_from_the_full_release_is_invalid_for_its_quarter(self, app, tmp_path):
        official = tmp_path / "HCPC2026_JAN_ANWEB.txt"
        official.write_bytes((CODES / "hcpcs_anweb_sample.txt").read_bytes())
        with session_scope() as session:
            hcpcs.load(session, official, full=True)
        [fact] = _describe(("hcpcs", "J9999"))
        assert (fact.status, fact.dates) == (Status.INVALID, "2026-01-01 to 2026-03-31")
        [later] = _describe(("hcpcs", "J9999"), on=date(2026, 4, 1))
        assert later.status == Status.NOT_COVERED

    def test_facts_keep_the_order_of_the_mentions(self, app):
        facts = _describe(("cpt", "99213"), ("icd10cm", "K76.99"), ("icd10cm", "K76.0"), ("icd10cm", "I10"))
        assert [(f.code, f.status) for f in facts] == [
            ("99213", Status.LICENSED_TEXT_MISSING), ("K76.99", Status.INVALID),
            ("K76.0", Status.BILLABLE), ("I10", Status.BILLABLE)]

    def test_no_mentions_no_facts(self, app):
        assert _describe() == []

    def test_works_on_what_find_mentions_returns(self, app):
        with session_scope() as session:
            facts = describe(session, find_mentions("Is k76.0 billable with 99213-25?"), ON)
        assert [(f.system, f.code, f.status) for f in facts] == [
            ("icd10cm", "K76.0", Status.BILLABLE), ("cpt", "99213", Status.LICENSED_TEXT_MISSING)]

    def test_as_dict_carries_every_field(self, app):
        [fact] = _describe(("icd10cm", "K76.0"))
        assert fact.as_dict() == {
            "system": "icd10cm", "code": "K76.0", "status": "billable", "descriptor": fact.descriptor,
            "source": fact.source, "version": "ICD-10-CM 2026", "dates": None, "pairs_unchecked": None}
