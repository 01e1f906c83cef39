"""Find code-shaped tokens in free text: ICD-10-CM, CPT, HCPCS Level II."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

# ICD-10-CM: letter, two digits (third may be A/B), then a dot and 1-4 characters; or the bare
# 3-character category. Without a dot only 3 characters are accepted: "J4590" is too ambiguous.
# Not followed by a letter/digit, "-letter/digit" (spine levels "T12-L1", ranges) or ".digit"; a bare
# trailing "-" is the Index's "more characters needed" ("M54.5-") and still names the code.
_ICD10CM = re.compile(r"(?<![\w.-])([A-TV-Z][0-9][0-9AB](?:\.[0-9A-Z]{1,4})?|U0[0-9]\.[0-9A-Z]{1,4})(?!\w|-\w|\.\w)")
_END = r"(?=$|[^\w.-]|-[0-9A-Z]{2}(?!\w)|\.(?!\w))"
_CPT = re.compile(r"(?<![\w.-])([0-9]{4}[0-9FTU])" + _END)
_HCPCS = re.compile(r"(?<![\w.-])([A-CEGHJ-MP-V][0-9]{4})" + _END)
# ASCII letters only: str.upper() turns "ß" into "SS" and would shift every position after it
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


@dataclass(frozen=True)
class Mention:
    system: str
    code: str
    start: int

    def as_dict(self) -> dict:
        return {"system": self.system, "code": self.code}


def find_mentions(text: str) -> list[Mention]:
    """Every distinct code mention, in order of first appearance."""
    upper = text.translate(_ASCII_UPPER)
    found: dict[tuple[str, str], Mention] = {}
    spans: list[tuple[int, int]] = []
    for system, pattern in (("hcpcs", _HCPCS), ("cpt", _CPT), ("icd10cm", _ICD10CM)):
        for match in pattern.finditer(upper):
            if any(s <= match.start() < e for s, e in spans):
                continue
            if system == "icd10cm" and not _looks_like_icd(match.group(1), text, match.start()):
                continue
            spans.append(match.span())
            key = (system, match.group(1))
            found.setdefault(key, Mention(system, match.group(1), match.start()))
    return sorted(found.values(), key=lambda m: m.start)


def _looks_like_icd(code: str, original: str, start: int) -> bool:
    """A bare 3-character token must be written in capitals to count ("I10", not "a10")."""
    if "." in code:
        return True
    return original[start : start + len(code)].isupper()
