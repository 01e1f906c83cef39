"""How an entry typed by a coder ("K760", "J1100", "99213", "K70-K77") can be read: the (system, code)
pairs its shape allows, most likely first. Shared by `codes show` and `codes check`; finding codes in
prose is mentions.py's job."""

from __future__ import annotations

import re

ICD = "icd10cm"

ICD_DOTTED = re.compile(r"[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{0,4}")
ICD_BLOCK = re.compile(r"[A-Z][0-9][0-9A-Z]-[A-Z][0-9][0-9A-Z]")
ICD_BARE = re.compile(r"[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}")
CPT = re.compile(r"[0-9]{4}[0-9FMTU]")
HCPCS = re.compile(r"[A-Z][0-9]{4}")
PCS = re.compile(r"[0-9A-HJ-NP-Z]{7}")
PCS_SECTIONS = frozenset("0123456789BCDFGHX")
MODIFIER = re.compile(r"[0-9A-Z]{2}")


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
