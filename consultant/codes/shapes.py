"""What the codes of each code set look like: one table, read by `codes show` and `codes check` for an entry a
coder types ("K760", "J1100", "99213", "K70-K77": `readings`) and by mentions.py for codes in prose.

- ICD-10-CM: a letter, a digit, a digit or letter; then, after a dot, up to four more ("K76.0", "S72.001A",
  "T36.0X1A"). The code set uses only A and B as a third-place letter (C4A, D3A, Z3A), and U only for
  codes CDC assigns for emergencies (U07.1, U09.9).
- CPT: five digits, or four digits and F (Category II), M (administrative multianalyte assays), T (Category
  III) or U (proprietary laboratory analyses).
- HCPCS Level II: a letter and four digits ("J1100", "G0439"); `hcpcs_populated` says whether the number lies
  in a range CMS fills for that letter. D (dental CDT) is not in our catalog.
- ICD-10-PCS: seven characters from 0-9 and the letters but I and O, shaped like one of its sections.
- Modifiers: two characters.
"""

from __future__ import annotations

import re

ICD = "icd10cm"

ICD_CATEGORY = re.compile(r"[A-Z][0-9][0-9A-Z]")
ICD_DOTTED = re.compile(r"[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{0,4}")
ICD_BLOCK = re.compile(r"[A-Z][0-9][0-9A-Z]-[A-Z][0-9][0-9A-Z]")
ICD_BARE = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")
ICD_THIRD_LETTERS = "AB"  # the only letters the code set puts in third place (C4A, C7B, D3A, M1A, Z3A)
ICD_EMERGENCY = "U"  # codes for emergencies (U07.1, U09.9): categories U00-U09 only
CPT_LETTERS = "FMTU"  # Category II, administrative MAAA, Category III, proprietary laboratory analyses
CPT = re.compile(rf"[0-9]{{4}}[0-9{CPT_LETTERS}]")
HCPCS = re.compile(r"[A-Z][0-9]{4}")
PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")
PCS_SECTIONS = frozenset("0123456789BCDFGHX")
MODIFIER = re.compile(r"[0-9A-Z]{2}")

# Populated HCPCS Level II ranges per letter (CMS file, 2025)
HCPCS_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "A": ((21, 9999),), "B": ((4000, 9999),), "C": ((1000, 9999),), "E": ((100, 8099),), "G": ((0, 9999),),
    "H": ((1, 2099),), "J": ((0, 9999),), "K": ((0, 1099),), "L": ((100, 9999),), "M": ((0, 399), (1000, 1499)),
    "P": ((2000, 9999),), "Q": ((0, 9999),), "R": ((70, 76),), "S": ((0, 9999),), "T": ((1000, 5999),),
    "U": ((1, 9),), "V": ((2000, 2999), (5000, 5399)),
}
# ICD-10-PCS sections and what their second (or, for imaging/nuclear/radiation, third) character may be
_PCS_SECOND = {"1": "0", "2": "WY", "3": "0CE", "4": "AB", "5": "A", "6": "A", "7": "W", "8": "CE", "9": "W",
               "F": "01", "G": "Z", "H": "Z"}
_PCS_THIRD = {"B": "012345", "C": "1234567", "D": "012Y"}
_PCS_APPROACH = "03478FX"  # fifth character of a medical and surgical ("0") code


def hcpcs_populated(code: str) -> bool:
    """A letter and four digits inside a range CMS fills for that letter ("J1100": yes; "K2970", "R0789": no)."""
    ranges = HCPCS_RANGES.get(code[:1], ()) if HCPCS.fullmatch(code) else ()
    return any(low <= int(code[1:]) <= high for low, high in ranges)


def icd_prose_shaped(code: str) -> bool:
    """Shaped like a code the code set could hold, upper case, with or without its dot: a third-place letter
    only A or B, U only in U00-U09."""
    if len(code) < 3 or code[2] not in "0123456789" + ICD_THIRD_LETTERS:
        return False
    if code[0] == ICD_EMERGENCY and code[1] != "0":
        return False
    return (ICD_DOTTED if "." in code else ICD_BARE).fullmatch(code) is not None


def pcs_shaped(code: str) -> bool:
    """Seven characters shaped like their ICD-10-PCS section ("0DTJ4ZZ", "5A1955Z", "BW20ZZZ"), with a digit
    and a letter among them: all-digit tokens are left to phone and account numbers."""
    if not PCS.fullmatch(code) or code.isdigit() or code.isalpha():
        return False
    section = code[0]
    if section == "0":
        return code[4] in _PCS_APPROACH
    if section in _PCS_SECOND:
        return code[1] in _PCS_SECOND[section]
    if section in _PCS_THIRD:
        return code[2] in _PCS_THIRD[section]
    return section == "X"


def normalise(system: str, text: str) -> str:
    """Upper case without blanks; ICD-10-CM with its dot ("K760" -> "K76.0") and no trailing "-"/"."."""
    code = "".join(text.split()).upper()
    if system != ICD:
        return code
    code = code.rstrip("-").rstrip(".")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    return code


def readings(text: str, system: str | None = None, *, claim: bool = False) -> list[tuple[str, str]]:
    """The (system, code) pairs the entry could be, most likely first, by shape; [] for no code shape.

    Any catalog entry by default (`codes show`): blocks ("K70-K77") and modifiers too, and a 7-character
    entry is ICD-10-PCS only if it starts with a PCS section. `claim=True` reads codes billed together
    (`codes check`): a trailing "-" is dropped, a dot needs a character after it, no blocks or modifiers,
    and any 7 characters without I or O may be ICD-10-PCS ("S72001A": ICD-10-CM first, then PCS)."""
    raw = "".join(text.split()).upper()
    if system:
        return [(system, normalise(system, raw))]
    if claim:
        raw = raw.rstrip("-")
    if ICD_DOTTED.fullmatch(raw) and not (claim and raw.endswith(".")):
        return [(ICD, normalise(ICD, raw))]
    if not claim and ICD_BLOCK.fullmatch(raw):
        return [(ICD, raw)]
    if CPT.fullmatch(raw):
        return [("cpt", raw)]
    if HCPCS.fullmatch(raw):  # J1100: HCPCS dexamethasone, or ICD-10-CM J11.00 typed without its dot
        return [("hcpcs", raw), (ICD, normalise(ICD, raw))]
    found = []
    if ICD_BARE.fullmatch(raw):
        found.append((ICD, normalise(ICD, raw)))
    if PCS.fullmatch(raw) and (claim or raw[0] in PCS_SECTIONS):  # a letter-led one is ICD-10-CM first
        found.append(("pcs", raw))
    if not found and not claim and MODIFIER.fullmatch(raw):
        found.append(("modifier", raw))
    return found
