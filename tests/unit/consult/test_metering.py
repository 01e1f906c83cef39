"""Metering in the pipeline: quotas from config/plans.toml, holds, registration by reply, forged From, floods."""

import shutil
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select, update

from consultant import jobs
from consultant.consult.pipeline import process_inbound
from consultant.db.models import InboundEmail, OutboundEmail, Question, RegistrationToken, Sender, UsageEvent
from consultant.db.session import session_scope
from consultant.mail.inbound import Envelope, store_raw
from consultant.shipped import shipped
from consultant.sweeper import wake_stuck
from consultant.usage.registration import RegistrationError, confirm_registration
from consultant.usage.release import release_by_staff
from tests.builders import question_email

OUR_MTA = "mx.consultant.localhost"


@pytest.fixture
def metered(configure, catalog_db, tmp_path):
    copy = tmp_path / "consultant.sqlite3"
    shutil.copyfile(catalog_db, copy)
    return configure(database_url=f"sqlite:///{copy}", plans=str(shipped("config") / "plans.toml"),
                     trusted_authserv_ids=f'["{OUR_MTA}"]', web_base_url="https://staff.example/app")


def ask(settings, text="What is ICD-10-CM code K76.0?", **options):
    with session_scope() as session:
        inbound_id = store_raw(session, question_email(text, **options),
                               Envelope("coder@example.org", ("ask@consultant.localhost",))).inbound_id
    with session_scope() as session:
        outcome = process_inbound(session, settings, inbound_id)
    return inbound_id, outcome


def reply_of(outcome):
    [outbound_id] = outcome.outbound_ids
    with session_scope() as session:
        row = session.get(OutboundEmail, outbound_id)
        message = message_from_bytes(row.raw, policy=policy.default)
        return row.kind, message, message.get_body(("plain",)).get_content()


def inbound_status(inbound_id):
    with session_scope() as session:
        return session.execute(select(InboundEmail.status, InboundEmail.status_reason)
                               .where(InboundEmail.id == inbound_id)).one()


def charges(address="coder@example.org"):
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(UsageEvent).join(Sender).where(
            Sender.address == address, UsageEvent.kind == "consultation"))


def released(dispatched):
    """Inbound ids queued and still waiting (storing a message queues it too; those were processed here)."""
    queued = dict.fromkeys(i for (i,) in dispatched.named(jobs.PROCESS_INBOUND))
    return [i for i in queued if inbound_status(i)[0] == "received"]


def run_dispatched(settings, dispatched):
    """Process what releases queued (the worker's job), as a worker would."""
    outcomes = []
    for inbound_id in released(dispatched):
        with session_scope() as session:
            outcomes.append(process_inbound(session, settings, inbound_id))
    dispatched.jobs.clear()
    return outcomes


class TestQuota:
    def test_the_notice_links_to_the_web_app_where_it_listens_when_no_base_url_is_set(self, configure, catalog_db,
                                                                                       tmp_path):
        copy = tmp_path / "consultant.sqlite3"
        shutil.copyfile(catalog_db, copy)
        settings = configure(database_url=f"sqlite:///{copy}", plans=str(shipped("config") / "plans.toml"),
                             web_listen="127.0.0.1:8642")
        ask(settings)
        kind, _, text = reply_of(ask(settings, "What is E11.9?", subject="Another question")[1])
        assert kind == "over_quota" and "http://127.0.0.1:8642/register" in text and ":8000" not in text

    def test_guest_gets_one_answer_then_questions_are_held_with_one_notice(self, metered):
        _, first = ask(metered)
        kind, _, text = reply_of(first)
        assert kind == "answer" and "Consultations left on your plan (guest): 0 of 1." in text
        held_id, second = ask(metered, "What is E11.9?", subject="Another question")
        kind, message, text = reply_of(second)
        assert kind == "over_quota" and "REGISTER" in text and "https://staff.example/app/register" in text
        assert "E11.9" not in text and message["Auto-Submitted"] == "auto-replied"
        assert message.get_body(("html",)) is not None
        assert inbound_status(held_id) == ("held", "held for quota: plan guest, 1 of 1 used; notice sent")
        with session_scope() as session:
            question = session.scalars(select(Question).where(Question.inbound_id == held_id)).one()
            assert (question.route, question.consultation.status) == ("held", "held")
        third_id, third = ask(metered, "What is I10?", subject="Third")
        assert third.outbound_ids == () and inbound_status(third_id)[0] == "held"
        assert charges() == 1

    def test_a_follow_up_in_an_open_thread_is_not_charged(self, metered):
        _, first = ask(metered, message_id="<first@example.org>")
        _, message, _ = reply_of(first)
        _, follow_up = ask(metered, "And E11.9?", subject=f"Re: {message['Subject']}",
                           in_reply_to=message["Message-ID"], references=f"<first@example.org> {message['Message-ID']}")
        kind, _, text = reply_of(follow_up)
        assert kind == "answer" and "0 of 1" in text
        assert charges() == 1

    def test_plus_addressing_does_not_make_a_new_guest(self, metered):
        ask(metered)
        inbound_id, _ = ask(metered, "What is E11.9?", sender="Coder+second@Example.org")
        assert inbound_status(inbound_id)[0] == "held"


class TestRegistrationByReply:
    def test_register_then_reply_with_the_code_upgrades_and_answers_what_was_held(self, metered, dispatched):
        ask(metered)
        held_id, held = ask(metered, "What is E11.9?", subject="Second")
        _, over_quota, _ = reply_of(held)
        _, asked = ask(metered, "REGISTER", subject=f"Re: {over_quota['Subject']}",
                       in_reply_to=over_quota["Message-ID"])
        kind, token_mail, text = reply_of(asked)
        assert kind == "registration"
        token = token_mail["Subject"].split()[-1]
        assert token.startswith("REG-") and f"https://staff.example/app/register/confirm?token={token}" in text
        assert inbound_status(held_id)[0] == "held"
        _, confirmed = ask(metered, "yes, that's me", subject=f"Re: {token_mail['Subject']}",
                           in_reply_to=token_mail["Message-ID"])
        kind, _, text = reply_of(confirmed)
        assert kind == "registration" and "confirmed" in text
        assert "Consultations left on your plan (registered): 5 of 6." in text
        [answered] = run_dispatched(metered, dispatched)
        kind, _, text = reply_of(answered)
        assert kind == "answer" and "E11.9" in text and "4 of 6" in text
        assert inbound_status(held_id)[0] == "processed"
        _, again = ask(metered, "ok", subject=f"Re: {token_mail['Subject']}")
        assert "used already" in reply_of(again)[2]

    def test_the_web_confirmation_is_single_use_and_expires(self, metered, dispatched):
        ask(metered)
        ask(metered, "What is E11.9?", subject="Second")
        _, asked = ask(metered, "REGISTER")
        token = reply_of(asked)[1]["Subject"].split()[-1]
        registered = confirm_registration(token)
        assert (registered.address, registered.plan, registered.upgraded) == ("coder@example.org", "registered", True)
        assert len(released(dispatched)) == 1
        with pytest.raises(RegistrationError, match="used already"):
            confirm_registration(token)
        with pytest.raises(RegistrationError, match="not known"):
            confirm_registration("REG-" + "x" * 32)
        _, other = ask(metered, "REGISTER", sender="other@example.org")
        late = reply_of(other)[1]["Subject"].split()[-1]
        with session_scope() as session:
            session.execute(update(RegistrationToken).values(expires_at=RegistrationToken.created_at))
        with pytest.raises(RegistrationError, match="expired"):
            confirm_registration(late)

    def test_someone_else_cannot_confirm_with_the_code(self, metered):
        _, asked = ask(metered, "REGISTER")
        token = reply_of(asked)[1]["Subject"].split()[-1]
        _, stolen = ask(metered, f"Re: {token}", sender="eve@elsewhere.example")
        assert "not known for this address" in reply_of(stolen)[2]


class TestForgedFrom:
    def test_dmarc_fail_is_not_charged_goes_to_review_and_shows_no_account_data(self, metered):
        _, first = ask(metered, message_id="<real@example.org>")
        _, ours, _ = reply_of(first)
        forged = {"Authentication-Results": f"{OUR_MTA}; dmarc=fail (p=reject) header.from=example.org"}
        inbound_id, outcome = ask(metered, "What is E11.9?", subject=f"Re: {ours['Subject']}",
                                  in_reply_to=ours["Message-ID"], headers=forged)
        kind, message, text = reply_of(outcome)
        assert kind == "acknowledgement" and "Consultations" not in text and "CC-000001" not in message["Subject"]
        with session_scope() as session:
            question = session.scalars(select(Question).where(Question.inbound_id == inbound_id)).one()
            assert question.route == "review" and any("fails DMARC" in r for r in question.route_reasons)
            assert question.consultation_id != 1
        assert charges() == 1 and inbound_status(inbound_id)[0] == "processed"

    def test_a_pass_from_a_host_we_do_not_trust_changes_nothing_and_register_is_ignored_when_forged(self, metered):
        ask(metered)
        forged = {"Authentication-Results": f"{OUR_MTA}; dmarc=fail header.from=example.org"}
        _, outcome = ask(metered, "REGISTER", headers=forged)
        assert reply_of(outcome)[0] == "acknowledgement"
        untrusted = {"Authentication-Results": "mx.attacker.example; dmarc=pass header.from=example.org"}
        inbound_id, _ = ask(metered, "What is E11.9?", headers=untrusted)
        assert inbound_status(inbound_id)[0] == "held"


class TestRateLimit:
    def test_a_flood_is_kept_with_one_notice_and_staff_can_release(self, metered, configure, dispatched):
        settings = configure(sender_messages_per_hour="2", plans=str(shipped("config") / "plans.toml"),
                             database_url=metered.database_url)
        ask(settings, sender="flood@example.org")
        with session_scope() as session:
            session.execute(update(Sender).where(Sender.address == "flood@example.org").values(plan="unlimited"))
        ask(settings, "What is E11.9?", sender="flood@example.org")
        third_id, third = ask(settings, "What is I10?", sender="flood@example.org")
        assert reply_of(third)[0] == "rate_limited"
        fourth_id, fourth = ask(settings, "What is I11.9?", sender="flood@example.org")
        assert fourth.outbound_ids == ()
        assert inbound_status(fourth_id)[0] == "held" and "rate limit" in inbound_status(fourth_id)[1]
        wake_stuck(settings)
        assert released(dispatched) == []
        with session_scope() as session:
            assert release_by_staff(session, inbound_ids=[third_id]) == [third_id]
        [answered] = run_dispatched(settings, dispatched)
        assert reply_of(answered)[0] == "answer" and inbound_status(fourth_id)[0] == "held"


class TestRenewalSweep:
    def test_held_questions_are_released_once_the_plan_allows_and_only_as_many(self, metered, dispatched):
        ask(metered)
        first_held, _ = ask(metered, "What is E11.9?", subject="2")
        second_held, _ = ask(metered, "What is I10?", subject="3")
        wake_stuck(metered)
        assert released(dispatched) == []
        with session_scope() as session:
            session.execute(update(Sender).values(plan="registered"))
            session.execute(update(UsageEvent).where(UsageEvent.kind == "consultation").values(kind="question"))
            session.execute(update(Sender).values(plan="guest"))
        wake_stuck(metered)
        assert released(dispatched) == [first_held]
        run_dispatched(metered, dispatched)
        assert inbound_status(first_held)[0] == "processed" and inbound_status(second_held)[0] == "held"


class TestNotCodingIsNeverCharged:
    WEATHER = "What's the weather going to be like in Denver this weekend?"

    def test_a_guests_weather_question_leaves_the_consultation_for_the_real_question(self, metered):
        inbound_id, first = ask(metered, self.WEATHER, subject="Quick question")
        kind, _, text = reply_of(first)
        assert kind == "not_coding" and "Consultations left on your plan (guest): 1 of 1." in text
        assert inbound_status(inbound_id)[1].endswith("; fixed reply, not charged") and charges() == 0
        kind, _, text = reply_of(ask(metered)[1])
        assert kind == "answer" and "0 of 1" in text and charges() == 1

    def test_over_quota_an_emergency_still_gets_its_reply_and_no_notice(self, metered):
        ask(metered)
        inbound_id, outcome = ask(metered, "My husband collapsed and he isn't breathing", subject="help")
        kind, _, text = reply_of(outcome)
        assert kind == "not_coding" and "911" in text and "REGISTER" not in text
        assert inbound_status(inbound_id)[0] == "processed" and charges() == 1

    def test_spam_from_a_guest_over_quota_gets_no_notice(self, metered):
        ask(metered)
        inbound_id, outcome = ask(metered, "You have won! Claim your prize by wire transfer.", subject="WINNER")
        assert outcome.outbound_ids == ()
        assert inbound_status(inbound_id) == (
            "processed", "spam: an offer of money or goods (prize, transfer); recorded, not answered, not charged")
        with session_scope() as session:
            kinds = session.scalars(select(OutboundEmail.kind)).all()
        assert kinds == ["answer"] and charges() == 1

    def test_register_is_an_account_command_not_a_non_coding_message(self, metered):
        _, asked = ask(metered, "REGISTER", subject="register")
        assert reply_of(asked)[0] == "registration"
