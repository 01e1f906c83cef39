import json
from pathlib import Path

import pytest

from consultant.codes import search_quality
from consultant.codes.search_quality import accepts, load_queries, percentile, score
from consultant.db.session import session_scope

DEV = Path(__file__).parents[2] / "fixtures" / "search" / "dev.jsonl"
# the share of tests/fixtures/search/dev.jsonl with a right code in the top 5 that search reaches
# (89 of 89 when this bar was set; issue 13 asks for 95 %)
DEV_BAR = 1.0


class TestAccepts:
    @pytest.mark.parametrize("code, accept, right", [
        ("J18.9", ["J18.9"], True), ("J18.8", ["J18.9"], False),
        ("I21.4", ["I21.-"], True), ("I21", ["I21.-"], True), ("I22.0", ["I21.-"], False),
        ("R53.83", ["R53.8-"], True), ("R53.1", ["R53.8-", "R53.1"], True), ("R53.0", ["R53.8-"], False),
    ])
    def test_a_code_or_anything_under_a_category_ending_in_a_dash(self, code, accept, right):
        assert accepts(code, accept) is right


class TestLoadQueries:
    def test_reads_the_labelled_set(self):
        queries = load_queries(DEV)
        assert len(queries) == 89
        assert {q.kind for q in queries} == {"lay", "abbreviation", "misspelled", "plural", "clinical"}

    def test_refuses_a_line_without_right_codes(self, tmp_path):
        path = tmp_path / "bad.jsonl"
        path.write_text(json.dumps({"query": "uti"}) + "\n")
        with pytest.raises(ValueError, match="line 1 needs a query and the codes it accepts"):
            load_queries(path)


class TestScore:
    def test_the_labelled_dev_queries_find_a_right_code_in_the_top_five(self, app):
        with session_scope() as session:
            report = score(session, load_queries(DEV), top=5)
        assert report.total == 89
        assert report.share >= DEV_BAR, [(m.query, m.found) for m in report.misses]

    def test_counts_per_kind_and_keeps_the_misses(self, app, tmp_path):
        path = tmp_path / "two.jsonl"
        path.write_text(json.dumps({"id": "a", "query": "uti", "kind": "abbreviation", "accept": ["N39.0"]}) + "\n"
                        + json.dumps({"id": "b", "query": "uti", "kind": "lay", "accept": ["Z99.9"]}) + "\n")
        with session_scope() as session:
            report = score(session, load_queries(path), top=3, warm_up=False)
        assert (report.found, report.total, report.by_kind) == (1, 2, {"abbreviation": [1, 1], "lay": [0, 1]})
        assert [(m.id, m.found[0]) for m in report.misses] == [("b", "N39.0")]
        assert len(report.times_ms) == 2

    def test_the_command_prints_the_figures(self, app, tmp_path, capsys):
        path = tmp_path / "one.jsonl"
        path.write_text(json.dumps({"query": "afib", "kind": "abbreviation", "accept": ["I48.-"]}) + "\n")
        assert search_quality.main([str(path), "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert (printed["found"], printed["total"], printed["share"]) == (1, 1, 1.0)


def test_percentile_is_nearest_rank():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([float(n) for n in range(1, 101)], 99) == 99.0
    assert percentile([], 99) == 0.0
