from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from consultant.db.base import utcnow
from consultant.db.models import OutboundEmail, OutboundStatus, Question, Sender
from consultant.db.session import session_scope
from consultant.shipped import shipped
from consultant.usage import organisations
from consultant.usage.ledger import sender_for
from consultant.usage.monthly import percentile, questions_per_day, usage_report
from consultant.usage.plans import load_plans
from consultant.usage.senders import set_organisation_plan, set_plan
from tests.builders import question_email
from tests.support.web import ask


class TestPercentile:
    def test_nearest_rank(self):
        assert percentile([], 0.5) is None
        assert percentile([5, 1, 3], 0.5) == 3
        assert percentile(list(range(1, 11)), 0.9) == 9
        assert percentile([7], 0.9) == 7


class TestUsageReport:
    def test_counts_per_sender_and_domain_with_answer_times(self, app):
        started = utcnow()
        ask(app, question_email("What is K76.0?", sender="a@one.org"), sender="a@one.org")
        ask(app, question_email("What is E11.9?", sender="b@one.org"), sender="b@one.org")
        ask(app, question_email("Does Medicare pay for K76.0?", sender="b@one.org"), sender="b@one.org")
        with session_scope() as session:
            session.execute(update(OutboundEmail).where(OutboundEmail.kind == "answer").values(
                status=OutboundStatus.SENT, sent_at=utcnow() + timedelta(seconds=60)))
            by_sender = {r.who: r for r in usage_report(session, "sender")}
            [domain] = usage_report(session, "domain")
        assert (by_sender["b@one.org"].questions, by_sender["b@one.org"].auto_answered) == (2, 1)
        assert (domain.who, domain.questions, domain.auto_answered, domain.reviewed) == ("one.org", 3, 2, 0)
        # each answer is stamped 60 s after the update; its question was asked between `started` and then
        asked_within = (utcnow() - started).total_seconds()
        assert 60 - 1 <= domain.median_answer_seconds <= 60 + asked_within + 1
        assert domain.month == utcnow().strftime("%Y-%m")

    def test_plan_and_quota_left_now_on_the_latest_month_from_the_quota_module(self, app, configure):
        settings = configure(database_url=app.database_url, plans=str(shipped("config") / "plans.toml"))
        plans = load_plans(settings.plans)
        with session_scope() as session:
            sender_for(session, "b@two.org")
            set_plan(session, "b@two.org", "registered", plans)
        ask(settings, question_email("What is K76.0?", sender="a@one.org"), sender="a@one.org")
        ask(settings, question_email("What is E11.9?", sender="b@two.org"), sender="b@two.org")
        ask(settings, question_email("What is I10?", sender="b@two.org", subject="Later"), sender="b@two.org")
        with session_scope() as session:
            session.execute(update(Question).where(Question.id == 2).values(created_at=utcnow() - timedelta(days=40)))
            organisations.create(session, "One Clinic", ["one.org"])
            set_organisation_plan(session, "One Clinic", "subscriber", plans)
            session.execute(update(Sender).where(Sender.address == "b@two.org").values(plan="registered"))
            by_sender = usage_report(session, "sender", plans)
            by_domain = {r.who: r for r in usage_report(session, "domain", plans)}
            unplanned = usage_report(session, "sender")
        now = [(r.who, r.plan, r.remaining) for r in by_sender if r.month == utcnow().strftime("%Y-%m")]
        assert sorted(now) == [("a@one.org", "subscriber", 49), ("b@two.org", "registered", 4)]
        [older] = [r for r in by_sender if r.month != utcnow().strftime("%Y-%m")]
        assert (older.who, older.plan, older.remaining) == ("b@two.org", None, None)
        assert (by_domain["one.org"].plan, by_domain["one.org"].remaining) == ("subscriber", 49)
        assert (by_domain["two.org"].plan, by_domain["two.org"].remaining) == (None, None)
        assert {(r.plan, r.remaining) for r in unplanned} == {(None, None)}

    def test_questions_per_day_split_by_outcome(self, app):
        ask(app, question_email("What is K76.0?"))
        ask(app, question_email("Does Medicare pay for K76.0?"))
        with session_scope() as session:
            days = questions_per_day(session, days=7)
        assert len(days) == 7 and days[-1].day == utcnow().date()
        assert (days[-1].auto, days[-1].reviewed, days[-1].other) == (1, 0, 1)


class TestByOrganisation:
    def test_members_by_domain_and_by_name_count_together_and_others_by_domain(self, app):
        from consultant.usage.organisations import add_member, create

        with session_scope() as session:
            create(session, "Clinic", ["clinic.example"])
            add_member(session, "Clinic", "sam@freelance.example")
        for sender in ("dana@clinic.example", "sam@freelance.example", "eve@elsewhere.example"):
            ask(app, question_email("What is K76.0?", sender=sender), sender=sender)
        with session_scope() as session:
            rows = {r.who: r.questions for r in usage_report(session, "organisation")}
        assert rows == {"Clinic": 2, "elsewhere.example (no organisation)": 1}
