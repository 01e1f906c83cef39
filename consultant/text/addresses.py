"""Street addresses and ZIP codes written in prose, found by their shape and the words around them.

One recogniser for two jobs: the PHI screen (consult/screen/phi.py) holds a question that shows an address or
a ZIP code, and code mentions (codes/mentions.py) do not read a street number or a ZIP code as a CPT code.
It imports nothing above it, so codes/ may use it.

- street: a number (1-6 digits, an optional letter), an optional direction (N, W., North ...), 1-3 capitalised
  words or ordinals ("Oak", "78th") and a street suffix (St, Street, Ave, Rd, Blvd, Ln, Dr, Way, Ct, ...),
  with an apartment or suite after it; and "PO Box 4471".
- ZIP: five digits (ZIP+4) after a ZIP label ("ZIP", "zip code is", "postal code", "ZIP codes 10001, 10002
  and 10003": each of the list), after "City, ST" (the city in capitals too: "DALLAS, TX"), after a state
  abbreviation that is rarely anything else ("NY 10001") or a state name ("Texas 75201"). A bare five-digit
  number is not a ZIP code: it is CPT-shaped ("Is 10021 the FNA code?").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from consultant.us_states import PLAIN_STATES, STATE_NAMES, STATES

SUFFIXES = (r"St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Pkwy|Parkway|"
            r"Hwy|Highway|Cir|Circle|Ter|Terrace|Trl|Trail|Sq|Square")
# what follows the number of a street address: "10001 Oak Street", "2201 West 78th St", "55 N Maple Dr"
_STREET = (rf"\s+(?:[NSEW]\.?\s+|North\s+|South\s+|East\s+|West\s+)?"
           rf"(?:(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))\.?\s+){{1,3}}(?:{SUFFIXES})\b")
_STREET_AFTER = re.compile(_STREET)
_ADDRESS = re.compile(
    rf"(?=[\dP])(?:(?<![\w$#.\-])\d{{1,6}}[A-Z]?{_STREET}\.?"
    rf"(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*#?\s*\w+)?"
    rf"|\bP\.?\s?O\.?\s*Box\s+\d+)")

_LIST_SO_FAR = r"(?:\w*[0-9][\w-]*\s*(?:,|/|&|\b(?i:and|or)\b)\s*)*"  # "ZIP codes 10001, 10002 and "
_ZIP_LABEL = (r"\b(?i:zip(?:\s*\+\s*4)?(?:\s*codes?)?|zipcodes?|postal\s+codes?|postcodes?)\b"
              r"(?:[\s:=]*(?i:\#|no\.?|numbers?|num|nbr|ids?|is\b|was\b|of\b))*[\s:=.#]*")
_ZIP_PLACE = (  # "New York, NY ", "DALLAS, TX ", "NY ", "Texas "
    rf"(?:(?:[A-Z][a-z]+|[A-Z]{{3,}})\.?,\s*(?:{'|'.join(STATES)})|\b(?:{'|'.join(PLAIN_STATES)})"
    rf"|\b(?:{STATE_NAMES}))\.?,?\s+")
_ZIP_NUMBER = r"\d{5}(?:-\d{4})?(?![\w\-]|\.\d)"
_ZIP = re.compile(
    rf"(?=[A-Zzp])(?:{_ZIP_LABEL}(?P<listed>{_LIST_SO_FAR})|{_ZIP_PLACE})(?P<zip>{_ZIP_NUMBER})")
_ZIP_LABEL_BEFORE = re.compile(rf"{_ZIP_LABEL}{_LIST_SO_FAR}\Z")
_ZIP_PLACE_BEFORE = re.compile(rf"{_ZIP_PLACE}\Z")
_LISTED_ZIP = re.compile(rf"(?<![\w\-]){_ZIP_NUMBER}")
_PLUS_FOUR_AFTER = re.compile(r"[\-\u2010\u2011\u2013][0-9]{4}(?![\w]|\.\w)")
_PLACE_WORDS = frozenset(STATES) | frozenset(re.findall(r"[A-Za-z]+", STATE_NAMES))  # the word before a ZIP
# in capitals, one of these is among the last three words before a ZIP code: a caller's quick test
ZIP_HINTS = frozenset(word.upper() for word in _PLACE_WORDS) | frozenset(
    {"ZIP", "ZIPCODE", "ZIPCODES", "POSTAL", "POSTCODE", "POSTCODES"})
_CITY_BEFORE = re.compile(r"[A-Z][a-z]+,\s*\Z")
_ZIP_AFTER = re.compile(r",?\s*\d{5}\b")
_WINDOW = 60


def addresses(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each street address and PO box."""
    for match in _ADDRESS.finditer(text):
        yield match.span()


def zip_codes(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each number the text shows to be a ZIP code, ZIP+4 included; in order."""
    for match in _ZIP.finditer(text):
        if match.group("listed"):
            for listed in _LISTED_ZIP.finditer(text, match.start("listed"), match.end("listed")):
                yield listed.span()
        yield match.span("zip")


def street_number_at(text: str, end: int) -> bool:
    """The number that ends at `end` is followed by a street: "10001 Oak Street", "11000 W 78th St"."""
    return _STREET_AFTER.match(text, end) is not None


def zip_label_or_place_before(text: str, start: int) -> bool:
    """What precedes `start` shows a ZIP code there: a ZIP label (or the list after one), "City, ST", a plain
    state abbreviation or a state name. Cheap when nothing of the kind is near: the patterns are tried only
    when a word they need is there."""
    window = max(0, start - _WINDOW)
    before = text[window:start]
    lowered = before.lower()
    if ("zip" in lowered or "post" in lowered) and _ZIP_LABEL_BEFORE.search(text, window, start):
        return True
    return _last_word(before) in _PLACE_WORDS and _ZIP_PLACE_BEFORE.search(text, window, start) is not None


def plus_four_after(text: str, end: int) -> bool:
    """The five digits that end at `end` carry a ZIP+4 extension: "10001-1234"."""
    return _PLUS_FOUR_AFTER.match(text, end) is not None


def state_of_an_address(text: str, start: int, end: int) -> bool:
    """The two letters at start..end are the state of an address: "Atlanta, GA", "GA 30303"."""
    return bool(_CITY_BEFORE.search(text, max(0, start - 30), start) or _ZIP_AFTER.match(text, end))


def _last_word(before: str) -> str:
    end = len(before.rstrip(" \t\r\n.,"))
    start = end
    while start and before[start - 1].isascii() and before[start - 1].isalpha():
        start -= 1
    return before[start:end]
