from __future__ import annotations

from sqlalchemy import select

from consultant.db.models import AuditEntry, Draft
from consultant.db.session import session_scope
from tests.builders import question_email
from tests.support.web import REVIEWER, ask, csrf_of, sign_in


class TestCodeLookup:
    def test_search_finds_codes_by_words(self, client):
        sign_in(client)
        page = client.get("/codes?q=fatty+liver").text
        assert '<a href="/codes/K76.0?system=icd10cm">K76.0</a>' in page

    def test_code_page_reads_like_a_reference(self, client):
        sign_in(client)
        page = client.get("/codes/E11.9").text
        assert "Official descriptor:</strong> Type 2 diabetes mellitus without complications" in page
        assert "ICD-10-CM 2026" in page and "In plain words" in page
        assert "Instructional notes" in page  # E11 carries its category's notes

    def test_cpt_without_the_licensed_file_says_so(self, client):
        sign_in(client)
        page = client.get("/codes/99213").text
        assert "licensed text (AMA CPT) that is not loaded" in page

    def test_a_code_not_in_the_catalog_names_the_release_it_was_judged_against(self, client):
        sign_in(client)
        page = client.get("/codes/K76.99?on=2026-03-02").text
        assert "not a valid code in ICD-10-CM 2026, 2025-10-01 to 2026-09-30" in page
        assert "the full official release of the code set, dates of service 2025-10-01 to 2026-09-30" in page
        assert "Nearest valid codes" in page
        later = client.get("/codes/K76.99?on=2026-12-02").text
        assert "no loaded release covers 2026-12-02, so its validity is not checked" in later
        assert "Nearest valid codes" not in later and "not a valid code" not in later

    def test_a_cpt_code_missing_from_the_licensees_file_is_not_called_invalid(self, client):
        from consultant.codes.importers import import_file
        from tests.unit.codes.test_show import CODES

        with session_scope() as session:
            import_file(session, "cpt", CODES / "cpt_long_sample.txt")  # 99213, not 99214
        sign_in(client)
        page = client.get("/codes/99214?on=2026-03-02").text
        assert "not in the loaded CPT file (CPT (licensed file), dates not stated)" in page
        assert "a file that does not define which codes exist" in page
        assert "not a valid code" not in page and "Nearest valid codes" not in page

    def test_edit_tables_say_whether_they_were_checked(self, client):
        sign_in(client)
        page = client.get("/codes/99213").text
        assert "NCCI PTP practitioner edits: not checked (not imported)" in page
        assert "MUE DME table: not checked (not imported)" in page

    def test_insert_a_codes_facts_into_a_draft(self, client, staff_app):
        ask(staff_app, question_email("Does Medicare pay for K76.0 when billed with E11.9?"))
        sign_in(client)
        page = client.get("/codes/K70.0").text
        with session_scope() as session:
            draft_id = session.scalar(select(Draft.id))
        after = client.post("/codes/K70.0/insert", data={"csrf": csrf_of(page), "draft_id": draft_id})
        assert "facts for K70.0 inserted" in after.text
        with session_scope() as session:
            assert "K70.0 (ICD-10-CM): Alcoholic fatty liver" in session.get(Draft, draft_id).body_text


class TestKnowledgeBase:
    def test_create_and_edit_a_description_with_author(self, client):
        page = sign_in(client).text
        page = client.get("/knowledge").text
        saved = client.post("/knowledge", data={"csrf": csrf_of(page), "system": "icd10cm", "code": "k70.0",
                                                "text": "Fat in the liver from alcohol (invented wording)."})
        assert "K70.0 saved" in saved.text
        assert "Fat in the liver from alcohol (invented wording)." in saved.text and REVIEWER in saved.text
        code_page = client.get("/codes/K70.0").text
        assert "Fat in the liver from alcohol (invented wording)." in code_page
        edit = client.get("/knowledge/icd10cm/K70.0").text
        client.post("/knowledge", data={"csrf": csrf_of(edit), "system": "icd10cm", "code": "K70.0",
                                        "text": "Second wording (invented)."})
        assert "Second wording (invented)." in client.get("/codes/K70.0").text
        with session_scope() as session:
            assert session.scalars(select(AuditEntry.action).where(
                AuditEntry.action == "lay_description_saved")).all() == ["lay_description_saved"] * 2

    def test_unknown_code_set_is_refused(self, client):
        page = sign_in(client).text
        refused = client.post("/knowledge", data={"csrf": csrf_of(page), "system": "nope", "code": "X",
                                                  "text": "t"})
        assert "unknown code system" in refused.text
