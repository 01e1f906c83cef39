from consultant.codes.lookup import CodeFact, Status
from consultant.consult.routing.router import AUTO, REVIEW, decide
from consultant.consult.routing.rules import Case, code_not_describable, no_code_found, phi_present

K76_0 = CodeFact("icd10cm", "K76.0", Status.BILLABLE, "Fatty (change of) liver, not elsewhere classified")
CPT = CodeFact("cpt", "99213", Status.LICENSED_TEXT_MISSING)


class TestPhiPresent:
    def test_no_identifiers_no_reason(self):
        assert phi_present(Case("What is K76.0?", [K76_0])) is None

    def test_names_the_kinds_found_once_each(self):
        reason = phi_present(Case("...", [K76_0], ["name", "date", "date"]))
        assert reason == "possible patient identifiers (date, name): a person must answer"


class TestNoCodeFound:
    def test_a_question_without_codes_goes_to_a_person(self):
        assert no_code_found(Case("Guidelines for E/M by MDM?", [])) == "no code found in the question"
        assert no_code_found(Case("What is K76.0?", [K76_0])) is None


class TestCodeNotDescribable:
    def test_names_each_code_it_cannot_describe(self):
        reason = code_not_describable(Case("99213 with K76.0", [CPT, K76_0]))
        assert reason == "the catalog cannot describe CPT 99213 (licensed-text-missing)"


class TestDecide:
    def test_auto_when_no_rule_objects(self):
        assert decide(Case("What is K76.0?", [K76_0])).route == AUTO

    def test_every_reason_is_kept(self):
        decision = decide(Case("Pt Jane Roe: 99213?", [CPT], ["name"]))
        assert decision.route == REVIEW
        assert len(decision.reasons) == 2
