import pytest
from sqlalchemy import select

from consultant.codes import synonyms
from consultant.codes.models import CatalogCode
from consultant.codes.synonyms import match, parse, shipped, singular, tokens
from consultant.db.session import session_scope


def pieces(query: str, table=None) -> list[tuple[str, str | None]]:
    """(words, the term that matched them, or "ignored") for each piece of the query."""
    found = []
    for piece in match(tokens(query), table):
        label = "ignored" if piece.ignored else piece.synonym.term if piece.synonym else None
        found.append((" ".join(piece.words), label))
    return found


TABLE = parse("""
ignore = ["s/p", "all the time"]
synonym = [
  { term = "fx", means = "fracture" },
  { term = "broken", means = "fracture" },
  { term = "hx", means = "history" },
  { term = "fhx", means = "family history" },
  { term = "ca", means = "cancer" },
  { term = "cancer", means = "malignant neoplasm" },
  { term = "broken hip", means = "fracture of head and neck of femur", codes = ["S72.0-"] },
  { term = "family history of colon cancer", means = "family history of malignant neoplasm of digestive organs", codes = ["Z80.0"] },
  { term = "uti", means = "urinary tract infection", codes = ["N39.0"] },
  { term = "a fib", means = "atrial fibrillation", codes = ["I48.91"] },
  { term = "hep", means = "hepatitis" },
  { term = "hepatitis c", means = "viral hepatitis C", codes = ["B18.2"] },
]
""")


class TestTheShippedTable:
    def test_has_at_least_300_entries_each_meaning_something(self):
        table = shipped()
        assert len(table.entries) >= 300
        assert all(entry.means or entry.codes for entry in table.entries)

    def test_every_code_it_names_is_in_the_loaded_catalog(self, app):
        wanted = {synonyms.catalog_code(code): code for entry in shipped().entries for code in entry.codes}
        with session_scope() as session:
            present = dict(session.execute(select(CatalogCode.code, CatalogCode.kind).where(
                CatalogCode.system == "icd10cm", CatalogCode.code.in_(sorted(wanted)))).all())
            missing = sorted(raw for code, raw in wanted.items() if code not in present)
            empty_categories = sorted(
                raw for code, raw in wanted.items() if synonyms.is_category(raw) and present.get(code) != "header")
        assert missing == []
        assert empty_categories == []  # "I21.-" must be a category with codes under it

    def test_covers_the_everyday_terms_the_issue_names(self):
        table = shipped()
        for term in ("uti", "afib", "heart attack", "broken hip", "flu shot", "pneumonia"):
            assert [label for _, label in pieces(term, table)] == [term]


class TestParse:
    @pytest.mark.parametrize("text, reason", [
        ('synonym = [{ term = "x", means = "" }]', "means nothing and names no code"),
        ('synonym = [{ term = "", means = "y" }]', "has no term"),
        ('synonym = [{ term = "x", codes = ["not a code"] }]', "not shaped like ICD-10-CM"),
        ('synonym = [{ term = "x", means = "y", note = "z" }]', "unknown keys note"),
        ('synonym = [{ term = "polyp", means = "a" }, { term = "polyps", means = "b" }]', "repeats synonym 1"),
        ('ignore = ["pt"]\nsynonym = [{ term = "pt", means = "patient" }]', "ignored and also a synonym"),
        ('synonym = [{ term = "fx", means = "fracture" }, { term = "broken", means = "fracture" },'
         ' { term = "hip fx", means = "a" }, { term = "broken hip", means = "b" }]', "are the same phrase"),
    ])
    def test_refuses_a_bad_table_naming_the_entry(self, text, reason):
        with pytest.raises(ValueError, match=reason):
            parse(text)


class TestTokens:
    def test_apostrophes_drop_and_single_letters_around_a_slash_join(self):
        assert tokens("Can't sleep, s/p TKR, N & V") == ["cant", "sleep", "sp", "tkr", "nv"]

    @pytest.mark.parametrize("plural, one", [("polyps", "polyp"), ("flies", "fly"), ("flashes", "flash"),
                                             ("calluses", "callus"), ("sinus", "sinus"), ("crisis", "crisis")])
    def test_singular(self, plural, one):
        assert singular(plural) == one


class TestMatch:
    @pytest.mark.parametrize("query", ["broken hip", "hip fx", "fx of the hip", "hip broken"])
    def test_a_phrase_matches_its_words_in_any_order_and_one_word_shorthand_inside_it(self, query):
        assert [label for _, label in pieces(query, TABLE) if label] == ["broken hip"]

    def test_other_words_stay_pieces_of_their_own(self):
        assert pieces("left hip fx", TABLE) == [("left", None), ("hip fx", "broken hip")]

    def test_shorthand_that_means_several_words_fills_a_longer_phrase(self):
        assert pieces("fhx colon ca", TABLE) == [("fhx colon ca", "family history of colon cancer")]

    def test_short_terms_match_as_typed_runs_with_their_shorthand_spelled_out(self):
        assert pieces("a fib", TABLE) == [("a fib", "a fib")]
        assert pieces("hep c", TABLE) == [("hep c", "hepatitis c")]
        assert pieces("fib a", TABLE) == [("fib", None), ("a", None)]

    def test_ignored_shorthand_is_marked_and_plurals_find_their_term(self):
        assert pieces("s/p utis all the time", TABLE) == [("sp", "ignored"), ("utis", "uti"), ("all the time", "ignored")]
