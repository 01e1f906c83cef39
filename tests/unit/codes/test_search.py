import pytest
from sqlalchemy import insert

from consultant.codes.models import CatalogCode, LayDescription
from consultant.codes.search import rebuild_index, search
from consultant.db.session import session_scope


def codes_for(query: str, **options) -> list[str]:
    with session_scope() as session:
        return [hit.code for hit in search(session, query, **options)]


class TestSearch:
    def test_nonalcoholic_fatty_liver_disease_ranks_k76_0_in_the_top_three(self, app):
        assert "K76.0" in codes_for("nonalcoholic fatty liver disease", limit=3)

    def test_every_word_matching_comes_before_some_words_matching(self, app):
        top = codes_for("essential hypertension", limit=3)
        assert top[0] == "I10"

    def test_stemming_matches_other_word_forms(self, app):
        assert "S72.001" in codes_for("fractured neck femur right", limit=10)

    def test_a_code_shaped_query_lists_the_code_and_its_children_first(self, app):
        assert codes_for("K76", limit=4) == ["K76", "K76.0", "K76.1", "K76.2"]

    def test_system_filter(self, app):
        with session_scope() as session:
            session.execute(insert(CatalogCode).values(
                system="hcpcs", code="J1100", descriptor="Injection, dexamethasone sodium phosphate, 1 mg",
                kind="billable", source="test", version="HCPCS test", attributes={}))
            rebuild_index(session, ["hcpcs"])
        assert codes_for("dexamethasone injection", system="hcpcs") == ["J1100"]
        assert "J1100" not in codes_for("dexamethasone injection", system="icd10cm")

    def test_lay_text_is_searchable(self, app):
        with session_scope() as session:
            session.add(LayDescription(system="icd10cm", code="K76.3", author="test",
                                       text="Part of the liver died because its blood supply was cut off"))
            session.flush()
            rebuild_index(session, ["icd10cm"])
        assert codes_for("liver blood supply cut off", limit=1) == ["K76.3"]

    @pytest.mark.parametrize("hostile", ['"', "NEAR(", "a AND OR NOT", "*", "'; drop table catalog_code; --", ""])
    def test_hostile_or_empty_queries_return_a_result_list_not_an_error(self, app, hostile):
        assert isinstance(codes_for(hostile), list)

    def test_limit_is_respected(self, app):
        assert len(codes_for("liver", limit=7)) == 7


class TestRebuildIndex:
    def test_indexes_codes_but_not_chapters_or_blocks(self, app):
        with session_scope() as session:
            written = rebuild_index(session)
        assert written > 35_000
        assert "K70-K77" not in codes_for("diseases of liver", limit=50)

    def test_a_header_stands_for_its_seventh_character_codes(self, app):
        found = codes_for("fracture unspecified part neck right femur", limit=5)
        assert "S72.001" in found
        assert not any(len(code) == 8 for code in found)
        assert codes_for("S72.001A") == ["S72.001A"]


class TestSearchOnPostgresql:
    ROWS = [
        ("K76.0", "Fatty (change of) liver, not elsewhere classified"),
        ("K70.0", "Alcoholic fatty liver"),
        ("K75.81", "Nonalcoholic steatohepatitis (NASH)"),
        ("I10", "Essential (primary) hypertension"),
        ("S72.001", "Fracture of unspecified part of neck of right femur"),
    ]

    @pytest.fixture
    def pg_catalog(self, configure, pg_url):
        from consultant.codes.models import CodeNote
        from consultant.db.migrate import upgrade

        configure(database_url=pg_url)
        upgrade(pg_url)
        with session_scope() as session:
            session.execute(insert(CatalogCode), [
                {"system": "icd10cm", "code": code, "descriptor": text, "kind": "billable", "source": "test",
                 "version": "ICD-10-CM 2026", "attributes": {}} for code, text in self.ROWS])
            session.add(CodeNote(system="icd10cm", code="K76.0", kind="inclusion_term",
                                 text="Nonalcoholic fatty liver disease (NAFLD)", refs=[]))
            session.flush()
            rebuild_index(session)

    def test_ranks_by_full_text_with_inclusion_terms(self, pg_catalog):
        assert codes_for("nonalcoholic fatty liver disease", limit=3)[0] == "K76.0"

    def test_falls_back_to_any_word_and_stems(self, pg_catalog):
        assert codes_for("fractured femur bone", limit=3) == ["S72.001"]

    def test_hostile_query_is_harmless(self, pg_catalog):
        assert codes_for("liver & | ! :* ( ') ; drop table x") != []
