"""Ranked full-text search over the catalog: descriptors, inclusion terms and staff lay text.

SQLite: an FTS5 table with Porter stemming, ranked by bm25. PostgreSQL: a generated tsvector with
a GIN index, ranked by ts_rank_cd. Every word must match; when that finds too little, any word may."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import column, delete, func, select, table, text
from sqlalchemy.orm import Session

from consultant.codes.models import CatalogCode, CodeNote, LayDescription

SEARCHABLE_KINDS = ("billable", "header", "modifier")
_WORD = re.compile(r"[a-z0-9]+")
_CODE_QUERY = re.compile(r"^[A-Z0-9]{1,3}[0-9A-Z.]{0,5}$")
_STOPWORDS = frozenset("a an and the of or for to in on with by at as is are be code codes what which".split())

catalog_search = table("catalog_search", column("system"), column("code"), column("kind"), column("descriptor"),
                       column("extra"))


@dataclass(frozen=True)
class SearchHit:
    system: str
    code: str
    descriptor: str
    kind: str
    score: float

    def as_dict(self) -> dict:
        return asdict(self)


def rebuild_index(session: Session, systems: Iterable[str] | None = None) -> int:
    """Rewrite the search rows of `systems` (all when None) from the catalog. Returns rows written."""
    wanted = list(systems) if systems is not None else None
    codes = select(CatalogCode.system, CatalogCode.code, CatalogCode.kind, CatalogCode.descriptor,
                   CatalogCode.short_descriptor).where(CatalogCode.kind.in_(SEARCHABLE_KINDS))
    notes = select(CodeNote.system, CodeNote.code, CodeNote.text).where(CodeNote.kind == "inclusion_term")
    lay = select(LayDescription.system, LayDescription.code, LayDescription.text)
    purge = delete(catalog_search)
    if wanted is not None:
        codes, notes, lay = (q.where(m.system.in_(wanted)) for q, m in
                             ((codes, CatalogCode), (notes, CodeNote), (lay, LayDescription)))
        purge = purge.where(catalog_search.c.system.in_(wanted))
    extra: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in session.execute(notes):
        extra[(row.system, row.code)].append(row.text)
    for row in session.execute(lay):
        extra[(row.system, row.code)].append(row.text)
    session.execute(purge)
    batch: list[dict] = []
    written = 0
    for row in session.execute(codes):
        if _seventh_character_code(row.system, row.code):
            continue
        more = [row.short_descriptor or "", *extra.get((row.system, row.code), ())]
        batch.append({"system": row.system, "code": row.code, "kind": row.kind, "descriptor": row.descriptor,
                      "extra": " \n".join(p for p in more if p)})
        if len(batch) == 5000:
            written += _insert(session, batch)
            batch = []
    return written + (_insert(session, batch) if batch else 0)


def _seventh_character_code(system: str, code: str) -> bool:
    """S72.001A and its 15 siblings differ from their header S72.001 only by the encounter: the
    header stands for them in the index (its detail lists them), and a code query still finds them."""
    return system == "icd10cm" and len(code) == 8


def _insert(session: Session, rows: list[dict]) -> int:
    session.execute(catalog_search.insert(), rows)
    return len(rows)


def search(session: Session, query: str, system: str | None = None, limit: int = 10) -> list[SearchHit]:
    """The best `limit` codes for `query`; a code-shaped query also lists the codes it starts."""
    limit = max(1, min(limit, 200))
    hits = _by_code(session, query, system, limit)
    words = [w for w in _WORD.findall(query.lower()) if w not in _STOPWORDS] or _WORD.findall(query.lower())
    if words and len(hits) < limit:
        postgres = session.get_bind().dialect.name == "postgresql"
        ranked = _postgres if postgres else _sqlite
        seen = {(h.system, h.code) for h in hits}
        for every_word in (True, False):
            for hit in ranked(session, words, every_word, system, limit):
                if (hit.system, hit.code) not in seen and len(hits) < limit:
                    seen.add((hit.system, hit.code))
                    hits.append(hit)
            if len(hits) >= limit or len(words) == 1:
                break
    return hits


def _by_code(session: Session, query: str, system: str | None, limit: int) -> list[SearchHit]:
    candidate = query.strip().upper()
    if not _CODE_QUERY.match(candidate) or not any(c.isdigit() for c in candidate):
        return []
    statement = (
        select(CatalogCode.system, CatalogCode.code, CatalogCode.descriptor, CatalogCode.kind)
        .where(CatalogCode.code >= candidate, CatalogCode.code < candidate + "\x7f",
               CatalogCode.kind.in_(SEARCHABLE_KINDS))
        .order_by(func.length(CatalogCode.code), CatalogCode.code)
        .limit(limit)
    )
    if system:
        statement = statement.where(CatalogCode.system == system)
    return [SearchHit(r.system, r.code, r.descriptor, r.kind, 0.0) for r in session.execute(statement)]


def _sqlite(session: Session, words: list[str], every_word: bool, system: str | None, limit: int) -> list[SearchHit]:
    match = (" AND " if every_word else " OR ").join(f'"{w}"' for w in words)
    # rank and cut inside FTS5 first, then fetch the few survivors' text
    sql = (
        "WITH top AS (SELECT system, code, kind, descriptor, extra, rank FROM catalog_search"
        " WHERE catalog_search MATCH :match" + (" AND system = :system" if system else "")
        + " ORDER BY rank LIMIT :limit) SELECT * FROM top ORDER BY rank"
    )
    rows = session.execute(text(sql), {"match": match, "system": system, "limit": _pool(limit)})
    return _rerank(words, [(r, -float(r.rank)) for r in rows], limit)


def _postgres(session: Session, words: list[str], every_word: bool, system: str | None, limit: int) -> list[SearchHit]:
    terms = (" & " if every_word else " | ").join(words)
    sql = (
        "SELECT system, code, kind, descriptor, extra, ts_rank_cd(document, q) AS score"
        " FROM catalog_search, to_tsquery('english', :terms) q WHERE document @@ q"
        + (" AND system = :system" if system else "") + " ORDER BY score DESC, code LIMIT :limit"
    )
    rows = session.execute(text(sql), {"terms": terms, "system": system, "limit": _pool(limit)})
    return _rerank(words, [(r, float(r.score)) for r in rows], limit)


def _pool(limit: int) -> int:
    return max(limit * 5, 50)


def _rerank(words: list[str], scored: list[tuple], limit: int) -> list[SearchHit]:
    """Order the engine's candidates as a coder would: query words in the official descriptor count
    twice, words only in inclusion terms or lay text once; then shorter descriptors, then the engine.

    (SQLite's bm25 normalises by the whole row, so a code with a long lay text would otherwise lose
    to one with none.)"""
    stems = {_stem(w) for w in words}

    def key(item: tuple) -> tuple:
        row, engine_score = item
        in_descriptor = stems & _stems(row.descriptor)
        elsewhere = (stems & _stems(row.extra)) - in_descriptor
        return (-(2 * len(in_descriptor) + len(elsewhere)), len(_WORD.findall(row.descriptor.lower())), -engine_score)

    ranked = sorted(scored, key=key)[:limit]
    return [SearchHit(row.system, row.code, row.descriptor, row.kind, round(engine_score, 4)) for row, engine_score in ranked]


def _stem(word: str) -> str:
    return word[:5]


def _stems(text_: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text_.lower())}
