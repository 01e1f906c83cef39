from consultant.codes.lookup import CodeFact, Status
from consultant.consult.routing.policy import Policy
from consultant.consult.routing.rules import (
    Case,
    attachment_carries_question,
    code_not_describable,
    intent_not_answered_automatically,
    low_confidence,
    no_code_to_answer_from,
    pair_needs_two_codes,
    pair_not_checked,
    phi_in_quoted_text,
    phi_present,
    plan_reviews_everything,
    units_without_mue,
)
from consultant.consult.understand.questions import understand

K76_0 = CodeFact("icd10cm", "K76.0", Status.BILLABLE, "Fatty (change of) liver, not elsewhere classified")
K76_99 = CodeFact("icd10cm", "K76.99", Status.INVALID, version="ICD-10-CM 2026", dates="2025-10-01 to 2026-09-30")
CPT_UNLICENSED = CodeFact("cpt", "99213", Status.LICENSED_TEXT_MISSING)
CPT_ABSENT = CodeFact("cpt", "99499", Status.NOT_IN_FILE, version="CPT 2026 (licensed file)",
                      dates="2026-01-01 to 2026-12-31")
J1100 = CodeFact("hcpcs", "J1100", Status.BILLABLE, "Injection, dexamethasone sodium phosphate, 1 mg")


def case(text: str, *facts: CodeFact, attachments: tuple[str, ...] = (), **extra) -> Case:
    return Case(text, understand(text, attachments), {(f.system, f.code): f for f in facts},
                attachments=attachments, **extra)


def only_question(c: Case):
    assert len(c.questions) == 1
    return c.questions[0]


class TestPhiPresent:
    def test_no_identifiers_no_reason(self):
        assert phi_present(case("What is K76.0?", K76_0)) is None

    def test_names_the_kinds_found_once_each(self):
        reason = phi_present(case("...", K76_0, phi_kinds=["name", "date", "date"]))
        assert reason == "possible patient identifiers (date, name): a person must answer"


class TestPhiInQuotedText:
    def test_only_the_quoted_kinds_count(self):
        assert phi_in_quoted_text(case("Is N39.0 right for her?", phi_kinds=["name"])) is None
        reason = phi_in_quoted_text(case("Is N39.0 right for her?", quoted_phi_kinds=["mrn", "name", "date", "name"]))
        assert reason == ("possible patient identifiers in the quoted earlier message (date, mrn, name): "
                          "a person must answer")


class TestPlanReviewsEverything:
    def test_only_when_the_plan_says_so(self):
        assert plan_reviews_everything(case("What is K76.0?", K76_0)) is None
        reviewed = case("What is K76.0?", K76_0, policy=Policy(review_all=True))
        assert plan_reviews_everything(reviewed) == "the sender's plan has every answer reviewed"


class TestAttachmentCarriesQuestion:
    def test_a_question_pointing_at_its_attachment(self):
        c = case("Please see the attached op note.", attachments=("op_note.pdf",))
        assert attachment_carries_question(c) == "the question is in an attachment (op_note.pdf): a person must read it"

    def test_an_empty_body_with_an_attachment(self):
        assert attachment_carries_question(case("", attachments=("scan.pdf",))) is not None

    def test_an_attachment_beside_a_complete_question_is_not_the_question(self):
        assert attachment_carries_question(case("What is K76.0?", K76_0, attachments=("logo.png",))) is None


class TestIntentNotAnsweredAutomatically:
    def test_a_lookup_may_be_answered(self):
        c = case("What is K76.0?", K76_0)
        assert intent_not_answered_automatically(c, only_question(c)) is None

    def test_a_guideline_question_goes_to_a_person(self):
        c = case("What are the guidelines for E/M by MDM vs time?")
        assert intent_not_answered_automatically(c, only_question(c)) == "guideline question: a person must answer"

    def test_the_policy_decides_which_intents(self):
        c = case("What is K76.0?", K76_0, policy=Policy(auto_intents=frozenset({"validity"})))
        assert intent_not_answered_automatically(c, only_question(c)) == "lookup question: a person must answer"


class TestLowConfidence:
    def test_a_clear_question_passes(self):
        c = case("What is K76.0?", K76_0)
        assert low_confidence(c, only_question(c)) is None

    def test_below_the_policy_threshold_is_held_with_the_figures(self):
        c = case("What is K76.0?", K76_0, policy=Policy(min_confidence=0.999))
        reason = low_confidence(c, only_question(c))
        assert reason.startswith("the question could not be read with confidence (0.")
        assert "< 1.00; read as lookup)" in reason


class TestNoCodeToAnswerFrom:
    def test_a_lookup_without_a_code(self):
        c = case("What is the code for fatty liver?")
        assert no_code_to_answer_from(c, only_question(c)) == "no code found in the question"

    def test_a_guideline_question_needs_no_code(self):
        c = case("What are the guidelines for sequencing sepsis?")
        assert no_code_to_answer_from(c, only_question(c)) is None


class TestCodeNotDescribable:
    def test_names_each_code_it_cannot_describe(self):
        c = case("Can 99213 be billed with K76.0?", CPT_UNLICENSED, K76_0)
        reason = code_not_describable(c, only_question(c))
        assert reason == "the catalog cannot describe CPT 99213 (licensed-text-missing)"

    def test_an_invalid_code_in_a_validity_question_is_the_answer(self):
        c = case("Is K76.99 a real code?", K76_99)
        assert code_not_describable(c, only_question(c)) is None

    def test_an_invalid_code_in_a_lookup_goes_to_a_person(self):
        c = case("What is K76.99?", K76_99)
        assert code_not_describable(c, only_question(c)) == (
            "the catalog cannot describe ICD-10-CM K76.99 (invalid: ICD-10-CM 2026, 2025-10-01 to 2026-09-30)")

    def test_a_cpt_code_missing_from_the_licensee_file_is_not_called_invalid(self):
        c = case("Is 99499 a valid code?", CPT_ABSENT)
        assert code_not_describable(c, only_question(c)) == (
            "the catalog cannot describe CPT 99499 (not-in-loaded-file: CPT 2026 (licensed file), "
            "2026-01-01 to 2026-12-31)")

    def test_a_code_the_full_release_does_not_cover_the_date_for_goes_to_a_person(self):
        outside = CodeFact("icd10cm", "K76.99", Status.NOT_COVERED, version="ICD-10-CM 2026",
                           dates="2025-10-01 to 2026-09-30")
        c = case("Is K76.99 a real code?", outside)
        assert code_not_describable(c, only_question(c)) == (
            "the catalog cannot describe ICD-10-CM K76.99 (release-does-not-cover-date: ICD-10-CM 2026, "
            "2025-10-01 to 2026-09-30)")

    def test_a_code_missing_from_a_partial_hcpcs_file_goes_to_a_person(self):
        c = case("Is J9999 a valid code?", CodeFact("hcpcs", "J9999", Status.NOT_IN_FILE, version="HCPCS 2026 Q1"))
        assert code_not_describable(c, only_question(c)) == (
            "the catalog cannot describe HCPCS Level II J9999 (not-in-loaded-file: HCPCS 2026 Q1)")

    def test_a_modifier_without_a_descriptor(self):
        c = case("What does modifier XU stand for?")
        assert code_not_describable(c, only_question(c)) == "the catalog cannot describe modifier XU"
        described = case("What does modifier XU stand for?", described_modifiers=frozenset({"XU"}))
        assert code_not_describable(described, only_question(described)) is None


class TestPairNeedsTwoCodes:
    def test_one_code_is_not_a_pair(self):
        c = case("Is 76940 bundled?", CodeFact("cpt", "76940", Status.BILLABLE, "x"))
        assert pair_needs_two_codes(c, only_question(c)) == "a question about codes together names fewer than two codes"

    def test_two_codes_are(self):
        c = case("Can K76.0 and K75.81 be coded together?", K76_0)
        assert pair_needs_two_codes(c, only_question(c)) is None


NCCI_MISSING = "NCCI PTP practitioner edits: not imported; NCCI PTP hospital edits: not imported"


class TestPairNotChecked:
    def _cpt(self, code: str, unchecked: str | None = NCCI_MISSING) -> CodeFact:
        return CodeFact("cpt", code, Status.BILLABLE, "x", "licensed file", "CPT 2026", pairs_unchecked=unchecked)

    def test_a_cpt_pair_with_no_ncci_table_checked_is_held_with_the_reason(self):
        c = case("Can 47370 be billed with 76940?", self._cpt("47370"), self._cpt("76940"))
        assert pair_not_checked(c, only_question(c)) == (
            "codes together not checked for the date of service (NCCI PTP practitioner edits: not imported; "
            "NCCI PTP hospital edits: not imported): a person must answer")

    def test_a_pair_a_table_checked_is_answered(self):
        c = case("Can 47370 be billed with 76940?", self._cpt("47370", None), self._cpt("76940", None))
        assert pair_not_checked(c, only_question(c)) is None

    def test_an_icd_pair_outside_the_release_dates_is_held(self):
        why = "ICD-10-CM Excludes notes: ICD-10-CM 2026 covers 2025-10-01 to 2026-09-30, not 2026-12-02"
        facts = [CodeFact("icd10cm", code, Status.BILLABLE, "x", "CMS", "ICD-10-CM 2026", pairs_unchecked=why)
                 for code in ("K76.0", "K75.81")]
        c = case("Can K76.0 and K75.81 be coded together?", *facts)
        assert pair_not_checked(c, only_question(c)) == (
            f"codes together not checked for the date of service ({why}): a person must answer")

    def test_a_diagnosis_with_a_procedure_is_no_pair_a_table_decides(self):
        c = case("Can 99213 be billed with K76.0?", self._cpt("99213", None), K76_0)
        assert pair_not_checked(c, only_question(c)) == (
            "no table pairs these codes (Excludes notes pair ICD-10-CM codes, NCCI PTP edits pair CPT and HCPCS "
            "codes): a person must answer")

    def test_not_a_pair_question(self):
        c = case("What is 47370?", self._cpt("47370"))
        assert pair_not_checked(c, only_question(c)) is None


class TestUnitsWithoutMue:
    def test_a_code_with_an_mue(self):
        c = case("How many units of J1100 per day?", J1100, mue_codes=frozenset({"J1100"}))
        assert units_without_mue(c, only_question(c)) is None

    def test_a_code_without_one(self):
        c = case("How many units of J1100 per day?", J1100)
        assert units_without_mue(c, only_question(c)) == "no MUE in the catalog for J1100"

    def test_a_diagnosis_has_no_units(self):
        c = case("How many units of K76.0 per day?", K76_0)
        assert units_without_mue(c, only_question(c)) == "a units question names no CPT or HCPCS code"
