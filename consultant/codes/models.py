"""The code catalog: every code set's rows, with the release (file, version) each came from.

Edits and limits carry effective/deletion dates and are looked up for a date of service."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from consultant.db.base import Base, UTCDateTime, utcnow
from consultant.db.models import ID


# codes compare byte-wise everywhere, so that prefix ranges ("K76" <= code < "K76\x7f") find
# the children of a code on PostgreSQL whatever the database's collation
CODE_TYPE = String(16).with_variant(String(16, collation="C"), "postgresql")


class CatalogRelease(Base):
    """One imported file: which code set, which file, which version, what changed, and what it can
    speak for (consultant/codes/releases.py reads these): `full` when it is the whole official release
    of its code set (only then does a code missing from it not exist), the dates of service it covers
    (None: not stated), and the table an edit file fills (NCCI or MUE setting)."""

    __tablename__ = "catalog_release"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    system: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(64))
    full: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    setting: Mapped[str | None] = mapped_column(String(24))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)


class CatalogCode(Base):
    """One code of a code set (icd10cm, pcs, hcpcs, cpt, modifier)."""

    __tablename__ = "catalog_code"
    __table_args__ = (
        UniqueConstraint("system", "code", name="uq_catalog_code_system_code"),
        Index("ix_catalog_code_code", "code"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(CODE_TYPE)
    descriptor: Mapped[str] = mapped_column(Text)
    short_descriptor: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # billable, header, chapter, block, modifier
    parent: Mapped[str | None] = mapped_column(String(16))
    effective_date: Mapped[date | None] = mapped_column(Date)
    deletion_date: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)  # chapter, section, coverage code, ...
    source: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(64))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_release.id"))


class CodeNote(Base):
    """An instructional note on a code: inclusion term, includes, excludes1/2, code first, use
    additional code, code also, 7th-character definitions. `refs` holds the codes and ranges the
    note points at, resolved, e.g. [{"code": "K75.81"}, {"from": "B15", "to": "B19"}, {"prefix": "K70"}]."""

    __tablename__ = "code_note"
    __table_args__ = (Index("ix_code_note_system_code", "system", "code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    refs: Mapped[list[dict]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_release.id"))


class NcciEdit(Base):
    """An NCCI procedure-to-procedure edit: column 2 is bundled into column 1."""

    __tablename__ = "ncci_edit"
    __table_args__ = (
        UniqueConstraint("setting", "column1", "column2", "effective_date", name="uq_ncci_edit_pair"),
        Index("ix_ncci_edit_pair", "column1", "column2"),
        Index("ix_ncci_edit_column2", "column2"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    setting: Mapped[str] = mapped_column(String(16))  # practitioner, hospital
    column1: Mapped[str] = mapped_column(String(8))
    column2: Mapped[str] = mapped_column(String(8))
    effective_date: Mapped[date] = mapped_column(Date)
    deletion_date: Mapped[date | None] = mapped_column(Date)
    modifier_indicator: Mapped[str] = mapped_column(String(1))  # 0 never, 1 allowed, 9 not applicable
    rationale: Mapped[str] = mapped_column(Text)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_release.id"))


class MueLimit(Base):
    """A Medically Unlikely Edit: the most units of a code per line or per date of service."""

    __tablename__ = "mue_limit"
    __table_args__ = (
        UniqueConstraint("setting", "code", "effective_date", name="uq_mue_limit_code"),
        Index("ix_mue_limit_code", "code"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    setting: Mapped[str] = mapped_column(String(24))  # practitioner, outpatient-hospital, dme
    code: Mapped[str] = mapped_column(String(8))
    value: Mapped[int] = mapped_column(Integer)
    adjudication_indicator: Mapped[int] = mapped_column(Integer)  # 1 line, 2 DOS policy, 3 DOS clinical
    rationale: Mapped[str] = mapped_column(Text)
    effective_date: Mapped[date | None] = mapped_column(Date)
    deletion_date: Mapped[date | None] = mapped_column(Date)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_release.id"))


class LayDescription(Base):
    """Plain-language text a staff member wrote for a code (our own words, never the AMA's)."""

    __tablename__ = "lay_description"
    __table_args__ = (UniqueConstraint("system", "code", name="uq_lay_description_system_code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CatalogChange(Base):
    """What a re-import changed: kept so staff can see how a code's text moved between releases."""

    __tablename__ = "catalog_change"
    __table_args__ = (Index("ix_catalog_change_system_code", "system", "code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("catalog_release.id"), index=True)
    system: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    change: Mapped[str] = mapped_column(String(8))  # added, changed, removed
    field: Mapped[str | None] = mapped_column(String(32))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


class IndexTerm(Base):
    """A term of the ICD-10-CM Alphabetic Index (main term and subterms, as one path) and the code it
    points at, directly or through its "see" reference (kept in `see`). Search weighs these above
    descriptor words; they come from the CDC's index file of a release, imported by an operator."""

    __tablename__ = "index_term"
    __table_args__ = (Index("ix_index_term_system_code", "system", "code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    system: Mapped[str] = mapped_column(String(16))
    term: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(16))
    see: Mapped[str | None] = mapped_column(Text)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_release.id"))
