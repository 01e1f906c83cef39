"""Ranked search over the catalog for what coders type: descriptors, inclusion terms and staff lay text,
Alphabetic Index terms (when an operator imported the CDC's index file) and our synonym table.

SQLite: an FTS5 table with Porter stemming, ranked by bm25. PostgreSQL: a generated tsvector with a GIN
index, ranked by ts_rank_cd. A query is read in three steps (`read_query`): a word the catalog does not
know is respelled to the nearest one it does (spelling.py), runs of words the synonym table knows become
"this or what it means" (synonyms.py), and the rest are words. Every concept must match; when that finds
too little, any word may. The engine's best candidates are then ordered as a coder would (`_rerank`)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache

from sqlalchemy import column, delete, func, select, table, text
from sqlalchemy.orm import Session

from consultant.codes import spelling, synonyms
from consultant.codes.models import CatalogCode, CodeNote, IndexTerm, LayDescription

SEARCHABLE_KINDS = ("billable", "header", "modifier")
_WORD = re.compile(r"[a-z0-9]+")
_CODE_QUERY = re.compile(r"^[A-Z0-9]{1,3}[0-9A-Z.]{0,5}$")
_STOPWORDS = synonyms.STOPWORDS
_NONESSENTIAL = re.compile(r"\([^)]*\)")
_LETTERS_DIGITS = re.compile(r"[a-z]+|[0-9]+")
# descriptor words that do not narrow a code down: "Urinary tract infection, site not specified"
# says no more than "urinary tract infection"
_VAGUE = frozenset("unspecified specified not site nos elsewhere classified organism part".split())

catalog_search = table("catalog_search", column("system"), column("code"), column("kind"), column("descriptor"),
                       column("extra"), column("terms"), column("position"))

# how much a query word counts where a code's row has it
IN_TERMS, IN_DESCRIPTOR, IN_EXTRA = 3, 2, 1


@dataclass(frozen=True)
class SearchHit:
    system: str
    code: str
    descriptor: str
    kind: str
    score: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Concept:
    """One thing the query asks for, as any of its wordings: the typed words, and what a synonym
    says they mean in the code set's words."""

    alternatives: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> list[str]:
        return list(dict.fromkeys(w for alternative in self.alternatives for w in alternative))


# ----------------------------------------------------------------------------------------- the index

def rebuild_index(session: Session, systems: Iterable[str] | None = None) -> int:
    """Rewrite the search rows of `systems` (all when None) from the catalog, the imported Alphabetic
    Index and the synonym table, then the vocabulary the speller uses. Returns rows written."""
    wanted = list(systems) if systems is not None else None
    codes = select(CatalogCode.system, CatalogCode.code, CatalogCode.kind, CatalogCode.descriptor,
                   CatalogCode.short_descriptor).where(CatalogCode.kind.in_(SEARCHABLE_KINDS))
    notes = select(CodeNote.system, CodeNote.code, CodeNote.text).where(CodeNote.kind == "inclusion_term")
    lay = select(LayDescription.system, LayDescription.code, LayDescription.text)
    index = select(IndexTerm.system, IndexTerm.code, IndexTerm.term)
    purge = delete(catalog_search)
    if wanted is not None:
        codes, notes, lay, index = (q.where(m.system.in_(wanted)) for q, m in
                                    ((codes, CatalogCode), (notes, CodeNote), (lay, LayDescription),
                                     (index, IndexTerm)))
        purge = purge.where(catalog_search.c.system.in_(wanted))
    extra: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in session.execute(notes):
        extra[(row.system, row.code)].append(row.text)
    for row in session.execute(lay):
        extra[(row.system, row.code)].append(row.text)
    rows = [row for row in session.execute(codes) if not _seventh_character_code(row.system, row.code)]
    terms = _terms(session, index, {(row.system, row.code) for row in rows}, wanted)
    # the engines serve a pass that matches too much to rank in this order: shortest descriptor first
    rows.sort(key=lambda row: (len(_WORD.findall(row.descriptor.lower())), row.system, row.code))
    session.execute(purge)
    postgres = session.get_bind().dialect.name == "postgresql"
    batch: list[dict] = []
    written = 0
    for position, row in enumerate(rows):
        more = [row.short_descriptor or "", *extra.get((row.system, row.code), ())]
        batch.append({"system": row.system, "code": row.code, "kind": row.kind, "descriptor": row.descriptor,
                      "extra": " \n".join(p for p in more if p),
                      "terms": " \n".join(dict.fromkeys(terms.get((row.system, row.code), ())))}
                     | ({"position": position} if postgres else {}))
        if len(batch) == 5000:
            written += _insert(session, batch)
            batch = []
    written += _insert(session, batch) if batch else 0
    rebuild_vocabulary(session)
    if postgres:  # fresh statistics, so that the planner picks the position index for common words
        session.execute(text("ANALYZE catalog_search"))
        session.execute(text("ANALYZE search_word"))
    return written


def rebuild_vocabulary(session: Session) -> int:
    """Every word of the search rows and of the synonym table, with how often it occurs."""
    counts: Counter = Counter()
    for row in session.execute(select(catalog_search.c.descriptor, catalog_search.c.extra, catalog_search.c.terms)):
        counts.update(_WORD.findall(f"{row.descriptor} {row.extra} {row.terms}".lower()))
    for word in synonyms.shipped().words:
        counts[word] += 1
    return spelling.rebuild_vocabulary(session, counts)


def _terms(session: Session, index, searchable: set[tuple[str, str]], wanted: list[str] | None
           ) -> dict[tuple[str, str], list[str]]:
    """The index terms and synonyms filed under each searchable code. A term pointing at a code that is
    not itself searchable (a 7th-character code, a code with a trailing dash) goes to its nearest
    searchable ancestor."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in session.execute(index):
        code = _searchable(row.system, row.code, searchable)
        if code:
            found[(row.system, code)].append(row.term)
    for entry in synonyms.shipped().entries:
        if wanted is not None and entry.system not in wanted:
            continue
        for raw in entry.codes:
            code = _searchable(entry.system, synonyms.catalog_code(raw), searchable)
            if code:
                found[(entry.system, code)].append(entry.term)
    return found


def _searchable(system: str, code: str, searchable: set[tuple[str, str]]) -> str | None:
    code = code.rstrip("-").rstrip(".")
    while code and (system, code) not in searchable:
        shorter = code[:-1].rstrip("X").rstrip(".") if len(code) > 3 else ""
        code = shorter
    return code or None


def _seventh_character_code(system: str, code: str) -> bool:
    """S72.001A and its 15 siblings differ from their header S72.001 only by the encounter: the
    header stands for them in the index (its detail lists them), and a code query still finds them."""
    return system == "icd10cm" and len(code) == 8


def _insert(session: Session, rows: list[dict]) -> int:
    session.execute(catalog_search.insert(), rows)
    return len(rows)


# ----------------------------------------------------------------------------------------- the query

# The engines rank every row that matches; over a few thousand rows that is most of a query's time.
# A pass expected to match more is served in index order instead (rows are written shortest
# descriptor first, see `rebuild_index`), and the "any word" pass keeps only the rarer words.
RANK_LIMIT = 1000
ANY_WORD_BUDGET = 1200


@dataclass(frozen=True)
class Query:
    """A query as search reads it: its concepts, and how often each of their words occurs in the
    indexed text (the vocabulary's counts; they tell how much a pass will match)."""

    concepts: list[Concept]
    counts: dict[str, int]

    def size(self, words: Iterable[str]) -> int:
        """About how many rows have all of `words`."""
        return min((self.counts.get(w, 0) for w in words), default=0)

    def every_concept_size(self) -> int:
        return min(sum(self.size(a) for a in c.alternatives) for c in self.concepts)

    def words(self) -> list[str]:
        return _all_words(self.concepts)

    def rare_words(self) -> list[str]:
        """The words of an "any word" pass: the rarest first, as many as the budget allows."""
        chosen, spent = [], 0
        for word in sorted(self.words(), key=lambda w: self.counts.get(w, 0)):
            spent += self.counts.get(word, 0)
            if spent > ANY_WORD_BUDGET and chosen:
                break
            chosen.append(word)
        return chosen if spent <= ANY_WORD_BUDGET or len(chosen) > 1 else []


def search(session: Session, query: str, system: str | None = None, limit: int = 10) -> list[SearchHit]:
    """The best `limit` codes for `query`; a code-shaped query lists the codes it starts instead."""
    limit = max(1, min(limit, 200))
    hits = _by_code(session, query, system, limit)
    if hits:
        return hits
    read = read_query(session, query)
    if not read.concepts:
        return hits
    engine = _postgres if session.get_bind().dialect.name == "postgresql" else _sqlite
    seen = {(h.system, h.code) for h in hits}
    found = 0
    for concepts, every, when in _passes(read):
        if len(hits) >= limit or when == "if nothing yet" and found:
            break
        subset = Query(concepts, read.counts)
        ranked = not every or subset.every_concept_size() <= RANK_LIMIT
        for hit in _rerank(read.concepts, engine(session, concepts, every, ranked, system, limit), limit):
            if (hit.system, hit.code) not in seen and len(hits) < limit:
                seen.add((hit.system, hit.code))
                hits.append(hit)
                found += 1
    return hits


def _passes(read: Query) -> Iterator[tuple[list[Concept], bool, str]]:
    """What the engine is asked, in turn, while too little has been found: every concept; then every
    concept but the least telling one (all still decide the order); then, while nothing at all has
    been found, fewer concepts still, and at last any of the rarer words. The least telling concept
    is the most common plain word ("left", "4", "unspecified"), else the most common concept."""
    yield read.concepts, True, "while too few"
    kept = list(read.concepts)
    first = True
    while len(kept) > 1:
        plain = [c for c in kept if len(c.alternatives) == 1 and len(c.alternatives[0]) == 1]
        dropped = max(plain or kept, key=lambda c: sum(read.size(a) for a in c.alternatives))
        kept = [c for c in kept if c is not dropped]
        yield kept, True, "while too few" if first else "if nothing yet"
        first = False
    rare = read.rare_words()
    if len(read.words()) > 1 and rare:
        yield [Concept(((w,),)) for w in rare], False, "if nothing yet"


def read_query(session: Session, query: str) -> Query:
    """What the query asks for: its words respelled where the catalog does not know them, runs the
    synonym table knows read as "these words or what they mean", shorthand dropped, stopwords dropped
    (unless nothing else is left); and how common each word is."""
    typed = synonyms.tokens(query)
    counts = spelling.counts(session, _lookups(typed))
    words = respell(session, typed, counts)
    concepts: list[Concept] = []
    for piece in synonyms.match(words):
        if piece.ignored:
            continue
        if piece.synonym is None:
            concepts.append(Concept((piece.words,)))
            continue
        said = tuple(w for w in piece.synonym.words if w not in _STOPWORDS)
        meant = tuple(w for w in synonyms.tokens(piece.synonym.means) if w not in _STOPWORDS)
        alternatives = tuple(dict.fromkeys(a for a in (said, meant) if a))
        if alternatives:
            concepts.append(Concept(alternatives))
    concepts = [c for c in concepts if not _is_stopword(c)] or concepts
    missing = [w for w in _all_words(concepts) if w not in counts]
    if missing:
        counts.update(spelling.counts(session, missing))
    return Query(concepts, counts)


def _lookups(words: list[str]) -> set[str]:
    """The words whose counts a query needs: its words, and the parts of a word like "ckd4"."""
    found = set(words)
    for word in words:
        found.update(_LETTERS_DIGITS.findall(word))
    return found


def _is_stopword(concept: Concept) -> bool:
    return len(concept.alternatives) == 1 and len(concept.alternatives[0]) == 1 \
        and concept.alternatives[0][0] in _STOPWORDS


def respell(session: Session, words: list[str], counts: dict[str, int]) -> list[str]:
    """`words` with each one neither the catalog (`counts`) nor the synonym table knows replaced: "ckd4"
    by "ckd 4" when both parts are known, else by the nearest known word ("lupis" -> "lupus"); a word
    with no close known word is left out."""
    table_words = synonyms.shipped().words
    out: list[str] = []
    for word in words:
        if word in table_words or word in counts or word.isdigit() or word in _STOPWORDS:
            out.append(word)
            continue
        parts = _LETTERS_DIGITS.findall(word)
        if len(parts) > 1 and all(p.isdigit() or p in counts or p in table_words for p in parts):
            out.extend(parts)
            continue
        better = spelling.nearest(session, word)
        if better:
            out.append(better)
    return out


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


def _sqlite(session: Session, concepts: list[Concept], every: bool, ranked: bool, system: str | None,
            limit: int) -> list[tuple]:
    """Candidate rows and the engine's score: bm25 when `ranked`, else the first rows in index order."""
    join = " AND " if every else " OR "
    match = join.join("(" + " OR ".join("(" + " AND ".join(f'"{w}"' for w in alternative) + ")"
                                        for alternative in concept.alternatives) + ")" for concept in concepts)
    where = " WHERE catalog_search MATCH :match" + (" AND system = :system" if system else "")
    if ranked:  # rank and cut inside FTS5 first, then fetch the few survivors' text
        sql = ("WITH top AS (SELECT system, code, kind, descriptor, extra, terms, rank FROM catalog_search"
               + where + " ORDER BY rank LIMIT :limit) SELECT * FROM top ORDER BY rank")
    else:
        sql = "SELECT system, code, kind, descriptor, extra, terms, 0 AS rank FROM catalog_search" + where + " LIMIT :limit"
    params = {"match": match, "limit": _pool(limit)} | ({"system": system} if system else {})
    rows = session.connection().exec_driver_sql(sql, params).all()
    return [(r, -float(r.rank) if ranked else -n / 1000) for n, r in enumerate(rows)]


def _postgres(session: Session, concepts: list[Concept], every: bool, ranked: bool, system: str | None,
              limit: int) -> list[tuple]:
    join = " & " if every else " | "
    terms = join.join("(" + " | ".join("(" + " & ".join(alternative) + ")" for alternative in concept.alternatives)
                      + ")" for concept in concepts)
    order = "ORDER BY score DESC, code" if ranked else "ORDER BY position"
    sql = (
        "SELECT system, code, kind, descriptor, extra, terms, ts_rank_cd(document, q) AS score"
        " FROM catalog_search, to_tsquery('english', %(terms)s) q WHERE document @@ q"
        + (" AND system = %(system)s" if system else "") + f" {order} LIMIT %(limit)s"
    )
    params = {"terms": terms, "limit": _pool(limit)} | ({"system": system} if system else {})
    rows = session.connection().exec_driver_sql(sql, params).all()
    return [(r, float(r.score)) for r in rows]


def _all_words(concepts: list[Concept]) -> list[str]:
    return list(dict.fromkeys(w for concept in concepts for w in concept.words))


def _pool(limit: int) -> int:
    return max(limit * 5, 50)


def _rerank(concepts: list[Concept], scored: list[tuple], limit: int) -> list[SearchHit]:
    """Order the engine's candidates as a coder would: first the codes that match more of what was
    asked; then by where they match it (a query word counts 3 in an index term or synonym that the
    query says in full, 2 in the official descriptor, 1 only in inclusion terms, lay text or part of
    a longer term); then a code one of whose terms, or whose descriptor, says no more than the query;
    then the descriptor that adds the fewest words to the query (words like "unspecified" or "site not
    specified" add nothing); then shorter descriptors; then the engine's rank.

    (SQLite's bm25 normalises by the whole row, so a code with a long lay text would otherwise lose
    to one with none.)"""
    asked = {_stem(w) for w in _all_words(concepts)}

    def key(item: tuple) -> tuple:
        row, engine_score = item
        said, partly = set(), set()
        exact = False
        for line in row.terms.split("\n"):
            essential = _stems(_NONESSENTIAL.sub(" ", line))
            if essential and essential <= asked:
                exact = True
                said |= _stems(line)
            else:
                partly |= _stems(line)
        descriptor = _stems(row.descriptor)
        places = (said, descriptor, _stems(row.extra) | partly)
        covered = weighted = 0.0
        for concept in concepts:
            best_cover = best_weight = 0.0
            for alternative in concept.alternatives:
                weights = [_weight(_stem(w), places) for w in alternative]
                best_cover = max(best_cover, sum(1 for x in weights if x) / len(alternative))
                best_weight = max(best_weight, sum(weights) / len(alternative))
            covered += best_cover
            weighted += best_weight
        added = descriptor - asked - _VAGUE_STEMS
        exact = exact or not added
        return (-covered, -weighted, not exact, len(added), len(_WORD.findall(row.descriptor.lower())),
                -engine_score)

    ranked = sorted(scored, key=key)[:limit]
    return [SearchHit(row.system, row.code, row.descriptor, row.kind, round(engine_score, 4)) for row, engine_score in ranked]


def _weight(stem: str, places: tuple[set[str], set[str], set[str]]) -> int:
    said, descriptor, extra = places
    return IN_TERMS if stem in said else IN_DESCRIPTOR if stem in descriptor else IN_EXTRA if stem in extra else 0


_SUFFIXES = ("ations", "ation", "ically", "ical", "ities", "ity", "ness", "ments", "ment", "ings", "ing", "ives",
             "ive", "ions", "ion", "ful", "ies", "ied", "ed", "es", "s", "ic", "al", "ia", "e", "y")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """A light stem for comparing words of the query and of a row ("fractured", "fractures" and
    "fracture"; "diabetes" and "diabetic"; "hypertension" and "hypertensive"): one common suffix off,
    keeping at least four letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


@lru_cache(maxsize=8192)
def _stems(text_: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _WORD.findall(text_.lower()))


_VAGUE_STEMS = frozenset(_stem(w) for w in _VAGUE | _STOPWORDS)
