"""The words coders and patients type for what the code set names otherwise ("uti", "afib", "heart
attack", "broken hip", "flu shot"): a table our staff wrote, shipped in consultant/codes/data/synonyms.toml.

Each entry maps a term to what it means in ICD-10-CM's own words (`means`, searched as an alternative to
the typed words) and/or to the codes or categories a coder starts from (`codes`, e.g. "N39.0", "I21.-"),
which the search index files the term under. `ignore` lists shorthand that carries no meaning for the
search ("s/p", "pt")."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from consultant.codes.shapes import ICD, normalise

SYNONYM_FILE = "data/synonyms.toml"
SYSTEMS = frozenset({"icd10cm"})
_TOKEN = re.compile(r"[a-z0-9]+")
_JOINED = re.compile(r"(?<![a-z0-9])([a-z])\s*[/&]\s*([a-z])(?![a-z0-9])")
# words that carry nothing for search, in a query or a term
STOPWORDS = frozenset("a an and the of or for to in on with by at as is are be code codes what which".split())
_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{0,4})?-?$")


def tokens(text: str) -> list[str]:
    """The words of `text` as search reads them: lower case, apostrophes dropped ("can't" -> "cant",
    "athlete's" -> "athletes"), two single letters around a slash or ampersand joined ("s/p" -> "sp",
    "n&v" -> "nv"), split on anything else that is not a letter or digit."""
    text = _JOINED.sub(r"\1\2", text.lower().replace("'", "").replace("\u2019", ""))
    return _TOKEN.findall(text)


def singular(word: str) -> str:
    """A plain English plural's singular, for matching table terms ("polyps" -> "polyp", "flies" -> "fly",
    "flashes" -> "flash"); other words unchanged."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes", "uses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def key(words: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(singular(w) for w in words)


@dataclass(frozen=True)
class Synonym:
    term: str
    means: str = ""
    codes: tuple[str, ...] = ()
    system: str = ICD

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(tokens(self.term))


class Table:
    """The entries and the ignored shorthand, indexed for matching: one-word terms by their singular;
    terms of several content words by the set of their canonical words (matched in any order); short
    terms ("a fib", "hep c") and ignored shorthand as runs of words (matched as typed)."""

    def __init__(self, entries: tuple[Synonym, ...], ignore: frozenset[tuple[str, ...]]) -> None:
        self.entries, self.ignore = entries, ignore
        self.single: dict[str, Synonym] = {singular(e.words[0]): e for e in entries if len(e.words) == 1}
        self.words: frozenset[str] = frozenset(
            {w for e in entries for w in (*e.words, *tokens(e.means))} | {w for p in ignore for w in p})
        self.runs: dict[tuple[str, ...], Synonym | None] = {self.run_key(p): None for p in ignore}
        self.bags: dict[str, list[tuple[frozenset[str], Synonym]]] = {}
        for entry in entries:
            if len(entry.words) == 1:
                continue
            content = [w for w in entry.words if w not in STOPWORDS]
            if len(content) < 2 or any(len(w) == 1 for w in content):
                self.runs[self.run_key(entry.words)] = entry
                continue
            needed = frozenset(c for w in content for c in self.canonical(w))
            for word in needed:
                self.bags.setdefault(word, []).append((needed, entry))
        self.longest_run = max((len(k) for k in self.runs), default=1)

    def run_key(self, words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """A run of words as runs are matched: each word canonical ("hep c" is "hepatitis c")."""
        return tuple(c for w in words for c in self.canonical(w))

    def lookup(self, word: str) -> Synonym | None:
        """The one-word term `word` is, as typed, as a plain plural, or as an abbreviation with an "s"
        ("utis", "dvts")."""
        return self.single.get(singular(word)) or (self.single.get(word[:-1]) if word.endswith("s") else None)

    def canonical(self, word: str, depth: int = 0) -> tuple[str, ...]:
        """A word as phrases are matched: singular, and a one-word synonym that names no code replaced
        by the words it means ("fx", "broken", "fractured" -> "fracture"; "fhx" -> "family history"),
        so that "hip fx", "broken hip" and "fractured hip" are the same phrase."""
        entry = self.lookup(word)
        word = singular(word)
        if entry is None or entry.codes or depth > 2:
            return (word,)
        meant = [w for w in tokens(entry.means) if w not in STOPWORDS]
        if not meant or len(meant) > 3:
            return (word,)
        return tuple(c for w in meant for c in self.canonical(w, depth + 1))


@dataclass(frozen=True)
class Piece:
    """Query words that a table entry matched (`synonym`), shorthand to drop (`ignored`), or one
    plain word."""

    words: tuple[str, ...]
    synonym: Synonym | None = None
    ignored: bool = False


def match(words: list[str], table: Table | None = None) -> list[Piece]:
    """The query `words` as pieces, in query order; each word belongs to one piece. First runs of
    words matched as typed (short terms, ignored shorthand), the longest first; then terms of several
    words by their content words in any order ("fracture of the left hip" has "broken hip" and
    "left"), the biggest first; then one-word terms."""
    table = table or shipped()
    owner: dict[int, Piece | None] = {}
    i = 0
    while i < len(words):
        for size in range(min(table.longest_run, len(words) - i), 0, -1):
            run = table.run_key(words[i:i + size])
            if run in table.runs:
                entry = table.runs[run]
                owner[i] = Piece(tuple(words[i:i + size]), synonym=entry, ignored=entry is None)
                owner.update((j, None) for j in range(i + 1, i + size))
                i += size
                break
        else:
            i += 1
    free = [i for i in range(len(words)) if i not in owner and words[i] not in STOPWORDS]
    canonical = {i: set(table.canonical(words[i])) for i in free}
    candidates = {pair for i in free for c in canonical[i] for pair in table.bags.get(c, ())}
    for needed, entry in sorted(candidates, key=lambda pair: (-len(pair[0]), pair[1].term)):
        at: dict[str, int] = {}
        for want in needed:
            for i in free:
                if i not in owner and want in canonical[i]:
                    at[want] = i
                    break
        if len(at) == len(needed):
            positions = sorted(set(at.values()))
            owner[positions[0]] = Piece(tuple(words[i] for i in positions), synonym=entry)
            owner.update((j, None) for j in positions[1:])
    pieces: list[Piece] = []
    for i, word in enumerate(words):
        if i in owner:
            if owner[i] is not None:
                pieces.append(owner[i])
        else:
            pieces.append(Piece((word,), synonym=table.lookup(word)))
    return pieces


@lru_cache(maxsize=1)
def shipped() -> Table:
    return parse(resources.files("consultant.codes").joinpath(SYNONYM_FILE).read_text("utf-8"))


def parse(text: str, name: str = SYNONYM_FILE) -> Table:
    """The table, checked: every entry has a term and means something or names codes; codes are
    ICD-10-CM shaped; no term appears twice (ignoring plurals)."""
    raw = tomllib.loads(text)
    entries: list[Synonym] = []
    seen: dict[tuple[str, ...], int] = {}
    for number, item in enumerate(raw.get("synonym", []), 1):
        unknown = set(item) - {"term", "means", "codes", "system"}
        if unknown:
            raise ValueError(f"{name}: synonym {number} has unknown keys {', '.join(sorted(unknown))}")
        term, means = str(item.get("term", "")).strip(), " ".join(str(item.get("means", "")).split())
        system = item.get("system", ICD)
        codes = item.get("codes", [])
        if not tokens(term):
            raise ValueError(f"{name}: synonym {number} has no term")
        if not means and not codes:
            raise ValueError(f"{name}: synonym {number} ({term}) means nothing and names no code")
        if system not in SYSTEMS:
            raise ValueError(f"{name}: synonym {number} ({term}) has unknown system {system!r}")
        bad = [c for c in codes if not isinstance(c, str) or not _CODE.match(c)]
        if bad:
            raise ValueError(f"{name}: synonym {number} ({term}) has codes not shaped like ICD-10-CM: {bad}")
        entry = Synonym(term, means, tuple(codes), system)
        if key(entry.words) in seen:
            raise ValueError(f"{name}: synonym {number} ({term}) repeats synonym {seen[key(entry.words)]}")
        seen[key(entry.words)] = number
        entries.append(entry)
    ignore = frozenset(key(tokens(p)) for p in raw.get("ignore", []) if tokens(p))
    clash = [" ".join(k) for k in ignore if k in seen]
    if clash:
        raise ValueError(f"{name}: ignored and also a synonym: {', '.join(sorted(clash))}")
    table = Table(tuple(entries), ignore)
    phrases: dict[frozenset[str], str] = {}
    for pairs in table.bags.values():
        for needed, entry in pairs:
            if phrases.setdefault(needed, entry.term) != entry.term:
                raise ValueError(f"{name}: {entry.term!r} and {phrases[needed]!r} are the same phrase")
    return table


def catalog_code(code: str) -> str:
    """The catalog form of a table code: "I21.-" -> "I21", "R53.8-" -> "R53.8"."""
    return normalise(ICD, code)


def is_category(code: str) -> bool:
    """Whether a table code stands for everything under it ("I21.-", "S72.0-")."""
    return code.endswith("-")
