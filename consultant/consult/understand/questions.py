"""Question text -> the questions it asks, each with its codes, intents and confidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from consultant.codes.mentions import Mention
from consultant.consult.understand.intents import CODE_INTENTS, OTHER, Reading, read_intents
from consultant.consult.understand.split import Part, split_questions

_SAME_AGAIN = re.compile(r"^\W*(?:and |also |ok,? )?(?:what|how) about\b|\bsame (?:question )?for\b|^\W*and\b",
                         re.IGNORECASE)

_FOLLOW_ON = re.compile(r"^\W*(?:and|also|plus|so|then|what about|how about|any)\b", re.IGNORECASE)
_PLEASANTRY = re.compile(r"^\W*(?:hi|hello|hey|good (?:morning|afternoon))\b|thank|thx|\bty\b|got it|appreciate",
                         re.IGNORECASE)
# a sentence that points at the questions that follow: "Can you check these for me", "see below, thoughts?"
_PREFACE = re.compile(r"\b(?:check these|these for me|see below|below|the following|this one|forwarded|"
                      r"quick (?:question|q)s?|a few questions|couple (?:of )?questions)\b", re.IGNORECASE)
_ACCOUNT = re.compile(r"unsubscribe|account|password|invoice|subscription", re.IGNORECASE)

_IT = re.compile(r"\b(?:it|its|this|that one|these|those|them|they|both|the same code)\b", re.IGNORECASE)
_IT_CODE = re.compile(r"\b(?:it|this (?:code|one|dx)|that (?:code|one|dx))\b(?! (?:is|was) (?:a|an|the)\b)",
                      re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    number: int  # 1-based, in the order asked
    start: int
    end: int
    codes: tuple[tuple[str, str], ...]  # (system, code), distinct, in order
    modifiers: tuple[str, ...]
    reading: Reading

    @property
    def intents(self) -> tuple[str, ...]:
        return self.reading.intents

    @property
    def main(self) -> str:
        return self.reading.main

    @property
    def confidence(self) -> float:
        return self.reading.confidence

    def as_dict(self) -> dict:
        return {"number": self.number, "start": self.start, "end": self.end,
                "codes": [{"system": s, "code": c} for s, c in self.codes], "modifiers": list(self.modifiers),
                **self.reading.as_dict()}


def understand(text: str, attachments: Sequence[str] = ()) -> list[Question]:
    """Every question in the text; an empty text (the question is all in an attachment) is one question.
    A greeting, a closing or a preface ("can you check these for me") is not a question of its own."""
    parts = split_questions(text) or [Part(0, len(text), text, ())]
    questions: list[Question] = []
    asides: set[int] = set()
    for part in parts:
        codes = _distinct(part.codes)
        before = questions[-1].codes if questions else _distinct([m for m in part.borrowed if m.system != "modifier"])
        modifiers = tuple(dict.fromkeys(m.code for m in part.modifiers))
        if before and (_points_back(part.text, bool(codes)) or not codes and _follows_on(part.text, before, modifiers)):
            codes = tuple(dict.fromkeys([*before, *codes]))  # "2) can it be coded with K75.81", "and the MUE?"
        reading = read_intents(part.text, len(codes), len(modifiers), bool(attachments))
        if questions and _SAME_AGAIN.search(part.text) and _only_code_evidence(reading):
            reading = questions[-1].reading  # "What is 99213? What about 99214?"
        if not codes and not modifiers and reading.main == OTHER and (
                _PLEASANTRY.search(part.text) and not _ACCOUNT.search(part.text) or _PREFACE.search(part.text)):
            asides.add(len(questions))
        questions.append(Question(len(questions) + 1, part.start, part.end, codes, modifiers, reading))
    kept = [q for index, q in enumerate(questions) if index not in asides or not _asks_after(questions, index)]
    return _renumbered(kept)


def _asks_after(questions: list[Question], index: int) -> bool:
    """A preface or a pleasantry is dropped only where another question carries the codes."""
    return any(q.codes for i, q in enumerate(questions) if i != index)


def _follows_on(text: str, before: tuple[tuple[str, str], ...], modifiers: tuple[str, ...]) -> bool:
    """A question naming no code that goes on about the codes just asked about: "And what's the MUE?",
    "Also is there a note?", "what are the options now"."""
    if _FOLLOW_ON.search(text):
        return True
    return read_intents(text, len(before), len(modifiers)).main in CODE_INTENTS


def _renumbered(questions: list[Question]) -> list[Question]:
    return [replace(q, number=number) for number, q in enumerate(questions, start=1)]


def _points_back(text: str, names_codes: bool) -> bool:
    return bool((_IT_CODE if names_codes else _IT).search(text))


def _distinct(mentions: Sequence[Mention]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((m.system, m.code) for m in mentions))


def _only_code_evidence(reading: Reading) -> bool:
    return all(cue.split(": ", 1)[1].endswith(("named", "asked")) for cue in reading.cues)
