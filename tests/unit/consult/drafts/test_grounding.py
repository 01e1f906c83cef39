from datetime import date

from consultant.consult.drafts.grounding import codes_outside_catalog, facts_without_source
from consultant.db.session import session_scope

ON = date(2026, 6, 1)


def section(**changes) -> dict:
    code = {"code": "K76.0", "descriptor": "Fatty (change of) liver, not elsewhere classified", "invalid": False,
            "version": "ICD-10-CM 2026", "lay": None, "lay_source": None}
    base = {"codes": [code], "together": {"excludes1": [], "excludes2": [], "ptp": [], "mue": []}, "modifiers": []}
    base.update(changes)
    return base


class TestCodesOutsideCatalog:
    def test_codes_in_the_catalog_pass(self, app):
        with session_scope() as session:
            assert codes_outside_catalog(session, "K76.0 and K75.81; see also K70", set(), ON) == []

    def test_a_code_the_catalog_lacks_is_named(self, app):
        with session_scope() as session:
            problems = codes_outside_catalog(session, "Use K76.0 or K76.99 instead.", set(), ON)
        assert problems == ["names K76.99, which the catalog does not have on 2026-06-01"]

    def test_a_code_the_sender_asked_about_may_be_named(self, app):
        with session_scope() as session:
            assert codes_outside_catalog(session, "K76.99 is not a code in ICD-10-CM 2026.", {"K76.99"}, ON) == []

    def test_a_code_deleted_before_the_date_is_outside(self, app):
        from pathlib import Path

        from consultant.codes.importers import import_file

        fixtures = Path(__file__).parents[3] / "fixtures" / "codes"
        with session_scope() as session:
            import_file(session, "hcpcs", fixtures / "hcpcs_anweb_sample.txt")
            problems = codes_outside_catalog(session, "Bill G0202 instead.", set(), ON)
        assert problems == ["names G0202, which the catalog does not have on 2026-06-01"]


class TestFactsWithoutSource:
    def test_every_fact_with_its_version_passes(self):
        assert facts_without_source(section()) == []

    def test_a_descriptor_without_a_version(self):
        s = section()
        s["codes"][0]["version"] = None
        assert facts_without_source(s) == ["states K76.0 without the version of its source"]

    def test_a_finding_without_a_version(self):
        s = section(together={"excludes1": [], "excludes2": [], "mue": [],
                              "ptp": [{"column1": "47370", "column2": "76940", "version": None}]})
        assert facts_without_source(s) == ["states a ptp finding for 47370 without the version of its source"]
