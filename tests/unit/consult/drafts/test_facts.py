"""The facts the answer templates print: what each code's status rests on, and which tables were checked."""

from datetime import date
from pathlib import Path

from consultant.codes.importers import import_file
from consultant.consult.drafts.facts import code_context, together_context
from consultant.consult.drafts.prepare import prepare_draft
from consultant.consult.enrich import enrich
from consultant.consult.routing.router import AUTO, REVIEW, decide
from consultant.consult.routing.rules import Case
from consultant.consult.understand.questions import understand
from consultant.db.session import session_scope

DOS = date(2026, 3, 2)
CODES = Path(__file__).parents[3] / "fixtures" / "codes"


def _import(kind: str, name: str, path: Path | None = None) -> None:
    with session_scope() as session:
        import_file(session, kind, path or CODES / name)


def _draft(settings, text: str, on: date = DOS):
    questions = understand(text)
    with session_scope() as session:
        enrichment = enrich(session, text, on=on)
        case = Case(text, questions, enrichment.by_mention, mue_codes=enrichment.mue_codes)
        return prepare_draft(session, settings.templates_dir, enrichment, questions, decide(case), on=on)


def _contexts(text: str, on: date = DOS):
    with session_scope() as session:
        enrichment = enrich(session, text, on=on)
    return enrichment, [code_context(f, enrichment.details[i], enrichment.on) for i, f in enumerate(enrichment.facts)]


class TestCodeContext:
    def test_an_invalid_code_cites_the_full_release_and_its_dates(self, app):
        _, [k76_99] = _contexts("Is K76.99 valid?")
        assert (k76_99["invalid"], k76_99["version"], k76_99["dates"]) == (True, "ICD-10-CM 2026",
                                                                         "2025-10-01 to 2026-09-30")
        assert k76_99["suggestions"]

    def test_a_code_missing_from_the_licensees_cpt_file_is_not_invalid(self, app):
        _import("cpt", "cpt_long_sample.txt")
        _, [code] = _contexts("Is 99214 valid?")
        assert (code["not_in_file"], code["invalid"], code["suggestions"]) == (True, False, [])
        assert code["version"] == "CPT (licensed file)"
        assert code["lay"]  # our lay text for 99214: no contradiction with "not in the loaded file"

    def test_a_code_outside_the_release_dates_is_not_judged(self, app):
        _, [code] = _contexts("Is K76.99 valid?", on=date(2026, 12, 2))
        assert (code["not_covered"], code["invalid"], code["suggestions"], code["on"]) == (
            True, False, [], "2026-12-02")


class TestTogetherContext:
    def test_a_cpt_pair_names_the_ncci_tables_not_excludes(self, app):
        enrichment, _ = _contexts("Can 47370 be billed with 76940?")
        together = together_context(enrichment.check, {"47370", "76940"})
        assert together["checked"] == [] and together["none_found"] is None
        assert [(t["name"], t["reason"]) for t in together["unchecked"]] == [
            ("NCCI PTP practitioner edits", "not imported"), ("NCCI PTP hospital edits", "not imported")]

    def test_a_table_checked_is_named_with_its_release(self, app, tmp_path):
        named = tmp_path / "ccipra-v321r0.txt"
        named.write_bytes((CODES / "ncci_practitioner_sample.txt").read_bytes())
        _import("ncci-ptp", "", named)
        enrichment, _ = _contexts("Can 99213 be billed with 76940?")
        together = together_context(enrichment.check, {"99213", "76940"})
        assert [t["cited"] for t in together["checked"]] == ["NCCI PTP practitioner v32.1, through 2026-06-30"]
        assert together["none_found"] == "NCCI PTP edit"
        assert [t["name"] for t in together["unchecked"]] == ["NCCI PTP hospital edits"]

    def test_an_icd_pair_names_the_excludes_notes_only(self, app):
        enrichment, _ = _contexts("Can K76.0 and I10 be coded together?")
        together = together_context(enrichment.check, {"K76.0", "I10"})
        assert [t["name"] for t in together["checked"]] == ["ICD-10-CM Excludes notes"]
        assert together["none_found"] == "Excludes1 note" and together["unchecked"] == []

    def test_a_diagnosis_with_a_procedure_is_unpaired(self, app):
        enrichment, _ = _contexts("Can 99213 be billed with K76.0?")
        together = together_context(enrichment.check, {"99213", "K76.0"})
        assert together["unpaired"] and together["checked"] == [] and together["unchecked"] == []


class TestRenderedAnswers:
    def test_no_edit_is_never_stated_of_a_table_not_loaded(self, app):
        draft = _draft(app, "Can 47370 be billed with 76940?")
        assert draft.decision.route == REVIEW
        assert any(r.startswith("codes together not checked for the date of service (NCCI PTP practitioner edits: "
                                "not imported") for r in draft.decision.reasons)
        text = " ".join(draft.text.split())
        assert "Excludes" not in text and "no ncci" not in text.lower()
        assert ("Not checked, so nothing is said here about these codes together: NCCI PTP practitioner edits "
                "(not imported); NCCI PTP hospital edits (not imported).") in text

    def test_a_checked_table_that_has_no_edit_says_so_with_its_release(self, app, tmp_path):
        named = tmp_path / "ccipra-v321r0.txt"
        named.write_bytes((CODES / "ncci_practitioner_sample.txt").read_bytes())
        _import("ncci-ptp", "", named)
        _import("cpt", "cpt_long_sample.txt")
        draft = _draft(app, "Can 99213 be billed with 47380?")
        text = " ".join(draft.text.split())
        assert "No NCCI PTP edit pairs these codes in the tables checked." in text
        assert ("Checked for the date of service 2026-03-02: NCCI PTP practitioner edits (NCCI PTP practitioner v32.1, "
                "through 2026-06-30).") in text
        assert "Not checked: NCCI PTP hospital edits (not imported)." in text
        assert "Excludes" not in text
        assert draft.decision.route == AUTO and "NCCI PTP practitioner v32.1" in draft.sources

    def test_an_icd_pair_states_what_the_excludes_notes_say_for_the_date(self, app):
        draft = _draft(app, "Can K76.0 and K75.81 be coded together?")
        text = " ".join(draft.text.split())
        assert draft.decision.route == AUTO
        assert "K76.0 + K75.81: Excludes1 at K76.0" in text
        assert ("Checked for the date of service 2026-03-02: ICD-10-CM Excludes notes (ICD-10-CM 2026, "
                "2025-10-01 to 2026-09-30).") in text
        assert "NCCI" not in text

    def test_an_icd_pair_after_the_release_dates_is_held(self, app):
        draft = _draft(app, "Can K76.0 and K75.81 be coded together?", on=date(2026, 12, 2))
        assert draft.decision.route == REVIEW
        assert ("codes together not checked for the date of service (ICD-10-CM Excludes notes: ICD-10-CM 2026 covers "
                "2025-10-01 to 2026-09-30, not 2026-12-02): a person must answer") in draft.decision.reasons
        assert "Excludes1 at" not in draft.text

    def test_an_invalid_code_names_its_release_and_dates_and_the_nearest_codes(self, app):
        draft = _draft(app, "Is K76.99 a real code?")
        assert draft.decision.route == AUTO
        assert ("K76.99 (ICD-10-CM): not a code in ICD-10-CM 2026 (2025-10-01 to 2026-09-30); check it for a typing "
                "error.") in draft.text
        assert "Nearest valid codes:" in draft.text

    def test_a_code_missing_from_the_licensees_file_is_no_typo_and_gets_no_neighbours(self, app):
        _import("cpt", "cpt_long_sample.txt")
        draft = _draft(app, "Is 99214 a valid code?")
        text = " ".join(draft.text.split())
        assert draft.decision.route == REVIEW
        assert ("99214 (CPT): not in the loaded CPT file (CPT (licensed file), dates not stated), so this service has "
                "no descriptor to quote. A licensee's CPT file lists descriptors; it does not define which CPT codes "
                "exist: a code missing from it can still be a real, current code.") in text
        assert "invalid" not in text.lower()
        assert "typing error" not in text and "Nearest valid codes" not in text and "99213" not in text

    def test_units_name_the_mue_tables_not_checked(self, app):
        _import("mue", "mue_practitioner_sample.txt")
        draft = _draft(app, "How many units of 76940 can be billed?")
        text = " ".join(draft.text.split())
        assert "MUE (practitioner): 76940, at most 1 unit per day" in text
        assert "MUE tables not checked: MUE outpatient hospital table (not imported); MUE DME table (not imported)." \
            in text
