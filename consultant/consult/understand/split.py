"""Question text -> the questions it asks, in order.

A numbered or bulleted list is one question per item (an introduction before it lends its codes to
items that name none). Otherwise sentences are grouped: a question sentence opens a new question when
the one before already asks something, unless it names no code and points back ("is it billable?"),
in which case it is more of the same question. Statements join the question they follow."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from consultant.codes.mentions import MODIFIER, Mention, find_mentions

_LIST_ITEM = re.compile(r"^[ \t]*(?:\(?\d{1,2}[.):]|\(?[a-h]\)|[-*\u2022\u25aa\u2013]|Q\d{1,2}[.):]?)[ \t]+(?=\S)",
                        re.MULTILINE | re.IGNORECASE)
# a sentence ends at . ! ? (not inside a code or a number) followed by space, or at a blank line or line end
_ABBREVIATIONS = ("vs", "Dr", "Mr", "Ms", "Mrs", "St", "No", "eg", "ie", "pt", "Pt", "approx", "etc", "e.g", "i.e",
                  "E.g", "I.e", "w/o", "h/o", "dx", "Dx", "fx", "Fx", "yo", "y.o")
_SENTENCE_END = re.compile(
    r"(?<=[.!?])" + "".join(rf"(?<!\b{re.escape(a)}\.)" for a in _ABBREVIATIONS) + r"\s+|\n\s*\n|\n(?=\s*[A-Z])")
ASKS = re.compile(
    r"\?|^\W*(?:and\s+|also\s+|so\s+|but\s+|ok\s+|then\s+)?(?:what|whats|what's|which|is|isn't|are|can|could|may|"
    r"should|shall|do|does|did|how|when|why|would|will|where|please|pls|need|looking|wondering|any|am|"
    r"tell|explain|confirm|verify|check|clarify|advise|help)\b", re.IGNORECASE | re.MULTILINE)
_POINTS_BACK = re.compile(r"\b(?:it|its|this|that|these|those|them|they|both|the same|the codes?|same code)\b",
                          re.IGNORECASE)
_SECOND_QUESTION = re.compile(r",?\s+(?:and|also|plus)\s+(?=(?:is|are|what|what's|whats|does|do|can|could|how|which|"
                              r"should|will|would)\b)", re.IGNORECASE)
_PLURAL_BACK = re.compile(r"\b(?:they|them|both|these|those|the two|either)\b", re.IGNORECASE)
_NEW_TOPIC = re.compile(r"^\W*(?:also|another|second|secondly|next|separately|different question|one more|"
                        r"and (?:what|how) about|what about|how about)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    """One question: where it is in the text and the codes it names (or borrows from its introduction)."""

    start: int
    end: int
    text: str
    mentions: tuple[Mention, ...]
    borrowed: tuple[Mention, ...] = ()  # codes named in the list's introduction, for an item naming none

    @property
    def codes(self) -> tuple[Mention, ...]:
        own = tuple(m for m in self.mentions if m.system != MODIFIER)
        return own or tuple(m for m in self.borrowed if m.system != MODIFIER)

    @property
    def modifiers(self) -> tuple[Mention, ...]:
        return tuple(m for m in self.mentions if m.system == MODIFIER)


@dataclass
class _Piece:
    start: int
    end: int
    text: str
    mentions: list[Mention]

    @property
    def asks(self) -> bool:
        return bool(ASKS.search(self.text))


def split_questions(text: str) -> list[Part]:
    mentions = find_mentions(text)
    items = _list_items(text)
    if len(items) >= 2:
        return _from_list(text, items, mentions)
    pieces = _sentences(text, mentions)
    return _with_earlier_codes([_part(text, group, mentions) for group in _group(pieces)]) if pieces else []


def _mentions_in(text: str, start: int, end: int, mentions: list[Mention]) -> tuple[Mention, ...]:
    """The codes named between start and end. The text's mentions name each code once (at its first
    place), so a code named again here is found again, read as the whole text read it."""
    here = [m for m in mentions if start <= m.start < end]
    known = {(m.system, m.code) for m in mentions}
    seen = {(m.system, m.code) for m in here}
    for m in find_mentions(text[start:end]):
        if (m.system, m.code) in known and (m.system, m.code) not in seen:
            seen.add((m.system, m.code))
            here.append(replace(m, start=m.start + start, end=m.end + start))
    return tuple(sorted(here, key=lambda m: m.start))


def _with_earlier_codes(parts: list[Part]) -> list[Part]:
    """"What is J44.1? What is J44.0? Can they be coded together?": they are both codes named before."""
    for index, part in enumerate(parts):
        if index >= 2 and not part.codes and _PLURAL_BACK.search(part.text):
            earlier = tuple(m for p in parts[:index] for m in p.codes)
            parts[index] = replace(part, borrowed=earlier)
    return parts


def _list_items(text: str) -> list[tuple[int, int]]:
    starts = [m.start() for m in _LIST_ITEM.finditer(text)]
    return [(s, starts[i + 1] if i + 1 < len(starts) else len(text)) for i, s in enumerate(starts)]


def _from_list(text: str, items: list[tuple[int, int]], mentions: list[Mention]) -> list[Part]:
    intro = [m for m in mentions if m.start < items[0][0]]
    parts = []
    for start, end in items:
        own = _mentions_in(text, start, end, mentions)
        body = text[start:end].strip()
        parts.append(Part(start, start + len(text[start:end].rstrip()), body, own, tuple(intro)))
    return parts


def _sentences(text: str, mentions: list[Mention]) -> list[_Piece]:
    pieces, start = [], 0
    for boundary in [*_SENTENCE_END.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        chunk = text[start:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            real_start, real_end = start + lead, start + len(chunk.rstrip())
            pieces.extend(_clauses(text, real_start, real_end, mentions))
        start = boundary.end() if boundary else len(text)
    return pieces


def _clauses(text: str, start: int, end: int, mentions: list[Mention]) -> list[_Piece]:
    """"How many units of 20610, and is 76942 allowed with it?" asks two things: split where a second
    question begins after "and", when both sides name codes."""
    bounds = [(start, end)]
    for joint in _SECOND_QUESTION.finditer(text, start, end):
        left_start = bounds[-1][0]
        if _names_codes(_mentions_in(text, left_start, joint.start(), mentions)) and _names_codes(
                _mentions_in(text, joint.end(), end, mentions)):
            bounds[-1:] = [(left_start, joint.start()), (joint.end(), end)]
    return [_Piece(s, e, text[s:e], list(_mentions_in(text, s, e, mentions))) for s, e in bounds]


def _names_codes(mentions: tuple[Mention, ...]) -> bool:
    return any(m.system != MODIFIER for m in mentions)


def _group(pieces: list[_Piece]) -> list[list[_Piece]]:
    groups: list[list[_Piece]] = []
    for piece in pieces:
        current = groups[-1] if groups else None
        if current is None:
            groups.append([piece])
        elif _opens_question(piece, current):
            groups.append([piece])
        else:
            current.append(piece)
    return groups


def _opens_question(piece: _Piece, current: list[_Piece]) -> bool:
    if not piece.asks or not any(p.asks for p in current):
        return False
    if piece.mentions:
        # "What is 99213? What about 99214?" vs "Can I bill 47370 with 76940? 76940 was done too?"
        return bool(_NEW_TOPIC.search(piece.text)) or not _same_codes(piece, current)
    if _PLURAL_BACK.search(piece.text) and len({m.code for p in current for m in p.mentions}) < 2:
        return True  # "... What is J44.0? Can they be coded together?" asks about more than J44.0
    return bool(_NEW_TOPIC.search(piece.text)) or not _POINTS_BACK.search(piece.text) and _stands_alone(piece)


def _same_codes(piece: _Piece, current: list[_Piece]) -> bool:
    mine = {m.code for m in piece.mentions if m.system != MODIFIER}
    theirs = {m.code for p in current for m in p.mentions if m.system != MODIFIER}
    return bool(mine) and mine <= theirs or not mine


def _stands_alone(piece: _Piece) -> bool:
    """A question without codes that is long enough to be its own ("Thanks?" is not)."""
    return len(re.findall(r"[A-Za-z]{2,}", piece.text)) >= 4


def _part(text: str, group: list[_Piece], mentions: list[Mention]) -> Part:
    start, end = group[0].start, group[-1].end
    return Part(start, end, text[start:end], _mentions_in(text, start, end, mentions))
