"""Screen the whole message for patient identifiers, each part with the rules that fit it.

Parts: the subject, the question text, the quoted earlier messages, the sender's sign-off and the header
lines of forwarded messages (see ParsedEmail). Findings are kinds and offsets per part, never the text:
{"subject": [{kind, start, end}], "text": [...], "quoted": [...], "signature": [...], "forward_headers": [...]}.

- subject and text: every rule (the subject also reads names after "about").
- quoted: each quoted message is its header (an "On ... wrote:" line, or From/Sent/To/Subject lines) and its
  body. Header lines get only the patient rules, except a Subject line's value, which is read like a subject.
  A body gets every rule, its own trailing sign-off only the patient rules, and a body under a header that
  names our own address (our earlier reply, quoted back) none: it is our text, and our replies never quote
  the question.
- signature: only the patient rules (the sender's own name, phone and address are no patient's).
- forward_headers: like the header lines of a quoted message."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.consult.screen.phi import PATIENT_RULES, RULES, SUBJECT_RULES, Rule, find_phi
from consultant.mail.parse import ParsedEmail
from consultant.mail.quotes import attribution_size
from consultant.mail.signoff import forward_header_lines, is_subject_header, sign_off_start

PARTS = ("subject", "text", "quoted", "signature", "forward_headers")
_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)*")
# header lines that name whom a message went to, or when: the author is on the others (From:, "... wrote:")
_NOT_AUTHOR = re.compile(r"^\*?(?:To|Cc|Bcc|An|Kopie|À|A|Para|Sent|Date|Datum|Gesendet|Envoyé|Enviado(?: el)?|Fecha"
                         r"|Subject|Betreff|Objet|Asunto|Reply-To)\s?:", re.IGNORECASE)


@dataclass(frozen=True)
class Ours:
    """What marks a quoted message as our own: our addresses, and our name where a client writes no address."""

    addresses: frozenset[str]
    service_name: str

    def wrote(self, header: str) -> bool:
        lowered = header.lower()
        if any(address.lower() in lowered for address in self.addresses):
            return True
        return "@" not in lowered and bool(self.service_name) and self.service_name.lower() in lowered


@dataclass(frozen=True)
class _Zone:
    start: int
    end: int
    rules: tuple[Rule, ...]


def screen_message(parsed: ParsedEmail, ours: Ours) -> dict[str, list[dict]]:
    """Where each part of the message may name a patient: kinds and offsets into that part."""
    sender = parsed.sender
    return {
        "subject": _spans(parsed.subject, sender, [_Zone(0, len(parsed.subject), SUBJECT_RULES)]),
        "text": _spans(parsed.text, sender, [_Zone(0, len(parsed.text), RULES)]),
        "quoted": _spans(parsed.quoted, sender, quoted_zones(parsed.quoted, ours)),
        "signature": _spans(parsed.signature, sender, [_Zone(0, len(parsed.signature), PATIENT_RULES)]),
        "forward_headers": _spans(parsed.forward_headers, sender, header_zones(parsed.forward_headers)),
    }


def kinds(phi: dict[str, list[dict]], *parts: str) -> list[str]:
    """The kinds found in the given parts (all parts when none is named), in order."""
    return [span["kind"] for part in (parts or PARTS) for span in phi.get(part, [])]


def header_zones(text: str) -> list[_Zone]:
    lines = _lines(text)
    return _merged([zone for start, line in lines for zone in _header_line(start, line)])


def quoted_zones(text: str, ours: Ours) -> list[_Zone]:
    """Which rules read which stretch of the quoted text (see the module's docstring)."""
    lines = _lines(text)
    bare = [_PREFIX.sub("", line).strip() for _, line in lines]
    headers = forward_header_lines(bare, markers=True) | _attributions(bare)
    zones: list[_Zone] = []
    index = 0
    while index < len(lines):
        header = []
        while index < len(lines) and index in headers:
            header.append(index)
            index += 1
        body = []
        while index < len(lines) and index not in headers:
            body.append(index)
            index += 1
        zones += [zone for i in header for zone in _header_line(*lines[i])]
        zones += _body(lines, bare, header, body, ours)
    return _merged(zones)


def _body(lines: list[tuple[int, str]], bare: list[str], header: list[int], body: list[int],
          ours: Ours) -> list[_Zone]:
    author = " ".join(bare[i] for i in header if not _NOT_AUTHOR.match(bare[i]))
    depth = min((_depth(lines[i][1]) for i in header), default=0)
    sign_off = sign_off_start([bare[i] for i in body])
    zones = []
    for position, i in enumerate(body):
        start, line = lines[i]
        if author and ours.wrote(author) and _depth(line) <= depth + 1:
            continue  # our own reply quoted back
        signed = sign_off is not None and position >= sign_off
        zones.append(_Zone(start, start + len(line), PATIENT_RULES if signed else RULES))
    return zones


def _header_line(start: int, line: str) -> list[_Zone]:
    value = is_subject_header(line)
    if value is not None:
        return [_Zone(start + value, start + len(line), SUBJECT_RULES)]
    return [_Zone(start, start + len(line), PATIENT_RULES)]


def _attributions(bare: list[str]) -> set[int]:
    found: set[int] = set()
    for index, line in enumerate(bare):
        found.update(range(index, index + attribution_size(bare, index, line)))
    return found


def _lines(text: str) -> list[tuple[int, str]]:
    lines, start = [], 0
    for line in text.split("\n"):
        lines.append((start, line))
        start += len(line) + 1
    return lines


def _depth(line: str) -> int:
    return _PREFIX.match(line).group().count(">")


def _merged(zones: list[_Zone]) -> list[_Zone]:
    """Neighbouring lines read by the same rules are read as one stretch (a span may cross a line end)."""
    merged: list[_Zone] = []
    for zone in zones:
        if merged and merged[-1].rules is zone.rules and merged[-1].end + 1 >= zone.start:
            merged[-1] = _Zone(merged[-1].start, zone.end, zone.rules)
        else:
            merged.append(zone)
    return merged


def _spans(text: str, sender: str, zones: list[_Zone]) -> list[dict]:
    spans = []
    for zone in zones:
        for span in find_phi(text[zone.start : zone.end], sender, zone.rules):
            spans.append({"kind": span.kind, "start": zone.start + span.start, "end": zone.start + span.end})
    return spans
