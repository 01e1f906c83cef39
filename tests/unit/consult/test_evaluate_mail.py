"""The whole-mail scoring harness, on invented mail whose scores do not depend on how good the engine is."""

import json
import shutil
from pathlib import Path

import pytest

from consultant.consult.evaluate_mail import evaluate_mail

CATALOG = Path(__file__).parents[2] / "fixtures" / "questions" / "catalog"


def entry(id_, text, questions, **more):
    return {"id": id_, "from": f"{id_}@clinic.example", "date": "2026-06-14", "subject": "Code question",
            "text": text, "kind": "coding", "phi": [], "questions": questions, "note": "invented", **more}


def lookup(must, must_not=(), expect="auto"):
    return [{"intents": ["lookup"], "codes": ["K76.0"], "expect": expect, "settled": expect == "auto",
             "must": list(must), "must_not": list(must_not)}]


@pytest.fixture
def report(catalog_db, tmp_path, configure):
    configure()
    (tmp_path / "work").mkdir()
    shutil.copyfile(catalog_db, tmp_path / "work" / "icd-only.sqlite3")  # the harness builds it when missing
    entries = [
        entry("e1", "What is K76.0?", lookup(["K76.0", ["no such alternative", "fatty (change of) liver"]])),
        entry("e2", "What is K76.0?", lookup(["a phrase no reply has"])),
        entry("e3", "What is K76.0?", lookup(["K76.0"], must_not=["Fatty (change of) liver"])),
        entry("e4", "What is K76.0?", lookup(["K76.0"]), phi=["K76.0"]),
        entry("e5", "What is K76.0?", lookup([], expect="review"), catalog="icd-only"),
    ]
    return {s.id: s for s in evaluate_mail(entries, CATALOG, tmp_path / "work").scored}


class TestEvaluateMail:
    def test_an_answer_at_once_with_every_must_is_correct(self, report):
        [q] = report["e1"].questions
        assert (q.route, q.missing, q.wrong, q.at_once_correct) == ("auto", [], [], True)
        assert report["e1"].reply_kinds == ["answer"] and report["e1"].charged == 1

    def test_a_must_left_out_makes_it_incorrect(self, report):
        [q] = report["e2"].questions
        assert q.missing == ["a phrase no reply has"] and not q.at_once_correct

    def test_a_must_not_stated_is_wrong(self, report):
        assert report["e3"].wrong == ["Fatty (change of) liver"]

    def test_a_labelled_identifier_in_the_reply_is_a_leak(self, report):
        assert report["e4"].phi_leaks == ["K76.0"] and report["e1"].phi_leaks == []

    def test_each_email_runs_on_the_catalog_it_names(self, report):
        assert report["e5"].catalog == "icd-only" and report["e5"].questions[0].at_once

    def test_the_report_prints_the_figures_and_names_the_misses(self, report):
        from consultant.consult.evaluate_mail import MailReport

        text = MailReport(list(report.values())).render()
        assert "settled by the code sets, answered at once and correct  2 of 4 (50%)" in text
        assert "for review, answered at once anyway                     1 of 1 (100%)" in text
        assert "  e2 (" in text and "  e5 (" in text and "  e1 (" not in text
        assert "misses:" not in MailReport(list(report.values())).render(summary_only=True)


def test_the_labelled_sets_follow_the_schema():
    folder = CATALOG.parent / "coder"
    for path in sorted(folder.glob("*.jsonl")):
        ids = set()
        for line in path.read_text().splitlines():
            item = json.loads(line)
            assert item["id"] not in ids
            ids.add(item["id"])
            assert item["kind"] in ("coding", "non_coding", "emergency", "spam")
            assert item.get("catalog", "fixtures") in ("fixtures", "icd-only")
            for q in item["questions"]:
                assert q["expect"] in ("auto", "review", "either") and isinstance(q["must"], list)
