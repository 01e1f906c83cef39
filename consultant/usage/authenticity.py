"""Is the From address really the sender? Only our own border MTA's Authentication-Results (RFC 8601) count.

A header is believed only when its authserv-id is configured as ours, and only the topmost such header:
our MTA adds its result on top, so any copy lower down was written before the message reached us."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

PASS, FAIL, NONE = "pass", "fail", "none"
_DMARC = re.compile(r"(?:^|;)\s*dmarc\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"header\.from\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)
_COMMENTS = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Authenticity:
    dmarc: str  # pass, fail or none (no trusted result)
    problem: str | None = None  # why the From cannot be believed; None when it can

    @property
    def trusted(self) -> bool:
        return self.problem is None


def check_sender(raw: bytes, from_address: str, trusted_ids: list[str], require_pass: bool) -> Authenticity:
    domain = from_address.rpartition("@")[2].lower()
    dmarc = dmarc_result(raw, domain, {i.lower() for i in trusted_ids})
    if dmarc == FAIL:
        return Authenticity(FAIL, f"the From address ({domain}) fails DMARC: not charged, no account data in replies")
    if dmarc != PASS and require_pass:
        return Authenticity(dmarc, f"no trusted DMARC pass for the From address ({domain}): not charged, "
                                   "no account data in replies")
    return Authenticity(dmarc)


def dmarc_result(raw: bytes, from_domain: str, trusted_ids: set[str]) -> str:
    """The DMARC result our MTA recorded for this From domain: pass, fail, or none."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw).get_all("Authentication-Results") or []
    for value in headers:
        value = _COMMENTS.sub("", " ".join(str(value).split()))
        authserv_id = value.split(";", 1)[0].split()[0].lower() if value.strip() else ""
        if authserv_id not in trusted_ids:
            continue
        return _dmarc_in(value, from_domain)
    return NONE


def _dmarc_in(value: str, from_domain: str) -> str:
    for match in _DMARC.finditer(value):
        about = _HEADER_FROM.search(match.group(2))
        if about and about.group(1).lower() != from_domain:
            continue  # a result for another From than the one we read
        result = match.group(1).lower()
        return result if result in (PASS, FAIL) else NONE
    return NONE
