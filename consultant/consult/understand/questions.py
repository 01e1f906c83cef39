"""Question text -> the questions it asks, each with its codes, intents and confidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from consultant.codes.mentions import Mention
from consultant.consult.understand.intents import Reading, read_intents
from consultant.consult.understand.split import Part, split_questions

_SAME_AGAIN = re.compile(r"^\W*(?:and |also |ok,? )?(?:what|how) about\b|\bsame (?:question )?for\b|^\W*and\b",
                         re.IGNORECASE)

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
    """Every question in the text; an empty text (the question is all in an attachment) is one question."""
    parts = split_questions(text) or [Part(0, len(text), text, ())]
    questions: list[Question] = []
    for number, part in enumerate(parts, start=1):
        codes = _distinct(part.codes)
        before = questions[-1].codes if questions else _distinct([m for m in part.borrowed if m.system != "modifier"])
        if before and _points_back(part.text, bool(codes)):
            codes = tuple(dict.fromkeys([*before, *codes]))  # "2) can it be coded with K75.81"
        modifiers = tuple(dict.fromkeys(m.code for m in part.modifiers))
        reading = read_intents(part.text, len(codes), len(modifiers), bool(attachments))
        if questions and _SAME_AGAIN.search(part.text) and _only_code_evidence(reading):
            reading = questions[-1].reading  # "What is 99213? What about 99214?"
        questions.append(Question(number, part.start, part.end, codes, modifiers, reading))
    return questions


def _points_back(text: str, names_codes: bool) -> bool:
    return bool((_IT_CODE if names_codes else _IT).search(text))


def _distinct(mentions: Sequence[Mention]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((m.system, m.code) for m in mentions))


def _only_code_evidence(reading: Reading) -> bool:
    return all(cue.split(": ", 1)[1].endswith(("named", "asked")) for cue in reading.cues)
