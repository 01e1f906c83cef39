"""How well search finds the codes coders mean: a labelled query file scored as the share of queries
with a right code in the top N, per kind of query, with the time each search took.

    python -m consultant.codes.search_quality tests/fixtures/search/dev.jsonl [--top 5] [--misses] [--json]

One JSON object a line (tests/fixtures/search/README.md): `query`, `accept` (codes, any of which is a
right result; "I21.-" or "R53.8-" stands for every code under it), `kind` (lay, abbreviation,
misspelled, plural, clinical), optional `id`. The catalog is the configured database's."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from consultant.codes.search import search


@dataclass(frozen=True)
class Labelled:
    id: str
    query: str
    kind: str
    accept: tuple[str, ...]


@dataclass(frozen=True)
class Miss:
    id: str
    query: str
    kind: str
    found: tuple[str, ...]


@dataclass
class QualityReport:
    total: int = 0
    found: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [found, total]
    misses: list[Miss] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.found / self.total if self.total else 0.0

    def percentile_ms(self, q: float) -> float:
        return percentile(self.times_ms, q)

    def as_dict(self) -> dict:
        return {"total": self.total, "found": self.found, "share": round(self.share, 4), "by_kind": self.by_kind,
                "p50_ms": round(self.percentile_ms(50), 3), "p99_ms": round(self.percentile_ms(99), 3),
                "misses": [asdict(m) for m in self.misses]}

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} {found}/{total}" for kind, (found, total) in sorted(self.by_kind.items()))
        return (f"{self.found}/{self.total} ({self.share:.1%}) with a right code in the top results"
                f" [{kinds}]; search p50 {self.percentile_ms(50):.1f} ms, p99 {self.percentile_ms(99):.1f} ms")


def accepts(code: str, accept: tuple[str, ...] | list[str]) -> bool:
    """Whether `code` is one of the right results: the code itself, or under a category ending in "-"."""
    for wanted in accept:
        if wanted.endswith("-"):
            if code.startswith(wanted.rstrip("-").rstrip(".")):
                return True
        elif code == wanted:
            return True
    return False


def load_queries(path: Path) -> list[Labelled]:
    """The labelled queries of a JSON-lines file; a line without a query or right codes is refused."""
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if not item.get("query") or not item.get("accept"):
            raise ValueError(f"{path.name}: line {number} needs a query and the codes it accepts")
        queries.append(Labelled(str(item.get("id", number)), item["query"], item.get("kind", "other"),
                                tuple(item["accept"])))
    return queries


def score(session: Session, queries: list[Labelled], top: int = 5, system: str | None = "icd10cm",
          warm_up: bool = True) -> QualityReport:
    """Search each query once (after a first pass that is not timed, when `warm_up`) and count those
    with a right code among the first `top`."""
    if warm_up:
        for item in queries:
            search(session, item.query, system=system, limit=top)
    report = QualityReport()
    for item in queries:
        started = time.perf_counter()
        hits = search(session, item.query, system=system, limit=top)
        report.times_ms.append((time.perf_counter() - started) * 1000)
        counts = report.by_kind.setdefault(item.kind, [0, 0])
        counts[1] += 1
        report.total += 1
        if any(accepts(hit.code, item.accept) for hit in hits):
            counts[0] += 1
            report.found += 1
        else:
            report.misses.append(Miss(item.id, item.query, item.kind, tuple(h.code for h in hits)))
    return report


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--system", default="icd10cm")
    parser.add_argument("--misses", action="store_true", help="list the queries without a right code")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from consultant.bootstrap import ensure_ready
    from consultant.db.session import session_scope
    from consultant.settings import get_settings

    ensure_ready(get_settings(), codes=True)
    with session_scope() as session:
        report = score(session, load_queries(args.file), top=args.top, system=args.system or None)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    print(report.summary())
    if args.misses:
        for miss in report.misses:
            print(f"  {miss.id:<8} {miss.kind:<13} {miss.query!r}: {', '.join(miss.found) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
