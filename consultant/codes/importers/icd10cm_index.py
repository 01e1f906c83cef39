"""The ICD-10-CM Alphabetic Index from the CDC's XML (the index file of the release zip that also holds
the tabular XML, e.g. icd10cm_index_2026.xml):

    <ICD10CM.index>
      <version>2026</version>
      <letter><title>A</title>
        <mainTerm><title>Abasia<nemod>(-astasia) (hysterical)</nemod></title><code>F44.4</code></mainTerm>
        <mainTerm><title>Abdominalgia</title><see>Pain, abdominal</see></mainTerm>
        <mainTerm><title>Abdomen, abdominal</title><seeAlso>condition</seeAlso>
          <term level="1"><title>acute</title><code>R10.0</code>
            <term level="2">...</term></term></mainTerm>

Each main term and subterm that names a code becomes an index term: its path from the main term down
("Abdomen, abdominal, acute" -> R10.0), nonessential modifiers kept in parentheses. A term that only
says "see X" gets the codes of X ("Abdominalgia" -> the codes of "Pain, abdominal"), up to three
references deep; "see also" adds nothing. Search files these terms under their codes, above descriptor
words. The file replaces the index terms of any earlier one, in one transaction; a malformed file is
refused with its line number and changes nothing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from consultant.codes.importers.base import ImportFormatError, ImportReport, new_release
from consultant.codes.models import IndexTerm
from consultant.codes.shapes import ICD, normalise

SYSTEM = "icd10cm"
RELEASE_SYSTEM = "icd10cm-index"
ROOT = "ICD10CM.index"
_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{0,4})?-?$")
_CODE_IN_TEXT = re.compile(r"\b[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?-?")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
SEE_DEPTH = 3


@dataclass
class Node:
    """A main term (level 0) or subterm, as the file gives it."""

    title: str
    level: int
    line: int
    codes: list[str] = field(default_factory=list)
    see: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    parent: Node | None = None

    @property
    def path(self) -> str:
        titles, node = [], self
        while node is not None:
            titles.append(node.title)
            node = node.parent
        return ", ".join(reversed(titles))


@dataclass(frozen=True)
class TermRow:
    term: str
    code: str
    see: str | None = None


@dataclass
class Index:
    version: str | None
    main_terms: list[Node]


def load(session: Session, path: Path, version: str | None = None) -> ImportReport:
    index = parse(path)
    rows = terms(index)
    if not rows:
        raise ImportFormatError(1, "no index term names a code", source=path.name)
    return _write(session, rows, source=path.name, version=version or default_version(index, path))


def default_version(index: Index, path: Path) -> str:
    year = index.version or (_YEAR.search(path.name).group(1) if _YEAR.search(path.name) else None)
    return f"ICD-10-CM Index {year}" if year else "ICD-10-CM Index"


def parse(path: Path) -> Index:
    """The file's main terms and subterms; ImportFormatError names the first line out of the layout.
    The XML is fed line by line so that every check knows where it stands."""
    parser = ET.XMLPullParser(events=("start", "end"))
    stack: list[Node] = []
    main_terms: list[Node] = []
    version: str | None = None
    root_seen = False
    number = 0
    try:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                parser.feed(line)
                for event, element in parser.read_events():
                    if not root_seen:
                        if element.tag != ROOT:
                            raise _error(number, f"root element is <{element.tag}>, not <{ROOT}>", path)
                        root_seen = True
                        continue
                    if event == "start":
                        if element.tag in ("mainTerm", "term"):
                            stack.append(_open(element, stack, number, path))
                        continue
                    version = _end(element, stack, main_terms, number, path) or version
            parser.close()
    except ET.ParseError as exc:
        raise _error(exc.position[0] if exc.position else number, f"not well-formed XML ({exc})", path) from None
    if not root_seen:
        raise _error(max(number, 1), f"no <{ROOT}> element: not an ICD-10-CM index file", path)
    if not main_terms:
        raise _error(max(number, 1), "no <mainTerm> elements", path)
    return Index(version, main_terms)


def _open(element: ET.Element, stack: list[Node], number: int, path: Path) -> Node:
    parent = stack[-1] if stack else None
    if element.tag == "mainTerm":
        if parent is not None:
            raise _error(number, "a <mainTerm> inside another term", path)
        return Node("", 0, number)
    if parent is None:
        raise _error(number, "a <term> outside any <mainTerm>", path)
    level = element.get("level")
    if level is not None and (not level.isdigit() or int(level) != parent.level + 1):
        raise _error(number, f"<term level=\"{level}\"> under a term of level {parent.level}", path)
    return Node("", parent.level + 1, number, parent=parent)


def _end(element: ET.Element, stack: list[Node], main_terms: list[Node], number: int, path: Path) -> str | None:
    """Take in one closed element; returns the release year when it was <version>."""
    tag = element.tag
    node = stack[-1] if stack else None
    if tag == "version" and node is None:
        return (element.text or "").strip() or None
    if node is None:
        return None
    if tag == "title" and not node.title:
        node.title = " ".join(" ".join(element.itertext()).split())
    elif tag == "code":
        code = (element.text or "").strip()
        if not _CODE.match(code):
            raise _error(number, f"<code>{code}</code> is not an ICD-10-CM code", path)
        node.codes.append(code)
    elif tag == "see":
        node.see.append(" ".join("".join(element.itertext()).split()))
    elif tag == "seecat":
        node.codes.extend(_CODE_IN_TEXT.findall("".join(element.itertext())))
    elif tag in ("mainTerm", "term"):
        stack.pop()
        if not node.title:
            raise _error(node.line, f"a <{tag}> without a <title>", path)
        if node.parent is None:
            main_terms.append(node)
        else:
            node.parent.children.append(node)
        element.clear()
    return None


def _error(line: int, reason: str, path: Path) -> ImportFormatError:
    return ImportFormatError(line, reason, source=path.name)


def terms(index: Index) -> list[TermRow]:
    """One row per (term, code): the codes a term names, else those its "see" reference names."""
    by_title: dict[str, list[Node]] = {}
    for node in index.main_terms:
        for name in _names(node.title):
            by_title.setdefault(name, []).append(node)
    rows: dict[tuple[str, str], TermRow] = {}
    for node in _walk(index.main_terms):
        for code in node.codes:
            rows.setdefault((node.path, code), TermRow(node.path, code))
        if node.codes:
            continue
        for see in node.see:
            for code in _see_codes(see, by_title, SEE_DEPTH):
                rows.setdefault((node.path, code), TermRow(node.path, code, see))
    return [TermRow(r.term, normalise(ICD, r.code), r.see) for r in rows.values()]


def _walk(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _see_codes(see: str, by_title: dict[str, list[Node]], depth: int) -> list[str]:
    """The codes of the term a reference names: "Pain, abdominal" is main term "Pain", subterm
    "abdominal" (titles may hold commas themselves: "Abdomen, abdominal"; the longest fit first)."""
    if depth == 0:
        return []
    target = _find(see, by_title)
    if target is None:
        return []
    if target.codes:
        return list(target.codes)
    return [code for other in target.see for code in _see_codes(other, by_title, depth - 1)]


def _find(see: str, by_title: dict[str, list[Node]]) -> Node | None:
    parts = [p.strip() for p in see.split(",") if p.strip()]
    for cut in range(len(parts), 0, -1):
        for main in by_title.get(_essential(", ".join(parts[:cut])), ()):
            found = _descend(main, parts[cut:])
            if found is not None:
                return found
    return None


def _descend(node: Node, parts: list[str]) -> Node | None:
    if not parts:
        return node
    for cut in range(len(parts), 0, -1):
        wanted = _essential(", ".join(parts[:cut]))
        for child in node.children:
            if wanted in _names(child.title):
                found = _descend(child, parts[cut:])
                if found is not None:
                    return found
    return None


def _names(title: str) -> set[str]:
    """What a reference may call a term: its title, or one of the forms it lists ("Infarct,
    infarction" is "infarct" as well; "myocardium, myocardial (acute)" is "myocardium")."""
    essential = _essential(title)
    return {essential, *(part.strip() for part in essential.split(",") if part.strip())}


def _essential(title: str) -> str:
    """A title without its nonessential modifiers, in lower case: "Pneumonia (acute)" -> "pneumonia"."""
    return " ".join(re.sub(r"\([^)]*\)", " ", title).lower().split())


def _write(session: Session, rows: list[TermRow], *, source: str, version: str) -> ImportReport:
    release = new_release(session, RELEASE_SYSTEM, source, version)
    before = set(session.execute(select(IndexTerm.term, IndexTerm.code).where(IndexTerm.system == SYSTEM)).all())
    after = {(r.term, r.code) for r in rows}
    session.execute(delete(IndexTerm).where(IndexTerm.system == SYSTEM))
    values = [{"system": SYSTEM, "term": r.term, "code": r.code, "see": r.see, "release_id": release.id} for r in rows]
    for start in range(0, len(values), 5000):
        session.execute(insert(IndexTerm), values[start:start + 5000])
    release.added, release.removed = len(after - before), len(before - after)
    return ImportReport(RELEASE_SYSTEM, source, version, release.id, release.added, 0, release.removed, len(rows))
