from collections import Counter

import pytest

from consultant.codes import spelling
from consultant.codes.spelling import allowed_edits, distance, trigrams
from consultant.db.session import session_scope


class TestDistance:
    @pytest.mark.parametrize("a, b, edits", [
        ("lupus", "lupus", 0), ("lupis", "lupus", 1), ("psoraisis", "psoriasis", 1),  # a swapped pair is one edit
        ("siatica", "sciatica", 1), ("gout", "gut", 1), ("dementia", "dimentai", 2), ("", "abc", 3),
    ])
    def test_counts_insertions_deletions_substitutions_and_swaps(self, a, b, edits):
        assert distance(a, b) == edits == distance(b, a)

    def test_a_limit_reports_anything_farther_as_limit_plus_one(self):
        assert distance("hyperlipidimia", "hyperlipidemia", limit=1) == 1
        assert distance("anemia", "leukemia", limit=1) == 2
        assert distance("a", "abcdef", limit=2) == 3

    def test_allowed_edits_grow_with_the_word(self):
        assert [allowed_edits(w) for w in ("lupis", "siatica", "gastroenteritus")] == [1, 2, 3]

    def test_trigrams_are_padded_like_pg_trgm(self):
        assert trigrams("gut") == {" gu", "gut", "ut "}


class TestNearest:
    @pytest.mark.parametrize("typed, meant", [
        ("lupis", "lupus"), ("rhuematoid", "rheumatoid"), ("siatica", "sciatica"), ("glacoma", "glaucoma"),
        ("hyperlipidimia", "hyperlipidemia"), ("gastroenteritus", "gastroenteritis"), ("pnemonia", "pneumonia"),
        ("menengitis", "meningitis"), ("fibromialgia", "fibromyalgia"),
    ])
    def test_finds_the_known_word_a_misspelling_meant(self, app, typed, meant):
        with session_scope() as session:
            assert spelling.nearest(session, typed) == meant

    @pytest.mark.parametrize("typed", ["xqzvbn", "ckd", "uti4"])
    def test_leaves_alone_what_is_too_far_too_short_or_not_a_word(self, app, typed):
        with session_scope() as session:
            assert spelling.nearest(session, typed) is None

    def test_counts_knows_words_and_the_singular_of_plurals(self, app):
        with session_scope() as session:
            found = spelling.counts(session, ["fracture", "polyps", "xqzvbn"])
        assert set(found) == {"fracture", "polyps"}
        assert found["fracture"] > 1000


class TestOnPostgresql:
    @pytest.fixture
    def vocabulary(self, configure, pg_url):
        from consultant.db.migrate import upgrade

        configure(database_url=pg_url)
        upgrade(pg_url)
        with session_scope() as session:
            spelling.rebuild_vocabulary(session, Counter({"lupus": 40, "lupoid": 2, "sciatica": 9, "pupil": 30}))

    def test_pg_trgm_finds_the_candidates(self, vocabulary):
        with session_scope() as session:
            assert spelling.nearest(session, "lupis") == "lupus"
            assert spelling.nearest(session, "siatica") == "sciatica"
            assert spelling.nearest(session, "glacoma") is None
            assert spelling.counts(session, ["lupus", "cirrhosis"]) == {"lupus": 40}
