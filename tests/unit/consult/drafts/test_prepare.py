from consultant.codes.lookup import CodeFact, Status
from consultant.consult.drafts.prepare import REVIEWER_MARK, prepare_draft
from consultant.consult.enrich import Enrichment
from consultant.consult.routing.router import AUTO, REVIEW, decide
from consultant.consult.routing.rules import Case
from consultant.consult.understand.questions import understand
from consultant.db.session import session_scope


def drafted(settings, text: str, *facts: CodeFact, **extra):
    questions = understand(text)
    enrichment = Enrichment(list(facts), keys=[(f.system, f.code) for f in facts])
    decision = decide(Case(text, questions, enrichment.by_mention, **extra))
    with session_scope() as session:
        return prepare_draft(session, settings.templates_dir, enrichment, questions, decision)


K76_0 = CodeFact("icd10cm", "K76.0", Status.BILLABLE, "Fatty (change of) liver, not elsewhere classified",
                 "CMS", "ICD-10-CM 2026")


class TestPrepareDraft:
    def test_an_auto_answer_is_the_text_sent(self, app):
        draft = drafted(app, "What is K76.0?", K76_0)
        assert draft.decision.route == AUTO
        assert draft.text.startswith("K76.0 (ICD-10-CM): Fatty (change of) liver, not elsewhere classified")
        assert "Source: ICD-10-CM 2026." in draft.text
        assert draft.sources == ["ICD-10-CM 2026"] and draft.problems == []

    def test_a_fact_without_its_source_holds_the_question(self, app):
        unsourced = CodeFact("icd10cm", "K76.0", Status.BILLABLE, "Fatty (change of) liver, not elsewhere classified")
        draft = drafted(app, "What is K76.0?", unsourced)
        assert draft.decision.route == REVIEW
        assert draft.decision.reasons == ("draft not grounded: states K76.0 without the version of its source",)
        assert draft.sections[0]["held"]

    def test_a_held_question_gets_a_marked_place_for_the_reviewer(self, app):
        draft = drafted(app, "What are the guidelines for sequencing sepsis?")
        assert draft.decision.route == REVIEW
        assert REVIEWER_MARK in draft.text
        assert "guideline question" in draft.text

    def test_the_question_text_never_reaches_the_draft(self, app):
        draft = drafted(app, "Pt Jane Roe says: what is K76.0?", K76_0, phi_kinds=["name"])
        assert "Roe" not in draft.text and "Jane" not in draft.text
        assert "K76.0 (ICD-10-CM)" in draft.text
