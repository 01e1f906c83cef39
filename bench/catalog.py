"""Catalog benchmark: full ICD-10-CM load time, lookups and pair checks per second, search latency.

    python -m bench.catalog [--lookups 5000] [--checks 2000] [--searches 400]

Runs on a fresh SQLite database in a temporary directory (the embedded default). Aims on the
2-core reference machine: load under 60 s, lookup p99 under 1 ms, search p99 under 20 ms."""

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
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    os.environ["CONSULTANT_DATA_DIR"] = str(workdir)
    os.environ.pop("CONSULTANT_DATABASE_URL", None)
    try:
        run(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from consultant.bootstrap import load_catalog
    from consultant.codes.check import check_codes
    from consultant.codes.lookup import describe
    from consultant.codes.mentions import Mention, find_mentions
    from consultant.codes.models import CatalogCode
    from consultant.codes.search import search
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
        times = timed(lambda: search(session, rng.choice(QUERIES), limit=10), args.searches)
        print(line("search (top 10)", times))
    texts = [json.loads(row)["text"] for row in LABELLED.read_text(encoding="utf-8").splitlines() if row.strip()]
    print(line("mentions (one coder's email)", timed(lambda: find_mentions(rng.choice(texts)), args.lookups)))
    print(line("understand (split + intents)", timed(lambda: understand(rng.choice(texts)), args.lookups)))


if __name__ == "__main__":
    main()
