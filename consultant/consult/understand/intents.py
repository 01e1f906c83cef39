"""One question -> its intents, each with a confidence, and the cues that made it so.

Every intent has cues (phrases coders use, with a weight) and code-shape evidence (how many codes,
whether modifiers are named). Scores become shares by a softmax over the intents that scored,
beside a constant for "other"; an intent is kept when it scores well on its own and holds a fair
share. The question's confidence is the share its kept intents hold together: two intents that
compete without either winning clearly make a low-confidence question, which a person reads."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from consultant.consult.understand.split import ASKS as _ASKS

LOOKUP, VALIDITY, PAIR, MODIFIER, UNITS = "lookup", "validity", "pair", "modifier", "units"
GUIDELINE, CASE_REVIEW, COVERAGE, OTHER = "guideline", "case_review", "coverage", "other"
INTENTS = (LOOKUP, VALIDITY, PAIR, MODIFIER, UNITS, GUIDELINE, CASE_REVIEW, COVERAGE, OTHER)
CODE_INTENTS = frozenset({LOOKUP, VALIDITY, PAIR, UNITS})  # they ask about codes and need some

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
OTHER_BASELINE = 0.7  # what "other" scores when nothing else is said
KEEP_SCORE = 1.5  # a second intent must score this on its own...
STATEMENT_WEIGHT = 0.5  # a cue in a sentence that only tells counts half
KEEP_SHARE = 0.12  # ...and hold this share


Cue = tuple[re.Pattern[str], float, int]  # pattern, weight, codes the question must name for it to count


def _cues(*entries: tuple) -> tuple[Cue, ...]:
    return tuple((re.compile(e[0], re.IGNORECASE), e[1], e[2] if len(e) > 2 else 0) for e in entries)


_MODIFIER_TOKENS = r"(?-i:\b(?:2[2-9]|5[0-9]|7[6-9]|9[01]|X[EPSU]|RT|LT|G[AYZ]|KX|J[WZ]|T[CA]|F[0-9]|E[1-4])\b)"

CUES: dict[str, tuple[Cue, ...]] = {
    LOOKUP: _cues(
        (r"\bwhat(?:'s| is| are| does| do| was)\b(?! the (?:rule|guideline|difference|mue|max))", 1.2),
        (r"\bwhats\b", 1.2),
        (r"\b(?:descriptors?|descriptions?|definition|define|stands? for|meaning|means?)\b", 1.6),
        (r"\b(?:look ?up|lookup|tell me about|what(?:'s| is) the code for|what code (?:is|for))\b", 1.4),
        (r"\b(?:describe|explain)\b", 1.0),
        (r"\bused for\b|\bwhat(?:'s| is) .{0,20} for\b", 0.8),
        (r"\b(?:lay|plain) (?:terms|words|description|language|english)\b", 1.6),
        (r"\b(?:any|a|the) (?:instructional )?notes?\b|\binstructions?\b|\bis there a note\b", 1.4, 1),
        (r"\bdifference between\b|\bcompare\b|\bwhat is each\b", 1.6, 2),
        (r"\bvs\.?\b|\bversus\b", 1.0, 2),
        (r"\btell me what\b|\bwhat \S+ (?:is|means)\b", 1.2, 1),
    ),
    VALIDITY: _cues(
        (r"\b(?:valid|invalid|validity)\b", 1.8),
        (r"\b(?:complete|incomplete|truncated|specific enough|full code)\b"
         r"(?! (?:long |full )?(?:descriptor|description|list|code set))", 1.8),
        (r"\b(?:real|exist|exists|existing|legit|legitimate|a thing)\b", 1.4),
        (r"\bbillable\b|\bbill ?able\b|\bnon-?billable\b", 1.8),
        (r"\b(?:7th|seventh|6th|sixth|5th|fifth) (?:character|char|digit)\b|\bextension\b|\bplaceholder\b", 2.0),
        (r"\b(?:more|another|additional|extra) (?:characters?|digits?|specificity)\b", 1.8),
        (r"\b(?:deleted|still active|an active|active code|still valid|retired|expired|termed|discontinued|new for|"
         r"effective|dates? of service)\b", 1.6),
        (r"\b(?:header|category code|acceptable|reportable|codeable|ok(?:ay)? to use|allowed to use|can (?:i|we) "
         r"(?:still )?use)\b", 1.0),
        (r"\b(?:scrubber|clearinghouse|edit check|rejects?|rejected|rejecting|kicked back)\b", 1.2),
    ),
    PAIR: _cues(
        (r"\btogether\b|\bat the same time\b|\bsame (?:day|date|claim|encounter|session|visit|time)\b", 1.6),
        (r"\bbundl\w*|\bunbundl\w*|\binclusive\b|\bincluded in\b|\bpart of\b|\bcomponent\b", 2.0),
        (r"\b(?:ncci|cci|ptp|edit|edits|column ?(?:1|one|2|two)|mutually exclusive)\b", 2.0),
        (r"\bexcludes ?(?:1|2|one|two|i|ii)\b|\bexcludes?\b", 1.8),
        (r"\b(?:along with|in addition to|separately|both|with each other|conflict)\b", 1.1, 2),
        (r"\b(?:allowed|ok|okay|acceptable|permitted|billable|payable) (?:with|together|alongside)\b", 1.6, 2),
        (r"\b(?:bill|code|report|use|submit|charge)\w*\b.{0,40}\b(?:with|and|plus|\+|&)\b", 0.9, 2),
        (r"\b(?:bill|code|report)\w* (?:\w+ ){0,3}with (?:an? |the )?(?:e/?m|office visit|visit|injection|"
         r"ultrasound|x-?ray|procedure)\b", 1.6, 1),

        # "I11.0 + I50.22?", "N39.0 with B96.20", "Z01.419 and Z23 ok": two codes joined
        (r"(?=[a-z]*\d)\b[a-z0-9.]{3,8}\s*(?:\+|&|\bwith\b|\band\b|\bplus\b)\s*(?=[a-z]*\d)[a-z0-9.]{3,8}\b", 0.6, 2),
        # sequencing of codes that are named: the notes (code first, use additional) answer it
        (r"\bwhich (?:one |code |dx |is |goes |comes )*first\b|\b(?:right|correct|proper|what|which|any) order\b"
         r"|\border\b\s*\?", 1.8, 2),
        (r"\b(?:also )?(?:add|adding)\b(?! (?:a )?modifier)|\banother code\b|\badditional code\b|\bor just one\b"
         r"|\bjust one\b|\bone or both\b", 1.2, 2),
    ),
    MODIFIER: _cues(
        (r"\bmodifiers?\b|\bmod\b", 2.2, 1),
        (r"\b(?:which|what) modifier\b|\bmodifiers? (?:for|on|with)\b", 1.6),
        (r"\b(?:append|appended|appending|attach) (?:a |an |the )?(?:-?\w{2}\b|modifier)", 1.2),
        (r"\bdistinct procedural\b|\bseparately identifiable\b|\bsignificant,? separately\b", 1.2),
        (r"\b(?:need|use|add|put|require)s? (?:a |an |the )?-?" + _MODIFIER_TOKENS, 1.2),
        (_MODIFIER_TOKENS + r" (?:or|vs\.?|versus|instead of) (?:a |an )?-?" + _MODIFIER_TOKENS, 1.6),
    ),
    UNITS: _cues(
        (r"\bunits?\b|\bmue\b|\bmues\b|\bmedically unlikely\b", 2.2),
        (r"\bhow many (?:times|units|can|may|per)\b|\bper (?:day|date|session|encounter|visit)\b", 1.8),
        (r"\b(?:max|maximum|limit|quantity|qty|multiple units|more than once|times per)\b", 1.4),
        (r"\bx ?\d{1,2}\b|\b\d{1,2} ?x\b", 0.8),
    ),
    GUIDELINE: _cues(
        (r"\bguidelines?\b|\bofficial (?:coding )?guidance\b|\bcoding clinic\b|\brules?\b", 2.0),
        (r"\be/?m\b|\bmdm\b|\bmedical decision making\b|\btime[- ]based\b|\btotal time\b", 1.2),
        (r"\bsequenc\w*|\bprincipal (?:dx|diagnosis)\b|\bfirst[- ]listed\b|\bprimary (?:dx|diagnosis)\b"
         r"|\bgoes? first\b|\b(?:list|code|report)(?:ed)? first\b", 2.6),
        (r"\bhow (?:do|should|would|can) (?:i|we|you) (?:code|bill|report|choose|pick|determine|count|select)\b",
         1.4),
        (r"\bwhen (?:should|do|can|may|would|to|is it appropriate to) (?:i |we |you )?(?:use|assign|code|report)"
         r"|\bwhen (?:is|it's|it is) (?:it )?used\b|\bin what cases?\b", 1.8),
        (r"\b(?:difference between|what counts as|criteria|requirements?)\b", 1.2, 0),
        (r"\b(?:have|need|required?) to (?:document|be documented)\b|\bcan .{0,40} be taken from\b", 1.8),
        (r"\b(?:new vs\.? established|new or established|incident[- ]to|split/?shared|global period|poa|"
         r"present on admission|inpatient|outpatient)\b", 1.4),
    ),
    CASE_REVIEW: _cues(
        (r"\battach\w*\b|\benclosed\b|\bsee (?:the |my )?(?:note|report|documentation|file|pdf)\b", 2.2),
        (r"\b(?:op|operative|procedure|progress|clinic|office|consult|h&p|discharge) (?:note|report|summary)\b", 1.8),
        (r"\b(?:review|audit|look over|double[- ]check|check) (?:my|this|the|our) (?:coding|codes|case|chart|claim"
         r"|note|encounter|scenario)\b|\bcan you (?:review|audit|look at|look over)\b", 2.0),
        (r"\b(?:documentation|the (?:chart|record)|scenario|case)\b", 1.0),
        (r"\bwhat (?:codes? |cpt |icd[- ]?10(?:-cm)? )?(?:would|should) (?:you|i|we) (?:use|assign|code|bill)\b", 1.8),
        (r"\bi (?:coded|billed|was thinking|am thinking|'m thinking|went with|chose)\b|\b(?:is|was) (?:this|that|my"
         r" coding) (?:right|correct)\b|\bright\?", 1.6),
    ),
    COVERAGE: _cues(
        (r"\b(?:covered|coverage|reimburs\w*|paid|payment|payable|pays?|paying)\b", 1.8),
        (r"\bcover\b", 0.6),
        (r"\b(?:deni(?:al|ed|es)|deny|denying|rejected by|appeal)\b", 1.8),
        (r"\b(?:medicare|medicaid|payer|payor|insurance|insurer|commercial|bcbs|aetna|cigna|humana|uhc)\b", 0.9),
        (r"\b(?:medicare|medicaid|payers?|payors?|insurance|insurers|bcbs|aetna|cigna|humana|uhc|the plan)\b"
         r" (?:require|allow|accept|cover|pay|recognize)s?\b", 1.6),
        (r"\b(?:lcd|ncd|medical necessity|abn|fee schedule|rvus?|allowable|allowed amount|prior auth\w*|"
         r"frequency limit|once a year|annually)\b", 1.8),
    ),
    OTHER: _cues(
        (r"\b(?:unsubscribe|account|password|invoice|subscription|price|pricing|plan|login|log in)\b", 1.6),
        (r"^\W*(?:thanks?|thank you|thx|ty|got it|perfect|great|ok|okay)\b[\W\w]{0,30}$", 2.0),
    ),
}


@dataclass(frozen=True)
class Reading:
    """What one question asks: intents (main first), with the share of the evidence each holds."""

    intents: tuple[str, ...]
    shares: dict[str, float]
    confidence: float
    cues: tuple[str, ...]  # which intents' cues and code evidence fired, for the reviewer

    @property
    def main(self) -> str:
        return self.intents[0]

    def as_dict(self) -> dict:
        return {"intents": list(self.intents), "confidence": round(self.confidence, 3),
                "shares": {k: round(v, 3) for k, v in self.shares.items()}, "cues": list(self.cues)}


def read_intents(text: str, codes: int, modifiers: int, attachments: bool = False) -> Reading:
    """`codes`: how many distinct codes (not modifiers) the question is about."""
    scores, cues = _score(text, codes, modifiers, attachments)
    shares = _shares(scores)
    ranked = sorted(shares, key=lambda name: (-shares[name], INTENTS.index(name)))
    kept = [ranked[0]] + [name for name in ranked[1:] if name != OTHER and scores.get(name, 0) >= KEEP_SCORE
                          and shares[name] >= KEEP_SHARE]
    return Reading(tuple(kept), shares, sum(shares[name] for name in kept), tuple(cues))


def _score(text: str, codes: int, modifiers: int, attachments: bool) -> tuple[dict[str, float], list[str]]:
    scores: dict[str, float] = {}
    cues: list[str] = []
    asking, telling = _asking_and_telling(text)
    for intent, patterns in CUES.items():
        for pattern, weight, min_codes in patterns:
            if codes < min_codes:
                continue
            found = pattern.search(asking)
            if found is None and (found := pattern.search(telling)) is not None:
                weight *= STATEMENT_WEIGHT
            if found:
                scores[intent] = scores.get(intent, 0.0) + weight
                cues.append(f"{intent}: {found.group(0).strip().lower()[:30]}")
    for intent, weight, why in _code_evidence(codes, modifiers, attachments, dict(scores)):
        scores[intent] = scores.get(intent, 0.0) + weight
        cues.append(f"{intent}: {why}")
    return scores, cues


def _asking_and_telling(text: str) -> tuple[str, str]:
    """The sentences that ask, and those that only tell (context: "BCBS denied it", "I coded 99213").
    When none asks, all of it is the question."""
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    asking = [s for s in sentences if _ASKS.search(s)]
    if not asking:
        return text, ""
    return "\n".join(asking), "\n".join(s for s in sentences if not _ASKS.search(s))


def _code_evidence(codes: int, modifiers: int, attachments: bool, scores: dict[str, float]):
    if modifiers and codes:
        yield MODIFIER, 1.6, f"{modifiers} modifier(s) named"
    elif modifiers:
        # "what does modifier XU stand for": the modifier is what is asked about
        yield MODIFIER, 0.8, f"{modifiers} modifier(s) named"
        for intent in (LOOKUP, VALIDITY):
            if intent in scores:
                yield intent, 0.8, "asked of a modifier named"
    if codes >= 2:
        yield PAIR, 1.2 if PAIR in scores else 0.5, f"{codes} codes named"
    if codes == 1 and not modifiers and max(scores.values(), default=0.0) < 1.0:
        yield LOOKUP, 1.6, "one code, nothing more asked"
    if codes:
        for intent in CODE_INTENTS:
            if intent in scores:
                yield intent, 0.8, "asked of a code named"
        # a question about codes is less often a general guideline question
        yield GUIDELINE, -0.5, "codes named"
    else:
        for intent in CODE_INTENTS:
            if intent in scores:
                yield intent, -0.8, "no code named"
        if not scores:
            yield GUIDELINE if not attachments else CASE_REVIEW, 0.5, "no code named"
    if attachments:
        yield CASE_REVIEW, 1.0, "attachments"


def _shares(scores: dict[str, float]) -> dict[str, float]:
    positive = {name: score for name, score in scores.items() if score > 0 and name != OTHER}
    positive[OTHER] = max(OTHER_BASELINE, scores.get(OTHER, 0.0))
    total = sum(math.exp(score) for score in positive.values())
    return {name: math.exp(score) / total for name, score in positive.items()}
