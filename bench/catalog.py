"""Catalog benchmark: full ICD-10-CM load time, lookups and pair checks per second, search latency and
search quality.

    python -m bench.catalog [--lookups 5000] [--checks 2000] [--searches 400]
                            [--quality tests/fixtures/search/dev.jsonl] [--postgres]

Runs on a fresh SQLite database in a temporary directory (the embedded default); with --postgres the
search figures are measured again on a throw-away PostgreSQL cluster (tests/support/servers.py) with the
same catalog. Search quality is the share of the labelled queries (--quality, JSON lines as in
tests/fixtures/search/README.md) with a right code in the top 5. Aims on the 2-core reference machine:
load under 60 s, lookup p99 under 1 ms, search p99 under 10 ms on SQLite and on PostgreSQL, at least
95 % of the labelled queries right in the top 5."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

QUERIES = [
    "nonalcoholic fatty liver disease", "type 2 diabetes without complications", "essential hypertension",
    "low back pain", "urinary tract infection", "generalized anxiety disorder", "gastroesophageal reflux",
    "hyperlipidemia", "headache", "fracture neck of femur", "asthma exacerbation", "chest pain",
    "chronic kidney disease stage 3", "atrial fibrillation", "major depressive disorder recurrent",
    "pressure ulcer sacral region stage 2", "sepsis due to e coli", "covid 19", "obesity bmi 40",
    "laparoscopic radiofrequency ablation liver tumor", "fracture", "pain", "K76", "S72.00",
]


LABELLED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "questions" / "labelled.jsonl"
SEARCH_DEV = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "search" / "dev.jsonl"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def timed(fn, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(name: str, times: list[float], unit: str = "ms") -> str:
    per_second = 1000 / statistics.mean(times) if times else 0.0
    return (f"{name:<24} n={len(times):<6} {per_second:>9.0f}/s   p50 {percentile(times, 50):6.3f} {unit}"
            f"   p99 {percentile(times, 99):6.3f} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--quality", type=Path, default=SEARCH_DEV, help="labelled search queries (JSON lines)")
    parser.add_argument("--postgres", action="store_true", help="measure search on PostgreSQL too")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    os.environ["CONSULTANT_DATA_DIR"] = str(workdir)
    os.environ.pop("CONSULTANT_DATABASE_URL", None)
    try:
        run(args)
        if args.postgres:
            run_postgres(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from consultant.bootstrap import load_catalog
    from consultant.codes.check import check_codes
    from consultant.codes.lookup import describe
    from consultant.codes.mentions import Mention, find_mentions
    from consultant.codes.models import CatalogCode
    from consultant.consult.understand.questions import understand
    from consultant.db.migrate import upgrade
    from consultant.db.session import session_scope
    from consultant.settings import get_settings

    upgrade(get_settings().resolved_database_url)
    started = time.perf_counter()
    summary = load_catalog()
    load_seconds = time.perf_counter() - started
    print(f"full load (ICD-10-CM codes, notes, lay texts, search index): {load_seconds:.1f} s  [{summary}]")

    rng = random.Random(7)
    with session_scope() as session:
        billable = session.scalars(select(CatalogCode.code).where(
            CatalogCode.system == "icd10cm", CatalogCode.kind == "billable")).all()
        sample = rng.sample(billable, 200)
        print(line("lookup (1 code)", timed(lambda: describe(session, [Mention("icd10cm", rng.choice(sample), 0)]),
                                            args.lookups)))
        pairs = [["K76.0", "K75.81"], ["E11.9", "I10"], ["47370", "76940"], ["99213", "20610", "J1100"],
                 ["S72.001A", "M54.50"]]
        print(line("check (2-3 codes)", timed(lambda: check_codes(session, rng.choice(pairs)), args.checks)))
        search_figures(session, args, "SQLite")
    texts = [json.loads(row)["text"] for row in LABELLED.read_text(encoding="utf-8").splitlines() if row.strip()]
    print(line("mentions (one coder's email)", timed(lambda: find_mentions(rng.choice(texts)), args.lookups)))
    print(line("understand (split + intents)", timed(lambda: understand(rng.choice(texts)), args.lookups)))


def search_figures(session, args: argparse.Namespace, where: str) -> None:
    """Search latency (every query warmed up once, then random picks) and quality on the labelled set."""
    from consultant.codes.search import search
    from consultant.codes.search_quality import load_queries, score

    labelled = load_queries(args.quality)
    queries = QUERIES + [item.query for item in labelled]
    for query in queries:
        search(session, query, limit=10)
    rng = random.Random(11)
    print(line(f"search {where} (top 10)", timed(lambda: search(session, rng.choice(queries), limit=10),
                                                  args.searches)))
    report = score(session, labelled, top=5)
    print(f"search {where} quality    {args.quality.name}: {report.summary()}")


def run_postgres(args: argparse.Namespace, workdir: Path) -> None:
    """The same catalog on a throw-away PostgreSQL cluster, then the search figures there."""
    import psycopg

    from consultant.bootstrap import load_catalog
    from consultant.db.migrate import upgrade
    from consultant.db.session import dispose_engines, session_scope
    from consultant.settings import get_settings
    from tests.support.servers import PostgresServer

    with PostgresServer() as server:
        url = server.create_database("bench_catalog")
        os.environ["CONSULTANT_DATABASE_URL"] = url
        get_settings.cache_clear()
        dispose_engines()
        try:
            upgrade(url)
            started = time.perf_counter()
            load_catalog()
            print(f"PostgreSQL load (codes, notes, lay texts, search index): {time.perf_counter() - started:.1f} s")
            with psycopg.connect(server.conninfo("bench_catalog"), autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
            with session_scope() as session:
                search_figures(session, args, "PostgreSQL")
        finally:
            dispose_engines()
            os.environ.pop("CONSULTANT_DATABASE_URL", None)
            get_settings.cache_clear()


if __name__ == "__main__":
    main()
