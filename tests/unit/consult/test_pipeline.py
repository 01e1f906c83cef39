from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select, update

from consultant import jobs
from consultant.consult.pipeline import MAX_ATTEMPTS, process_inbound, run_inbound
from consultant.codes.models import CatalogRelease
from consultant.db.models import (
    Consultation,
    Draft,
    DraftStatus,
    InboundEmail,
    OutboundEmail,
    Question,
    Sender,
    UsageEvent,
)
from consultant.db.session import session_scope
from consultant.mail.inbound import Envelope, store_raw
from tests.builders import question_email


@pytest.fixture
def current_icd10cm(app):
    """The pipeline asks about today; the packaged ICD-10-CM release covers its fiscal year only. These tests
    are about a catalog whose ICD-10-CM release covers today (as a newer release would)."""
    with session_scope() as session:
        session.execute(update(CatalogRelease).where(CatalogRelease.system == "icd10cm")
                        .values(valid_to=date.today()))
    return app


def receive(raw: bytes, mail_from: str = "coder@example.org") -> int:
    with session_scope() as session:
        return store_raw(session, raw, Envelope(mail_from, ("ask@consultant.localhost",))).inbound_id


def process(settings, inbound_id: int):
    with session_scope() as session:
        return process_inbound(session, settings, inbound_id)


def count_rows(model) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model))


def outbound(outbound_id: int) -> OutboundEmail:
    with session_scope() as session:
        return session.get(OutboundEmail, outbound_id)


def parsed_reply(outbound_id: int):
    return message_from_bytes(outbound(outbound_id).raw, policy=policy.default)


class TestProcessInbound:
    def test_code_lookup_is_answered_with_the_official_descriptor(self, app):
        inbound_id = receive(question_email("What is ICD-10-CM code K76.0?", message_id="<k76@example.org>"))
        outcome = process(app, inbound_id)
        assert outcome.status == "processed"
        reply = parsed_reply(outcome.outbound_ids[0])
        text = reply.get_body(("plain",)).get_content()
        assert "K76.0 (ICD-10-CM): Fatty (change of) liver, not elsewhere classified" in text
        assert "ICD-10-CM 2026" in text
        assert reply["In-Reply-To"] == "<k76@example.org>"
        assert reply["References"] == "<k76@example.org>"
        assert reply["Auto-Submitted"] == "auto-replied"
        assert reply["To"] == "coder@example.org"
        assert reply["Subject"] == "Your coding question [CC-000001]"  # never the sender's subject
        assert reply["Message-ID"].endswith("@consultant.localhost>")
        assert outbound(outcome.outbound_ids[0]).kind == "answer"

    def test_running_twice_makes_no_second_reply(self, app):
        inbound_id = receive(question_email())
        first = process(app, inbound_id)
        second = process(app, inbound_id)
        assert first.outbound_ids and second.outbound_ids == ()
        assert second.status == "processed"
        assert count_rows(OutboundEmail) == 1

    def test_same_message_id_with_other_bytes_is_a_duplicate(self, app):
        first = receive(question_email("What is K76.0?", message_id="<same@example.org>"))
        again = receive(question_email("What is K76.0? ", message_id="<same@example.org>"))
        assert first != again
        process(app, first)
        outcome = process(app, again)
        assert outcome.status == "duplicate"
        assert count_rows(Consultation) == 1
        assert count_rows(OutboundEmail) == 1

    def test_cpt_without_licensed_file_is_stated_honestly_and_held_for_review(self, app):
        outcome = process(app, receive(question_email("What is 99213?")))
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert "no licensed CPT descriptor file" in text
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"
        with session_scope() as session:
            question = session.scalars(select(Question)).one()
            assert question.route == "review"
            assert any("licensed-text-missing" in r for r in question.route_reasons)

    def test_machine_mail_is_recorded_and_never_answered(self, app):
        raw = question_email(headers={"Auto-Submitted": "auto-replied"})
        outcome = process(app, receive(raw))
        assert outcome.status == "machine"
        assert count_rows(OutboundEmail) == 0
        with session_scope() as session:
            assert "Auto-Submitted" in session.scalars(select(InboundEmail.status_reason)).one()

    def test_mail_from_our_own_address_is_a_loop_not_a_question(self, app):
        outcome = process(app, receive(question_email(sender="ask@consultant.localhost")))
        assert outcome.status == "machine"
        assert count_rows(OutboundEmail) == 0

    def test_reply_from_the_asker_joins_the_consultation(self, app):
        first = process(app, receive(question_email("What is K76.0?", message_id="<first@example.org>")))
        our_id = outbound(first.outbound_ids[0]).message_id
        follow_up = question_email(
            "And E11.9?", subject="Re: Code question [CC-000001]", in_reply_to=our_id,
            references=f"<first@example.org> {our_id}",
        )
        second = process(app, receive(follow_up))
        assert count_rows(Consultation) == 1
        reply = parsed_reply(second.outbound_ids[0])
        assert reply["In-Reply-To"] == follow_up_id(follow_up)
        assert reply["References"].split() == ["<first@example.org>", our_id, follow_up_id(follow_up)]

    def test_someone_else_cannot_join_another_senders_consultation(self, app):
        first = process(app, receive(question_email("What is K76.0?")))
        our_id = outbound(first.outbound_ids[0]).message_id
        intruder = question_email(
            "What is E11.9?", sender="other@example.net", subject="Re: [CC-000001]", in_reply_to=our_id
        )
        process(app, receive(intruder, mail_from="other@example.net"))
        with session_scope() as session:
            senders = session.scalars(select(Consultation.sender_id).order_by(Consultation.id)).all()
        assert len(senders) == 2 and senders[0] != senders[1]

    def test_usage_counts_the_question_and_charges_the_consultation(self, app):
        process(app, receive(question_email()))
        with session_scope() as session:
            assert sorted(session.scalars(select(UsageEvent.kind)).all()) == ["consultation", "question"]

    def test_header_injection_in_subject_does_not_reach_reply_headers(self, app):
        raw = question_email(subject="Hi =?utf-8?q?there=0D=0ABcc=3A_victim=40example.com?=")
        outcome = process(app, receive(raw))
        reply = parsed_reply(outcome.outbound_ids[0])
        assert reply["Bcc"] is None
        assert "\n" not in reply["Subject"] and "\r" not in reply["Subject"]


def follow_up_id(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default)["Message-ID"]


class TestRunInbound:
    def test_a_message_that_keeps_failing_is_quarantined_with_its_error(self, app, monkeypatch):
        inbound_id = receive(question_email())

        def broken(session, text, on=None):
            raise RuntimeError("catalog unavailable")

        monkeypatch.setattr("consultant.consult.pipeline.enrich", broken)
        for _ in range(MAX_ATTEMPTS):
            try:
                run_inbound(app, inbound_id)
            except RuntimeError:
                pass
        outcome = run_inbound(app, inbound_id)
        assert outcome.status == "quarantined"
        with session_scope() as session:
            row = session.get(InboundEmail, inbound_id)
            assert row.attempts == MAX_ATTEMPTS
            assert row.status_reason.startswith(f"processing failed {MAX_ATTEMPTS} times: RuntimeError at ")
            assert "catalog unavailable" not in row.status_reason

    def test_processing_wakes_no_job_itself(self, app, dispatched):
        run_inbound(app, receive(question_email()))
        assert dispatched.named(jobs.SEND_OUTBOUND) == []

    def test_a_retry_of_a_message_that_waited_too_long_is_counted_before_work_starts(self, app, monkeypatch):
        from datetime import timedelta

        from sqlalchemy import update

        from consultant.db.base import utcnow

        inbound_id = receive(question_email())
        with session_scope() as session:
            stale = utcnow() - timedelta(seconds=app.sweep_after + 1)
            session.execute(update(InboundEmail).values(updated_at=stale))

        def worker_dies(session, text, on=None):
            raise SystemExit("killed")  # not an Exception: nothing in the pipeline may record it

        monkeypatch.setattr("consultant.consult.pipeline.enrich", worker_dies)
        try:
            run_inbound(app, inbound_id)
        except SystemExit:
            pass
        with session_scope() as session:
            row = session.get(InboundEmail, inbound_id)
            assert (row.status, row.attempts) == ("received", 1)

    def test_a_fresh_message_costs_no_extra_commit(self, app):
        inbound_id = receive(question_email())
        run_inbound(app, inbound_id)
        with session_scope() as session:
            assert session.get(InboundEmail, inbound_id).attempts == 0


class TestReplyWording:
    def test_hcpcs_without_imported_file_is_not_called_a_typo(self, app):
        outcome = process(app, receive(question_email("What is J1100?")))
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert "the HCPCS Level II file has not been imported" in text
        assert "typing error" not in text

    def test_invalid_icd_code_is_called_out(self, current_icd10cm):
        outcome = process(current_icd10cm, receive(question_email("Is K76.99 a real code?")))
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert "K76.99 (ICD-10-CM): not a code in ICD-10-CM 2026" in text

    def test_a_code_missing_from_a_release_that_does_not_cover_the_date_is_no_typo(self, app):
        start, end = date(2025, 11, 24), date(2026, 11, 23)
        with session_scope() as session:  # a full release whose dates ended the day before the mail was written
            session.execute(update(CatalogRelease).where(CatalogRelease.system == "icd10cm")
                            .values(valid_from=start, valid_to=end))
        outcome = process(app, receive(question_email("Is K76.99 a real code?")))
        reply = outbound(outcome.outbound_ids[0])
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert reply.kind == "acknowledgement"
        assert "typing error" not in text and "Nearest valid codes" not in text
        assert (f"K76.99 (ICD-10-CM): not in ICD-10-CM 2026 ({start.isoformat()} to {end.isoformat()}); no release "
                "loaded here is") in " ".join(text.split())
        with session_scope() as session:
            reasons = session.scalars(select(Question.route_reasons)).one()
        assert any("release-does-not-cover-date: ICD-10-CM 2026" in r for r in reasons)

    def test_a_cpt_code_missing_from_the_licensees_file_is_no_typo(self, app):
        from pathlib import Path

        from consultant.codes.importers import import_file

        with session_scope() as session:  # 99213, not 99214
            import_file(session, "cpt", Path(__file__).parents[2] / "fixtures" / "codes" / "cpt_long_sample.txt")
        outcome = process(app, receive(question_email("Is 99214 a valid code?")))
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"
        assert "99214 (CPT): not in the loaded CPT file (CPT (licensed file), dates not stated)" in text
        assert "does not define which CPT codes exist" in text
        assert "typing error" not in text and "99213" not in text

    def test_a_pair_no_loaded_table_can_check_is_held_and_claims_no_edit(self, app):
        outcome = process(app, receive(question_email("Can CPT 47370 be billed with 76940?")))
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"
        assert "no NCCI" not in text and "No NCCI" not in text and "Excludes" not in text
        with session_scope() as session:
            reasons = session.scalars(select(Question.route_reasons)).one()
        assert ("codes together not checked for the date of service (NCCI PTP practitioner edits: not imported; "
                "NCCI PTP hospital edits: not imported): a person must answer") in reasons


def reply_text(settings, question: str) -> str:
    outcome = process(settings, receive(question_email(question)))
    return parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()


class TestGroundedContent:
    def test_an_excludes1_pair_is_stated_with_its_source(self, current_icd10cm):
        text = reply_text(current_icd10cm, "Can K76.0 and K75.81 be coded together?")
        assert "K76.0 + K75.81: Excludes1 at K76.0, so they are never coded together" in text
        assert "Source: ICD-10-CM 2026" in text

    def test_a_header_lists_its_billable_completions(self, app):
        text = reply_text(app, "Is S72.001 complete?")
        assert "Not billable as written: it needs a 7th character" in text
        assert "A: initial encounter for closed fracture" in text
        assert "S72.001A  Fracture of unspecified part of neck of right femur, initial encounter for closed fracture" in text
        assert "... and 8 more." in text

    def test_an_invalid_code_gets_the_nearest_valid_ones(self, current_icd10cm):
        text = reply_text(current_icd10cm, "Is K76.99 a real code?")
        assert "Nearest valid codes:" in text
        assert "K76.89  Other specified diseases of liver" in text

    def test_an_imported_ncci_edit_and_mue_are_stated(self, app):
        from pathlib import Path

        from consultant.codes.importers import import_file

        fixtures = Path(__file__).parents[2] / "fixtures" / "codes"
        with session_scope() as session:
            import_file(session, "ncci-ptp", fixtures / "ncci_practitioner_sample.txt")
            import_file(session, "mue", fixtures / "mue_practitioner_sample.txt")
        text = reply_text(app, "Can CPT 47370 be billed with 76940?")
        assert "76940 is column 2 to 47370 (column 1); modifier indicator 1" in text
        assert "MUE (practitioner): 47370, at most 1 unit" in text

    def test_the_facts_are_kept_with_the_question(self, current_icd10cm):
        process(current_icd10cm, receive(question_email("Can K76.0 and K75.81 be coded together?")))
        with session_scope() as session:
            facts = session.scalars(select(Question.facts)).one()
        assert [c["code"] for c in facts["codes"]] == ["K76.0", "K75.81"]
        assert facts["check"]["conflicts"] == [{"codes": ["K76.0", "K75.81"], "by": ["Excludes1"]}]

    def test_a_terminated_hcpcs_code_is_called_deleted_and_held_for_review(self, app):
        from pathlib import Path

        from consultant.codes.importers import import_file

        with session_scope() as session:
            import_file(session, "hcpcs", Path(__file__).parents[2] / "fixtures" / "codes" / "hcpcs_anweb_sample.txt")
        outcome = process(app, receive(question_email("Can I still bill G0202?")))
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert "G0202 (HCPCS Level II):" in text and "Deleted on 2017-12-31: not valid for the date of service" in text
        assert "typing error" not in text
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"


class TestPatientIdentifiers:
    QUESTION = "Pt John Smith, DOB 01/02/1950, MRN 4471902: is K76.0 billable?"

    def test_a_question_naming_a_patient_goes_to_review_with_the_reason(self, app):
        outcome = process(app, receive(question_email(self.QUESTION)))
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"
        with session_scope() as session:
            question = session.scalars(select(Question)).one()
        assert question.route == "review"
        assert any(r.startswith("possible patient identifiers") for r in question.route_reasons)
        kinds = {span["kind"] for span in question.phi["text"]}
        assert {"name", "date", "mrn"} <= kinds
        assert [question.text[s["start"]:s["end"]] for s in question.phi["text"] if s["kind"] == "name"] == ["John Smith"]

    def test_the_acknowledgement_never_quotes_the_identifiers(self, app):
        outcome = process(app, receive(question_email(self.QUESTION)))
        raw = outbound(outcome.outbound_ids[0]).raw
        for identifier in (b"John", b"Smith", b"01/02/1950", b"4471902"):
            assert identifier not in raw

    def test_a_subject_naming_a_patient_is_not_repeated(self, app):
        raw = question_email("Is K76.0 billable?", subject="Re: pt Mary Jones DOB 3/4/1941")
        outcome = process(app, receive(raw))
        reply = parsed_reply(outcome.outbound_ids[0])
        assert reply["Subject"] == "Your coding question [CC-000001]"
        assert b"Mary" not in outbound(outcome.outbound_ids[0]).raw

    def test_a_name_without_a_cue_in_the_subject_is_found_and_never_echoed(self, app):
        outcome = process(app, receive(question_email("Is K76.0 billable?",
                                                      subject="Question about Maria Garcia-Lopez")))
        assert parsed_reply(outcome.outbound_ids[0])["Subject"] == "Your coding question [CC-000001]"
        assert b"Garcia" not in outbound(outcome.outbound_ids[0]).raw
        with session_scope() as session:
            question = session.scalars(select(Question)).one()
        assert [(s["kind"], question.subject[s["start"]:s["end"]]) for s in question.phi["subject"]] == [
            ("name", "Maria Garcia-Lopez")]
        assert question.route == "review"

    def test_a_patient_in_the_quoted_part_holds_the_question(self, app):
        body = ("Is N39.0 right for her?\n\nOn Mon, Jan 5, 2026 at 9:00 AM Dana Lee <dana@clinic.example> wrote:\n"
                "> Pt Maria Garcia-Lopez, DOB 04/12/1958, MRN 00448127\n> UTI, culture positive.\n")
        outcome = process(app, receive(question_email(body)))
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"
        raw = outbound(outcome.outbound_ids[0]).raw
        assert all(secret not in raw for secret in (b"Garcia", b"04/12/1958", b"00448127"))
        with session_scope() as session:
            question = session.scalars(select(Question)).one()
        assert question.route == "review" and question.text == "Is N39.0 right for her?"
        assert {s["kind"] for s in question.phi["quoted"]} == {"name", "date", "mrn"}
        assert question.route_reasons[0] == ("possible patient identifiers in the quoted earlier message "
                                             "(date, mrn, name): a person must answer")

    def test_the_coders_own_sign_off_does_not_hold_the_answer(self, app):
        body = ("What is ICD-10-CM code K76.0?\n\nThanks,\nJane Coder, CPC\nPatient Financial Services\n"
                "St. Mary's Medical Center\nPhone (555) 201-3344 | Fax (555) 201-3345\n")
        outcome = process(app, receive(question_email(body)))
        assert outbound(outcome.outbound_ids[0]).kind == "answer"
        with session_scope() as session:
            question = session.scalars(select(Question)).one()
        assert question.text == "What is ICD-10-CM code K76.0?"
        assert question.phi["signature"] == [] and question.route == "auto"

    def test_a_forwarded_question_is_answered_without_reading_its_headers_as_a_patient(self, app):
        body = ("---------- Forwarded message ---------\n"
                "From: Dana Lee <dana@clinic.example>\nDate: Mon, Jan 5, 2026 at 9:12 AM\nSubject: liver code\n"
                "To: Jane Coder <coder@example.org>\n\nWhat is ICD-10-CM code K76.0?\n\nThanks,\nDana Lee\n555-201-3344")
        outcome = process(app, receive(question_email(body, subject="Fwd: liver code")))
        assert outbound(outcome.outbound_ids[0]).kind == "answer"

    def test_a_patients_phone_in_the_body_still_holds_it(self, app):
        body = "Patient called from 555-201-3344: what is ICD-10-CM code K76.0?\n\nThanks,\nJane"
        outcome = process(app, receive(question_email(body)))
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"
        with session_scope() as session:
            assert [s["kind"] for s in session.scalars(select(Question)).one().phi["text"]] == ["phone"]


class TestServiceLevel:
    def test_the_acknowledgement_promises_the_configured_response_time(self, configure, catalog_db, tmp_path):
        import shutil

        copy = tmp_path / "sla.sqlite3"
        shutil.copyfile(catalog_db, copy)
        settings = configure(database_url=f"sqlite:///{copy}", review_response_hours="4")
        text = reply_text(settings, "What is 99213?")
        assert "normally within 4 hours" in text


class TestQuestionsAndDrafts:
    def test_several_questions_are_each_answered_in_one_reply(self, question_app):
        text = reply_text(question_app, "Hi,\n1) what is K57.30\n2) can K57.30 and K63.5 be coded together?\n"
                                        "3) is K63.5 billable\nThanks")
        assert "1. K57.30: code lookup" in text
        assert "2. K57.30, K63.5: codes together" in text
        assert "3. K63.5: validity" in text
        assert "Diverticulosis of large intestine without perforation or abscess without bleeding" in text

    def test_what_the_code_sets_settle_is_answered_and_the_rest_held(self, question_app):
        outcome = process(question_app, receive(question_email(
            "1) What is K76.0?\n2) Does Medicare pay for G0439 annually?")))
        reply = outbound(outcome.outbound_ids[0])
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content()
        assert reply.kind == "acknowledgement"
        assert "What the code sets settle is answered below; a certified coder will answer the rest" in text
        assert "Fatty (change of) liver, not elsewhere classified" in text
        assert "2. G0439: coverage or payment\r\nA certified coder will answer this question" in text
        with session_scope() as session:
            question = session.scalars(select(Question)).one()
            draft = session.scalars(select(Draft)).one()
        assert [(a["number"], a["route"], a["intents"]) for a in question.asks] == [
            (1, "auto", ["lookup"]), (2, "review", ["coverage"])]
        assert question.route_reasons == ["question 2: coverage question: a person must answer"]
        assert draft.status == DraftStatus.PENDING_REVIEW
        assert "[REVIEWER: answer the coverage or payment question" in draft.body_text
        assert "K76.0" not in draft.body_text  # already answered; the reviewer's draft is what is left

    def test_an_answer_sent_at_once_is_kept_as_a_sent_draft(self, question_app):
        outcome = process(question_app, receive(question_email("How many units of J1100 can we bill per day?")))
        assert outbound(outcome.outbound_ids[0]).kind == "answer"
        with session_scope() as session:
            draft = session.scalars(select(Draft)).one()
        assert draft.status == DraftStatus.SENT and draft.origin == "auto"
        assert "MUE (practitioner): J1100" in draft.body_text
        assert draft.grounding_problems == []
        assert any(source.startswith("MUE") for source in draft.sources)

    def test_a_question_naming_a_patient_gets_a_full_draft_for_the_reviewer(self, question_app):
        process(question_app, receive(question_email("Pt John Smith: is K76.0 billable?")))
        with session_scope() as session:
            draft = session.scalars(select(Draft)).one()
        assert draft.status == DraftStatus.PENDING_REVIEW
        assert "K76.0 (ICD-10-CM): Fatty (change of) liver, not elsewhere classified" in draft.body_text
        assert "Smith" not in draft.body_text


class TestLoopsAndBounces:
    def test_a_failure_report_marks_our_reply_and_its_recipient(self, app):
        first = process(app, receive(question_email("What is K76.0?")))
        ours = outbound(first.outbound_ids[0])
        from tests.unit.mail.test_bounces import dsn

        outcome = process(app, receive(dsn(message_id=ours.message_id), mail_from=""))
        assert outcome.status == "machine"
        with session_scope() as session:
            reason = session.scalars(select(InboundEmail.status_reason).order_by(InboundEmail.id.desc())).first()
            bounced = session.get(OutboundEmail, ours.id)
            sender = session.scalars(select(Sender)).one()
        assert reason.endswith(f"failure report for our message(s) {ours.id}")
        assert bounced.bounced_at is not None and bounced.bounce_reason.startswith("status 5.1.1")
        assert sender.bouncing_since is not None
        assert count_rows(OutboundEmail) == 1  # and the report itself is never answered

    def test_our_own_message_coming_back_is_a_loop(self, app):
        first = process(app, receive(question_email("What is K76.0?")))
        echoed = outbound(first.outbound_ids[0]).raw.replace(b"From: Coding Consultant <ask@consultant.localhost>",
                                                               b"From: coder@example.org")
        for header in (b"Auto-Submitted: auto-replied\r\n", b"X-Auto-Response-Suppress: All\r\n"):
            echoed = echoed.replace(header, b"")
        outcome = process(app, receive(echoed))
        assert outcome.status == "machine"
        with session_scope() as session:
            reasons = session.scalars(select(InboundEmail.status_reason).order_by(InboundEmail.id)).all()
        assert reasons[-1] == "our own message came back (mail loop)"

    def test_past_the_daily_cap_the_question_is_kept_and_nothing_is_sent(self, configure, catalog_db, tmp_path):
        import shutil

        copy = tmp_path / "capped.sqlite3"
        shutil.copyfile(catalog_db, copy)
        settings = configure(database_url=f"sqlite:///{copy}", auto_reply_cap_per_day="2")
        for _ in range(2):
            assert process(settings, receive(question_email("What is K76.0?"))).outbound_ids
        third = process(settings, receive(question_email("What is K76.0?")))
        assert third.status == "processed" and third.outbound_ids == ()
        with session_scope() as session:
            question = session.scalars(select(Question).order_by(Question.id.desc())).first()
            consultation = session.get(Consultation, question.consultation_id)
        assert question.route == "review"
        assert question.route_reasons[0].startswith("2 automatic replies to this sender in 24 hours (cap 2)")
        assert consultation.status == "awaiting_review"
        assert count_rows(OutboundEmail) == 2

    def test_references_lead_to_the_thread_before_in_reply_to(self, app):
        first = process(app, receive(question_email("What is K76.0?", message_id="<t1@example.org>")))
        our_id = outbound(first.outbound_ids[0]).message_id
        reply = question_email("And E11.9?", subject="Another subject", in_reply_to="<unknown@elsewhere>",
                               references=f"<t1@example.org> {our_id}")
        process(app, receive(reply))
        assert count_rows(Consultation) == 1


class TestThreadsAcrossAnOrganisation:
    def test_a_colleague_at_the_askers_organisation_joins_and_an_outsider_does_not(self, app):
        from consultant.usage.organisations import create

        with session_scope() as session:
            create(session, "Clinic", ["clinic.example"])
        first = process(app, receive(question_email("What is K76.0?", sender="dana@clinic.example"),
                                     mail_from="dana@clinic.example"))
        our_id = outbound(first.outbound_ids[0]).message_id
        for sender in ("lee@clinic.example", "eve@elsewhere.example"):
            reply_all = question_email("And E11.9?", sender=sender, subject="Re: Code question [CC-000001]",
                                       in_reply_to=our_id, references=our_id)
            process(app, receive(reply_all, mail_from=sender))
        with session_scope() as session:
            threads = session.execute(select(Question.consultation_id).order_by(Question.id)).scalars().all()
        assert threads == [1, 1, 2]


def inbound_reason(inbound_id: int) -> tuple[str, str]:
    with session_scope() as session:
        row = session.get(InboundEmail, inbound_id)
        return row.status, row.status_reason


def usage_kinds() -> list[str]:
    with session_scope() as session:
        return sorted(session.scalars(select(UsageEvent.kind)).all())


class TestNotACodingQuestion:
    WEATHER = "Hi, what's the weather going to be like in Denver this weekend? Thanks"
    EMERGENCY = "I have chest pain and my left arm is numb. Is this serious? Who can I talk to?"

    def test_a_weather_question_gets_the_fixed_reply_and_is_not_charged(self, app):
        inbound_id = receive(question_email(self.WEATHER, subject="Quick question"))
        outcome = process(app, inbound_id)
        row = outbound(outcome.outbound_ids[0])
        reply = parsed_reply(row.id)
        text = " ".join(reply.get_body(("plain",)).get_content().split())
        assert row.kind == "not_coding" and reply["Subject"] == "Your coding question [CC-000001]"
        assert "a consultation service for professional medical coders" in text
        assert "has not been counted against any plan" in text and "911" not in text
        assert reply["Auto-Submitted"] == "auto-replied" and reply.get_body(("html",)) is not None
        assert inbound_reason(inbound_id) == ("processed", "not a coding question: about something else (weather); "
                                                           "no coding or medical word in it; fixed reply, not charged")
        assert usage_kinds() == []
        with session_scope() as session:
            question = session.scalars(select(Question)).one()
            assert (question.route, question.consultation.status) == ("not_coding", "answered")
            assert question.route_reasons == ["about something else (weather)", "no coding or medical word in it"]
            assert session.scalars(select(Draft)).all() == []

    def test_an_emergency_gets_the_fixed_reply_with_the_emergency_line_first(self, app):
        inbound_id = receive(question_email(self.EMERGENCY, subject="please help"))
        outcome = process(app, inbound_id)
        text = parsed_reply(outcome.outbound_ids[0]).get_body(("plain",)).get_content().replace("\r\n", "\n")
        first = text.split("\n\n")[1]
        assert first.startswith("If you or someone with you may be having a medical emergency, call emergency "
                                "services now: 911 in the US")
        assert "certified coder" not in text and "24 hours" not in text
        assert inbound_reason(inbound_id) == (
            "processed", "a possible medical emergency: describes a possible medical emergency (chest pain, numbness); "
                         "fixed reply with the emergency line, not charged")
        assert usage_kinds() == []

    @pytest.mark.parametrize("text, subject, reason", [
        ("Congratulations, you have won the lottery! Send your bank details to claim your prize.", "WINNER",
         "spam: an offer of money or goods (prize, transfer); recorded, not answered, not charged"),
        ("sdkjfh wieuryt xmcnvb qwrtpl", "zxcvbn",
         "spam: gibberish (5 of 5 words unreadable, 0 known); recorded, not answered, not charged"),
    ])
    def test_spam_and_gibberish_are_recorded_with_the_reason_only(self, app, text, subject, reason):
        inbound_id = receive(question_email(text, subject=subject))
        outcome = process(app, inbound_id)
        assert outcome.status == "processed" and outcome.outbound_ids == ()
        assert inbound_reason(inbound_id) == ("processed", reason)
        assert count_rows(Question) == count_rows(Consultation) == count_rows(OutboundEmail) == 0
        assert usage_kinds() == []

    def test_a_terse_coding_question_without_a_code_is_still_a_consultation(self, app):
        inbound_id = receive(question_email("how do I code a screening colonoscopy that turned diagnostic?",
                                            subject="quick q"))
        outcome = process(app, inbound_id)
        assert outbound(outcome.outbound_ids[0]).kind == "acknowledgement"
        assert usage_kinds() == ["consultation", "question"]

    def test_a_thank_you_in_the_thread_stays_in_the_consultation(self, app):
        first = process(app, receive(question_email("What is K76.0?", message_id="<t@example.org>")))
        ours = outbound(first.outbound_ids[0]).message_id
        second = process(app, receive(question_email("Thanks so much, that cleared it up!",
                                                     subject="Re: Your coding question [CC-000001]",
                                                     in_reply_to=ours, references=f"<t@example.org> {ours}")))
        assert outbound(second.outbound_ids[0]).kind == "acknowledgement"
        assert count_rows(Consultation) == 1

    def test_past_the_daily_cap_nothing_is_sent(self, configure, catalog_db, tmp_path):
        import shutil

        copy = tmp_path / "capped.sqlite3"
        shutil.copyfile(catalog_db, copy)
        settings = configure(database_url=f"sqlite:///{copy}", auto_reply_cap_per_day="1")
        assert process(settings, receive(question_email(self.WEATHER, subject="q"))).outbound_ids
        inbound_id = receive(question_email(self.EMERGENCY, subject="q"))
        assert process(settings, inbound_id).outbound_ids == ()
        assert inbound_reason(inbound_id)[1].endswith("; no reply (automatic reply cap reached), not charged")
        assert count_rows(Question) == 2 and usage_kinds() == []


class TestDateOfService:
    def parsed(self, sent_on):
        from consultant.mail.parse import ParsedEmail

        return ParsedEmail(None, "a@b.example", "", "", "What is K76.0?", "", None, (), None, sent_on=sent_on)

    def test_is_the_mails_own_date(self):
        from consultant.consult.pipeline import date_of_service

        assert date_of_service(self.parsed(date(2026, 6, 14)), today=date(2026, 12, 2)) == date(2026, 6, 14)

    def test_a_date_in_the_future_or_none_is_today(self):
        from consultant.consult.pipeline import date_of_service

        assert date_of_service(self.parsed(date(2027, 1, 9)), today=date(2026, 12, 2)) == date(2026, 12, 2)
        assert date_of_service(self.parsed(None), today=date(2026, 12, 2)) == date(2026, 12, 2)
