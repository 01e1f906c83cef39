"""Quoted replies and signatures: what the sender wrote now, apart from what they quoted.

Covers Gmail, Apple Mail, Thunderbird and Outlook (desktop and web), in English, German, French and
Spanish. A forwarded message is the question, never a quote."""

from __future__ import annotations

import re

_ATTRIBUTIONS = (
    re.compile(r"^On\s.{1,200}\swrote\s?:$", re.IGNORECASE),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^Am\s.{1,200}\sschrieb\s.{0,200}:$", re.IGNORECASE),  # German
    re.compile(r"^Le\s.{1,200}\sa écrit\s?:$", re.IGNORECASE),  # French
    re.compile(r"^El\s.{1,200}\sescribió\s?:$", re.IGNORECASE),  # Spanish
)
_ATTRIBUTION_STARTS = ("On ", "Am ", "Le ", "El ")
_HISTORY_STARTS = (
    re.compile(r"^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Originalnachricht|Message d'origine"
               r"|Mensaje original)\s*-{2,}$", re.IGNORECASE),  # Outlook
    re.compile(r"^_{10,}$"),  # Outlook's rule above its From:/Sent: block
)
# Outlook without a rule: a From: line, then Sent:/Date: within three lines (localized)
_HEADER_BLOCK = re.compile(r"^\*?(From|Von|De|Van)\s?:\*?\s.+$")
_HEADER_BLOCK_NEXT = re.compile(r"^\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado(?: el)?|Fecha)\s?:\*?\s.+$")
_FORWARD_MARKERS = (
    re.compile(r"^-+\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado)\s*-+$",
               re.IGNORECASE),  # Gmail, Thunderbird
    re.compile(r"^(Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié"
               r"|Inicio del mensaje reenviado)\s?:$", re.IGNORECASE),  # Apple Mail
)
FORWARD_SUBJECT = re.compile(r"^(fwd?|wg|tr|rv|enc)\s*:", re.IGNORECASE)  # Fwd:, FW:, WG:, TR:, RV:, ENC:
_MOBILE_SIGNATURES = re.compile(
    r"^(Sent from my \w[\w ]{0,40}|Sent from (Mail|Outlook) for Windows( \d+)?|Get Outlook for (iOS|Android)"
    r"|Von meinem \w[\w ]{0,30} gesendet|Envoyé de mon \w[\w ]{0,30}|Enviado desde mi \w[\w ]{0,30})"
    r"\s*(<[^<>]*>)?$",  # Outlook mobile appends its link
    re.IGNORECASE,
)


def split_quoted(body: str, forwarded: bool = False) -> tuple[str, str]:
    """The new text, and the quoted earlier messages.

    "> " lines and their "On ... wrote:" line are quoted wherever they are, so a reply written
    below or between quotes is kept; an Outlook-style header block quotes everything after it.
    A forwarded message is the question: from a forward marker on (or everywhere, when the
    subject says Fwd:/FW:) nothing counts as quoted."""
    lines = body.replace("\r\n", "\n").split("\n")
    if forwarded:
        return "\n".join(lines), ""
    text: list[str] = []
    quoted: list[str] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if is_forward_marker(stripped):
            text.extend(lines[index:])
            break
        if starts_history(lines, index, stripped):
            quoted.extend(lines[index:])
            break
        size = 1 if stripped.startswith(">") else attribution_size(lines, index, stripped)
        if size:
            quoted.extend(lines[index : index + size])
            index += size
        else:
            text.append(lines[index])
            index += 1
    return "\n".join(text), "\n".join(quoted)


def is_forward_marker(stripped: str) -> bool:
    return any(p.match(stripped) for p in _FORWARD_MARKERS)


def attribution_size(lines: list[str], index: int, stripped: str) -> int:
    """How many lines the "On ... wrote:" line above a quote takes (Gmail wraps a long one in two)."""
    if any(p.match(stripped) for p in _ATTRIBUTIONS):
        return 1
    if stripped.startswith(_ATTRIBUTION_STARTS) and index + 1 < len(lines):
        joined = f"{stripped} {lines[index + 1].strip()}"
        if any(p.match(joined) for p in _ATTRIBUTIONS):
            return 2
    return 0


def starts_history(lines: list[str], index: int, stripped: str) -> bool:
    if any(p.match(stripped) for p in _HISTORY_STARTS):
        return True
    if not _HEADER_BLOCK.match(stripped):
        return False
    return any(_HEADER_BLOCK_NEXT.match(line.strip()) for line in lines[index + 1 : index + 4])


def strip_signature(text: str) -> str:
    """The text without its "-- " signature and closing "Sent from my iPhone"-style line."""
    return split_signature(text)[0]


def split_signature(text: str) -> tuple[str, str]:
    """(the text, its signature): everything from a "-- " line on, up to a forwarded message (which is kept),
    and a closing "Sent from my iPhone"-style line."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() == "--":
            rest = lines[index + 1 :]
            forward = next((i for i, l in enumerate(rest) if is_forward_marker(l.strip())), None)
            own = "\n".join(lines[:index])
            if forward is None:
                return own, "\n".join(lines[index:])
            forwarded, signature = split_signature("\n".join(rest[forward:]))
            return own + "\n" + forwarded, _joined("\n".join(lines[index : index + 1 + forward]), signature)
    return _split_mobile_signature(lines)


def _split_mobile_signature(lines: list[str]) -> tuple[str, str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    if end and _MOBILE_SIGNATURES.match(lines[end - 1].strip()):
        return "\n".join(lines[: end - 1]), lines[end - 1]
    return "\n".join(lines[:end]), ""


def _joined(*parts: str) -> str:
    return "\n".join(part for part in parts if part)
