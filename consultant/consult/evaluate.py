"""Score the answer engine on a labelled set of questions (tests/fixtures/questions/*.jsonl):
route accuracy and confusion, intent accuracy per intent, how questions were split, whether each
answer states the facts it must, and whether every auto-answer is grounded.

    python -m consultant.consult.evaluate tests/fixtures/questions/labelled.jsonl [...]

runs against the configured database (which must hold the catalog the set was written for)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy.orm import Session

from consultant.consult import emails
from consultant.consult.drafts.grounding import codes_outside_catalog, facts_without_source
from consultant.consult.pipeline import understand_message
from consultant.consult.routing.router import AUTO
from consultant.consult.understand.intents import INTENTS
from consultant.mail.parse import parse_email
from consultant.mail.render import render_email
from consultant.settings import Settings

SENDER = "coder@clinic.example"


@dataclass
class Scored:
    id: str
    route: str
    expected_route: str
    intents: list[list[str]]  # per predicted question
    expected_intents: list[list[str]]
    codes: list[list[str]]
    expected_codes: list[list[str]]
    missing_facts: list[str]
    ungrounded: list[str]
    reasons: list[str]

    @property
    def aligned(self) -> list[tuple[list[str], list[str] | None]]:
        """Each expected question's intents beside the predicted question about the same codes."""
        pairs, free = [], list(range(len(self.intents)))
        for index, (wanted, codes) in enumerate(zip(self.expected_intents, self.expected_codes)):
            match = _best_match(codes, index, free, self.codes)
            if match is not None:
                free.remove(match)
            pairs.append((wanted, self.intents[match] if match is not None else None))
        return pairs


def _best_match(codes: list[str], index: int, free: list[int], predicted: list[list[str]]) -> int | None:
    if not free:
        return None
    return max(free, key=lambda i: (len(set(codes) & set(predicted[i])), -abs(i - index)))


@dataclass
class Report:
    scored: list[Scored] = field(default_factory=list)

    @property
    def route_accuracy(self) -> float:
        return _share(s.route == s.expected_route for s in self.scored)

    @property
    def intent_accuracy(self) -> float:
        """The main intent of each expected question, found as the main intent of its predicted twin."""
        return _share(got is not None and got[0] == wanted[0] for s in self.scored for wanted, got in s.aligned)

    @property
    def intent_set_accuracy(self) -> float:
        return _share(got is not None and set(got) == set(wanted) for s in self.scored for wanted, got in s.aligned)

    @property
    def split_accuracy(self) -> float:
        return _share(len(s.intents) == len(s.expected_intents) for s in self.scored)

    @property
    def facts_stated(self) -> float:
        return _share(not s.missing_facts for s in self.scored)

    @property
    def auto_answers(self) -> list[Scored]:
        return [s for s in self.scored if s.route == AUTO]

    @property
    def grounded(self) -> float:
        return _share(not s.ungrounded for s in self.auto_answers)

    def per_intent(self) -> dict[str, tuple[int, int, int]]:
        """intent -> (expected, found as main, predicted as main)"""
        expected, hit, predicted = Counter(), Counter(), Counter()
        for s in self.scored:
            for wanted, got in s.aligned:
                expected[wanted[0]] += 1
                if got is not None:
                    predicted[got[0]] += 1
                    hit[wanted[0]] += got[0] == wanted[0]
        return {i: (expected[i], hit[i], predicted[i]) for i in INTENTS if expected[i] or predicted[i]}

    def confusion(self) -> dict[tuple[str, str], int]:
        return Counter((s.expected_route, s.route) for s in self.scored)

    def render(self) -> str:
        lines = [f"{len(self.scored)} emails, {sum(len(s.expected_intents) for s in self.scored)} questions",
                 f"route accuracy      {self.route_accuracy:.3f}",
                 f"intent accuracy     {self.intent_accuracy:.3f} (main intent; exact intent set "
                 f"{self.intent_set_accuracy:.3f})",
                 f"questions split     {self.split_accuracy:.3f} (emails split into the expected number)",
                 f"facts stated        {self.facts_stated:.3f} (emails whose answer or draft states every fact)",
                 f"auto-answers        {len(self.auto_answers)}, grounded {self.grounded:.3f}",
                 "", "route confusion (expected -> got):"]
        for (wanted, got), count in sorted(self.confusion().items()):
            lines.append(f"  {wanted:>6} -> {got:<6} {count}")
        lines += ["", f"{'intent':<12} {'expected':>8} {'correct':>8} {'recall':>7} {'predicted':>9} {'precision':>9}"]
        for intent, (wanted, hit, predicted) in self.per_intent().items():
            lines.append(f"{intent:<12} {wanted:>8} {hit:>8} {_ratio(hit, wanted):>7} {predicted:>9} "
                         f"{_ratio(hit, predicted):>9}")
        misses = [s for s in self.scored if s.route != s.expected_route or s.missing_facts or s.ungrounded
                  or any(got is None or got[0] != wanted[0] for wanted, got in s.aligned)]
        if misses:
            lines += ["", "misses:"]
        for s in misses:
            lines.append(f"  {s.id}: route {s.expected_route}->{s.route}; intents {s.expected_intents}->{s.intents}"
                         + (f"; missing facts {s.missing_facts}" if s.missing_facts else "")
                         + (f"; ungrounded {s.ungrounded}" if s.ungrounded else "")
                         + (f"; reasons {s.reasons}" if s.route != s.expected_route else ""))
        return "\n".join(lines)


def load_set(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(session: Session, settings: Settings, entries: list[dict], on: date | None = None) -> Report:
    report = Report()
    for entry in entries:
        report.scored.append(_score(session, settings, entry, on or date.today()))
    return report


def _score(session: Session, settings: Settings, entry: dict, on: date) -> Scored:
    parsed = parse_email(_as_email(entry), SENDER)
    understood = understand_message(session, settings, parsed, on=on)
    draft = understood.draft
    if draft.decision.route == AUTO:
        text = render_email(settings.templates_dir, "answer",
                            emails.answer("CC-1", "Re: question", draft, settings.service_name)).text
        asked = {c["code"] for s in draft.sections for c in s["codes"]}
        ungrounded = codes_outside_catalog(session, text, asked, on)
        ungrounded += [p for s in draft.sections for p in facts_without_source(s)]
    else:
        text, ungrounded = draft.text, []
    lowered = " ".join(text.split()).lower()
    return Scored(
        id=entry["id"], route=draft.decision.route, expected_route=entry["route"],
        intents=[list(a["intents"]) for a in understood.asks],
        expected_intents=[q["intents"] for q in entry["questions"]],
        codes=[[c["code"] for c in a["codes"]] for a in understood.asks],
        expected_codes=[q["codes"] for q in entry["questions"]],
        missing_facts=[f for f in entry["facts"] if " ".join(f.split()).lower() not in lowered],
        ungrounded=ungrounded, reasons=list(draft.decision.reasons),
    )


def _as_email(entry: dict) -> bytes:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = "ask@consultant.localhost"
    message["Subject"] = entry.get("subject", "")
    message["Message-ID"] = f"<{entry['id']}@clinic.example>"
    message.set_content(entry["text"])
    for name in entry.get("attachments", []):
        message.add_attachment(b"%PDF-1.4 invented test attachment", maintype="application", subtype="pdf",
                               filename=name)
    return bytes(message)


def _share(outcomes) -> float:
    values = list(outcomes)
    return sum(values) / len(values) if values else 1.0


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def main(argv: list[str]) -> int:
    import argparse
    import tempfile

    from consultant.db.session import session_scope
    from consultant.settings import get_settings

    parser = argparse.ArgumentParser(
        prog="python -m consultant.consult.evaluate", description=__doc__.split("\n\n")[0],
        epilog="Sets of questions (tests/fixtures/questions/*.jsonl) run against the configured database, which "
               "must hold the catalog they were written for (tests/fixtures/questions/README.md). Sets of whole "
               "mail (tests/fixtures/questions/coder/) build their catalogs themselves and score what we would send.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="a labelled set (.jsonl)")
    parser.add_argument("--summary", action="store_true", help="figures only, no misses (for held-out sets)")
    parser.add_argument("--catalog", type=Path, default=None,
                        help="whole mail: the fixture catalog folder (default: catalog/ beside the set's folder)")
    parser.add_argument("--workdir", type=Path, default=None, help="whole mail: where to build the catalogs")
    parser.add_argument("--date", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="sets of questions: the date of service they are asked for (default: today); the set's "
                             "catalog must cover it, e.g. 2026-03-02 for the FY2026 sets")
    args = parser.parse_args(argv)
    missing = [str(name) for name in args.files if not name.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")
    entries = [entry for name in args.files for entry in load_set(name)]
    if any("expect" in q for entry in entries for q in entry.get("questions", [])) or \
            any("kind" in entry for entry in entries):
        from consultant.consult.evaluate_mail import evaluate_mail

        catalog = args.catalog or args.files[0].resolve().parent.parent / "catalog"
        with tempfile.TemporaryDirectory(prefix="consultant-eval-") as scratch:
            report = evaluate_mail(entries, catalog, args.workdir or Path(scratch))
            print(report.render(summary_only=args.summary))
        return 0
    with session_scope() as session:
        print(evaluate(session, get_settings(), entries, on=args.date).render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
