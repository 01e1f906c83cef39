"""Find the codes a coder's question mentions: ICD-10-CM, CPT, HCPCS Level II, ICD-10-PCS and modifiers.

Decisions (each has examples in tests/fixtures/mentions/labelled.jsonl):
- Shapes come from shapes.py, the table `codes show` reads entries by; this module adds what prose needs.
- ICD-10-CM with its dot counts in any case ("e11.9" -> E11.9); a trailing Index dash still names the code
  ("M54.5-"). Without the dot ("K760", "s72001", "j441") it counts in any case when it is a real ICD-10-CM
  code; the code list (simple-icd-10-cm, ~1.5 s to load) is read the first time such a token appears. A bare
  category counts in capitals by its shape ("I10", "E11"; a third-place letter only when real: "Z3A", not
  "H1B"), in lower case when real ("pt has i10"; not "a10"), except tokens that usually mean something else
  (N95 mask, X12 EDI, vitamin B12, spine levels T10-T12; in lower case "x10" times ten, "q12" every twelve
  hours). U codes need their dot.
- CPT: five digits, or four digits and F (Category II), M (multianalyte assays), T (Category III) or U (PLA).
  A lower-case m, t or u counts only after a leading 0 ("0002m"; "1500m" and "5000u" are a distance and a dose).
- HCPCS Level II: a letter A-V other than D (dental CDT, not in our catalog), F, I, N, O, then four digits.
  Outside the letter's populated range (R0070-R0076, K0001-K1099, ...) a real dotless ICD-10-CM code wins
  ("R0789" -> R07.89, "K2970" -> K29.70). Inside it, when ICD-10-CM has the code too (J1100: dexamethasone,
  or J11.00), the words next to it in its sentence settle which: diagnosis words (dx, diagnosis, ICD, "pt
  has", diabetes and other conditions) make it ICD-10-CM ("E1122 for diabetes"); drug, supply, unit and
  paid-service words (units, "x 4", mg, vial, injection, DME, JW, AWV, covered, paid ...) make it HCPCS.
  When they do not settle it, the mention is HCPCS with the ICD-10-CM reading in `alternatives` (ICD-10-CM
  first when it is listed among ICD-10-CM codes only: "I10, E1122 and N184"); with words of both kinds, the
  nearer kind comes first and the other is kept. A token settled in one place is settled everywhere in the
  text. "E119" has three digits, so it can only be E11.9.
- ICD-10-PCS: a standalone token of seven capitals from 0-9, A-H, J-N, P-Z with a digit and a letter,
  shaped like its section (0-9, B-D, F-H, X: "0DTJ4ZZ", "5A1955Z", "HZ2ZZZZ"). All-digit tokens are
  left to phone and account numbers.
- Modifiers are two characters: a real CPT modifier (22-99, only those that exist) or a HCPCS Level II
  modifier. They count when written on a code ("99213-25", "20610-RT/LT", "3074F-8P", "97110 GP",
  "99213 -25"; `attached_to` names the code) or after/before the word modifier ("modifiers 25 and 59",
  "mod 25", "the 59 modifier"). Elsewhere only with context: "-25"/"-XS" in a sentence about codes;
  letter modifiers that are rarely anything else (XE/XP/XS/XU, GA-family GY/GZ/GX, GP/GN/GO, JW/JZ, KX,
  QW, CQ, ...) in a sentence about codes; those that are also abbreviations (RT respiratory therapy,
  TC total cholesterol, GA gestational age, GT G-tube, PD, UE, ...) only when the sentence says
  "modifier"/"append"/"ABN" or has another modifier, when written after a code ("27447 RT"), after
  "use"/"append", before "on <code>", or paired ("RT and LT", "TC and 26"); a numeric modifier after a
  word such as "use/with/or/vs/needs a" and before punctuation or "on/for/instead..." ("use 59 on
  11102", "does the E/M need a 25?"), or in "is 50 needed", but never after "POS", "DRG", "age", ...
  English words ("AS", "GO", "OR") never count in text written in capitals; with the rest of a list
  ("25, 59 and XU") common abbreviations (CT, ER, PA, PT, ...) do not join it.
- Ranges: "99202-99205", "E08-E13" and the short form "99202-05" name both ends, never the codes between.
- Not codes: ZIP codes ("ZIP 10001", "NY 10001", "Dallas, TX 75201", ZIP+4; a number shown to be a ZIP
  is one everywhere in the text) and street numbers ("10001 Oak Street"), recognised as the PHI screen
  recognises them (consultant/text/addresses.py), money ("$99213", "USD 47370",
  "99213 dollars", "12345.67"), quantities ("10001 units", but "CPT 96372 units" is a code),
  numbers after a label (invoice, account, claim, member, policy, group, NPI, tax ID, MRN, ref, auth,
  suite, box, ext, version, ...; "case", "order", "check", "phone", "fax" only with "#"/"number"/"no."),
  dates, times, years, phone and fax numbers (no US format has a five-digit group), NDC numbers, numbers
  glued to a word ("INV-20610", "CPT99213"), and remark codes (N30, M86) in a sentence about a denial.
  A bare five-digit number is CPT-shaped and counts ("Is 10021 the FNA code?").
"""

from __future__ import annotations

import bisect
import re
import warnings
from dataclasses import dataclass

from consultant.codes import shapes
from consultant.text.addresses import (
    ZIP_HINTS, plus_four_after, state_of_an_address, street_number_at, zip_label_or_place_before)

ICD10CM, CPT, HCPCS, PCS, MODIFIER = "icd10cm", "cpt", "hcpcs", "pcs", "modifier"

_DASHES = "-\u2010\u2011\u2013"  # hyphen, Unicode hyphen, non-breaking hyphen, en dash (not the em dash)
_DASH = r"\-\u2010\u2011\u2013"  # the same, for a character class
_WORD = re.compile(r"[A-Z]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# A code-shaped token: 3-9 letters/digits with a digit among them, optionally a dot and 1-4 more; not inside a
# word or a number. Every code has a digit, so the words of the text are passed over at once.
_TOKEN = re.compile(r"(?<![\w.])(?=[A-Z]*[0-9])[0-9A-Z]{3,9}(?:\.[0-9A-Z]{1,4})?(?![\w]|\.\w)")
_WITH_UNITS = re.compile(rf"({shapes.CPT.pattern}|{shapes.HCPCS.pattern})X[0-9]{{1,2}}")  # "97110x4"
_JOINED = re.compile(rf"[{_DASH}]([0-9A-Z]+(?:\.[0-9A-Z]{{1,4}})?)(?![\w]|\.\w)")
_CHAINED = re.compile(rf"[/{_DASH}]([0-9A-Z]{{2}})(?![\w]|\.\w)")

_NOT_CATEGORIES = frozenset({"N95", "X12", "B12", "T10", "T11", "T12"})
# written in lower case these are "times ten", "every twelve hours" and "version 936", not X10, Q12 and V93.6
_LOWER_CASE_WORD = re.compile(r"[xqv][0-9]+")
_HEX = frozenset("0123456789ABCDEFabcdef")
_RUN_BEFORE, _RUN_AFTER = frozenset("+=@"), frozenset("+=")  # "YB+d43+BK8k", "id=a17": base64 and URL runs
_GLUE_BEFORE, _GLUE_AFTER = _RUN_BEFORE | {":"}, _RUN_AFTER | set(":-.")
_HOST_AFTER = re.compile(r"[\-.][\w\-]*\.[A-Za-z]{2,}\b")  # "p25-mail.example.jp": a host name
_CPT_LOWER_UNITS = "mtu"  # "1500m", "5000u", "2000t": metres, units, tonnes unless a leading 0 ("0002m")

# What settles a letter and four digits that both code sets hold (J1100: dexamethasone, or J11.00 influenza):
# the words next to it. Diagnosis words make it ICD-10-CM; drug, supply, unit and paid-service words (a
# diagnosis is not paid, covered or given units) make it HCPCS.
_NEAR_BEFORE, _NEAR_AFTER = 40, 30
_DIAGNOSIS, _SERVICE = "diagnosis", "service"
_NEAR_WORDS = {word: _DIAGNOSIS for word in (
    "DX DXS DIAG DIAGNOSIS DIAGNOSES DIAGNOSED ICD CONDITION CONDITIONS COMORBIDITY COMORBIDITIES HX HISTORY "
    "DIABETES DIABETIC DM HYPERTENSION HYPERTENSIVE HTN CKD ESRD COPD CHF ASTHMA PNEUMONIA INFLUENZA FLU "
    "SEPSIS FRACTURE FRACTURES CANCER CARCINOMA NEOPLASM NEOPLASMS TUMOR TUMORS TUMOUR TUMOURS MALIGNANT "
    "MALIGNANCY DEPRESSION ANXIETY OBESITY INFECTION INFECTIONS DISEASE DISEASES DISORDER DISORDERS SYNDROME "
    "SYNDROMES INJURY INJURIES PAIN HYPERLIPIDEMIA ANEMIA ANAEMIA NEPHROPATHY NEUROPATHY RETINOPATHY "
    "HYPERGLYCEMIA HYPERGLYCAEMIA HYPOGLYCEMIA HYPOGLYCAEMIA SYMPTOM SYMPTOMS PREGNANT PREGNANCY GASTRITIS "
    "ARTHRITIS STROKE").split()} | {word: _SERVICE for word in (
    "HCPCS DRUG DRUGS MEDICATION MEDICATIONS INJECT INJECTION INJECTIONS INJECTED INJECTABLE INFUSION "
    "INFUSIONS INFUSED VACCINE VACCINES VACCINATION DOSE DOSES DOSAGE MG MGS MCG ML MLS UNIT UNITS VIAL VIALS NDC "
    "SUPPLY SUPPLIES DME DMEPOS EQUIPMENT WHEELCHAIR WHEELCHAIRS ORTHOTIC ORTHOTICS ORTHOSIS PROSTHESIS "
    "PROSTHETIC PROSTHETICS BRACE BRACES AMBULANCE ADMINISTERED ADMIN WASTE WASTED WASTAGE RENTAL JW JZ AWV "
    "WELLNESS IPPE VISIT VISITS SERVICE SERVICES PROCEDURE PROCEDURES PAY PAYS PAID PAYMENT REIMBURSE "
    "REIMBURSED REIMBURSEMENT COVERAGE COVERED FEE FEES RVU RVUS NCCI MUE MUES BUNDLED").split()}
# two words: "pt has", "patient with" (a diagnosis); "level II", "J codes" (HCPCS)
_NEAR_PAIRS = {(first, second): _DIAGNOSIS for first in ("PT", "PATIENT") for second in ("HAS", "HAD", "WITH")} | {
    ("LEVEL", "II"): _SERVICE, ("J", "CODE"): _SERVICE, ("J", "CODES"): _SERVICE}
_PAIR_STARTS = frozenset(first for first, _ in _NEAR_PAIRS)
_UNITS_AFTER = re.compile(r"\s?X\s?[0-9]")  # "J1100 x 4"

NUMERIC_MODIFIERS = frozenset(
    "22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79 80 81 82 "
    "90 91 92 93 95 96 97 99".split())
# Letter modifiers that are rarely anything else in a coder's email: they count in a sentence about codes
_STRONG_MODIFIERS = frozenset(
    "XE XP XS XU GY GZ GX GQ GW GV GP GN GO JW JZ JG JB KX KH KI KJ KR QW QK QX QY QZ QM QN QS CQ FQ SG NU "
    "P1 P2 P3 P4 P5 P6 Q5 Q6 1P 2P 3P 8P".split())
# Modifiers that are also common abbreviations (respiratory therapy, total cholesterol, gestational age,
# G-tube, GE junction, peritoneal dialysis, upper extremity ...): they need more than a code nearby
_SIDED_MODIFIERS = frozenset(
    "LT RT TC GA GT GC GE PD PN TA LC LD LM RC RR UE FA F1 F2 F3 F4 F5 F6 F7 F8 F9 E1 E2 E3 E4".split())
_LETTER_MODIFIERS = _STRONG_MODIFIERS | _SIDED_MODIFIERS
_WORDS = frozenset(
    "AM AN AS AT BE BY DO GO HE HI IF IN IS IT ME MY NO OF OH OK ON OR SO TO UP US WE VS".split())
_ABBREVIATIONS = frozenset(
    "CT MR ER ED OR IV IM SQ SC HR BP DX TX RX HX SX NP PA MD DO RN MA GI GU OB CC DC PM AM OD OS OU US ID "
    "OK TV PC IT HB EF PE PT OT ST".split())

_UNIT_WORDS = (
    r"UNITS?|MGS?|MCG|UG|MLS?|CC|GM|GRAMS?|KG|LBS?|POUNDS?|OZ|IU|MEQ|MMOL|TABS?|TABLETS?|CAPSULES?|VIALS?|"
    r"DOSES?|MINUTES?|MINS?|HOURS?|HRS?|DAYS?|WEEKS?|MONTHS?|YEARS?|YRS?|MILES?|KM|STEPS?|FEET|FT|INCHES|"
    r"PATIENTS?|PEOPLE|PERSONS?|MEMBERS|BENEFICIARIES|EMPLOYEES|PERCENT|KCAL|CALORIES")
_QUANTITY_AFTER = re.compile(rf"\s*(?:(?:{_UNIT_WORDS}|DOLLARS?|USD|CENTS?|BUCKS|EUROS?|EUR)(?!\w)|%)")
_MONEY_SIGNS = ("$", "USD", "EUR", "€", "£")
_CODE_LABEL_BEFORE = re.compile(r"\b(?:CPT|HCPCS|CODES?|PROCEDURES?)\W{0,3}\Z")
_STRONG_LABELS = (
    r"INVOICES?|INV|ACCTS?|ACCOUNTS?|CLAIMS?|MEMBERS?|POLICY|POLICIES|GROUPS?|GRP|NPIS?|TIN|EIN|SSN|TAX\s*IDS?|"
    r"MRNS?|MR|MEDICAL\s+RECORDS?|FIN|CSN|HAR|CHART|TICKETS?|REF|REFERENCE|CONFIRMATION|CONF|TRACKING|"
    r"AUTH|AUTHORIZATIONS?|PO|BOX|SUITE|STE|APT|APARTMENT|ROOM|RM|FLOOR|BLDG|BUILDING|EXT|EXTENSION|"
    r"VERSION|VER|BUILD|RELEASE|REV|REVISION|PAGES?|PG|"
    r"NDC|UPC|LOT|BATCH|SERIAL|SN|MODEL|ICN|DCN|TCN|PTAN|MBI|HICN|SUBSCRIBER|DEA|CLIA|IDS?|"
    r"REMARK(?:\s+CODES?)?|RARCS?|CARCS?|REASON\s+CODES?|(?:REFUND|PAPER|BANK)\s+CHECKS?")
_WEAK_LABELS = (
    r"CASE|ORDER|CHECK|CHEQUE|LINE|ITEM|VISIT|PATIENT|RECORD|CONTROL|DOCUMENT|DOC|TRACE|TRANSACTION|REQUEST|"
    r"FILE|RECEIPT|STATEMENT|APPEAL|ENCOUNTER|TEL|TELEPHONE|PHONE|PH|FAX|CELL|MOBILE|PAGER|ROUTING|UNIT|TAX")
_QUALIFIER = r"\#|NO\.?|NUMBERS?|NUM|NBR|IDS?"
_LIST_SO_FAR = r"(?:\w*[0-9][\w-]*\s*(?:,|/|&|\bAND\b|\bOR\b)\s*)*"  # "claims 12345, 12346 and "
_LABEL_BEFORE = re.compile(
    rf"\b(?:(?:{_STRONG_LABELS})\b|(?:{_WEAK_LABELS})\s*(?=\#|NO\b|NUM|NBR|ID))"
    rf"(?:[\s:=]*(?:{_QUALIFIER}|IS\b|WAS\b|OF\b))*[\s:=.#]*"
    rf"{_LIST_SO_FAR}\Z")
# one of these words (or "#") is in the window when a label precedes a number: a weak label needs a qualifier
_LABEL_WORDS = frozenset(
    variant for word in _WORD.findall(_STRONG_LABELS + "|NO|NUMBERS|NUM|NBR|IDS") if word not in ("MEDICAL", "CODES")
    for variant in (word, word.removesuffix("S")))
_KEYWORD = re.compile(r"\bmod(?:ifier)?s?\b(?:\(s\))?\.?", re.IGNORECASE)
_CONTEXT_KEYWORD = re.compile(r"\b(?:mod(?:ifier)?s?|append(?:s|ed|ing)?|ABN)\b", re.IGNORECASE)
# every two-character token in capitals or digits, the shape of a modifier written outside a "modifier" list
_PAIR = re.compile(r"(?<![\w.])[0-9A-Z]{2}(?![\w%]|\.\w)")
_ITEM_AFTER = re.compile(
    rf"[\s:#(]*[-\u2013]?([0-9A-Z]{{2}})(?![\w]|\.\w|%|[{_DASH}]\w|{_QUANTITY_AFTER.pattern})")
_SEPARATOR = re.compile(r"(?:\s*(?:,|/|&|\+|\bAND/OR\b|\bAND\b|\bOR\b|\bVS\b\.?|\bVERSUS\b|\bPLUS\b|\bNOR\b))+")
_ITEM_BEFORE_KEYWORD = re.compile(r"(?<![\w.])[-\u2013]?([0-9A-Z]{2})\s*\Z")
_ITEM_BEFORE = re.compile(r"(?<![\w.])[-\u2013]?([0-9A-Z]{2})\s*(?:,|/|&|\bAND\b|\bOR\b|\bVS\b\.?)\s*\Z")
_VERB_BEFORE = re.compile(r"\b(?:USE|USING|APPEND(?:ED|ING)?|ADD(?:ED|ING)?|ATTACH(?:ED)?|APPLY)\s+\Z")
_WORD_BEFORE_NUMBER = re.compile(
    r"\b(?:USE|USING|APPEND(?:ED|ING)?|ADD(?:ED|ING)?|ATTACH(?:ED)?|APPLY|CARRY|CARRIES|WITH|AND|OR|VS\.?|"
    r"VERSUS|NOT|NO|NEEDS?|NEEDED|GETS?|REQUIRES?|REQUIRED|ANY|A|AN|THE)\s+\Z")
# a number standing for a modifier is followed by punctuation or by one of these words, never by a noun
_MODIFIER_FOLLOWS = re.compile(
    r"\s*(?:$|[.,;:?!)\]/\u2014\u2013]|\s-\s|(?:ON|TO|FOR|WITH|OR|AND|INSTEAD|HERE|THERE|MODIFIERS?|MODS?|"
    r"APPENDED|NEEDED|REQUIRED|TOO|ALSO|ONLY|APPROPRIATE|CORRECT|OK|VALID|ALLOWED|NECESSARY|APPLIES|APPLY|"
    r"IS|WAS|SHOULD|WOULD|CAN|MUST|WHEN|IF)\b)")
_STATED_BEFORE = re.compile(r"\b(?:IS|ARE|BE|BEEN|WAS|WERE)\s+\Z")
_STATED_AFTER = re.compile(
    r"\s+(?:STILL\s+|NOT\s+|ALSO\s+)?(?:NEEDED|REQUIRED|APPROPRIATE|CORRECT|OK|VALID|ALLOWED|NECESSARY|INSTEAD|"
    r"PAYABLE|BILLABLE)\b")
_ON_CODE = re.compile(r"\s+(?:ON|TO)\s+(?:THE\s+)?")
_OTHER_NUMBERS_BEFORE = re.compile(
    r"\b(?:POS|PLACE\s+OF\s+SERVICE|TYPE\s+OF\s+BILL|TOB|REV(?:ENUE)?\s+CODES?|CONDITION\s+CODES?|VALUE\s+CODES?|"
    r"OCCURRENCE\s+CODES?|LOCALITY|LOCALITIES|(?:MS-)?DRGS?|APCS?|AGES?|AGED|SCORE|STAGE|GRADE|LEVEL|ROOM|PAGE)\b"
    r"[\s:#]*(?:[0-9]{1,4}\s*(?:,|/|&|\bAND\b|\bOR\b|\bVS\b\.?|\bVERSUS\b|\bTHROUGH\b|\bTO\b|-)\s*)*\Z")
_DENIAL = re.compile(r"\b(?:RARCS?|REMARKS?|DENI(?:ED|ALS?)|EOBS?|ERAS?|835|CARCS?|(?:CO|PR|OA|PI|CR)-[0-9]{1,3})\b")
_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")

_icd10cm = None
_Reading = tuple[str, str, tuple[tuple[str, str], ...]]  # system, code, the other readings left open


@dataclass(frozen=True)
class Mention:
    system: str
    code: str
    start: int
    end: int | None = None  # where the code as written ends; start + len(code) when not given
    attached_to: str | None = None  # for a modifier written on a code ("99213-25"): that code
    # the other (system, code) readings the text leaves open, most likely first: "J1100" with nothing around it
    # is HCPCS J1100 (dexamethasone) or ICD-10-CM J11.00; () when the reading is settled
    alternatives: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.end is None:
            object.__setattr__(self, "end", self.start + len(self.code))

    def as_dict(self) -> dict:
        found = {"system": self.system, "code": self.code}
        if self.attached_to is not None:
            found["attached_to"] = self.attached_to
        if self.alternatives:
            found["alternatives"] = [{"system": system, "code": code} for system, code in self.alternatives]
        return found


def find_mentions(text: str) -> list[Mention]:
    """Every distinct code and modifier mention, in order of first appearance.

    A range names its two ends and not the codes between them: "99202-99205" and "99202-05" give 99202 and
    99205. A modifier is reported once per code it is written on (`attached_to`), and unattached only when
    it is written on no code."""
    scan = _Scan(text)
    codes = scan.codes()
    return _distinct(codes + scan.modifiers(codes))


def is_icd10cm_code(dotted: str) -> bool:
    """A real ICD-10-CM code or category (loads the packaged code list on first use)."""
    global _icd10cm
    if _icd10cm is None:
        # the package reads its data with importlib.resources' legacy API, deprecated since 3.11
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import simple_icd_10_cm

        _icd10cm = simple_icd_10_cm
    return _icd10cm.is_valid_item(dotted)


class _Scan:
    """One text: its code mentions first, then the modifiers around them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.upper = _ascii_upper(text)
        self._sentence_ends: list[int] | None = None
        self._sentence_facts: dict[int, tuple[bool, bool]] = {}

    # --- codes ------------------------------------------------------------------------------------------------

    def codes(self) -> list[Mention]:
        found: list[Mention] = []
        self._zips: set[str] = set()
        self._unheard: set[int] = set()  # where such a token has no word next to it that says which it is
        for match in _TOKEN.finditer(self.upper):
            start, end = match.span()
            if start >= 2 and self.upper[start - 1] in _DASHES and self.upper[start - 2].isalnum():
                continue  # the right side of "99202-99205" or "T12-L1": its left side decides
            found.extend(self._code_at(start, end))
        # a number the text shows to be a ZIP code is one everywhere in it ("ZIP 60601 ... Chicago IL 60601")
        found = [m for m in found if not (m.system == CPT and m.code in self._zips)]
        return self._still_open(found) if any(m.alternatives for m in found) else found

    def _still_open(self, found: list[Mention]) -> list[Mention]:
        """A token the text settles in one place is settled everywhere ("J1100 ... 4 units of J1100"); one with
        no word next to it may be settled by its company."""
        settled: dict[str, tuple[str, str]] = {}
        for m in found:
            written = self.upper[m.start : m.end]
            if not m.alternatives and shapes.HCPCS.fullmatch(written):
                settled.setdefault(written, (m.system, m.code))
        found = [Mention(*settled[written], m.start, m.end, m.attached_to)
                 if m.alternatives and (written := self.upper[m.start : m.end]) in settled else m for m in found]
        return [self._in_company(m, found) if m.start in self._unheard else m for m in found]

    def _in_company(self, mention: Mention, found: list[Mention]) -> Mention:
        """Still open and no word next to it: listed with ICD-10-CM codes only, two or more, in its sentence
        ("I10, E1122 and N184"), the ICD-10-CM reading comes first; the other stays named."""
        if not mention.alternatives:
            return mention
        first, last = self._sentence(mention.start)
        company = [m.system for m in found if first <= m.start < last and m is not mention
                   and m.system != MODIFIER and not m.alternatives]
        if len(company) < 2 or set(company) != {ICD10CM} or mention.system == ICD10CM:
            return mention
        (system, code), *others = mention.alternatives
        return Mention(system, code, mention.start, mention.end, mention.attached_to,
                       ((mention.system, mention.code), *others))

    def _code_at(self, start: int, end: int) -> list[Mention]:
        if self._glued(start, end):
            return []
        token = self.upper[start:end]
        units = _WITH_UNITS.fullmatch(token) if "X" in token else None
        if units:
            token, end = units.group(1), start + len(units.group(1))
        classified = self._classify(token, start)
        if classified is None:
            return []
        if "." not in token and (reason := self._other_number(token, start, end)):
            if reason == "zip":
                self._zips.add(token)
            return []
        base = Mention(classified[0], classified[1], start, end, alternatives=classified[2])
        joined = _JOINED.match(self.upper, end) if units is None and self.upper[end : end + 1] in _DASHES else None
        if joined is None:
            return [base]
        return self._joined(base, token, joined)

    def _glued(self, start: int, end: int) -> bool:
        """Part of something else that is no code: a group of an IPv6 address ("2002:a17:902::"), a host name
        ("p25-mail.example.jp"), or, in lower case, a base64 or URL run ("YB+d43+BK8k", "id=a17")."""
        text = self.text
        before, after = text[start - 1 : start] if start else "", text[end : end + 1]
        if before not in _GLUE_BEFORE and after not in _GLUE_AFTER:
            return False
        if ":" in (before, after) and _HEX.issuperset(text[start:end]):
            first, last = start, end
            while first and (text[first - 1] in _HEX or text[first - 1] == ":"):
                first -= 1
            while last < len(text) and (text[last] in _HEX or text[last] == ":"):
                last += 1
            if text.count(":", first, last) >= 2:
                return True
        if after in ("-", ".") and _HOST_AFTER.match(text, end):
            return True
        if text[start:end] == self.upper[start:end]:
            return False  # no lower-case letter in it
        return bool((before in _RUN_BEFORE and text[start - 2 : start - 1].isalnum())
                    or (after in _RUN_AFTER and text[end + 1 : end + 2].isalnum()))

    def _classify(self, token: str, start: int) -> _Reading | None:
        raw = self.text[start : start + len(token)]
        if "." in token:
            return (ICD10CM, token, ()) if shapes.icd_prose_shaped(token) else None
        if shapes.CPT.fullmatch(token):
            if raw[-1] in _CPT_LOWER_UNITS and raw[0] != "0":
                return None  # "1500m", "5000u"
            return CPT, token, ()
        if shapes.HCPCS.fullmatch(token):
            return self._hcpcs_or_icd(token, raw, start)
        capitals = raw.isupper()
        if not capitals and _LOWER_CASE_WORD.fullmatch(raw):
            return None  # "x10": times ten; "q12": every twelve hours
        if not shapes.icd_prose_shaped(token):
            return (PCS, token, ()) if capitals and len(token) == 7 and shapes.pcs_shaped(token) else None
        if len(token) == 3:
            return self._category(token, capitals, start)
        real = is_icd10cm_code(_dotted(token))
        if capitals and len(token) == 7 and shapes.pcs_shaped(token) and not real:
            return PCS, token, ()
        return (ICD10CM, _dotted(token), ()) if real else None

    def _category(self, token: str, capitals: bool, start: int) -> _Reading | None:
        """A bare category ("I10", "E11"): in capitals by its shape (a third-place letter only when the code set
        has it: "Z3A", not "H1B"), in lower case only when the code set has it ("i10", not "a10")."""
        if token[0] == shapes.ICD_EMERGENCY or token in _NOT_CATEGORIES:
            return None  # U codes need their dot; N95 mask, X12 EDI, vitamin B12, spine levels T10-T12
        if token[0] in "MN" and self._about_a_denial(start):
            return None  # remark codes N30, M86 look like categories
        if (not capitals or not token[2].isdigit()) and not is_icd10cm_code(token):
            return None
        return ICD10CM, token, ()

    def _hcpcs_or_icd(self, token: str, raw: str, start: int) -> _Reading | None:
        """A letter and four digits. Inside the letter's populated HCPCS range it is HCPCS unless ICD-10-CM
        also has it without its dot; then the words next to it settle which (diagnosis words: ICD-10-CM; drug,
        supply, unit and service words: HCPCS), and when they do not, both readings are kept, HCPCS first (the
        nearer kind first when there are both). Outside the range a real dotless ICD-10-CM code wins ("R0789"
        -> R07.89, "K2970" -> K29.70)."""
        hcpcs = (HCPCS, token)
        icd = (ICD10CM, _dotted(token))
        if shapes.hcpcs_populated(token) and not raw.startswith("v"):  # "v2020" is a version
            diagnosis, service = self._near(start)
            if service is not None and diagnosis is None:
                return *hcpcs, ()
            if not shapes.icd_prose_shaped(token) or not is_icd10cm_code(icd[1]):
                return *hcpcs, ()
            if diagnosis is not None and service is None:
                return *icd, ()
            if diagnosis is not None and diagnosis < service:
                return *icd, (hcpcs,)
            if diagnosis is None:
                self._unheard.add(start)
            return *hcpcs, (icd,)
        if shapes.icd_prose_shaped(token) and is_icd10cm_code(icd[1]):
            return *icd, ()
        if token[0] in shapes.HCPCS_RANGES and raw.isupper():
            return *hcpcs, ()
        return None

    def _near(self, start: int) -> tuple[int | None, int | None]:
        """How many words lie between the five-character token at start and the nearest diagnosis word, and
        the nearest drug, supply or service word, in its sentence; None for a kind not within reach (40
        characters before it, 30 after)."""
        end = start + 5
        first, last = self._sentence(start)
        before = _WORD.findall(self.upper, max(first, start - _NEAR_BEFORE), start)
        after = _WORD.findall(self.upper, end, min(last, end + _NEAR_AFTER))
        nearest: dict[str, int] = {_SERVICE: 0} if _UNITS_AFTER.match(self.upper, end) else {}
        if _NEAR_WORDS.keys().isdisjoint(before) and _NEAR_WORDS.keys().isdisjoint(after) and not (
                _PAIR_STARTS.intersection(before) or _PAIR_STARTS.intersection(after)):
            return None, nearest.get(_SERVICE)
        for words, order in ((before, range(len(before) - 1, -1, -1)), (after, range(len(after)))):
            for distance, index in enumerate(order):
                kind = _NEAR_WORDS.get(words[index]) or _NEAR_PAIRS.get((words[index - 1] if index else "",
                                                                         words[index]))
                if kind is not None and distance < nearest.get(kind, distance + 1):
                    nearest[kind] = distance
        return nearest.get(_DIAGNOSIS), nearest.get(_SERVICE)

    def _other_number(self, token: str, start: int, end: int) -> str | None:
        """Why a code-shaped token is some other number: "zip", "label" (invoice, account, claim, ...),
        "money", "address" or "quantity"; None when it is a code.

        The label pattern ends where the token starts, so a search tries it from every position of the
        window; it is searched only when a word it needs is there."""
        window = max(0, start - 40)
        words = _WORD.findall(self.upper, window, start)[-3:]  # a label is among the last three words
        if len(token) == 5 and token.isdigit() and (
                (not ZIP_HINTS.isdisjoint(words) and zip_label_or_place_before(self.text, start))
                or plus_four_after(self.text, end)):
            return "zip"
        if (not _LABEL_WORDS.isdisjoint(words) or "#" in self.upper[window:start]) and _LABEL_BEFORE.search(
                self.upper, window, start):
            return "label"
        if not token.isdigit():
            return None
        if self.upper[max(0, start - 5) : start].rstrip().endswith(_MONEY_SIGNS):
            return "money"
        if street_number_at(self.text, end):
            return "address"
        if _QUANTITY_AFTER.match(self.upper, end) and not _CODE_LABEL_BEFORE.search(
                self.upper, max(0, start - 20), start):
            return "quantity"
        return None

    def _joined(self, base: Mention, token: str, joined: re.Match) -> list[Mention]:
        """What follows a hyphen: modifiers, the other end of a range, or something that makes it no code."""
        chunk = joined.group(1)
        other = self._classify(chunk, joined.start(1)) if len(chunk) > 2 else None
        if other is not None and other[0] == base.system:
            return [base, Mention(other[0], other[1], joined.start(1), joined.end(1), alternatives=other[2])]
        if len(chunk) != 2:
            return []  # "10001-1234" (ZIP+4), "00409-4888-02" (NDC)
        if base.system not in (CPT, HCPCS):
            return []  # "T12-L1": spine levels
        if chunk.isdigit() and chunk not in NUMERIC_MODIFIERS:
            if token.isdigit() and len(token) == 5 and chunk > token[3:]:
                return [base, Mention(CPT, token[:3] + chunk, joined.start(1), joined.end(1))]  # "99202-05"
            return [base]
        found = [base]
        match: re.Match | None = joined
        while match is not None:
            modifier = match.group(1)
            if modifier.isdigit() and modifier not in NUMERIC_MODIFIERS:
                break
            found.append(Mention(MODIFIER, modifier, match.start(1), match.end(1), base.code))
            match = _CHAINED.match(self.upper, match.end())
        return found

    # --- modifiers --------------------------------------------------------------------------------------------

    def modifiers(self, codes: list[Mention]) -> list[Mention]:
        """Modifiers not written on a code with a hyphen (those come with their code), rule by rule."""
        attached = [m for m in codes if m.system == MODIFIER]
        written_on = [m for m in codes if m.system in (CPT, HCPCS)]
        self._code_starts = sorted(m.start for m in written_on)
        self._code_ends = {m.end: m.code for m in written_on}
        self._taken = sorted(m.start for m in attached)
        self._found: list[Mention] = []
        if "MOD" in self.upper:
            for keyword in _KEYWORD.finditer(self.text):  # "modifiers 25 and 59", "the 59 modifier"
                for start in self._listed_after(keyword.end()) + self._listed_before(keyword.start()):
                    self._add(start)
        pairs = [match.start() for match in _PAIR.finditer(self.text)]
        hyphened = [start for start in pairs if self._hyphened(start)]
        for start in sorted(hyphened, key=lambda s: self.upper[s].isdigit()):  # "-XS vs -59": letters first
            if self._hyphened_counts(self.upper[start : start + 2], start):
                self._add(start)
        alone = [start for start in pairs if start not in hyphened]
        for letters in (_STRONG_MODIFIERS, _SIDED_MODIFIERS):  # "XS" near a code; "RT" when more is said
            for start in alone:
                token = self.text[start : start + 2]
                if token in letters and self.upper[start + 2 : start + 3] not in _DASHES and self._letters_count(
                        token, start):
                    self._add(start)
        for start in alone:  # "use 59", "need a 25?", "is 50 needed", "99213 25 —", "25 on 99291"
            if self._said_alone(self.upper[start : start + 2], start):
                self._add(start)
        pending = list(self._taken)
        while pending:  # the rest of a list: "PT or 33", "RT and LT", "99213-25 or 59"
            for neighbour in self._neighbours(pending.pop()):
                if not self._is_taken(neighbour):
                    self._add(neighbour)
                    pending.append(neighbour)
        return attached + self._found

    def _is_taken(self, start: int) -> bool:
        index = bisect.bisect_left(self._taken, start)
        return index < len(self._taken) and self._taken[index] == start

    def _add(self, start: int) -> None:
        if not self._is_taken(start):
            bisect.insort(self._taken, start)
            self._found.append(Mention(MODIFIER, self.upper[start : start + 2], start, start + 2,
                                       self._code_just_before(start)))

    def _code_just_before(self, start: int) -> str | None:
        """The code a modifier is written on with a space or " -" between ("97110 GP", "99213 -25")."""
        for gap in range(1, 4):
            code = self._code_ends.get(start - gap)
            if code is not None and not self.text[start - gap : start].rstrip(_DASHES).strip(" \t"):
                return code
        return None

    def _hyphened(self, start: int) -> bool:
        """Standing alone with a hyphen: " -25", "(-XS"."""
        return (start >= 1 and self.upper[start - 1] in "-\u2013"
                and (start == 1 or self.upper[start - 2] in " \t\r\n([/,"))

    def _acceptable(self, start: int, strict: bool = False) -> bool:
        """Two characters that may be a modifier where one is expected. Strict (an item of a list found
        without the word "modifier"): not a common abbreviation such as CT, ER, IV or PA."""
        raw, token = self.text[start : start + 2], self.upper[start : start + 2]
        if token.isdigit():
            return token in NUMERIC_MODIFIERS
        if not raw.isupper():
            return token in _LETTER_MODIFIERS and token not in _WORDS  # "modifier xs", not "modifier pt"
        if strict and token in _ABBREVIATIONS:
            return False
        return token not in _WORDS or not self._shouting(start)

    def _listed_after(self, position: int, first: bool = True, strict: bool = False, most: int = 99) -> list[int]:
        """Items after a keyword (the first may follow a space) or after an item (each after ",", "or", ...)."""
        starts: list[int] = []
        while len(starts) < most:
            if not first:
                separator = _SEPARATOR.match(self.upper, position)
                if separator is None:
                    return starts
                position = separator.end()
            item = _ITEM_AFTER.match(self.upper, position)
            if item is None or not self._acceptable(item.start(1), strict):
                return starts
            starts.append(item.start(1))
            position, first = item.end(), False
        return starts

    def _listed_before(self, position: int, first: bool = True, strict: bool = False, most: int = 99) -> list[int]:
        starts: list[int] = []
        while len(starts) < most:
            pattern = _ITEM_BEFORE_KEYWORD if first else _ITEM_BEFORE
            item = pattern.search(self.upper, max(0, position - 20), position)
            if item is None or not self._acceptable(item.start(1), strict):
                return starts
            starts.append(item.start(1))
            position, first = item.start(), False
        return starts

    def _neighbours(self, start: int) -> list[int]:
        before = start - 1 if start and self.upper[start - 1] in _DASHES else start  # "-AS or -80"
        return (self._listed_after(start + 2, first=False, strict=True, most=1)
                + self._listed_before(before, first=False, strict=True, most=1))

    def _hyphened_counts(self, token: str, start: int) -> bool:
        if token in _LETTER_MODIFIERS and self.text[start : start + 2].isupper():
            return True
        if token.isdigit():
            return token in NUMERIC_MODIFIERS and self._in_context(start)
        return self._acceptable(start, strict=True) and self._names_modifiers(start)

    def _letters_count(self, token: str, start: int) -> bool:
        if self._is_taken(start) or (token in _WORDS and self._shouting(start)):
            return False
        if state_of_an_address(self.text, start, start + 2):
            return False  # "Atlanta, GA 30303"
        if _VERB_BEFORE.search(self.upper, max(0, start - 12), start):
            return True  # "use XS", "append RT"
        if token in _STRONG_MODIFIERS:
            return self._in_context(start)
        # RT, TC, GA, GT, PD ... are also respiratory therapy, total cholesterol, gestational age, G-tube, ...
        on_code = _ON_CODE.match(self.upper, start + 2)
        return (self._names_modifiers(start) or self._code_just_before(start) is not None
                or (on_code is not None and self._starts_code(on_code.end())) or self._paired(start)
                or self._stated(start))

    def _paired(self, start: int) -> bool:
        """Listed with another modifier-looking token: "RT and LT", "TC and 26"."""
        def modifier_like(item: re.Match | None) -> bool:
            token = self.text[item.start(1) : item.end(1)] if item else ""
            return token in NUMERIC_MODIFIERS or token in _LETTER_MODIFIERS

        separator = _SEPARATOR.match(self.upper, start + 2)
        after = _ITEM_AFTER.match(self.upper, separator.end()) if separator else None
        return modifier_like(after) or modifier_like(_ITEM_BEFORE.search(self.upper, max(0, start - 20), start))

    def _stated(self, start: int) -> bool:
        """ "is 50 needed", "is LT required" """
        return bool(_STATED_BEFORE.search(self.upper, max(0, start - 6), start)
                    and _STATED_AFTER.match(self.upper, start + 2))

    def _said_alone(self, token: str, start: int) -> bool:
        """A numeric modifier standing alone ("use 59", "need a 25?", "is 50 needed", "99213 25 -",
        "25 on 99291") or a letter modifier in "is LT needed"."""
        if self._is_taken(start):
            return False
        if not token.isdigit():
            return token in _LETTER_MODIFIERS and self.text[start : start + 2].isupper() and self._stated(
                start) and self._in_context(start)
        if token not in NUMERIC_MODIFIERS or _OTHER_NUMBERS_BEFORE.search(self.upper, max(0, start - 40), start):
            return False  # "place of service 19 vs 22", "ages 50 and 65": numbers of other kinds
        follows = _MODIFIER_FOLLOWS.match(self.upper, start + 2) is not None
        if follows and self.upper[start - 1 : start] in (" ", "\t") and (start - 1) in self._code_ends:
            return True  # "99213 25 - is a space OK?"
        on_code = _ON_CODE.match(self.upper, start + 2)
        if on_code and self._starts_code(on_code.end()) and self.upper[start - 1 : start] not in ("$", "#", "-"):
            return True  # "25 on 99291"
        spoken = follows and _WORD_BEFORE_NUMBER.search(self.upper, max(0, start - 12), start)
        return bool((spoken or self._stated(start)) and self._in_context(start))

    def _starts_code(self, position: int) -> bool:
        index = bisect.bisect_left(self._code_starts, position)
        return index < len(self._code_starts) and self._code_starts[index] == position

    # --- sentences --------------------------------------------------------------------------------------------

    def _sentence(self, position: int) -> tuple[int, int]:
        if self._sentence_ends is None:
            self._sentence_ends = [m.end() for m in _SENTENCE_END.finditer(self.text)]
        ends = self._sentence_ends
        index = bisect.bisect_right(ends, position)
        return (ends[index - 1] if index else 0), (ends[index] if index < len(ends) else len(self.text))

    def _facts(self, start: int, end: int) -> tuple[bool, bool]:
        """(says "modifier"/"append"/"ABN", written in capitals) for the sentence starting at start."""
        if start not in self._sentence_facts:
            sentence = self.text[start:end]
            letters = sum(map(str.isalpha, sentence))
            shouting = letters >= 12 and sum(map(str.islower, sentence)) < letters / 4
            self._sentence_facts[start] = (bool(_CONTEXT_KEYWORD.search(self.text, start, end)), shouting)
        return self._sentence_facts[start]

    def _names_modifiers(self, position: int) -> bool:
        """The sentence says "modifier"/"append"/"ABN" or already has another modifier in it."""
        start, end = self._sentence(position)
        if self._facts(start, end)[0]:
            return True
        others = bisect.bisect_left(self._taken, end) - bisect.bisect_left(self._taken, start)
        return others > (1 if self._is_taken(position) else 0)

    def _in_context(self, position: int) -> bool:
        """The sentence names modifiers, or it or the one before it names a code."""
        start, end = self._sentence(position)
        before = self._sentence(start - 1)[0] if start else start
        codes = bisect.bisect_left(self._code_starts, end) - bisect.bisect_left(self._code_starts, before)
        return codes > 0 or self._names_modifiers(position)

    def _about_a_denial(self, position: int) -> bool:
        start, end = self._sentence(position)
        return bool(_DENIAL.search(self.upper, start, end))

    def _shouting(self, position: int) -> bool:
        return self._facts(*self._sentence(position))[1]


def _ascii_upper(text: str) -> str:
    """ASCII letters in capitals, every other character as it is: str.upper() turns "ß" into "SS" and would
    shift every position after it. Runs of ASCII go through str.upper(), much faster than str.translate()."""
    if text.isascii():
        return text.upper()
    parts, last = [], 0
    for match in _NON_ASCII.finditer(text):
        parts += (text[last : match.start()].upper(), match.group())
        last = match.end()
    parts.append(text[last:].upper())
    return "".join(parts)


def _dotted(token: str) -> str:
    return token[:3] + "." + token[3:] if len(token) > 3 else token


def _distinct(mentions: list[Mention]) -> list[Mention]:
    """First appearance of each code; each modifier once per code it is attached to, and once unattached
    only when it is attached nowhere."""
    seen: dict[tuple, Mention] = {}
    for mention in sorted(mentions, key=lambda m: m.start):
        key = (mention.system, mention.code, mention.attached_to if mention.system == MODIFIER else None)
        seen.setdefault(key, mention)
    attached = {m.code for m in seen.values() if m.system == MODIFIER and m.attached_to is not None}
    return [m for m in seen.values() if not (m.system == MODIFIER and m.attached_to is None and m.code in attached)]
