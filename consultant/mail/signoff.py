"""The sender's own sign-off and the header lines of a forwarded message: apart from the question.

A sign-off is a short trailing block after a closing ("Thanks,", "Regards,", "Thanks, Dana") or starting
with the sender's own name, whose every line looks like the sender's contact data: a name, a title, a
department, an organisation, a phone, fax, email or web address, a street address, a confidentiality notice.
A line that asks something, names a patient (Pt, DOB, MRN, ...), writes a diagnosis code or speaks in the
first person keeps the whole block in the question. (The rule follows mail-parser-reply's: a closing, then
a few short lines.)

Forwarded header lines are the From/Date/Sent/To/Cc/Subject lines right after a forward marker or an
Outlook header block: they name the correspondents and the date the mail was sent, not a patient."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.mail.quotes import is_forward_marker, starts_history

_CLOSING_WORDS = (
    r"(?:many\s+|with\s+|and\s+)?(?:thanks?|thank\s+you)(?:\s+(?:again|so\s+much|very\s+much|in\s+advance|a\s+lot))?"
    r"(?:\s+for\s+(?:your|the|any)\s+help)?|thx|tia|ty"
    r"|(?:best|kind|warm|warmest|many)?\s*regards|best(?:\s+wishes)?|all\s+the\s+best|cheers|sincerely(?:\s+yours)?"
    r"|yours(?:\s+(?:truly|sincerely))?|respectfully|cordially|take\s+care|appreciate\s+it|much\s+appreciated"
    r"|mit\s+freundlichen\s+grüßen|viele\s+grüße|cordialement|bien\s+à\s+vous|saludos|atentamente|gracias")
_CLOSING = re.compile(rf"^(?i:{_CLOSING_WORDS})[\s,.!:;\-–—]*$")
# "Thanks, Dana" / "Regards - Jane Coder, CPC": the closing and the name on one line
_CLOSING_AND_NAME = re.compile(
    rf"^(?i:{_CLOSING_WORDS})\s*[,\-–—!]\s*[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){{0,2}}(?:\s*,\s*[A-Z]{{2,6}})*\s*$")
_DASH_NAME = re.compile(r"^[\-~–—]\s?[A-Z][\w'\-]*(?:\s+[A-Z][\w.'\-]*){0,2}$")
_DISCLAIMER = re.compile(r"\b(?:confidential\w*|intended\s+(?:only\s+)?for|intended\s+recipient|privileged|disclaimer"
                         r"|notify\s+the\s+sender|delete\s+(?:this|the)\s+(?:e-?mail|message))\b", re.IGNORECASE)
_DEPARTMENT = (r"financial|access|accounts?|business|experience|relations|services|registration|care\s+services"
               r"|safety|advocacy|billing")
_PATIENT_CUE = re.compile(
    rf"\b(?:pt\.?|patient(?!'?s?\s+(?:{_DEPARTMENT})\b)|dob|d\.o\.b\.?|mrn|ssn|dos|medical\s+record|member\s+id"
    rf"|date\s+of\s+(?:birth|service)|chart|mr\.|mrs\.|ms\.)(?!\w)", re.IGNORECASE)
_ICD_CODE = re.compile(r"\b[A-TV-Z]\d[0-9A-Z]\.[0-9A-Z]{1,4}\b")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|me|my|we|we're|our|you|your|please|can|could|would|should|does|do|is)\b")
_CREDENTIALS = re.compile(r"^\s*[,|/\-–—]")  # "Jane Coder, CPC" / "Jane Coder | Coding"
_SIGN_OFF_LINE_WORDS = 12
_SIGN_OFF_LINE_CHARS = 100
_SIGN_OFF_LINES = 10

_FORWARD_HEADER = re.compile(
    r"^(?:>\s?)*\*?(?:From|To|Cc|Bcc|Date|Sent|Subject|Reply-To|Von|An|Kopie|Datum|Gesendet|Betreff|De|À|A|Objet"
    r"|Envoyé|Para|Asunto|Enviado(?: el)?|Fecha)\s?:\*?(?:\s.*)?$")
_HEADER_CONTINUATION = re.compile(r"^(?:>\s?)*[ \t]+\S")
_SUBJECT_HEADER = re.compile(r"^(?:>\s?)*\*?(?:Subject|Betreff|Objet|Asunto)\s?:\*?\s?", re.IGNORECASE)


@dataclass(frozen=True)
class OwnText:
    """What the sender wrote, without their sign-off and the forwarded header lines (kept apart, in order)."""

    text: str
    sign_off: str
    forward_headers: str


def split_own_text(text: str, sender_name: str = "") -> OwnText:
    """Cut the forwarded header lines, then each segment's trailing sign-off (the text before a forward and
    each forwarded message has its own)."""
    lines = text.split("\n")
    headers = forward_header_lines(lines)
    kept: list[str] = []
    sign_offs: list[str] = []
    segment: list[str] = []
    for index, line in enumerate([*lines, None]):
        boundary = line is None or index in headers or _opens_forward(lines, index)
        if boundary:
            body, sign_off = split_sign_off(segment, sender_name)
            kept.extend(body)
            sign_offs.extend(sign_off)
            segment = []
        if line is not None and index not in headers:
            segment.append(line)
    return OwnText("\n".join(kept), "\n".join(sign_offs), "\n".join(lines[i] for i in sorted(headers)))


def forward_header_lines(lines: list[str], markers: bool = False) -> set[int]:
    """Indexes of the header lines of each forwarded (or Outlook-style quoted) message in `lines`; with
    `markers`, the line that opens each block too ("-----Original Message-----", a rule, a forward marker)."""
    found: set[int] = set()
    for index, line in enumerate(lines):
        if _opens_forward(lines, index):
            start = index if _FORWARD_HEADER.match(line.strip()) else index + 1
            found |= _header_block(lines, start)
            if markers:
                found.add(index)
    return found


def _opens_forward(lines: list[str], index: int) -> bool:
    """A forward marker, an Outlook rule or "Original Message" line, or the From line of an Outlook block."""
    if index >= len(lines):
        return False
    stripped = lines[index].strip()
    return is_forward_marker(stripped) or starts_history(lines, index, stripped)


def _header_block(lines: list[str], start: int) -> set[int]:
    index = start
    while index < len(lines) and lines[index].strip() in ("", ">"):  # Apple Mail: a blank line after the marker
        index += 1
    block: set[int] = set()
    while index < len(lines):
        line = lines[index]
        if _FORWARD_HEADER.match(line.strip()) or (block and _HEADER_CONTINUATION.match(line)):
            block.add(index)
            index += 1
        else:
            break
    return block


def is_subject_header(line: str) -> int | None:
    """Where the value of a forwarded or quoted Subject: line starts, or None for any other line."""
    match = _SUBJECT_HEADER.match(line)
    return match.end() if match else None


def split_sign_off(lines: list[str], sender_name: str = "") -> tuple[list[str], list[str]]:
    """(the lines before the trailing sign-off, the sign-off lines); nothing is cut unless every line of
    the block after its closing (or the sender's name) looks like contact data."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = sign_off_start(lines[:end], sender_name)
    if start is None:
        return lines, []
    return lines[:start], lines[start:end]


def sign_off_start(lines: list[str], sender_name: str = "") -> int | None:
    """The index of the line that opens the trailing sign-off of `lines` (no trailing blank lines), or None."""
    names = _own_names(sender_name)
    lowest = max(1, len(lines) - _SIGN_OFF_LINES - 1)  # something must stay above a sign-off
    for index in range(len(lines) - 1, lowest - 1, -1):
        stripped = lines[index].strip()
        if not stripped:
            continue
        opens = _is_closing(stripped) or (_is_own_name(stripped, names) and _after_paragraph_break(lines, index))
        if opens:
            if not all(is_sign_off_line(line) for line in lines[index + 1 :]):
                return None
            above = _previous_line(lines, index)
            return above if above is not None and _CLOSING.match(lines[above].strip()) else index
        if not is_sign_off_line(lines[index]):
            return None
    return None


def is_sign_off_line(line: str) -> bool:
    """Whether a line after a closing can be the sender's contact data (blank lines can)."""
    stripped = line.strip().lstrip(">").strip()
    if not stripped:
        return True
    if _DISCLAIMER.search(stripped):
        return True
    if len(stripped) > _SIGN_OFF_LINE_CHARS or len(stripped.split()) > _SIGN_OFF_LINE_WORDS:
        return False
    if "?" in stripped or _PATIENT_CUE.search(stripped) or _ICD_CODE.search(stripped):
        return False
    if stripped.lower().startswith(("p.s", "ps ", "ps:")):
        return False
    return not (_FIRST_PERSON.search(stripped) and len(stripped.split()) >= 4)


def _is_closing(stripped: str) -> bool:
    return bool(_CLOSING.match(stripped) or _CLOSING_AND_NAME.match(stripped) or _DASH_NAME.match(stripped))


def _own_names(sender_name: str) -> tuple[str, ...]:
    """The sender's display name and first name ("Coder, Jane" is Jane Coder)."""
    name = " ".join(sender_name.replace('"', " ").split())
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}".strip()
    words = [w for w in name.split() if len(w) >= 2 and w[0].isalpha()]
    if not words:
        return ()
    return tuple(dict.fromkeys([" ".join(words).lower(), words[0].lower()]))


def _is_own_name(stripped: str, names: tuple[str, ...]) -> bool:
    """A line that is the sender's name, alone or followed by credentials ("Jane Coder, CPC")."""
    line = stripped.lower().rstrip(".")
    for name in names:
        rest = line[len(name):] if line.startswith(name) else None
        if rest == "" or (rest is not None and _CREDENTIALS.match(rest) and is_sign_off_line(stripped)):
            return True
    return False


def _previous_line(lines: list[str], index: int) -> int | None:
    """The nearest non-blank line above `index` ("Regards," above a blank line and the name)."""
    above = index - 1
    while above > 0 and not lines[above].strip():
        above -= 1
    return above if above > 0 and lines[above].strip() else None


def _after_paragraph_break(lines: list[str], index: int) -> bool:
    return index == 0 or not lines[index - 1].strip()
