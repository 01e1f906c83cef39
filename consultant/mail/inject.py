"""Feed saved mail (.eml files, a maildir, an mbox) through the same door as SMTP: store raw, commit,
enqueue after commit. Oversize messages are refused with the SMTP limit, without being read whole."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path

from consultant.db.session import in_transaction
from consultant.mail.inbound import Envelope, store_raw
from consultant.settings import Settings

STORED, DUPLICATE, REFUSED = "stored", "duplicate", "refused"
CHANNEL = "inject"
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RETURN_PATH = re.compile(rb"^return-path:[ \t]*<?([^<>\r\n]*)>?", re.IGNORECASE | re.MULTILINE)
_FROM_HEADER = re.compile(rb"^from:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_MBOX_SEPARATOR = b"From "


@dataclass(frozen=True)
class Source:
    """One message found in an input: where it came from, and its bytes or why it is refused."""

    name: str
    raw: bytes | None
    envelope_from: str | None = None
    refusal: str | None = None


@dataclass(frozen=True)
class Injected:
    name: str
    outcome: str
    inbound_id: int | None = None
    reason: str | None = None


@dataclass
class InjectReport:
    results: list[Injected] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(result.outcome for result in self.results)

    def summary(self) -> str:
        counts = self.counts
        return f"{counts[STORED]} stored, {counts[DUPLICATE]} duplicate, {counts[REFUSED]} refused"


def input_kind(path: Path) -> str:
    """"maildir" (a folder with cur/ and new/), "folder" (of .eml files), "mbox" or "eml"."""
    if path.is_dir():
        return "maildir" if (path / "cur").is_dir() and (path / "new").is_dir() else "folder"
    with path.open("rb") as handle:
        return "mbox" if handle.read(len(_MBOX_SEPARATOR)) == _MBOX_SEPARATOR else "eml"


def inject(settings: Settings, path: Path) -> InjectReport:
    report = InjectReport()
    for source in sources(path, settings.max_message_bytes):
        report.results.append(_inject_one(settings, source))
    return report


def sources(path: Path, max_bytes: int) -> Iterator[Source]:
    kind = input_kind(path)
    if kind == "mbox":
        yield from mbox_messages(path, max_bytes)
    elif kind == "maildir":
        for folder in ("new", "cur"):
            yield from _files(sorted(p for p in (path / folder).iterdir() if p.is_file()), max_bytes)
    elif kind == "folder":
        yield from _files(sorted(path.glob("*.eml")), max_bytes)
    else:
        yield from _files([path], max_bytes)


def _files(paths: list[Path], max_bytes: int) -> Iterator[Source]:
    for path in paths:
        size = path.stat().st_size
        if size > max_bytes:
            yield Source(str(path), None, refusal=_too_big(max_bytes))
        elif size == 0:
            yield Source(str(path), None, refusal="empty file")
        else:
            yield Source(str(path), path.read_bytes())


def mbox_messages(path: Path, max_bytes: int) -> Iterator[Source]:
    """Split an mbox at its "From " lines, holding at most one message (up to the limit) in memory."""
    number, envelope, chunks, size, previous_blank = 0, None, [], 0, True
    with path.open("rb") as handle:
        for line in handle:
            if line.startswith(_MBOX_SEPARATOR) and previous_blank:
                if envelope is not None:
                    yield _mbox_source(path, number, envelope, chunks, size, max_bytes)
                number, envelope, chunks, size = number + 1, _mbox_sender(line), [], 0
            elif envelope is not None:
                size += len(line)
                if size <= max_bytes:
                    chunks.append(line)
            previous_blank = not line.strip()
    if envelope is not None:
        yield _mbox_source(path, number, envelope, chunks, size, max_bytes)


def _mbox_source(path: Path, number: int, envelope: str, chunks: list[bytes], size: int, max_bytes: int) -> Source:
    name = f"{path}#{number}"
    if size > max_bytes:
        return Source(name, None, refusal=_too_big(max_bytes))
    raw = b"".join(chunks)
    if raw.endswith(b"\n\n"):
        raw = raw[:-1]  # the blank line before the next "From " belongs to the mbox, not the message
    return Source(name, raw, envelope_from=envelope) if raw.strip() else Source(name, None, refusal="empty message")


def _mbox_sender(line: bytes) -> str:
    token = line[len(_MBOX_SEPARATOR):].split(b" ", 1)[0].decode("ascii", "replace")
    return "" if token.upper() == "MAILER-DAEMON" or "@" not in token else token


def _too_big(max_bytes: int) -> str:
    return f"larger than CONSULTANT_MAX_MESSAGE_BYTES ({max_bytes} bytes)"


def envelope_sender(raw: bytes, fallback: str | None = None) -> str:
    """The envelope sender a saved message still shows: Return-Path (written at final delivery), else
    the mbox "From " line, else the From header (so a saved person's mail is not taken for a bounce)."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw[:65536]
    match = _RETURN_PATH.search(head)
    if match:
        return match.group(1).strip().decode("ascii", "replace")
    if fallback is not None:
        return fallback
    header = _FROM_HEADER.search(head)
    if not header:
        return ""
    addresses = getaddresses([header.group(1).decode("utf-8", "replace")])
    return next((address for _, address in addresses if "@" in address), "")


def _inject_one(settings: Settings, source: Source) -> Injected:
    if source.raw is None:
        return Injected(source.name, REFUSED, reason=source.refusal)
    envelope = Envelope(
        mail_from=envelope_sender(source.raw, source.envelope_from)[:320],
        rcpt_to=(settings.address,),
        channel=CHANNEL,
    )
    stored = in_transaction(lambda session: store_raw(session, source.raw, envelope))
    return Injected(source.name, STORED if stored.created else DUPLICATE, stored.inbound_id)
