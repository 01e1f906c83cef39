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
