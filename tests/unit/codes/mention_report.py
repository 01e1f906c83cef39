"""Scores find_mentions against a labelled set, one JSON object a line:
{"text": ..., "expected": [[system, code], ...]}.

Precision and recall are micro-averaged over (system, code) pairs, each sentence counted as a set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from consultant.codes.mentions import find_mentions


def load(labelled_path: Path | str) -> list[tuple[str, set[tuple[str, str]]]]:
    rows = []
    for line in Path(labelled_path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((row["text"], {(system, code) for system, code in row["expected"]}))
    return rows


def mention_scores(labelled_path: Path | str) -> dict:
    """{"sentences", "overall": {...}, "systems": {system: {...}}, "misses": [...]}; each score holds tp, fp,
    fn, precision and recall. A miss is a sentence with a missed ("missing") or unexpected ("extra") pair."""
    counts: dict[str, Counter] = {}
    misses = []
    rows = load(labelled_path)
    for text, expected in rows:
        found = {(m.system, m.code) for m in find_mentions(text)}
        for outcome, pairs in (("tp", found & expected), ("fp", found - expected), ("fn", expected - found)):
            for system, _ in pairs:
                counts.setdefault(system, Counter())[outcome] += 1
        if found != expected:
            misses.append({"text": text, "missing": sorted(expected - found), "extra": sorted(found - expected)})
    overall = sum(counts.values(), Counter())
    return {
        "sentences": len(rows),
        "overall": _score(overall),
        "systems": {system: _score(counts[system]) for system in sorted(counts)},
        "misses": misses,
    }


def report(scores: dict) -> str:
    lines = [f"{scores['sentences']} sentences",
             f"{'system':<10} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>3} {'fn':>3}"]
    for name, score in [*scores["systems"].items(), ("overall", scores["overall"])]:
        lines.append(f"{name:<10} {score['precision']:>9.3f} {score['recall']:>7.3f} "
                     f"{score['tp']:>4} {score['fp']:>3} {score['fn']:>3}")
    for miss in scores["misses"]:
        lines.append(f"MISS {miss['text']!r}: missing {miss['missing']} extra {miss['extra']}")
    return "\n".join(lines)


def _score(counts: Counter) -> dict:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}
