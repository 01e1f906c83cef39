"""Misspellings: the words search knows (every word of the indexed text and of the synonym table, and
how often each occurs) and, for a word it does not know, the nearest one it does.

Candidates come from a trigram index of the words: on PostgreSQL pg_trgm's similarity operator over a
GIN index; on SQLite a table of each word's trigrams (padded with a space at each end, as pg_trgm does),
where the words of about the same length sharing the most trigrams are the candidates. They are then
ordered by edit distance (optimal string alignment: a swapped pair of letters is one edit), then by
whether the first letter agrees, then by how common the word is; only a close enough candidate is
taken ("lupis" -> "lupus", "siatica" -> "sciatica")."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import column, delete, insert, table
from sqlalchemy.orm import Session

from consultant.codes.synonyms import singular

MIN_LENGTH = 4  # shorter words are abbreviations more often than misspellings
MAX_WORD = 64
CANDIDATES = 30

search_word = table("search_word", column("word"), column("n"))
search_word_gram = table("search_word_gram", column("gram"), column("len"), column("word"))


def rebuild_vocabulary(session: Session, counts: Counter) -> int:
    """Replace the vocabulary with `counts` (word -> occurrences). Returns the words written."""
    rows = [{"word": w, "n": n} for w, n in counts.items() if w and len(w) <= MAX_WORD]
    postgres = _postgres(session)
    session.execute(delete(search_word))
    if not postgres:
        session.execute(delete(search_word_gram))
    for start in range(0, len(rows), 5000):
        batch = rows[start:start + 5000]
        session.execute(insert(search_word), batch)
        if not postgres:
            grams = [{"gram": g, "len": len(r["word"]), "word": r["word"]}
                     for r in batch if len(r["word"]) >= 3 and r["word"].isalpha() for g in trigrams(r["word"])]
            for at in range(0, len(grams), 20000):
                session.execute(insert(search_word_gram), grams[at:at + 20000])
    return len(rows)


def trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def counts(session: Session, words: Iterable[str]) -> dict[str, int]:
    """How often each of `words` the vocabulary knows occurs, as typed or as the singular of a plain
    plural; words it does not know are left out."""
    forms = {w: (w, singular(w)) for w in words}
    wanted = sorted({f for pair in forms.values() for f in pair})
    if not wanted:
        return {}
    if _postgres(session):
        sql, params = "SELECT word, n FROM search_word WHERE word = ANY(%(words)s)", {"words": wanted}
    else:
        sql = "SELECT word, n FROM search_word WHERE word IN (SELECT value FROM json_each(:words))"
        params = {"words": json.dumps(wanted)}
    found = dict(session.connection().exec_driver_sql(sql, params).all())
    return {w: found.get(w, found.get(s, 0)) for w, (_, s) in forms.items() if w in found or s in found}


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def needs_correction(word: str) -> bool:
    return len(word) >= MIN_LENGTH and word.isalpha()


def nearest(session: Session, word: str) -> str | None:
    """The known word closest to `word`, if one is close enough; None otherwise."""
    if not needs_correction(word):
        return None
    best: tuple[int, bool, int, str] | None = None
    limit = allowed_edits(word)
    # each edit changes at most three of a word's trigrams: a candidate sharing fewer cannot be close
    enough = len(trigrams(word)) - 3 * limit
    for candidate, n, shared in _candidates(session, word):
        if shared < enough:
            continue
        edits = distance(word, candidate, limit)
        if edits <= limit:
            ranked = (edits, candidate[0] != word[0], -n, candidate)
            best = ranked if best is None or ranked < best else best
    return best[3] if best else None


def allowed_edits(word: str) -> int:
    """One edit in a short word, two in a longer one, three in a long one."""
    return 1 if len(word) <= 5 else 2 if len(word) <= 10 else 3


def _candidates(session: Session, word: str) -> list[tuple[str, int, int]]:
    """Words near `word`: (word, occurrences, trigrams shared; pg_trgm's operator already asks enough)."""
    if _postgres(session):
        sql = ("SELECT word, n, 1000 AS shared FROM search_word WHERE word %% %(word)s"
               " ORDER BY similarity(word, %(word)s) DESC, n DESC LIMIT %(limit)s")
        return session.connection().exec_driver_sql(sql, {"word": word, "limit": CANDIDATES}).all()
    spread = allowed_edits(word)
    sql = ("WITH near AS (SELECT word, count(*) AS shared FROM search_word_gram"
           " WHERE gram IN (SELECT value FROM json_each(:grams)) AND len BETWEEN :shortest AND :longest"
           " GROUP BY word ORDER BY shared DESC LIMIT :limit)"
           " SELECT near.word, search_word.n, near.shared FROM near JOIN search_word ON search_word.word = near.word")
    params = {"grams": json.dumps(sorted(trigrams(word))), "shortest": len(word) - spread,
              "longest": len(word) + spread, "limit": CANDIDATES}
    return session.connection().exec_driver_sql(sql, params).all()


def distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
    With `limit`, any distance above it is reported as limit + 1 (and found sooner)."""
    if a == b:
        return 0
    cap = limit if limit is not None else len(a) + len(b)
    far = cap + 1
    if abs(len(a) - len(b)) > cap:
        return far
    width = len(b)
    previous2: list[int] = []
    previous = [j if j <= cap else far for j in range(width + 1)]
    for i in range(1, len(a) + 1):
        current = [far] * (width + 1)
        current[0] = i if i <= cap else far
        ca, before = a[i - 1], a[i - 2] if i > 1 else ""
        row_best = current[0]
        for j in range(max(1, i - cap), min(width, i + cap) + 1):
            cb = b[j - 1]
            value = previous[j - 1] if ca == cb else previous[j - 1] + 1
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if before and j > 1 and ca == b[j - 2] and before == cb and previous2[j - 2] + 1 < value:
                value = previous2[j - 2] + 1
            current[j] = value if value < far else far
            if value < row_best:
                row_best = value
        if row_best > cap:
            return far
        previous2, previous = previous, current
    return previous[-1] if previous[-1] < far else far
