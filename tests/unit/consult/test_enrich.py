"""enrich: each code's fact cites the release it rests on, and says why its pairs cannot be checked."""

from datetime import date
from pathlib import Path

from consultant.codes.importers import import_file
from consultant.codes.lookup import Status
from consultant.consult.enrich import enrich
from consultant.db.session import session_scope

DOS = date(2026, 3, 2)
CODES = Path(__file__).parents[2] / "fixtures" / "codes"


def _enrich(text: str, on: date = DOS):
    with session_scope() as session:
        return enrich(session, text, on=on)


class TestFacts:
    def test_a_code_not_in_the_catalog_cites_the_release_looked_in(self, app):
        [fact] = _enrich("Is K76.99 valid?").facts
        assert (fact.status, fact.version, fact.dates) == (Status.INVALID, "ICD-10-CM 2026", "2025-10-01 to 2026-09-30")
        [later] = _enrich("Is K76.99 valid?", on=date(2026, 10, 1)).facts
        assert later.status == Status.NOT_COVERED

    def test_the_date_of_service_is_kept(self, app):
        assert _enrich("What is K76.0?").on == DOS


class TestPairsUnchecked:
    def test_procedures_with_no_ncci_table(self, app):
        facts = _enrich("Can 47370 be billed with 76940?").facts
        assert {f.pairs_unchecked for f in facts} == {
            "NCCI PTP practitioner edits: not imported; NCCI PTP hospital edits: not imported"}

    def test_one_ncci_setting_checked_is_enough(self, app):
        with session_scope() as session:
            import_file(session, "ncci-ptp", CODES / "ncci_practitioner_sample.txt")
        assert {f.pairs_unchecked for f in _enrich("Can 47370 be billed with 76940?").facts} == {None}

    def test_diagnoses_outside_the_release_dates(self, app):
        facts = _enrich("Can K76.0 and K75.81 be coded together?", on=date(2026, 12, 2)).facts
        assert {f.pairs_unchecked for f in facts} == {
            "ICD-10-CM Excludes notes: ICD-10-CM 2026 covers 2025-10-01 to 2026-09-30, not 2026-12-02"}
        assert {f.pairs_unchecked for f in _enrich("Can K76.0 and K75.81 be coded together?").facts} == {None}
