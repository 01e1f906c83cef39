"""Is the message a coding question? Small named rules, each returning a reason or None.

The kinds, in the order they are decided:
- spam: advertising (two marketing cues, three beside a code), a money or prize offer, a personal
  solicitation, or gibberish (no code, and the words unreadable and unknown; another script is never
  gibberish). Recorded with the reason; never answered, never charged.
- emergency: someone describes a medical emergency happening to them or to someone with them ("I have
  chest pain and my arm is numb", "my husband isn't breathing", overdose, suicidal thoughts). A sentence
  about a patient in a coding question ("Pt presented with chest pain, code R07.9?") is no emergency: where
  the message speaks of patients, codes or charts, only the first person in the present counts ("I'm
  having chest pain"). It gets the fixed reply, whose first line says to call emergency services.
- coding: a code, a coding or billing word ("how do I code a screening colonoscopy that turned
  diagnostic?"), a word about the service itself (account, plan, answer), an attachment, or a reply in a
  consultation. The normal path: answered or held for a person.
- not_coding: a health question about the sender, another subject (weather, sports, travel ...), a
  greeting or test with nothing asked, or words none of which is coding or medical and no number. One
  fixed reply that says what the service is; never charged.
- anything else is coding: what cannot be told apart goes where a person reads it.

Reasons name our cues, never the message's text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from consultant.consult.screen.vocabulary import is_coding_word, is_medical_word, words

CODING, NOT_CODING, EMERGENCY, SPAM = "coding", "not_coding", "emergency", "spam"


@dataclass(frozen=True)
class Mail:
    """What the rules read: subject and question text, whether a code was found, attachments, a thread."""

    subject: str
    text: str
    has_codes: bool = False
    attachments: tuple[str, ...] = ()
    follow_up: bool = False

    @cached_property
    def whole(self) -> str:
        return f"{self.subject}\n{self.text}"

    @cached_property
    def lowered(self) -> str:
        return " ".join(self.whole.lower().replace("\u2019", "'").split())

    @cached_property
    def words(self) -> list[str]:
        return words(self.whole)

    @cached_property
    def coding_words(self) -> list[str]:
        return list(dict.fromkeys(w for w in self.words if is_coding_word(w)))

    @cached_property
    def sentences(self) -> list[str]:
        return [s.strip() for s in re.split(r"[.?!\n;]+", self.lowered) if s.strip()]


Rule = Callable[[Mail], "str | None"]


@dataclass(frozen=True)
class Topic:
    kind: str
    reasons: tuple[str, ...]
    ran: tuple[str, ...] = field(default=(), compare=False)  # every rule asked, fired or not

    @property
    def coding(self) -> bool:
        return self.kind == CODING

    def summary(self) -> str:
        labels = {NOT_CODING: "not a coding question", EMERGENCY: "a possible medical emergency", SPAM: "spam",
                  CODING: "a coding question"}
        return f"{labels[self.kind]}: {'; '.join(self.reasons)}"


def _cues(patterns: dict[str, str]) -> dict[str, re.Pattern]:
    return {label: re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])") for label, pattern in patterns.items()}


# --- spam -----------------------------------------------------------------------------------------------------

_MARKETING = _cues({
    "unsubscribe": r"unsubscribe|opt[- ]out|no longer wish to receive",
    "click here": r"click (?:here|below|the link)",
    "limited time": r"limited[- ]time|act now|expires (?:today|soon)|don't miss out",
    "special offer": r"special offer|exclusive (?:offer|deal)|promo(?:tion(?:al)?)? code|coupon",
    "free trial": r"free trial|100% free|risk[- ]free|no obligation|free consultation",
    "book a demo": r"(?:book|schedule|request) (?:a|your) (?:free )?(?:demo|call|meeting)",
    "discount": r"\d{1,2}% off|discount|lowest price|best price|cheap",
    "buy now": r"buy now|order now|shop now|sign up (?:now|today)|register now",
    "growth pitch": r"increase your (?:revenue|sales|traffic|collections)|grow your (?:practice|business)"
                    r"|seo|backlinks|link exchange|website traffic|traffic to your (?:web ?site|site)|lead generation"
                    r"|first page of google|(?:generate|drive|gain|gaining) (?:more |high-quality |targeted )?"
                    r"(?:traffic|sales|leads|hits)",
    "mailing list": r"(?:mailing|email|contact) list|you are receiving this",
})
_MONEY_OFFER = _cues({
    "prize": r"you(?: have|'ve)? won|winner|lottery|jackpot|claim your (?:prize|reward)",
    "inheritance": r"inheritance|next of kin|unclaimed (?:funds|fortune|estate)|million (?:us )?(?:dollars|usd)",
    "transfer": r"wire transfer|western union|moneygram|bank details|gift cards?",
    "crypto": r"bitcoin|crypto(?:currency)?|forex|investment opportunity",
    "pharmacy": r"viagra|cialis|online pharmacy|weight loss pills?",
})
_SOLICITATION = _cues({
    "romance": r"(?:seeking|looking) for (?:a )?(?:serious |long[- ]term )?relationship|looking for love"
               r"|lonely (?:woman|man|lady)|pictures of me|photos of me|hello dear",
})
_VOWELS = set("aeiouyäöüéèáíóú")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")
_ROWS = (set("qwertyuiop"), set("asdfghjkl"), set("zxcvbnm"))
_COMMON = frozenset("""
a an the and or but if of to in on at for from by with about as is are was were be been am do does did have has had
i you he she we they it me my your our this that these those what which who how when where why can could would
should will may might please thanks thank hi hello hey dear yes no not any some all one two new question help need
""".split())


def advertising(mail: Mail) -> str | None:
    found = [label for label, cue in _MARKETING.items() if cue.search(mail.lowered)]
    if len(found) < (3 if mail.has_codes else 2):
        return None
    return f"advertising ({len(found)} marketing cues: {', '.join(found)})"


def money_offer(mail: Mail) -> str | None:
    found = [label for label, cue in _MONEY_OFFER.items() if cue.search(mail.lowered)]
    if not found or (mail.coding_words and len(found) < 2):
        return None
    return f"an offer of money or goods ({', '.join(found)})"


def personal_solicitation(mail: Mail) -> str | None:
    found = [label for label, cue in _SOLICITATION.items() if cue.search(mail.lowered)]
    if not found or mail.coding_words:
        return None
    return f"a personal solicitation ({', '.join(found)})"


def gibberish(mail: Mail) -> str | None:
    if mail.has_codes or mail.attachments:
        return None
    if not mail.whole.strip():
        return "nothing written: no subject, no text, no attachment"
    tokens = [w for w in re.findall(r"[^\W\d_]+", mail.whole.lower()) if len(w) >= 2 or not w.isascii()]
    if not tokens:
        return "no words, only signs and numbers" if not re.search(r"\d{3,}", mail.whole) else None
    unreadable = sum(1 for w in tokens if _unreadable(w))
    known = sum(1 for w in tokens if w in _COMMON or is_coding_word(w) or is_medical_word(w))
    enough = unreadable >= 2 or (len(tokens) == 1 and len(tokens[0]) >= 8)
    if enough and unreadable / len(tokens) >= 0.5 and known / len(tokens) < 0.2:
        return f"gibberish ({unreadable} of {len(tokens)} words unreadable, {known} known)"
    return None


def _unreadable(word: str) -> bool:
    """No vowel, five consonants in a row, a 25-letter run, or a keyboard row ("asdfasdf", "zxcvbn"). Words in
    another script are never judged."""
    if any(ord(ch) > 0x24F for ch in word):
        return False
    if len(word) >= 4 and not (_VOWELS & set(word)):
        return True
    letters = set(word)
    if (len(word) >= 5 and (letters <= _ROWS[1] or letters <= _ROWS[2])) or (len(word) >= 7 and letters <= _ROWS[0]):
        return True
    return bool(_CONSONANT_RUN.search(word)) or len(word) >= 25


# --- emergency ------------------------------------------------------------------------------------------------

_EMERGENCY = _cues({
    "chest pain": r"chest (?:pain|pressure|tightness|hurts|is tight|feels tight)|pain in (?:my|his|her) chest"
                  r"|heart attack|cardiac arrest",
    "breathing": r"can'?t breathe|cannot breathe|can not breathe|(?:trouble|difficulty|hard time) breathing"
                 r"|hard to breathe|short(?:ness)? of breath|(?:not|isn'?t|stopped) breathing|gasping|choking"
                 r"|turning blue|blue lips",
    "numbness": r"numb (?:left |right )?(?:arm|face|leg|hand|side)|(?:arm|face|side|leg|hand) (?:is |went |feels "
                r"|has gone |going )?numb|numbness (?:in|of|on) (?:my|his|her|the) (?:left |right )?(?:arm|face|side"
                r"|leg|hand)",
    "stroke signs": r"stroke|(?:face|mouth) (?:is )?(?:drooping|droopy)|slurr(?:ed|ing) (?:speech|words)"
                    r"|can'?t move (?:my|his|her) (?:arm|leg|side)|sudden (?:weakness|confusion)",
    "unconscious": r"passed out|unconscious|unresponsive|won'?t wake up|not waking up|collapsed",
    "seizure": r"seizure|seizing|convuls\w*",
    "overdose or poisoning": r"overdos\w*|took too many|swallowed (?:bleach|poison|pills|a battery)|poison(?:ed|ing)",
    "severe bleeding": r"bleeding (?:heavily|a lot|badly|won'?t stop|that won'?t stop)|won'?t stop bleeding"
                       r"|can'?t stop (?:the )?bleeding|severe bleeding|(?:coughing|vomiting|throwing) up blood",
    "suicidal thoughts": r"suicid\w*|kill (?:myself|himself|herself)|end (?:my|his|her) life|want to die"
                         r"|hurt (?:myself|himself|herself)|self[- ]harm",
    "allergic reaction": r"throat (?:is )?(?:closing|swelling)|anaphyla\w*|severe allergic reaction"
                         r"|(?:tongue|lips|face) (?:is |are )?swelling",
    "head injury": r"worst headache|sudden severe headache|hit (?:my|his|her) head and",
})
_PERSONAL = re.compile(
    r"(?<![\w'])(?:i|i'm|im|i've|ive|i'd|me|my|myself|we|us|our|husband|wife|son|daughter|mom|mother|dad|father"
    r"|baby|child|kid|grandma|grandpa|grandmother|grandfather|brother|sister|partner|boyfriend|girlfriend|friend"
    r"|neighbou?r|help|right now|emergency|urgent)(?![\w'])")
_FIRST_PERSON_NOW = re.compile(
    r"(?<![\w'])(?:i'm|im|i am|i've|ive|i have|i feel|i think i'm|i think im|i can'?t|i cannot|i want to|i keep"
    r"|my (?:chest|heart|left arm|right arm|arm|face|throat|lips|tongue|head|mouth))(?![\w'])")
_CLINICAL_FRAMING = re.compile(
    r"(?<![\w'])(?:patient|patients|pt|pts|documented|documentation|chart|encounter|provider|physician|op note"
    r"|history of|hx|h/o|r/o|rule out|s/p|presented|presents|admitted|discharged)(?![\w'])")


def medical_emergency(mail: Mail) -> str | None:
    framed = bool(mail.has_codes or mail.coding_words or _CLINICAL_FRAMING.search(mail.lowered))
    found: list[str] = []
    for sentence in mail.sentences:
        here = [label for label, cue in _EMERGENCY.items() if cue.search(sentence)]
        if not here:
            continue
        if framed:
            personal = _FIRST_PERSON_NOW.search(sentence) and not _CLINICAL_FRAMING.search(sentence)
        else:
            personal = _PERSONAL.search(sentence) or _PERSONAL.search(mail.lowered)
        if personal:
            found += [label for label in here if label not in found]
    if not found:
        return None
    return f"describes a possible medical emergency ({', '.join(found)})"


# --- coding ---------------------------------------------------------------------------------------------------

_SERVICE_WORDS = frozenset("""
account accounts plan plans subscription subscribe register registration quota consultation consultations
invoice invoices password login reviewer reviewers answer answers answered reply replies reference colleague
colleagues coworker
""".split())


def code_mentioned(mail: Mail) -> str | None:
    return "names a code" if mail.has_codes else None


def coding_words(mail: Mail) -> str | None:
    if not mail.coding_words:
        return None
    return f"coding words ({', '.join(mail.coding_words[:4])})"


def about_the_service(mail: Mail) -> str | None:
    found = list(dict.fromkeys(w for w in mail.words if w in _SERVICE_WORDS))
    return f"about the service ({', '.join(found[:3])})" if found else None


def carries_attachment(mail: Mail) -> str | None:
    return "carries an attachment, for a person to read" if mail.attachments else None


def reply_in_a_consultation(mail: Mail) -> str | None:
    return "a reply in a consultation" if mail.follow_up else None


# --- not coding -----------------------------------------------------------------------------------------------

_LAY_HEALTH = re.compile(
    r"(?<![\w'])(?:i(?:'ve| have)? (?:been )?(?:having|feeling)|i have (?:a|an|had|some|been)|i feel|i'm (?:sick|pregnant"
    r"|dizzy|nauseous|in pain|bleeding|worried)|my (?:doctor|symptoms?|pain|medication|medicine|prescription|blood"
    r" pressure|sugar|test results?|rash|cough|fever|headache|back|stomach|throat|skin)|should i (?:see|go|take|call"
    r"|be worried|worry)|is (?:it|this|that) (?:normal|serious|safe|dangerous|contagious)|what (?:medicine|medication"
    r"|pills?|drug) should|how (?:do|can) i (?:treat|cure|get rid of)|can i take)(?![\w'])")
_OTHER_SUBJECTS = _cues({
    "weather": r"weather|forecast|rain(?:ing|y)?|snow(?:ing|y)?|sunny|humid(?:ity)?|hurricane|tornado",
    "sports": r"(?:football|baseball|basketball|soccer|hockey|tennis|golf) (?:game|match|score|team)|who won"
              r"|super bowl|world series|playoffs?",
    "food": r"recipe|recipes|bake|baking|dinner|lunch ideas|restaurant",
    "travel": r"flight|flights|hotel|vacation|holiday|airport|train tickets?",
    "entertainment": r"movie|movies|song|lyrics|horoscope|joke|jokes|poem|tv show",
    "homework": r"homework|essay|math problem",
})
_GREETING_WORDS = frozenset("""
hi hello hey hiya yo dear sir madam good morning afternoon evening test testing tests anyone anybody there is this
are you working a the it me ok okay ping can see get hear
""".split())


def health_question_about_the_sender(mail: Mail) -> str | None:
    return "a health question about the sender, not a coding question" if _LAY_HEALTH.search(mail.lowered) else None


def another_subject(mail: Mail) -> str | None:
    found = [label for label, cue in _OTHER_SUBJECTS.items() if cue.search(mail.lowered)]
    return f"about something else ({', '.join(found)})" if found else None


def greeting_only(mail: Mail) -> str | None:
    tokens = [w for w in mail.words if not w.isdigit()]
    if tokens and len(tokens) <= 8 and set(tokens) <= _GREETING_WORDS:
        return "a greeting or test with nothing asked"
    return None


def no_coding_or_medical_words(mail: Mail) -> str | None:
    """Words, none of them coding or medical, and no number (a number may be a code, a modifier or units)."""
    tokens = [w for w in mail.words if re.search(r"[a-z]", w)]
    if not tokens or any(is_medical_word(w) for w in tokens) or re.search(r"\d", mail.whole):
        return None
    return "no coding or medical word in it"


SPAM_RULES: tuple[Rule, ...] = (advertising, money_offer, personal_solicitation, gibberish)
EMERGENCY_RULES: tuple[Rule, ...] = (medical_emergency,)
CODING_RULES: tuple[Rule, ...] = (code_mentioned, coding_words, about_the_service, carries_attachment,
                                  reply_in_a_consultation)
NOT_CODING_RULES: tuple[Rule, ...] = (health_question_about_the_sender, another_subject, greeting_only,
                                      no_coding_or_medical_words)
_KINDS = ((SPAM, SPAM_RULES), (EMERGENCY, EMERGENCY_RULES), (CODING, CODING_RULES), (NOT_CODING, NOT_CODING_RULES))
UNDECIDED = "nothing says it is not a coding question"


def classify(mail: Mail) -> Topic:
    """The first kind any of whose rules fires, with every reason of that kind; else coding."""
    ran: list[str] = []
    for kind, rules in _KINDS:
        ran += [rule.__name__ for rule in rules]
        reasons = tuple(reason for rule in rules if (reason := rule(mail)))
        if reasons:
            return Topic(kind, reasons, tuple(ran))
    return Topic(CODING, (UNDECIDED,), tuple(ran))


__all__ = ["CODING", "EMERGENCY", "NOT_CODING", "SPAM", "Mail", "Topic", "classify"]
