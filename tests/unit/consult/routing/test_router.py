from consultant.codes.lookup import CodeFact, Status
from consultant.consult.routing.router import AUTO, REVIEW, decide
from consultant.consult.routing.rules import Case
from consultant.consult.understand.questions import understand

K76_0 = CodeFact("icd10cm", "K76.0", Status.BILLABLE, "Fatty (change of) liver, not elsewhere classified")
CPT = CodeFact("cpt", "99213", Status.LICENSED_TEXT_MISSING)


def case(text: str, *facts: CodeFact, **extra) -> Case:
    return Case(text, understand(text), {(f.system, f.code): f for f in facts}, **extra)


class TestDecide:
    def test_auto_when_no_rule_objects(self):
        decision = decide(case("What is K76.0?", K76_0))
        assert decision.route == AUTO and decision.reasons == ()
        assert decision.answered_now == (1,)

    def test_every_reason_is_kept(self):
        decision = decide(case("Pt Jane Roe: what is 99213?", CPT, phi_kinds=["name"]))
        assert decision.route == REVIEW
        assert decision.reasons == (
            "possible patient identifiers (name): a person must answer",
            "the catalog cannot describe CPT 99213 (licensed-text-missing)",
        )

    def test_each_question_has_its_own_route_and_reasons_are_numbered(self):
        decision = decide(case("1) What is K76.0?\n2) What is 99213?", K76_0, CPT))
        assert decision.route == REVIEW
        assert [(q.number, q.route) for q in decision.questions] == [(1, AUTO), (2, REVIEW)]
        assert decision.reasons == ("question 2: the catalog cannot describe CPT 99213 (licensed-text-missing)",)
        assert decision.answered_now == (1,)

    def test_an_email_rule_holds_every_question(self):
        decision = decide(case("1) What is K76.0?\n2) Is K76.0 billable?", K76_0, phi_kinds=["phone"]))
        assert [q.route for q in decision.questions] == [REVIEW, REVIEW]
        assert decision.answered_now == ()
