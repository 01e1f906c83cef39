"""What a demanding coder expects find_mentions to pick out of a question.

Decisions written down here:
- ICD-10-CM with a dot is a mention in any case ("e11.9" -> "E11.9"); a bare 3-character category
  counts only in capitals ("I10", not "i10" or "a10", which are words and abbreviations).
- ICD-10-CM without its dot ("E119") is not recognised: too easily a part number or an ID.
- A 5-character number is CPT-shaped (coders write CPT codes bare), so a ZIP code alone looks like
  one; a ZIP+4 ("10001-1234"), years, dates, times, phone numbers and decimals are never codes.
- A modifier suffix ("99213-25", "J1100-JW") names the base code.
"""

import pytest

from consultant.codes.mentions import Mention, find_mentions


def _codes(text: str) -> list[tuple[str, str]]:
    return [(m.system, m.code) for m in find_mentions(text)]


class TestFindMentions:
    def test_icd10cm_with_dots(self):
        assert _codes("Is K76.0 billable, or S72.001A, or T36.0X1A?") == [
            ("icd10cm", "K76.0"), ("icd10cm", "S72.001A"), ("icd10cm", "T36.0X1A")]

    def test_bare_category_in_capitals(self):
        assert _codes("Hypertension I10 with E11") == [("icd10cm", "I10"), ("icd10cm", "E11")]

    def test_bare_category_in_lowercase_is_not_a_code(self):
        assert _codes("take i10 and a10 and e11 please") == []

    def test_lowercase_dotted_code_is_normalised(self):
        assert _codes("what about e11.9?") == [("icd10cm", "E11.9")]

    def test_emergency_u_codes_need_their_dot(self):
        assert _codes("U07.1 and U07") == [("icd10cm", "U07.1")]

    def test_code_without_its_dot_is_not_recognised(self):
        assert _codes("K760 and E119") == []

    def test_index_dash_for_more_characters_still_names_the_code(self):
        assert _codes("M54.5- low back pain") == [("icd10cm", "M54.5")]

    def test_spine_levels_and_hyphenated_ranges_are_not_codes(self):
        assert _codes("fusion T12-L1 and C5-C6") == []

    def test_cpt_five_digits(self):
        assert _codes("99213 or 99214?") == [("cpt", "99213"), ("cpt", "99214")]

    def test_cpt_category_ii_iii_and_pla(self):
        assert _codes("0001F, 3074F, 0075T and 0001U") == [
            ("cpt", "0001F"), ("cpt", "3074F"), ("cpt", "0075T"), ("cpt", "0001U")]

    def test_lowercase_category_ii_is_normalised(self):
        assert _codes("3074f") == [("cpt", "3074F")]

    def test_hcpcs_level_ii(self):
        assert _codes("J1100 and G0439, A0425, E0114") == [
            ("hcpcs", "J1100"), ("hcpcs", "G0439"), ("hcpcs", "A0425"), ("hcpcs", "E0114")]

    def test_dental_cdt_codes_are_not_hcpcs(self):
        assert _codes("D0120") == []

    @pytest.mark.parametrize(("text", "code"), [("99213-25", ("cpt", "99213")), ("J1100-JW", ("hcpcs", "J1100")),
                                                ("3074F-8P", ("cpt", "3074F")), ("99213-25-59", ("cpt", "99213"))])
    def test_modifier_suffix_names_the_base_code(self, text, code):
        assert _codes(f"Bill {text} today") == [code]

    @pytest.mark.parametrize(
        "text",
        ["in 2026", "FY2026", "on 01/05/2026", "on 2026-01-05", "on 05.01.2026", "at 10:30", "at 10:30:15 AM",
         "call 555-123-4567", "call (212) 555-0199", "call 212.555.0199", "call +1 212 555 0199", "call 2125550199",
         "ZIP 10001-1234", "paid 12345.67", "ref 99213x2", "v2.0"],
    )
    def test_dates_years_times_phones_and_zip_plus_four_are_not_codes(self, text):
        assert _codes(text) == []

    def test_a_bare_five_digit_number_is_cpt_shaped(self):
        assert _codes("New York, NY 10001") == [("cpt", "10001")]

    def test_punctuation_around_codes(self):
        assert _codes("(K76.0); dx:I10, 99213. #J1100/E11.9") == [
            ("icd10cm", "K76.0"), ("icd10cm", "I10"), ("cpt", "99213"), ("hcpcs", "J1100"), ("icd10cm", "E11.9")]

    def test_codes_inside_words_and_numbers_are_not_codes(self):
        assert _codes("ABCI10 X99213 1234567 K76.0X9Z9 K76.01.2") == []

    def test_order_of_first_appearance_across_systems(self):
        assert _codes("J1100 then e11.9 then 99213 then I10") == [
            ("hcpcs", "J1100"), ("icd10cm", "E11.9"), ("cpt", "99213"), ("icd10cm", "I10")]

    def test_duplicates_are_reported_once_at_their_first_place(self):
        mentions = find_mentions("k76.0 first, then K76.0 again, then 99213 and 99213-25")
        assert mentions == [Mention("icd10cm", "K76.0", 0), Mention("cpt", "99213", 36)]

    def test_non_ascii_text_before_a_code_does_not_shift_positions(self):
        assert _codes("Straße: i10 but E11; ﬁnal: k76.0") == [("icd10cm", "E11"), ("icd10cm", "K76.0")]

    def test_no_text_no_mentions(self):
        assert find_mentions("") == []
        assert find_mentions("What is the right code for fatty liver?") == []
