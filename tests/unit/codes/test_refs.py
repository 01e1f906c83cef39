"""The note texts below are taken from the ICD-10-CM 2026 tabular list."""

import pytest

from consultant.codes.refs import Resolver, find_refs, ref_matches


class TestFindRefs:
    @pytest.mark.parametrize(("text", "refs"), [
        ("nonalcoholic steatohepatitis (NASH) (K75.81)", [{"code": "K75.81"}]),
        ("alcoholic liver disease (K70.-)", [{"prefix": "K70"}]),
        ("viral hepatitis (B15-B19)", [{"from": "B15", "to": "B19"}]),
        ("hemochromatosis (E83.11-)", [{"prefix": "E83.11"}]),
        ("physeal fracture of upper end of femur (S79.0-)", [{"prefix": "S79.0"}]),
        ("portal vein thrombosis (I81)", [{"code": "I81"}]),
        ("toxic liver disease (K71.-)", [{"prefix": "K71"}]),
        ("benign neoplasm of testis (D29.2.-)", [{"prefix": "D29.2"}]),
    ])
    def test_single_code_prefix_or_range(self, text, refs):
        assert find_refs(text) == refs

    def test_dotted_range(self):
        assert find_refs("cognitive deficits (I69.01-I69.11-, I69.21-I69.31-, I69.81- I69.91-)") == [
            {"from": "I69.01", "to": "I69.11"}, {"from": "I69.21", "to": "I69.31"}, {"from": "I69.81", "to": "I69.91"}]

    @pytest.mark.parametrize("text", ["(F10.-F19.-)", "(F10.--F19.-)", "(F10.- -F19.-)", "(F10-F19)"])
    def test_range_written_with_prefix_markers(self, text):
        assert find_refs(text) == [{"from": "F10", "to": "F19"}]

    @pytest.mark.parametrize(("text", "refs"), [
        ("(S00 - S09)", [{"from": "S00", "to": "S09"}]),
        ("(M05.00 to M05.8A)", [{"from": "M05.00", "to": "M05.8A"}]),
        ("(S12.0--S12.6.-)", [{"from": "S12.0", "to": "S12.6"}]),
        ("(K85-K86.-)", [{"from": "K85", "to": "K86"}]),
        ("(F98.2.-F98.3)", [{"from": "F98.2", "to": "F98.3"}]),
    ])
    def test_range_quirks(self, text, refs):
        assert find_refs(text) == refs

    def test_several_refs_in_one_parenthesis(self):
        assert find_refs("malignant melanoma of skin of genital organs (C51-C52, C60.-, C63.-)") == [
            {"from": "C51", "to": "C52"}, {"prefix": "C60"}, {"prefix": "C63"}]
        assert find_refs("(A00-R94 and T80-T88.6, T88.8)") == [
            {"from": "A00", "to": "R94"}, {"from": "T80", "to": "T88.6"}, {"code": "T88.8"}]
        assert find_refs("other acute respiratory tract infections (J00-J06; J20-J22)") == [
            {"from": "J00", "to": "J06"}, {"from": "J20", "to": "J22"}]

    def test_several_parentheses_each_read(self):
        assert find_refs("hallucinations (F10.151, F10.251) and delirium (F05)") == [
            {"code": "F10.151"}, {"code": "F10.251"}, {"code": "F05"}]

    def test_with_final_characters_expands_over_the_categories(self):
        assert find_refs("diabetic mononeuropathy (E08-E13 with .41)") == [
            {"code": f"E{n:02d}.41"} for n in range(8, 14)]
        assert find_refs("(E08, E09, E11, E13 with final characters .00 or .01)") == [
            {"code": f"{c}.{s}"} for c in ("E08", "E09", "E11", "E13") for s in ("00", "01")]

    def test_with_suffix_prefix_and_suffix_range(self):
        assert find_refs("(E08-E09 with .62-)") == [{"prefix": "E08.62"}, {"prefix": "E09.62"}]
        assert find_refs("(E10-E11 with .51-.52)") == [
            {"from": "E10.51", "to": "E10.52"}, {"from": "E11.51", "to": "E11.52"}]

    def test_typo_separators_in_suffix_lists(self):
        refs = find_refs("psychoactive drug use (F11-F19 with .15. .25, .95)")
        assert refs[:3] == [{"code": "F11.15"}, {"code": "F11.25"}, {"code": "F11.95"}]
        assert len(refs) == 27

    def test_with_ordinal_character_is_a_condition(self):
        assert find_refs("code for adverse effect (T36-T50 with fifth or sixth character 5)") == [
            {"from": "T36", "to": "T50", "where": {"positions": [5, 6], "values": ["5"]}}]
        assert find_refs("(T36-T65 with fifth or sixth character 1-4 or 6)")[0]["where"] == {
            "positions": [5, 6], "values": ["1", "2", "3", "4", "6"]}
        assert find_refs("open fracture (S42.- with 7th character B or C)") == [
            {"prefix": "S42", "where": {"positions": [7], "values": ["B", "C"]}}]
        assert find_refs("(J96. with 5th character 2)") == [
            {"prefix": "J96", "where": {"positions": [5], "values": ["2"]}}]
        spanning = find_refs("(F11-F19 with fifth to sixth characters 51)")
        assert spanning[0]["where"] == {"positions": [5], "values": ["51"]}

    def test_with_final_characters_dash_is_an_ending(self):
        assert find_refs("fluency disorder (I69. with final characters -23)") == [
            {"prefix": "I69", "where": {"ends": ["23"]}}]

    def test_condition_in_words_is_kept_as_text(self):
        assert find_refs("(T51-T65 with fifth or sixth character to indicate intent)") == [
            {"from": "T51", "to": "T65", "where": {"text": "fifth or sixth character to indicate intent"}}]

    @pytest.mark.parametrize("text", [
        "Vitamin B12 deficiency",
        "Anoctamin-5-related LGMD R12",
        "glucose-6-phosphate dehydrogenase (G6PD) deficiency",
        "Autosomal dominant hypocalcemia type 1 (ADH1)",
        "membranoproliferative glomerulonephritis (with C3 glomerulopathy)",
        "Signal transducer and activator of transcription 5B gene (STAT5b) defect",
    ])
    def test_words_that_look_like_codes_are_not_refs(self, text):
        assert find_refs(text) == []

    def test_running_text_codes_after_category_words(self):
        assert find_refs("Categories B90-B94 are to be used to indicate conditions in categories A00-B89") == [
            {"from": "B90", "to": "B94"}, {"from": "A00", "to": "B89"}]
        assert find_refs("pneumoconiosis associated with tuberculosis, any type in A15 (J65)") == [
            {"code": "A15"}, {"code": "J65"}]
        assert find_refs("diabetic acidosis - see categories E08-E10, E11, E13 with ketoacidosis") == [
            {"from": "E08", "to": "E10"}, {"code": "E11"}, {"code": "E13"}]

    def test_unclosed_or_misclosed_parenthesis(self):
        assert find_refs("electrolyte imbalance (E87.8}") == [{"code": "E87.8"}]
        assert find_refs("acquired absence of knee joint (Z89.52-") == [{"prefix": "Z89.52"}]

    def test_refs_are_deduplicated_in_order(self):
        assert find_refs("(K70.0) or (K70.1) or again (K70.0)") == [{"code": "K70.0"}, {"code": "K70.1"}]

    def test_text_without_codes(self):
        assert find_refs("A fracture not indicated as open or closed should be coded to closed") == []


class TestRefMatches:
    def test_code_matches_itself_and_what_lies_under_it(self):
        assert ref_matches({"code": "K75.81"}, "K75.81")
        assert ref_matches({"code": "S72.001"}, "S72.001A")
        assert not ref_matches({"code": "K75.81"}, "K75.8")
        assert not ref_matches({"code": "K75.8"}, "K75.9")

    def test_prefix(self):
        assert ref_matches({"prefix": "K70"}, "K70.30")
        assert not ref_matches({"prefix": "K70"}, "K71.0")

    def test_range_compares_at_the_length_of_its_ends(self):
        ref = {"from": "B15", "to": "B19"}
        assert ref_matches(ref, "B15.0") and ref_matches(ref, "B17.10") and ref_matches(ref, "B19.9")
        assert not ref_matches(ref, "B20") and not ref_matches(ref, "B14")
        dotted = {"from": "K70.0", "to": "K70.9"}
        assert ref_matches(dotted, "K70.31") and not ref_matches(dotted, "K71.0")

    def test_letter_categories_sort_after_digits(self):
        assert ref_matches({"from": "O00", "to": "O9A"}, "O9A.111")
        assert ref_matches({"from": "I10", "to": "I1A"}, "I1A.0")
        assert ref_matches({"from": "C00", "to": "C96"}, "C7A.010")

    def test_positional_condition(self):
        ref = {"from": "T36", "to": "T50", "where": {"positions": [5, 6], "values": ["5"]}}
        assert ref_matches(ref, "T36.0X5A")
        assert ref_matches(ref, "T45.AX5")  # sixth character: T45AX5
        assert not ref_matches(ref, "T36.0X1A")

    def test_ending_condition_ignores_the_seventh_character(self):
        ref = {"prefix": "I69", "where": {"ends": ["23"]}}
        assert ref_matches(ref, "I69.023") and not ref_matches(ref, "I69.020")
        assert ref_matches({"from": "T36", "to": "T50", "where": {"ends": ["6"]}}, "T36.0X6A")

    def test_unreadable_condition_over_matches(self):
        assert ref_matches({"from": "T51", "to": "T65", "where": {"text": "to indicate intent"}}, "T51.0X1A")


class TestResolver:
    CODES = ["K70", "K70.0", "K70.30", "K75.81", "S72.001", "S72.001A", "E08.41", "E09.41", "E10.41", "T36.0X5A"]

    def test_keeps_refs_that_name_codes(self):
        resolver = Resolver(self.CODES)
        assert resolver.resolve([{"code": "K75.81"}, {"prefix": "K70"}, {"from": "K70.0", "to": "K70.9"}]) == [
            {"code": "K75.81"}, {"prefix": "K70"}, {"from": "K70.0", "to": "K70.9"}]

    def test_drops_refs_that_name_nothing(self):
        refs = find_refs("diabetic mononeuropathy (E08-E13 with .41)")
        assert Resolver(self.CODES).resolve(refs) == [{"code": "E08.41"}, {"code": "E09.41"}, {"code": "E10.41"}]
        assert Resolver(self.CODES).resolve([{"code": "B12"}, {"from": "Q00", "to": "Q99"}]) == []

    def test_an_incomplete_code_becomes_a_prefix(self):
        assert Resolver(self.CODES).resolve([{"code": "S72.00"}]) == [{"prefix": "S72.00"}]

    def test_condition_must_match_some_code(self):
        resolver = Resolver(self.CODES)
        hit = {"from": "T36", "to": "T50", "where": {"positions": [5, 6], "values": ["5"]}}
        miss = {"from": "T36", "to": "T50", "where": {"positions": [5, 6], "values": ["9"]}}
        assert resolver.resolve([hit, miss]) == [hit]
