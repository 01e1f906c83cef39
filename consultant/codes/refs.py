"""The codes an ICD-10-CM instructional note points at, read from the note's text.

A reference is a dict:
  {"code": "K75.81"}                       a complete code (and, if it is a header, what lies under it)
  {"prefix": "K70"}                        "K70.-", "S72.0-": the codes that start with it
  {"from": "B15", "to": "B19"}             "B15-B19", "K70.0-K70.9": every code between, bounds included
and may carry "where", a condition the tabular states in words:
  {"positions": [5, 6], "values": ["5"]}   "with fifth or sixth character 5" (positions count characters
                                           without the dot, 1-based; a value may span several positions)
  {"ends": ["23"]}                         "with final characters -23" (7th-character extensions aside)
  {"text": "..."}                          a condition we cannot read; the ref then over-matches.

"(E08-E13 with .44)" names E08.44, E09.44 ... E13.44; it is expanded into those codes.
Only parenthesised groups are read, plus, in running text, codes that cannot be anything else
(dotted, a range, or after "category", "code", "in", ...): "vitamin B12" is not a code.

Pure functions: `find_refs(text)` parses, `ref_matches(ref, code)` tests a code, `Resolver` keeps
the refs that name codes present in a catalog."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence

_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
# a code, then "-", ".-", "--", "." (more characters needed), or nothing more of a word
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9])(" + _CODE + r")(?:(\.?-+)|(\.)(?![0-9A-Za-z])|(?![A-Za-z0-9]))"
)
_GROUP = re.compile(r"\(([^()]*?)(?:[)}]|$)")
_WITH = re.compile(r",?\s*\bwith\b", re.I)
_RANGE_GAP = re.compile(r"[\s\-\u2013]*(?:(?:to|through|thru)[\s\-\u2013]*)?", re.I)
_LIST_GAP = re.compile(r"[\s,;\-\u2013]*(?:(?:and|or|to|through)[\s\-\u2013]*)?")
_DASHED = re.compile(r"[A-Z0-9]\s*[-\u2013]\s*[A-Z]")
_SUFFIX = re.compile(r"(?<![0-9A-Z])\.([0-9A-Z]{1,4})(?:\s*-\s*\.([0-9A-Z]{1,4})|(-))?")
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "six": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6, "7th": 7,
    "8th": 8, "9th": 9,
}
_ORDINAL = r"(?:first|second|third|fourth|fifth|sixth|six|seventh|eighth|ninth|final|[1-9](?:st|nd|rd|th))"
_POSITIONAL = re.compile(
    r"^(?:.*?\b)?(" + _ORDINAL + r"(?:\s*(?:or|to|and|,)\s*" + _ORDINAL + r")*)[\s-]+characters?\s+(.+?)\s*$", re.I
)
_VALUE_ITEM = re.compile(r"^-?([0-9A-Z]+)(?:\s*-\s*([0-9A-Z]))?$")
# words after which a bare 3-character token in running text is a code
_TRIGGER = re.compile(
    r"(?:\bcategor(?:y|ies)|\bsubcategor(?:y|ies)|\bcodes?|\bclassified|\bclassifiable|\bin|\bto|\bsee|\bfrom)"
    r"[\s,:]*$",
    re.I,
)


def find_refs(text: str) -> list[dict]:
    """Every reference in a note's text, in order, without duplicates."""
    found: list[tuple[int, dict]] = []
    spans: list[tuple[int, int]] = []
    for group in _GROUP.finditer(text):
        spans.append(group.span())
        found += [(group.start(), ref) for ref in _group_refs(group.group(1))]
    found += _running_text_refs(text, spans)
    found.sort(key=lambda item: item[0])
    refs: list[dict] = []
    for _, ref in found:
        if ref not in refs:
            refs.append(ref)
    return refs


def _group_refs(body: str) -> list[dict]:
    """One parenthesised group: codes, prefixes and ranges, and an optional "with ..." condition."""
    split = _WITH.search(body)
    base, condition = (body[: split.start()], body[split.end():]) if split else (body, "")
    refs = _base_refs(base)
    if not refs or not condition.strip():
        return refs
    return _apply_condition(refs, condition.strip())


def _base_refs(text: str) -> list[dict]:
    tokens = list(_TOKEN.finditer(text))
    refs: list[dict] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if after is not None and _is_range(text, token, after):
            refs.append({"from": token.group(1), "to": after.group(1)})
            index += 2
            continue
        refs.append(_single(token))
        index += 1
    return refs


def _single(token: re.Match) -> dict:
    open_ended = token.group(2) is not None or token.group(3) is not None
    return {"prefix": token.group(1)} if open_ended else {"code": token.group(1)}


def _is_range(text: str, first: re.Match, second: re.Match) -> bool:
    """Two codes joined by a dash (or "to") and nothing else; "X.- Y.-" after a dash marker too."""
    gap = text[first.end():second.start()]
    if not _RANGE_GAP.fullmatch(gap):
        return False
    return gap.strip() != "" or first.group(2) is not None or gap == ""


def _running_text_refs(text: str, groups: list[tuple[int, int]]) -> list[tuple[int, dict]]:
    """Outside parentheses: a run of codes counts when it can only be codes."""
    refs: list[tuple[int, dict]] = []
    tokens = [t for t in _TOKEN.finditer(text) if not any(s <= t.start() < e for s, e in groups)]
    runs: list[list[re.Match]] = []
    for token in tokens:
        if runs and _LIST_GAP.fullmatch(text[runs[-1][-1].end():token.start()]):
            runs[-1].append(token)
        else:
            runs.append([token])
    for run in runs:
        start, end = run[0].start(), run[-1].end()
        chunk = text[start:end]
        unambiguous = any("." in t.group(0) or t.group(2) for t in run) or bool(_DASHED.search(chunk))
        if unambiguous or _TRIGGER.search(text[max(0, start - 40):start]):
            refs += [(start, ref) for ref in _base_refs(chunk)]
    return refs


def _apply_condition(refs: list[dict], condition: str) -> list[dict]:
    suffixes = list(_SUFFIX.finditer(condition))
    if suffixes:
        expanded = _expand_suffixes(refs, suffixes)
        if expanded is not None:
            return expanded
        return [{**_as_subtree(ref), "where": {"text": condition}} for ref in refs]
    where = _positional(condition)
    return [{**_as_subtree(ref), "where": where} for ref in refs]


def _as_subtree(ref: dict) -> dict:
    """A code with a condition on its further characters stands for the codes under it."""
    return {"prefix": ref["code"]} if "code" in ref else ref


def _expand_suffixes(refs: list[dict], suffixes: list[re.Match]) -> list[dict] | None:
    """(E08-E13 with .44, .45-) -> E08.44, E08.45-, E09.44 ...; only over 3-character categories."""
    categories: list[str] = []
    for ref in refs:
        if "from" in ref:
            span = _category_span(ref["from"], ref["to"])
            if span is None:
                return None
            categories += span
        else:
            code = ref.get("code") or ref["prefix"]
            if len(code) != 3:
                return None
            categories.append(code)
    expanded = []
    for category in categories:
        for suffix in suffixes:
            first, last, dash = suffix.groups()
            if last:
                expanded.append({"from": f"{category}.{first}", "to": f"{category}.{last}"})
            elif dash:
                expanded.append({"prefix": f"{category}.{first}"})
            else:
                expanded.append({"code": f"{category}.{first}"})
    return expanded


def _category_span(first: str, last: str) -> list[str] | None:
    """E08..E13 -> E08, E09, E10, E11, E12, E13 (the resolver drops the ones that do not exist)."""
    if len(first) != 3 or len(last) != 3 or first[0] != last[0]:
        return None
    if not (first[1:].isdigit() and last[1:].isdigit()) or int(first[1:]) > int(last[1:]):
        return None
    return [f"{first[0]}{n:02d}" for n in range(int(first[1:]), int(last[1:]) + 1)]


def _positional(condition: str) -> dict:
    match = _POSITIONAL.match(condition)
    if not match:
        return {"text": condition}
    ordinals = re.findall(_ORDINAL, match.group(1), re.I)
    values = _values(match.group(2))
    if values is None:
        return {"text": condition}
    if any(o.lower() == "final" for o in ordinals):
        return {"ends": values}
    positions = [_ORDINALS[o.lower()] for o in ordinals]
    if re.search(r"\bto\b", match.group(1), re.I):
        positions = positions[:1]  # "fifth to sixth characters 51": a value spanning both
    return {"positions": positions, "values": values}


def _values(text: str) -> list[str] | None:
    """ "1-4 or 6" -> 1, 2, 3, 4, 6; "B or C"; "51"; "-23"."""
    values: list[str] = []
    for item in re.split(r"\s*(?:,|\bor\b|\band\b)\s*", text.strip().rstrip(".")):
        if not item:
            continue
        match = _VALUE_ITEM.match(item)
        if not match:
            return None
        first, last = match.groups()
        if last:
            if len(first) != 1:
                return None
            values += [chr(c) for c in range(ord(first), ord(last) + 1)]
        else:
            values.append(first)
    return values or None


def ref_matches(ref: dict, code: str) -> bool:
    """Whether `code` (dotted ICD-10-CM) is one of the codes `ref` names."""
    if "from" in ref:
        inside = code[: len(ref["from"])] >= ref["from"] and code[: len(ref["to"])] <= ref["to"]
    else:
        inside = code.startswith(ref.get("code") or ref["prefix"])
    return inside and _meets(ref.get("where"), code)


def _meets(where: dict | None, code: str) -> bool:
    if not where or "text" in where:
        return True
    bare = code.replace(".", "")
    if "ends" in where:
        stem = bare[:6] if len(bare) == 7 else bare
        return any(stem.endswith(value) for value in where["ends"])
    return any(bare[p - 1 : p - 1 + len(v)] == v for p in where["positions"] for v in where["values"])


class Resolver:
    """Checks refs against the codes of a catalog (sorted, dotted); keeps the ones that name something."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.codes: Sequence[str] = sorted(set(codes))
        self._set = frozenset(self.codes)

    def resolve(self, refs: list[dict]) -> list[dict]:
        kept = []
        for ref in refs:
            ref = self._settle(ref)
            if ref is not None and ref not in kept:
                kept.append(ref)
        return kept

    def _settle(self, ref: dict) -> dict | None:
        if "code" in ref:
            if ref["code"] in self._set:
                return ref
            ref = {"prefix": ref["code"], **{k: v for k, v in ref.items() if k != "code"}}
        return ref if self._any(ref) else None

    def _any(self, ref: dict) -> bool:
        start = ref.get("from") or ref.get("prefix")
        codes = self.codes
        for index in range(bisect_left(codes, start), len(codes)):
            code = codes[index]
            if not (code.startswith(start) or ("from" in ref and code[: len(ref["to"])] <= ref["to"])):
                return False
            if ref_matches(ref, code):
                return True
        return False
