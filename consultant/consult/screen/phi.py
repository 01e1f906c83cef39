"""Find the HIPAA Safe Harbor identifiers a coder's question can show in its text, by offsets only.

A question with any span is held for human review, and no automatic reply echoes its text. `find_phi` never
keeps or returns the matched text: callers hold offsets, and staff see `text[start:end]` in the original.

Decisions (each has examples in tests/fixtures/phi/labelled.jsonl):
- name: 1-3 capitalised words (initials "J." and "O'Brien", "McNeil", "Smith-Jones" too) after a patient cue:
  "Patient", "Pt"/"Pt.", "patient name", "Name:", "Mr."/"Mrs."/"Ms."/"Miss". "Dr." is no cue: a doctor's
  name is not the patient's. The first word must not be a common word ("Patient was seen", "Patient
  Portal", "Patient Protection and Affordable Care Act", "Patient Financial Services"): a stop list; a later
  stop word ends the name. "PT" in capitals is physical therapy, never a cue. Names in capitals count only
  after "Name:"/"patient name". In a subject (SUBJECT_RULES) two or three capitalised words after
  "about"/"regarding"/"concerning" are a name too ("Question about Maria Garcia-Lopez"), unless one is a
  coding, medical or payer word ("Question about Critical Care", "about Blue Cross").
- date: any date with a day: 01/02/1950, 1-2-50, 2026-03-02, "March 2, 2026", "2 Mar 2026". A month and day
  without a year ("3/4", "March 2") counts after a patient cue (DOB, DOS, born, admitted, seen on ...). A
  bare year, "March 2026", "Q3 2026" and "FY2026" are not dates of a person. Dates after a policy word
  (effective, published, released, revised, updated, transmittal, deadline, renewing) are a rule's or a
  plan's dates, not a patient's: "codes effective October 1, 2025".
- age: over 89 only ("92-year-old", "age 95", "93 yo", "aged 101", "94 y/o"); younger ages are not
  identifiers.
- phone/fax: US formats with a separator ((555) 201-3344, 555-201-3344, 555.201.3344, +1 555 201 3344);
  seven digits (201-3344) or ten without separators only after a phone cue. A number after "fax" is fax.
- email: every address but the sender's own and ours (ask@consultant.localhost).
- url: http(s):// and www. addresses, except public reference sites (.gov, cms.gov, ama-assn.org, aapc.com,
  ahima.org, who.int, ...): quoting the CMS manual is not PHI.
- ip: IPv4 (each part 0-255, not part of a longer dotted number) and IPv6 (full, or compressed with "::").
- address and zip: the street/ZIP recogniser code mentions use too (consultant/text/addresses.py): number +
  1-3 capitalised words + a street suffix, with an apartment/suite; PO Box; five digits (ZIP+4) after a ZIP
  label (each of a list), "City, ST", a state rarely anything else ("NY 10001") or a state name; a bare
  five-digit number is a CPT code, not a ZIP.
- ssn: 123-45-6789 anywhere; nine digits, or a masked "XXX-XX-6789", after SSN / social security.
- mrn: one kind for every number that names a patient's record or coverage: MRN, medical record, chart,
  account/acct, member/subscriber/beneficiary/policy/plan/patient ID, Medicare/Medicaid ID, HICN, FIN/CSN,
  encounter/visit number, and the Medicare MBI shape (1EG4-TE5-MK73) anywhere. Claim numbers (claim #,
  ICN/DCN/TCN) count too: a claim number is unique to one patient's encounter and the payer looks the
  patient up by it (Safe Harbor (R), "any other unique identifying number"); a false hold costs a review,
  a miss leaks. Group numbers (the employer's plan), NPI, tax ID, CLIA and payer IDs name no patient.
  The value must hold a digit; "policy" needs "#"/"number"/"ID" ("per policy L33822" is an LCD).
- license: driver's licence / DL / license / licence / DEA number after its cue (DEA is the prescriber's,
  but the brief asks for it and the shape "AB1234567" is plain).
- device: serial number / S/N / SN / device ID / UDI after its cue.
- Overlapping spans merge into one, of the more specific kind (ssn > mrn > license > device > email > url >
  ip > fax > phone > date > age > address > zip > name).
- Parts (consultant/consult/screen/message.py): the question text, subject and quoted text get every rule;
  the sender's sign-off and the header lines of a forwarded or quoted message (From, Date, To) only
  PATIENT_RULES (ssn, mrn, license, device, age), since their names, dates, phones and addresses are the
  correspondents' own.
- Never PHI: code mentions (K76.0, 99213, S72.001A, 0DTJ4ZZ, modifiers), NCCI/MUE figures, units, money,
  years, quarters, LCD/NCD numbers, NPIs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parseaddr

from consultant.consult.screen.vocabulary import is_subject_matter
from consultant.text.addresses import addresses, zip_codes

NAME, DATE, AGE, PHONE, FAX, EMAIL, ADDRESS, ZIP = "name", "date", "age", "phone", "fax", "email", "address", "zip"
SSN, MRN, LICENSE, DEVICE, URL, IP = "ssn", "mrn", "license", "device", "url", "ip"

OUR_ADDRESS = "ask@consultant.localhost"
# the more specific kind first: it names a merged span
SPECIFICITY = (SSN, MRN, LICENSE, DEVICE, EMAIL, URL, IP, FAX, PHONE, DATE, AGE, ADDRESS, ZIP, NAME)
_RANK = {kind: rank for rank, kind in enumerate(SPECIFICITY)}


@dataclass(frozen=True)
class PhiSpan:
    kind: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end}


Rule = Callable[[str, str], Iterator[PhiSpan]]

# --- name -------------------------------------------------------------------------------------------------------

_NAME_CUE = re.compile(  # the lookahead names the first letters: it lets the engine skip ahead fast
    r"(?=[PpNnM])(?:\b(?i:patient(?:'s)?\s+name|pt\.?\s+name)\b\s*(?P<strong>[:\-]\s*|\s+is\s+|\s+)"
    r"|(?<![\w.])(?i:name)\s*:\s*(?P<strong2>)"
    r"|\b(?:[Pp]atient|Pt\.?|pt\.?)(?:\s*[:,\-]\s*|\s+)"
    r"|\b(?:Mr|Mrs|Ms)\.?\s+|\bMiss\s+)")
_NAME_WORD = re.compile(r"(?:Mc|Mac|O'|O\u2019|D')?[A-Z][a-z]+(?:[-'\u2019][A-Z][a-z]+)*|[A-Z]\.")
_CAPS_WORD = re.compile(r"[A-Z][A-Z'\-]+|[A-Z]\.")
_NAME_GAP = re.compile(r"[ \t]+|[ \t]*,[ \t]*(?=[A-Z][a-z]+\b(?![ \t]*[A-Z]))")  # "Doe, Jane" is one name
_NAME_STOP = frozenset(
    """a an the this that these those his her their its our my your who whom which what whose was is has had
    have having came presented presents reports reported states stated denies denied returns returned seen
    with without and or but if when while per by of on in at to from for not no yes also then now still only
    just again underwent received receives needs needed need will would should could can may might must did
    does do requires required went got gets complains complained admitted discharged transferred expired
    tolerated arrived declined refused agreed elected wants wanted said says tells told notes noted
    portal education care visit visits encounter encounters status record records account accounts name names
    information safety responsibility protection counseling advocate advocacy services service satisfaction
    assessment intake history consent notes chart id identifier number medicare medicaid insurance
    age aged male female left right both bilateral type class level stage grade home room bed unit
    first last new established existing other same each every all any some one two three
    presentation complaint complaints condition conditions population populations selection centered
    experience experiences engagement demographics registration access flow monitoring transport
    health health's family friendly controlled relationship relations initiated education's
    financial billing business accounting liaison navigator navigation coordinator representative affairs
    support scheduling transportation relations registrar
    """.split())
_TITLE_CUE = re.compile(r"(?:Mr|Mrs|Ms)\.?\s+|Miss\s+")


def _names(text: str, sender: str) -> Iterator[PhiSpan]:
    for cue in _NAME_CUE.finditer(text):
        strong = cue.group("strong") is not None or cue.group("strong2") is not None
        word_shape = _NAME_WORD
        position, words, start, end = cue.end(), 0, cue.end(), cue.end()
        while words < 3:
            match = word_shape.match(text, position)
            if match is None and strong and words == 0:
                match = _CAPS_WORD.match(text, position)
                word_shape = _CAPS_WORD if match else word_shape
            if match is None or (match.end() < len(text) and (text[match.end()].isalnum())):
                break
            word = match.group()
            if word.lower().rstrip(".") in _NAME_STOP or (words == 0 and word.endswith(".") and len(word) == 2
                                                          and not _NAME_WORD.match(text, _skip_gap(text, match.end()))):
                break
            words, end = words + 1, match.end()
            gap = _NAME_GAP.match(text, end)
            if gap is None:
                break
            position = gap.end()
        if words:
            yield PhiSpan(NAME, start, end)


def _skip_gap(text: str, position: int) -> int:
    gap = _NAME_GAP.match(text, position)
    return gap.end() if gap else position


# "Question about Maria Garcia-Lopez": in a subject, two or three capitalised words after about/regarding
_ABOUT_CUE = re.compile(r"\b(?i:about|regarding|concerning)\s*:?\s+(?=[A-Z])")


def _subject_names(text: str, sender: str) -> Iterator[PhiSpan]:
    for cue in _ABOUT_CUE.finditer(text):
        position, names = cue.end(), []
        while len(names) < 3:
            match = _NAME_WORD.match(text, position)
            if match is None or (match.end() < len(text) and text[match.end()].isalnum()):
                break
            word = match.group()
            if word.endswith(".") or word.lower() in _NAME_STOP or is_subject_matter(word):
                break
            names.append(match)
            gap = re.compile(r"[ \t]+").match(text, match.end())
            if gap is None:
                break
            position = gap.end()
        if len(names) >= 2:
            yield PhiSpan(NAME, names[0].start(), names[-1].end())


# --- date -------------------------------------------------------------------------------------------------------

_MONTHS = (r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
           r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?")
_NUMERIC_DATE = re.compile(
    r"(?=\d)(?:(?<![\w/.\-])(\d{1,2})([/\-.])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|[\-.]\d)"
    r"|(?<![\w/.\-])((?:19|20)\d{2})([/\-])(\d{1,2})\6(\d{1,2})(?![\w/]|[\-.]\d))")
_WORD_DATE = re.compile(
    rf"(?=[\dJFMASOND])\b(?:(?:{_MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{{2}})"
    rf"|(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?[\s\-]+(?:{_MONTHS})\.?,?[\s\-]+((?:19|20)\d{{2}}|'?\d{{2}}))\b(?![/\-]\d)")
_SHORT_DATE = re.compile(  # "DOB 3/4", "seen on March 2": a day without a year, after a patient cue
    rf"(?=[DdBbAaSsVvEe])\b(?:DOB|DOS|D\.O\.[BS]\.|born|birth(?:day|date)?|admitted|admission|discharged?|seen|visit|surgery|"
    rf"died|deceased|death|expired|date\s+of\s+(?:birth|service|death|admission|discharge))\b[\s:#]*(?:on\s+)?"
    rf"((?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}/\d{{1,2}}(?![/\d]))", re.IGNORECASE)
_POLICY_BEFORE = re.compile(
    r"\b(?:effective|eff\.|published|released|revised|updated?|transmittal|deadline|guidelines?|"
    r"implementation|implemented|retired|deleted|expires|sunset|renews?|renewing|renewal)\b[^.\n]{0,20}\Z", re.IGNORECASE)


def _dates(text: str, sender: str) -> Iterator[PhiSpan]:
    for match in _NUMERIC_DATE.finditer(text):
        if match.group(1):
            first, second, separator = int(match.group(1)), int(match.group(3)), match.group(2)
            if separator == "." and len(match.group(4)) == 2:
                continue  # "1.2.50": a version or a list, not a date anyone writes for a patient
            if not ((1 <= first <= 12 and 1 <= second <= 31) or (1 <= second <= 12 and 1 <= first <= 31)):
                continue
        elif not (1 <= int(match.group(7)) <= 12 and 1 <= int(match.group(8)) <= 31):
            continue
        if not _policy(text, match.start()):
            yield PhiSpan(DATE, match.start(), match.end())
    for match in _WORD_DATE.finditer(text):
        day = int(match.group(1) or match.group(3))
        if 1 <= day <= 31 and not _policy(text, match.start()):
            yield PhiSpan(DATE, match.start(), match.end())
    for match in _SHORT_DATE.finditer(text):
        yield PhiSpan(DATE, match.start(1), match.end(1))


def _policy(text: str, start: int) -> bool:
    return _POLICY_BEFORE.search(text, max(0, start - 40), start) is not None


# --- age --------------------------------------------------------------------------------------------------------

_OLD = r"(?:9\d|1[0-4]\d)"
_AGE = re.compile(
    rf"(?=[91Aa])(?:(?<![\w.$#\-])({_OLD})(?:[\s\-]*(?:years?|yrs?|y)[\s\-]*old\b|\s*(?:yo|y/o|y\.o\.?|yoa|yr\.?\s+old)(?![\w/])"
    rf"|\s+years?\s+of\s+age\b|\s*(?:yo|y/o)?\s*[MF]\b(?=\s+(?:with|w/|pt|patient|presents|here|seen)))"
    rf"|\b(?i:age|aged|age\s+of|ages)\s*:?\s*({_OLD})(?![\w.]|\s*(?:units?|%)))")


def _ages(text: str, sender: str) -> Iterator[PhiSpan]:
    for match in _AGE.finditer(text):
        yield PhiSpan(AGE, match.start(), match.end())


# --- phone and fax ----------------------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?=[\d(+])(?<![\w\-/.$#])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)[\s.\-]?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}(?![\w\-/]|\.\d)"
    r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,5}\b)?")
_CUED_PHONE = re.compile(  # "phone 2013344", "tel: 5552013344", "call 201-3344"
    r"(?=[PpTtCcMmHhFf])\b(?i:phone|tel|telephone|cell|mobile|home\s+phone|call|ph|fax)\b\.?\s*(?:#|no\.?|number)?\s*[:=]?\s*"
    r"(\d{3}[\s.\-]\d{4}|\d{10}|\d{7})(?![\w\-]|\.\d)")
_FAX_BEFORE = re.compile(r"\b(?i:fax(?:ed)?|facsimile)\b(?:\.?\s*(?:#|no\.?|number)?\s*[:=]?|[^.\n\d]{0,25})\s*\Z")


def _phones(text: str, sender: str) -> Iterator[PhiSpan]:
    spans = [(m.start(), m.end()) for m in _PHONE.finditer(text)]
    spans += [(m.start(1), m.end(1)) for m in _CUED_PHONE.finditer(text)]
    for start, end in spans:
        fax = _FAX_BEFORE.search(text, max(0, start - 40), start) is not None
        yield PhiSpan(FAX if fax else PHONE, start, end)


# --- email, url, ip ---------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")


def _emails(text: str, sender: str) -> Iterator[PhiSpan]:
    ours = {OUR_ADDRESS, parseaddr(sender)[1].lower()} if sender else {OUR_ADDRESS}
    if "@" not in text:
        return
    for match in _EMAIL.finditer(text):
        if match.group().lower() not in ours:
            yield PhiSpan(EMAIL, match.start(), match.end())


_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_PUBLIC_HOSTS = re.compile(
    r"(?:^|\.)(?:[a-z0-9\-]+\.gov|cms\.gov|hhs\.gov|cdc\.gov|nih\.gov|ama-assn\.org|aapc\.com|ahima\.org|who\.int|"
    r"findacode\.com|icd10data\.com|uptodate\.com|ncci\.org|consultant\.localhost)$")


def _urls(text: str, sender: str) -> Iterator[PhiSpan]:
    lowered = text.lower()
    if "http" not in lowered and "www." not in lowered:
        return
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?")
        host = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE).split("/", 1)[0].split(":", 1)[0].lower()
        if host.startswith("www."):
            host = host[4:]
        if not _PUBLIC_HOSTS.search(host):
            yield PhiSpan(URL, match.start(), match.start() + len(url))


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?=\d)(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w]|\.\d)")
_HEX = r"[0-9A-Fa-f]{1,4}"
_IPV6 = re.compile(
    rf"(?<![\w:])(?:(?:{_HEX}:){{7}}{_HEX}|(?:{_HEX}:){{1,6}}:(?:{_HEX}(?::{_HEX}){{0,5}})?|::(?:{_HEX}:){{0,6}}{_HEX})"
    rf"(?![\w:])")


def _ips(text: str, sender: str) -> Iterator[PhiSpan]:
    for match in _IPV4.finditer(text):
        yield PhiSpan(IP, match.start(), match.end())
    if "::" in text or text.count(":") >= 7:
        for match in _IPV6.finditer(text):
            if any(c.isdigit() for c in match.group()) or "::" in match.group():
                yield PhiSpan(IP, match.start(), match.end())


# --- address and zip --------------------------------------------------------------------------------------------

def _addresses(text: str, sender: str) -> Iterator[PhiSpan]:
    for start, end in addresses(text):
        yield PhiSpan(ADDRESS, start, end)


def _zips(text: str, sender: str) -> Iterator[PhiSpan]:
    for start, end in zip_codes(text):
        yield PhiSpan(ZIP, start, end)


# --- numbers after a label: ssn, mrn, license, device ----------------------------------------------------------

_SSN = re.compile(
    r"(?=[\dSs])(?:(?<![\w\-/.])\d{3}-\d{2}-\d{4}(?![\w\-]|\.\d)"
    r"|\b(?i:SSN|SS\s?#|SS\s+no\.?|social\s+security(?:\s+(?:number|no\.?|#))?)\s*(?:(?i:is)\s+)?[:#=]?\s*"
    r"((?:\d{3}|[Xx*]{3})[\s\-]?(?:\d{2}|[Xx*]{2})[\s\-]?\d{4})(?![\w\-]))")
_ID_WORD = r"(?:#|no\.?|nbr|num(?:ber)?|id|identifier)"
_MRN_CUE = re.compile(
    rf"(?=[MmAaCcSsBbEeIiPpVvFfHhDdTt])\b(?i:MRN|MR\s*#|medical\s+record(?:\s+{_ID_WORD})?|chart\s*{_ID_WORD}|account(?:\s*{_ID_WORD})?|"
    rf"acct\.?(?:\s*{_ID_WORD})?|(?:member|subscriber|beneficiary|enrollee|insured(?:'s)?|patient|pt\.?|"
    rf"policy|plan|insurance|medicare|medicaid|encounter|visit|claim|FIN|CSN|HAR)\s*{_ID_WORD}|"
    rf"MBI|HICN|HIC|FIN|CSN|ICN|DCN|TCN|(?:member|subscriber)(?=\s*:))"
    rf"(?:\s*{_ID_WORD})?(?:\s+(?i:is|was|of))?[\s:#=.]*"
    rf"((?=[A-Za-z\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{{3,19}}(?<!-))(?!\w)")
_MBI_CHAR = "AC-HJKMNP-RT-Y"
_MBI = re.compile(
    rf"(?<![\w\-])[1-9][{_MBI_CHAR}][{_MBI_CHAR}0-9]\d-?[{_MBI_CHAR}][{_MBI_CHAR}0-9]\d-?[{_MBI_CHAR}]{{2}}\d{{2}}"
    rf"(?![\w\-])")
_LICENSE = re.compile(
    rf"(?=[DdLl])\b(?:(?i:driver'?s?\s+licen[sc]e|driving\s+licen[sc]e|licen[sc]e|lic\.?)(?:\s*{_ID_WORD})?|DL|DEA)"
    rf"(?:\s*(?i:{_ID_WORD}))?(?:\s+(?i:is|was))?[\s:#=.]*"
    rf"((?=[A-Za-z\-]*\d)[A-Za-z0-9][A-Za-z0-9\-]{{3,19}}(?<!-))(?!\w)")
_DEVICE = re.compile(
    rf"(?=[SsDdUuIi])(?:\b(?i:serial(?:\s*{_ID_WORD})?|device\s*{_ID_WORD}|UDI|implant\s*{_ID_WORD})|\bSN\b|\bS/N\b)"
    rf"(?:\s*(?i:{_ID_WORD}))?(?:\s+(?i:is|was))?[\s:#=.]*"
    rf"((?=[A-Za-z()\-]*\d)[A-Za-z0-9(][A-Za-z0-9()\-]{{3,39}}(?<!-))(?!\w)")


def _ssns(text: str, sender: str) -> Iterator[PhiSpan]:
    for match in _SSN.finditer(text):
        start, end = (match.start(1), match.end(1)) if match.group(1) else (match.start(), match.end())
        yield PhiSpan(SSN, start, end)


def _mrns(text: str, sender: str) -> Iterator[PhiSpan]:
    labelled = {match.start(1): match.end(1) for match in _MRN_CUE.finditer(text)}
    for match in _MBI.finditer(text):  # an MBI needs no label: its shape is plain
        if match.start() not in labelled:
            labelled[match.start()] = match.end()
    for start in sorted(labelled):
        yield PhiSpan(MRN, start, labelled[start])


def _licenses(text: str, sender: str) -> Iterator[PhiSpan]:
    for match in _LICENSE.finditer(text):
        yield PhiSpan(LICENSE, match.start(1), match.end(1))


def _devices(text: str, sender: str) -> Iterator[PhiSpan]:
    for match in _DEVICE.finditer(text):
        yield PhiSpan(DEVICE, match.start(1), match.end(1))


# --- all of them ------------------------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    _ssns, _mrns, _licenses, _devices, _emails, _urls, _ips, _phones, _dates, _ages, _addresses, _zips, _names)
# a subject is short and often only names its patient: uncued names after "about" count there too
SUBJECT_RULES: tuple[Rule, ...] = (*RULES, _subject_names)
# what names a patient even in the sender's sign-off or a header line, where names, dates, phones and addresses
# are the correspondents' own
PATIENT_RULES: tuple[Rule, ...] = (_ssns, _mrns, _licenses, _devices, _ages)


def find_phi(text: str, sender: str | None = None, rules: tuple[Rule, ...] = RULES) -> list[PhiSpan]:
    """The identifiers in text, in order, overlapping spans merged into the more specific kind."""
    spans = sorted((span for rule in rules for span in rule(text, sender or "")), key=lambda s: (s.start, -s.end))
    merged: list[PhiSpan] = []
    for span in spans:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            kind = last.kind if _RANK[last.kind] <= _RANK[span.kind] else span.kind
            merged[-1] = PhiSpan(kind, last.start, max(last.end, span.end))
        else:
            merged.append(span)
    return merged
