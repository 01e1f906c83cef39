"""Lay descriptions: what a code means in plain words, written by our staff (never the AMA's CPT text).

A starter set ships in consultant/codes/data/lay_descriptions.toml. Loading it never overwrites a
text a staff member has written: only rows still signed by the starter-set author are updated."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from importlib import resources

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from consultant.codes.models import LayDescription
from consultant.codes.show import normalise

STARTER_AUTHOR = "consultant staff (starter set)"
STARTER_FILE = "data/lay_descriptions.toml"
SYSTEMS = frozenset({"icd10cm", "cpt", "hcpcs", "pcs", "modifier"})


@dataclass(frozen=True)
class LayEntry:
    system: str
    code: str
    text: str
    author: str
    written: date


def starter_set() -> list[LayEntry]:
    """The packaged entries, checked: known system, text and author present, one entry per code."""
    raw = tomllib.loads(resources.files("consultant.codes").joinpath(STARTER_FILE).read_text("utf-8"))
    entries: dict[tuple[str, str], LayEntry] = {}
    for number, item in enumerate(raw.get("entry", []), 1):
        try:
            entry = LayEntry(item["system"], normalise(item["system"], item["code"]), " ".join(item["text"].split()),
                             item["author"], item["written"])
        except KeyError as exc:
            raise ValueError(f"{STARTER_FILE}: entry {number} has no {exc.args[0]}") from None
        if entry.system not in SYSTEMS or not entry.text or not entry.author or not isinstance(entry.written, date):
            raise ValueError(f"{STARTER_FILE}: entry {number} ({entry.system} {entry.code}) is incomplete")
        if (entry.system, entry.code) in entries:
            raise ValueError(f"{STARTER_FILE}: {entry.system} {entry.code} appears twice")
        entries[(entry.system, entry.code)] = entry
    return list(entries.values())


def load_starter_set(session: Session) -> int:
    """Insert the starter texts, and refresh those nobody has edited since. Returns rows written."""
    current = {(r.system, r.code): r for r in session.execute(
        select(LayDescription.id, LayDescription.system, LayDescription.code, LayDescription.text,
               LayDescription.author, LayDescription.written_at))}
    written = 0
    for entry in starter_set():
        when = datetime.combine(entry.written, time(), tzinfo=timezone.utc)
        row = current.get((entry.system, entry.code))
        if row is None:
            session.execute(insert(LayDescription).values(system=entry.system, code=entry.code, text=entry.text,
                                                          author=entry.author, written_at=when))
            written += 1
        elif row.author == STARTER_AUTHOR and (row.text, row.written_at) != (entry.text, when):
            session.execute(update(LayDescription).where(LayDescription.id == row.id)
                            .values(text=entry.text, author=entry.author, written_at=when))
            written += 1
    return written


def set_lay_description(session: Session, system: str, code: str, text: str, author: str) -> LayDescription:
    """A staff member's text for a code, replacing any earlier one (theirs or the starter set's)."""
    text, author = " ".join(text.split()), author.strip()
    if system not in SYSTEMS:
        raise ValueError(f"unknown code system {system!r}; one of {', '.join(sorted(SYSTEMS))}")
    if not text:
        raise ValueError("a lay description needs text")
    if not author or author == STARTER_AUTHOR:
        raise ValueError("a lay description needs its staff author's name")
    code = normalise(system, code)
    row = session.scalar(select(LayDescription).where(LayDescription.system == system, LayDescription.code == code))
    now = datetime.now(timezone.utc)
    if row is None:
        row = LayDescription(system=system, code=code, text=text, author=author, written_at=now, updated_at=now)
        session.add(row)
    else:
        row.text, row.author, row.written_at = text, author, now
    session.flush()
    return row
