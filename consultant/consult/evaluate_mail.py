"""Score what we would send on labelled coder mail (tests/fixtures/questions/coder/README.md).

Every email goes in as received mail does (stored, then the whole pipeline, metering included) on a catalog
of its own kind, and the reply in the outbox is checked against the labels: which questions were answered
at once and correctly, what a reply states that it must not, whether a patient identifier reaches a reply or
its subject, and what non-coding mail got and was charged."""

from __future__ import annotations

import email
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from consultant import jobs
from consultant.db.models import InboundEmail, OutboundEmail, Question, Sender, UsageEvent
from consultant.db.session import dispose_engines, session_scope
from consultant.usage.ledger import QUESTION

FIXTURE_FILES = (("cpt", "cpt_long.txt"), ("cpt", "cpt_modifier.txt"), ("hcpcs", "hcpcs_anweb.txt"),
                 ("ncci-ptp", "ncci_practitioner.txt"), ("mue", "mue_practitioner.txt"))
CATALOGS = ("fixtures", "icd-only")
UNMETERED = '[senders]\ndefault_plan = "unlimited"\nregistered_plan = "unlimited"\n\n[plans.unlimited]\nunlimited = true\n'
# what calls a code invalid: a must_not of one of these, found, is a real code called invalid
INVALID_WORDS = ("not a valid", "invalid", "typing error", "typo", "nearest valid", "not a code")
EMERGENCY_WORDS = ("911", "emergency services", "emergency room")
ADDRESS = "ask@consultant.localhost"


@dataclass
class QuestionScore:
    expect: str
    settled: bool
    route: str | None  # of the predicted question it was matched with; None: not found as a question
    missing: list[str]
    wrong: list[str]
    reasons: list[str] = field(default_factory=list)  # why the matched question was held

    @property
    def at_once(self) -> bool:
        return self.route == "auto"

    @property
    def at_once_correct(self) -> bool:
        return self.at_once and not self.missing and not self.wrong


@dataclass
class MailScore:
    id: str
    kind: str
    catalog: str
    questions: list[QuestionScore]
    reply_kinds: list[str]
    status: str
    reason: str
    charged: int
    phi_leaks: list[str]
    wrong: list[str]  # must_not phrases found in what we sent
    names_emergency_services: bool
    reasons: list[str] = field(default_factory=list)  # the email's routing reasons

    @property
    def non_coding_ok(self) -> bool:
        """A non-coding message: spam gets nothing; the others one uncharged reply (an emergency's names 911)."""
        if self.kind == "spam":
            return not self.reply_kinds and self.charged == 0
        return len(self.reply_kinds) == 1 and self.charged == 0 and self.reply_kinds[0] not in (
            "answer", "acknowledgement") and (self.kind != "emergency" or self.names_emergency_services)


@dataclass
class MailReport:
    scored: list[MailScore] = field(default_factory=list)

    def questions(self, **where) -> list[QuestionScore]:
        return [q for s in self.scored for q in s.questions
                if all(getattr(q, name) == value for name, value in where.items())]

    def render(self, summary_only: bool = False) -> str:
        settled = self.questions(settled=True)
        auto = self.questions(expect="auto")
        review = self.questions(expect="review")
        either = self.questions(expect="either")
        coding = [s for s in self.scored if s.kind == "coding"]
        wrong = [s for s in self.scored if s.wrong]
        invalid = [s for s in self.scored if any(w.lower().startswith(INVALID_WORDS) for w in s.wrong)]
        leaks = [s for s in self.scored if s.phi_leaks]
        other = [s for s in self.scored if s.kind != "coding"]
        lines = [
            f"{len(self.scored)} emails ({len(coding)} coding, {len(other)} other), "
            f"{sum(len(s.questions) for s in self.scored)} questions",
            f"settled by the code sets, answered at once and correct  {_part(settled, 'at_once_correct')}",
            f"expected at once: answered at once {_part(auto, 'at_once')}, and correct {_part(auto, 'at_once_correct')}",
            f"either: answered at once {_part(either, 'at_once')}, of those correct "
            f"{_part([q for q in either if q.at_once], 'at_once_correct')}",
            f"for review, answered at once anyway                     {_part(review, 'at_once')}",
            f"replies stating something wrong or misleading           {len(wrong)} of {len(self.scored)}",
            f"replies calling a real code invalid                     {len(invalid)}",
            f"replies or subjects with a patient identifier           {len(leaks)}",
            f"non-coding mail handled as labelled (reply, no charge)  "
            f"{sum(s.non_coding_ok for s in other)} of {len(other)}",
        ]
        kinds = Counter((s.kind, s.non_coding_ok) for s in other)
        lines += [f"  {kind}: {ok} of {ok + kinds[(kind, False)]}" for kind in ("non_coding", "emergency", "spam")
                  if (ok := kinds[(kind, True)]) or kinds[(kind, False)]]
        if summary_only:
            return "\n".join(lines)
        lines += ["", "misses:"]
        for s in self.scored:
            problems = []
            for number, q in enumerate(s.questions, 1):
                if q.expect == "auto" and not q.at_once_correct or q.expect == "review" and q.at_once \
                        or q.expect == "either" and q.at_once and not q.at_once_correct:
                    problems.append(f"q{number} {q.expect}->{q.route}"
                                    + (f" held for {q.reasons}" if q.reasons and not q.at_once else "")
                                    + (f" missing {q.missing}" if q.missing else "")
                                    + (f" wrong {q.wrong}" if q.wrong else ""))
            if s.kind != "coding" and not s.non_coding_ok:
                problems.append(f"{s.kind}: replies {s.reply_kinds}, charged {s.charged}")
            if s.phi_leaks:
                problems.append(f"PHI in reply: {len(s.phi_leaks)} identifier(s)")
            if s.wrong and not problems:
                problems.append(f"wrong {s.wrong}")
            if problems:
                lines.append(f"  {s.id} ({s.status}: {s.reason}): " + "; ".join(problems)
                             + (f" [held: {'; '.join(s.reasons)}]" if s.reasons else ""))
        return "\n".join(lines)


def _part(items: list[QuestionScore], attribute: str) -> str:
    hit = sum(getattr(q, attribute) for q in items)
    return f"{hit} of {len(items)}" + (f" ({hit / len(items):.0%})" if items else "")


def evaluate_mail(entries: list[dict], catalog_dir: Path, workdir: Path) -> MailReport:
    """Build the catalogs in `workdir`, run every email through the pipeline, and score what went out."""
    from consultant.consult.pipeline import process_inbound
    from consultant.mail.inbound import Envelope, store_raw
    from consultant.settings import get_settings

    saved = {k: v for k, v in os.environ.items() if k.startswith("CONSULTANT_")}
    report = MailReport()
    previous = jobs.use_dispatcher(lambda *_job: None)  # nothing leaves: the outbox rows are what we score
    try:
        databases = _catalogs(catalog_dir, workdir)
        for catalog in CATALOGS:
            _use(databases[catalog], workdir)
            settings = get_settings()
            for entry in (e for e in entries if e.get("catalog", "fixtures") == catalog):
                with session_scope() as session:
                    stored = store_raw(session, as_email(entry), Envelope(entry["from"], (ADDRESS,)))
                with session_scope() as session:
                    process_inbound(session, settings, stored.inbound_id)
                with session_scope() as session:
                    report.scored.append(_score(session, entry, stored.inbound_id))
    finally:
        jobs.use_dispatcher(previous)
        dispose_engines()
        for name in [k for k in os.environ if k.startswith("CONSULTANT_")]:
            del os.environ[name]
        os.environ.update(saved)
        get_settings.cache_clear()
        jobs.client.cache_clear()
    return report


def _catalogs(catalog_dir: Path, workdir: Path) -> dict[str, Path]:
    from consultant.bootstrap import prepare
    from consultant.codes.importers import import_file
    from consultant.settings import get_settings

    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "plans.toml").write_text(UNMETERED)
    base = workdir / "icd-only.sqlite3"
    if not base.exists():
        _use(base, workdir)
        prepare(get_settings())
        dispose_engines()
    fixtures = workdir / "fixtures.sqlite3"
    shutil.copyfile(base, fixtures)
    _use(fixtures, workdir)
    with session_scope() as session:
        for kind, name in FIXTURE_FILES:
            import_file(session, kind, catalog_dir / name)
    dispose_engines()
    scratch = {name: workdir / f"run-{name}.sqlite3" for name in CATALOGS}
    shutil.copyfile(base, scratch["icd-only"])
    shutil.copyfile(fixtures, scratch["fixtures"])
    return scratch


def _use(database: Path, workdir: Path) -> None:
    from consultant.settings import get_settings

    dispose_engines()
    os.environ.update({"CONSULTANT_DATABASE_URL": f"sqlite:///{database}", "CONSULTANT_DATA_DIR": str(workdir),
                       "CONSULTANT_PLANS": str(workdir / "plans.toml"), "CONSULTANT_AUTO_REPLY_CAP_PER_DAY": "1000",
                       "CONSULTANT_SENDER_MESSAGES_PER_HOUR": "1000"})
    os.environ.pop("CONSULTANT_BROKER_URL", None)
    get_settings.cache_clear()
    jobs.client.cache_clear()


def as_email(entry: dict) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = entry["from"]
    message["To"] = ADDRESS
    message["Subject"] = entry.get("subject", "")
    message["Date"] = format_datetime(datetime.fromisoformat(entry["date"]).replace(hour=14, tzinfo=timezone.utc))
    message["Message-ID"] = f"<{entry['id']}@eval.example>"
    message.set_content(entry["text"])
    return bytes(message)


def _score(session, entry: dict, inbound_id: int) -> MailScore:
    inbound = session.get(InboundEmail, inbound_id)
    sent = session.scalars(select(OutboundEmail).where(OutboundEmail.in_reply_to == f"<{entry['id']}@eval.example>")
                           .order_by(OutboundEmail.id)).all()
    texts = [_reply_text(row.raw) for row in sent]
    reply = "\n".join(f"{subject}\n{body}" for subject, body in texts)
    flat = _flat(reply)
    rows = session.scalars(select(Question).where(Question.inbound_id == inbound_id)).all()
    asks = [a for q in rows for a in q.asks]
    charged = session.scalar(select(func.count()).select_from(UsageEvent).join(Sender, Sender.id == UsageEvent.sender_id)
                             .where(Sender.address == entry["from"].lower(), UsageEvent.kind == QUESTION)) or 0
    questions, free = [], list(range(len(asks)))
    for index, label in enumerate(entry.get("questions", [])):
        match = _match(label.get("codes", []), index, free, asks)
        if match is not None:
            free.remove(match)
        questions.append(QuestionScore(
            expect=label["expect"], settled=bool(label.get("settled")),
            route=asks[match].get("route") if match is not None else None,
            missing=[m for m in label.get("must", []) if not _found(m, flat)],
            wrong=[w for w in label.get("must_not", []) if _found(w, flat)],
            reasons=list(asks[match].get("reasons", [])) if match is not None else []))
    return MailScore(
        id=entry["id"], kind=entry.get("kind", "coding"), catalog=entry.get("catalog", "fixtures"),
        questions=questions, reply_kinds=[row.kind for row in sent], status=inbound.status,
        reason=inbound.status_reason or "", charged=charged,
        phi_leaks=[p for p in entry.get("phi", []) if _flat(p) in flat],
        wrong=sorted({w for q in questions for w in q.wrong}),
        names_emergency_services=any(word in flat for word in EMERGENCY_WORDS),
        reasons=[r for q in rows for r in q.route_reasons])


def _match(codes: list[str], index: int, free: list[int], asks: list[dict]) -> int | None:
    """The predicted question about the most of these codes; without codes, the one nearest in order."""
    if not free:
        return None
    def overlap(i: int) -> int:
        return len({c.upper() for c in codes} & {c["code"].upper() for c in asks[i].get("codes", [])})
    best = max(free, key=lambda i: (overlap(i), -abs(i - index)))
    return best if overlap(best) or not codes or len(asks) == 1 else None


def _found(wanted, flat: str) -> bool:
    """A must/must_not string, or any of an inner list of alternatives, in the reply."""
    options = wanted if isinstance(wanted, list) else [wanted]
    return any(_flat(option) in flat for option in options)


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def _reply_text(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    return str(message["Subject"] or ""), body.get_content() if body is not None else ""
