"""Every message of the shared real-world corpus goes in the way saved mail does (inject -> store ->
commit) and through the pipeline on SQLite, ending in a final status with the outcome the corpus
README names. Each test walks one folder and fails naming every file that went wrong."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from consultant.consult.pipeline import run_inbound
from consultant.db.models import InboundEmail, InboundStatus
from consultant.db.session import session_scope
from consultant.mail.inject import REFUSED, inject
from consultant.mail.parse import UnparseableEmail, parse_email
from consultant.settings import Settings
from tests.support.corpus import corpus_folder



@dataclass(frozen=True)
class FileOutcome:
    name: str
    status: str
    reason: str
    replies: int
    parse: str = ""  # for a duplicate, which the pipeline sets aside unparsed: what the parser made of it


def run_folder(settings: Settings, folder: Path) -> tuple[list[FileOutcome], list[str]]:
    """Every .eml under the folder through inject and the pipeline; problems are named, never raised."""
    outcomes: list[FileOutcome] = []
    problems: list[str] = []
    paths = sorted(folder.rglob("*.eml"))
    assert paths, f"no .eml files in {folder}"
    for path in paths:
        name = str(path.relative_to(folder))
        try:
            outcomes.extend(_run_file(settings, path, name))
        except Exception as exc:  # collected so that one run names every failing file
            problems.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
    return outcomes, problems


def _run_file(settings: Settings, path: Path, name: str) -> list[FileOutcome]:
    """A file may hold several messages (an mbox): each is named file#N."""
    results = inject(settings, path).results
    outcomes = []
    for number, result in enumerate(results, start=1):
        label = name if len(results) == 1 else f"{name}#{number}"
        if result.outcome == REFUSED:
            outcomes.append(FileOutcome(label, REFUSED, result.reason or "", 0))
            continue
        outcome = run_inbound(settings, result.inbound_id)
        with session_scope() as session:
            row = session.get(InboundEmail, result.inbound_id)
            parse = _parse_outcome(row.raw, row.mail_from) if row.status == InboundStatus.DUPLICATE else ""
            outcomes.append(FileOutcome(label, row.status, row.status_reason or "", len(outcome.replies), parse))
    return outcomes


def _parse_outcome(raw: bytes, mail_from: str) -> str:
    try:
        parse_email(raw, mail_from)
    except UnparseableEmail as exc:
        return f"unparseable: {exc}"
    return "parsed"


def check(outcomes: list[FileOutcome], problems: list[str], expect: Callable[[FileOutcome], str | None]) -> None:
    problems = problems + [f"{o.name}: {why}" for o in outcomes if (why := expect(o))]
    summary = Counter(o.status for o in outcomes)
    assert not problems, f"{len(problems)} of {len(outcomes)} files went wrong ({dict(summary)}):\n" + "\n".join(
        problems)


def final_with_reason(outcome: FileOutcome) -> str | None:
    if outcome.status not in InboundStatus.FINAL:
        return f"ended in status {outcome.status!r} ({outcome.reason})"
    if outcome.status == InboundStatus.QUARANTINED and not outcome.reason:
        return "quarantined without a reason"
    return None


def machine_mail(outcome: FileOutcome) -> str | None:
    if outcome.status != InboundStatus.MACHINE:
        return f"not classified as machine mail: {outcome.status} ({outcome.reason})"
    return "answered" if outcome.replies else None


def not_a_bounce(outcome: FileOutcome) -> str | None:
    if outcome.status == InboundStatus.MACHINE and "bounce" in outcome.reason:
        return f"classified as a bounce: {outcome.reason}"
    return final_with_reason(outcome)


def spam(outcome: FileOutcome) -> str | None:
    if outcome.status != InboundStatus.PROCESSED or not outcome.reason.startswith("spam: "):
        return f"not recorded as spam: {outcome.status} ({outcome.reason})"
    return "answered" if outcome.replies else None


def flanker_expectation(outcome: FileOutcome) -> str | None:
    if outcome.name.startswith(("bounce/", "complaints/")):
        return machine_mail(outcome)
    if outcome.name.startswith("spam/"):
        return spam(outcome)
    return final_with_reason(outcome)


class TestCorpus:
    @pytest.mark.timeout(600)
    def test_sisimai_bounces_are_machine_mail_and_never_answered(self, app):
        check(*run_folder(app, corpus_folder("sisimai-bounces")), machine_mail)

    def test_sisimai_not_bounces_are_not_taken_for_bounces(self, app):
        check(*run_folder(app, corpus_folder("sisimai-not-bounces")), not_a_bounce)

    def test_flanker_goes_through_its_bounces_and_complaints_are_machine_mail_and_its_spam_spam(self, app):
        check(*run_folder(app, corpus_folder("flanker")), flanker_expectation)

    def test_mail_parser_goes_through_or_is_quarantined_with_a_reason(self, app):
        check(*run_folder(app, corpus_folder("mail-parser")), final_with_reason)

    def test_a_missing_corpus_folder_fails_loudly(self):
        with pytest.raises(AssertionError, match="is missing"):
            corpus_folder("no-such-collection")
