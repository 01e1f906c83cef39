"""What a demanding coder expects find_mentions to pick out of a question.

The decisions themselves are written down in consultant/codes/mentions.py; the labelled set
(tests/fixtures/mentions/labelled.jsonl) holds the realistic sentences they are measured on.

Expectations changed from the first version of this module:
- "K760 and E119": dotless ICD-10-CM now counts when it is a real code, in capitals (was: never).
- "99213-25", "J1100-JW", "3074F-8P", "99213-25-59": the modifiers are mentions too (was: only the base code).
- "New York, NY 10001": a ZIP code after a state is not a code (was: a bare five digits is CPT-shaped; it
  still is, without the address: "Is 10021 the FNA code?").
- Duplicates: "99213-25" after "99213" adds modifier 25 attached to 99213.
- "k760", "s72001", "i10" in lower case: a real ICD-10-CM code counts in any case (was: capitals only), and
  a lower-case category counts when the code set has it ("take i10 and a10 and e11": I10 and E11; was: none).
- "J1100", "G0439" with no word that settles them: HCPCS, with the ICD-10-CM reading in `alternatives`
  (was: HCPCS alone); the code list is read for such a token unless words next to it settle HCPCS.
"""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.codes import mentions as mentions_module
from consultant.codes.mentions import Mention, find_mentions
from tests.unit.codes.mention_report import mention_scores, report

LABELLED = Path(__file__).parents[2] / "fixtures" / "mentions" / "labelled.jsonl"


_PIECES = ["99213", "-25", " ", ", ", "modifier", "K76.0", "E119", "J1100", "0DTJ4ZZ", "ZIP", "NY", "$", "-", "–",
           "RT", "and", "or", "10001", "-1234", "x2", "ß", "ﬁ", "\n", ".", "(", "use", "59", "is", "needed", "GA",
           "Atlanta,", "#", "invoice", "E08", "99202-05", "3074F", "-8P"]


def _codes(text: str) -> list[tuple[str, str]]:
    return [(m.system, m.code) for m in find_mentions(text)]


class TestFindMentions:
    def test_icd10cm_with_dots(self):
        assert _codes("Is K76.0 billable, or S72.001A, or T36.0X1A?") == [
            ("icd10cm", "K76.0"), ("icd10cm", "S72.001A"), ("icd10cm", "T36.0X1A")]

    def test_bare_category_in_capitals(self):
        assert _codes("Hypertension I10 with E11") == [("icd10cm", "I10"), ("icd10cm", "E11")]

    def test_bare_category_in_lowercase_counts_when_the_code_set_has_it(self):
        assert _codes("take i10 and a10 and e11 please") == [("icd10cm", "I10"), ("icd10cm", "E11")]

    @pytest.mark.parametrize("text", ["x10 reps", "repeat q12 hours", "2 tabs x12 days", "H1B visa holder"])
    def test_category_shaped_words_in_lowercase_or_not_in_the_code_set_are_not_codes(self, text):
        assert _codes(text) == []

    @pytest.mark.parametrize("text", ["an N95 mask", "ANSI X12 837P", "vitamin B12", "fusion T10-T12"])
    def test_category_shaped_words_are_not_codes(self, text):
        assert _codes(text) == []

    def test_lowercase_dotted_code_is_normalised(self):
        assert _codes("what about e11.9?") == [("icd10cm", "E11.9")]

    def test_emergency_u_codes_need_their_dot(self):
        assert _codes("U07.1 and U07") == [("icd10cm", "U07.1")]

    def test_real_code_without_its_dot_gets_its_dot(self):
        assert _codes("K760 and E119, S72001A, W19XXXA") == [
            ("icd10cm", "K76.0"), ("icd10cm", "E11.9"), ("icd10cm", "S72.001A"), ("icd10cm", "W19.XXXA")]

    def test_code_without_its_dot_needs_to_be_real(self):
        assert _codes("A999 and K76Z") == []

    @pytest.mark.parametrize(("text", "expected"), [
        ("k760 and e119", [("icd10cm", "K76.0"), ("icd10cm", "E11.9")]),
        ("is s72001 complete?", [("icd10cm", "S72.001")]),
        ("i10", [("icd10cm", "I10")]),
        ("pt has i10", [("icd10cm", "I10")]),
        ("j441 or j449?", [("icd10cm", "J44.1"), ("icd10cm", "J44.9")]),
        ("S72001a", [("icd10cm", "S72.001A")]),
        ("z86010 billable?", [("icd10cm", "Z86.010")]),
    ])
    def test_code_without_its_dot_in_lower_case(self, text, expected):
        assert _codes(text) == expected

    @pytest.mark.parametrize(("text", "expected"), [
        ("E119", ("icd10cm", "E11.9")),  # three digits after the letter: only ICD-10-CM has that shape
        ("E1190", ("hcpcs", "E1190")),  # inside E0100-E8099: HCPCS
        ("R0789", ("icd10cm", "R07.89")),  # R-codes in HCPCS are only R0070-R0076
        ("K2970", ("icd10cm", "K29.70")),
        ("dx E1165", ("icd10cm", "E11.65")),  # a diagnosis says which one
        ("E1165", ("hcpcs", "E1165")),
        ("E1190", ("hcpcs", "E1190")),  # E11.90 is no ICD-10-CM code
        ("D0120", None),  # dental CDT, and not an ICD-10-CM code either
        ("D649", ("icd10cm", "D64.9")),
    ])
    def test_letter_and_four_digits_is_hcpcs_inside_its_range_else_dotless_icd(self, text, expected):
        assert _codes(text) == ([expected] if expected else [])

    @pytest.mark.parametrize(("text", "expected"), [
        ("E1122 for diabetes", ("icd10cm", "E11.22")),
        ("Type 2 diabetes with CKD: E1122?", ("icd10cm", "E11.22")),
        ("pt has E1122", ("icd10cm", "E11.22")),
        ("Dx codes I10, E1122 and N184 on the same claim?", ("icd10cm", "E11.22")),
        ("ICD-10 J1100 for the flu", ("icd10cm", "J11.00")),
        ("how many units of J1100 per day", ("hcpcs", "J1100")),
        ("J1100 x 2", ("hcpcs", "J1100")),
        ("J1100-JW and J1100-JZ on the same line?", ("hcpcs", "J1100")),
        ("Single dose vial of dexamethasone J1100, we used it all.", ("hcpcs", "J1100")),
        ("Use G0438 (initial AWV) or G0439 (subsequent AWV).", ("hcpcs", "G0439")),
        ("dx E0601", ("hcpcs", "E0601")),  # E06.01 is no ICD-10-CM code: the only reading
    ])
    def test_words_next_to_a_code_both_sets_hold_settle_it(self, text, expected):
        found = [m for m in find_mentions(text) if m.code.replace(".", "") == expected[1].replace(".", "")]
        assert [(m.system, m.code, m.alternatives) for m in found] == [(*expected, ())]

    @pytest.mark.parametrize(("text", "expected"), [
        ("What is E1122?", (("hcpcs", "E1122"), ("icd10cm", "E11.22"))),
        ("Can you give me the full description for J1100?", (("hcpcs", "J1100"), ("icd10cm", "J11.00"))),
        ("I10, E1122 and N184 on the same claim?", (("icd10cm", "E11.22"), ("hcpcs", "E1122"))),
        ("E1122 diabetes with CKD, billed J1100 x 2 units", (("hcpcs", "J1100"), ("icd10cm", "J11.00"))),
        ("dx J1100, or is it the drug?", (("icd10cm", "J11.00"), ("hcpcs", "J1100"))),
    ])
    def test_a_code_both_sets_hold_with_nothing_to_settle_it_names_both_readings(self, text, expected):
        (first, *others) = expected
        [found] = [m for m in find_mentions(text) if m.code.replace(".", "") == first[1].replace(".", "")]
        assert ((found.system, found.code), *found.alternatives) == expected

    def test_a_code_settled_in_one_place_is_settled_everywhere(self):
        mentions = find_mentions("What is J1100? We gave 4 units of J1100.")
        assert [(m.system, m.code, m.alternatives, m.start) for m in mentions] == [("hcpcs", "J1100", (), 8)]

    def test_a_code_settled_two_ways_is_named_both_ways(self):
        assert _codes("dx J11.00 is J1100 here; and J1100 x 4 units") == [
            ("icd10cm", "J11.00"), ("hcpcs", "J1100")]

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

    @pytest.mark.parametrize("text", [
        "Is 0002M billable?", "Hi,\n\nDo we report 0002M with 80076?\n\nThanks", "0002m for the liver panel",
        "CPT 0002M", "(0002M)", "0002M-59"])
    def test_cpt_multianalyte_assays_end_in_m(self, text):
        assert _codes(text)[0] == ("cpt", "0002M")

    @pytest.mark.parametrize("text", ["Is 0042T billable?", "Hi,\n\nWas 0042T deleted?\n\nThanks", "is 0042t ok"])
    def test_cpt_category_iii_in_mail(self, text):
        assert _codes(text) == [("cpt", "0042T")]

    @pytest.mark.parametrize("text", ["ran 1500m", "heparin 5000u SQ", "a 2000t truck"])
    def test_lower_case_m_t_u_without_a_leading_zero_are_not_codes(self, text):
        assert _codes(text) == []

    def test_units_written_on_the_code(self):
        assert _codes("97110x4 and 97140 x 2") == [("cpt", "97110"), ("cpt", "97140")]

    def test_hcpcs_level_ii(self):
        assert _codes("J1100 and G0439, A0425, E0114") == [
            ("hcpcs", "J1100"), ("hcpcs", "G0439"), ("hcpcs", "A0425"), ("hcpcs", "E0114")]

    def test_dental_cdt_codes_are_not_hcpcs(self):
        assert _codes("D0120") == []

    def test_icd10pcs_in_capitals(self):
        assert _codes("0DTJ4ZZ, 5A1955Z, 30233N1, BW20ZZZ, HZ2ZZZZ and XW033E5") == [
            ("pcs", "0DTJ4ZZ"), ("pcs", "5A1955Z"), ("pcs", "30233N1"), ("pcs", "BW20ZZZ"), ("pcs", "HZ2ZZZZ"),
            ("pcs", "XW033E5")]

    @pytest.mark.parametrize("text", ["0dtj4zz", "1234567", "SURGERY", "CPT2024", "HCPCS25", "9ABCD12", "0DIJ4ZZ"])
    def test_pcs_shaped_tokens_that_are_not_pcs(self, text):
        assert _codes(text) == []

    @pytest.mark.parametrize(("text", "expected"), [
        ("99213-25", [("cpt", "99213"), ("modifier", "25")]),
        ("J1100-JW", [("hcpcs", "J1100"), ("modifier", "JW")]),
        ("3074F-8P", [("cpt", "3074F"), ("modifier", "8P")]),
        ("99213-25-59", [("cpt", "99213"), ("modifier", "25"), ("modifier", "59")]),
        ("20610-RT/LT", [("cpt", "20610"), ("modifier", "RT"), ("modifier", "LT")]),
        ("99213–25", [("cpt", "99213"), ("modifier", "25")]),  # en dash
    ])
    def test_modifier_written_on_a_code(self, text, expected):
        assert _codes(f"Bill {text} today") == expected
        assert {m.attached_to for m in find_mentions(f"Bill {text} today") if m.system == "modifier"} == {
            expected[0][1]}

    @pytest.mark.parametrize(("text", "expected"), [
        ("modifier 25 or 59?", ["25", "59"]),
        ("mod 59", ["59"]),
        ("Is modifier 25 OK?", ["25"]),
        ("modifiers 25, 59, and XU", ["25", "59", "XU"]),
        ("the 25 and 59 modifiers", ["25", "59"]),
        ("use modifier xs here", ["XS"]),
        ("Q: -XS vs -59?", ["XS", "59"]),
        ("XU or XS for 20552?", ["XU", "XS"]),
        ("Bill 27447 RT and 27447 LT.", ["RT", "LT"]),
        ("Should I use 59 on 11102?", ["59"]),
        ("Lesion excision 11602: does the E/M need a 25?", ["25"]),
        ("Is 50 needed on 64483?", ["50"]),
        ("THE PATIENT HAD 99213. IS MODIFIER 25 OR 59 NEEDED?", ["25", "59"]),
    ])
    def test_modifiers_with_their_context(self, text, expected):
        assert [m.code for m in find_mentions(text) if m.system == "modifier"] == expected

    @pytest.mark.parametrize("text", [
        "modifier to be used", "the modifier is missing", "AS NOTED, IT IS TO BE BILLED ON THE UB-04 IF WE GO AHEAD.",
        "RT consult 77263 today", "TC of 280 on the lipid panel 80061", "GA 32 weeks with 59025",
        "GC/CT NAAT 87491", "The balance is -25 after the adjustment.", "Place of service 19 vs 22 for 96365?",
        "with 25 minutes of 99213", "Patients aged 50-64 had 99397.", "Atlanta, GA 30303 sent 99213",
        "modifier 10 is not a thing",
    ])
    def test_two_characters_that_are_not_modifiers(self, text):
        assert [m.code for m in find_mentions(text) if m.system == "modifier"] == []

    @pytest.mark.parametrize(("text", "expected"), [
        ("99202-99205", ["99202", "99205"]),
        ("99202–99205", ["99202", "99205"]),
        ("99202-05", ["99202", "99205"]),
        ("E08-E13", ["E08", "E13"]),
        ("0001F-0015F", ["0001F", "0015F"]),
        ("J0120-J9999", ["J0120", "J9999"]),
    ])
    def test_a_range_names_both_ends(self, text, expected):
        assert [m.code for m in find_mentions(f"Codes {text} apply")] == expected

    @pytest.mark.parametrize(
        "text",
        ["in 2026", "FY2026", "on 01/05/2026", "on 2026-01-05", "on 05.01.2026", "on 20261124", "at 10:30",
         "at 10:30:15 AM", "call 555-123-4567", "call (212) 555-0199", "call 212.555.0199", "call +1 212 555 0199",
         "call 2125550199", "call 1-800-555-0199 ext. 20610", "fax: 212 555 0199", "ZIP 10001-1234", "paid 12345.67",
         "ref 99213x2", "v2.0", "version 10001", "v2020"],
    )
    def test_dates_years_times_phones_versions_and_zip_plus_four_are_not_codes(self, text):
        assert _codes(text) == []

    @pytest.mark.parametrize("text", [
        "a1", "to", "x2", "r/o", "10mg", "500mg", "2.5mg", "x10", "q4h", "q12h", "in 2026", "FY2026",
        "on 1/5/2026", "dated 01-05-2026", "call 555-201-3344", "ZIP 10001", "room c101", "Rm. A210", "Room 210",
        "rm 4b", "bed 12", "room 20610", "pt seen x2 r/o mi", "r/o pna, f/u 2 wks", "BP 120/80 HR 72", "t2dm", "a1c 7.2",
        "hba1c", "f2f", "s/p", "h/o", "b12 shot", "covid19", "l4-l5", "c5-6"])
    def test_ordinary_words_and_numbers_in_lower_case_are_not_codes(self, text):
        assert _codes(text) == []

    @pytest.mark.parametrize("text", [
        "X-Received: by 2002:a17:902:8c98:: with SMTP", "from [2404:6800:4008:c05::1a] said", "2002:A17:902::1",
        "Received: from (p25-nyaan.kyoto.example.ne.jp [203.0.113.5])", "by r20-ffe0020.example.com",
        "Apple Message framework v936", "bh=KTxM8Qkn+d43+BK8k6jT1xB", "https://example.org/?id=a17&x=1",
        "d=aol.com; s=a2048; t=1528961417"])
    def test_parts_of_addresses_hosts_and_encoded_text_are_not_codes(self, text):
        assert _codes(text) == []

    @pytest.mark.parametrize(("text", "expected"), [
        ("ICD:E11 and dx:i10", [("icd10cm", "E11"), ("icd10cm", "I10")]),
        ("E11: diabetes", [("icd10cm", "E11")]),
        ("i10/e11/n184", [("icd10cm", "I10"), ("icd10cm", "E11"), ("icd10cm", "N18.4")]),
        ("k760. Thanks a", [("icd10cm", "K76.0")]),  # the first word of the text, the text ending in a letter
        ("+k760 and e11=", [("icd10cm", "K76.0"), ("icd10cm", "E11")]),
    ])
    def test_codes_next_to_punctuation_still_count(self, text, expected):
        assert _codes(text) == expected

    @pytest.mark.parametrize(
        "text",
        ["New York, NY 10001", "NY 10001", "Dallas, TX 75201", "DALLAS, TX 75201", "Austin, Texas 78701",
         "Patient's ZIP is 10001", "zip code: 10001", "ZIP codes 10001, 10002 and 10003", "PO Box 20610",
         "10001 Oak Street", "10001 North Main Street", "2201 Elm Sq", "Suite 20610", "$99213", "$ 47370", "USD 47370", "99213 dollars", "10001 units",
         "invoice #47370", "acct 99213", "claim number 12345", "NPI 1234567890", "MRN: 47370", "Member ID XQJ4829",
         "policy 99213", "Tax ID 12-3456789", "auth #47370", "check # 12345", "NDC 00409-4888-02",
         "Invoice INV-20610", "remark code M86"],
    )
    def test_zip_codes_money_and_labelled_numbers_are_not_codes(self, text):
        assert _codes(text) == []

    def test_a_number_shown_to_be_a_zip_code_is_one_everywhere(self):
        assert _codes("ZIP lookup says 60601 is locality 16, Chicago IL 60601.") == []

    def test_label_only_covers_its_own_number(self):
        assert _codes("Ref: 47370. The payer says 47370 needs 76940.") == [("cpt", "47370"), ("cpt", "76940")]

    @pytest.mark.parametrize("text", ["CT 74177 with contrast", "Telephone 98966 vs 99441", "In that case 99214",
                                      "Is 10021 the FNA code?"])
    def test_five_digit_codes_next_to_words_that_are_sometimes_labels(self, text):
        assert _codes(text)[0][0] == "cpt"

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
        assert mentions == [Mention("icd10cm", "K76.0", 0), Mention("cpt", "99213", 36),
                            Mention("modifier", "25", 52, attached_to="99213")]

    def test_a_modifier_is_reported_once_per_code_it_is_written_on(self):
        mentions = find_mentions("99213-25 and 99214-25, modifier 25 again, and modifier 59")
        assert [(m.code, m.attached_to) for m in mentions if m.system == "modifier"] == [
            ("25", "99213"), ("25", "99214"), ("59", None)]

    def test_positions_are_where_the_code_is_written(self):
        text = "Was K760 right for 99213-25?"
        assert [(m.code, text[m.start : m.end]) for m in find_mentions(text)] == [
            ("K76.0", "K760"), ("99213", "99213"), ("25", "25")]

    def test_non_ascii_text_before_a_code_does_not_shift_positions(self):
        text = "Straße: i10 but E11; ﬁnal: k76.0"
        assert [(m.code, text[m.start : m.end]) for m in find_mentions(text)] == [
            ("I10", "i10"), ("E11", "E11"), ("K76.0", "k76.0")]

    def test_no_text_no_mentions(self):
        assert find_mentions("") == []
        assert find_mentions("What is the right code for fatty liver?") == []

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(_PIECES), max_size=20).map("".join) | st.text(max_size=60))
    def test_every_mention_lies_where_its_code_is_written(self, text):
        for mention in find_mentions(text):
            assert 0 <= mention.start < mention.end <= len(text)
            written = text[mention.start : mention.end].upper().replace(".", "")
            assert mention.code.replace(".", "").endswith(written)  # "99202-05" names 99205 where "05" is

    def test_the_icd10cm_code_list_is_not_read_without_a_dotless_candidate(self, monkeypatch):
        def refuse(code):
            raise AssertionError(f"code list read for {code}")

        monkeypatch.setattr(mentions_module, "is_icd10cm_code", refuse)
        text = "K76.0 or e11.9 with 99213-25 and 0DTJ4ZZ; call 212-555-0199, ZIP 10001, 10mg x2, r/o, in 2026"
        assert len(find_mentions(text)) == 5

    def test_the_code_list_is_read_for_a_letter_and_four_digits_unless_words_settle_hcpcs(self, monkeypatch):
        asked = []
        monkeypatch.setattr(mentions_module, "is_icd10cm_code", lambda code: asked.append(code) or False)
        find_mentions("J1100 x 4 units, J1885 injection and G0439 for the AWV. Is G2211 ok?")
        assert asked == ["G22.11"]


class TestMention:
    def test_end_defaults_to_the_length_of_the_code(self):
        assert Mention("cpt", "99213", 10).end == 15

    def test_as_dict_names_the_system_and_code(self):
        assert Mention("cpt", "99213", 0).as_dict() == {"system": "cpt", "code": "99213"}

    def test_as_dict_names_the_readings_left_open(self):
        assert find_mentions("What is J1100?")[0].as_dict() == {
            "system": "hcpcs", "code": "J1100", "alternatives": [{"system": "icd10cm", "code": "J11.00"}]}

    def test_as_dict_of_an_attached_modifier_names_its_code(self):
        assert find_mentions("99213-25")[1].as_dict() == {"system": "modifier", "code": "25", "attached_to": "99213"}


class TestLabelledSet:
    def test_precision_and_recall_are_at_least_097(self):
        scores = mention_scores(LABELLED)
        print(report(scores))
        assert scores["sentences"] >= 150
        overall = scores["overall"]
        assert overall["precision"] >= 0.97 and overall["recall"] >= 0.97, report(scores)


class TestMentionScores:
    def test_micro_averages_over_system_code_pairs(self, tmp_path):
        labelled = tmp_path / "labelled.jsonl"
        labelled.write_text(
            '{"text": "Is 99213 ok with 20610?", "expected": [["cpt", "99213"], ["cpt", "20610"]]}\n'
            '{"text": "Invoice #47370", "expected": []}\n'
            '{"text": "Dx K76.0 with 99213-25", "expected": [["icd10cm", "K76.0"], ["cpt", "99213"]]}\n')
        scores = mention_scores(labelled)
        assert scores["sentences"] == 3
        assert scores["overall"] == {"tp": 4, "fp": 1, "fn": 0, "precision": 0.8, "recall": 1.0}
        assert scores["systems"]["modifier"]["fp"] == 1
        assert scores["misses"] == [
            {"text": "Dx K76.0 with 99213-25", "missing": [], "extra": [("modifier", "25")]}]


_EMAIL = """Hi team,

Quick question on a claim from last week (DOS 11/24/2026). The provider saw an established patient for
follow-up of hypertension (I10) and type 2 diabetes (e11.65, z79.4) and billed 99214 with G2211. During the
same visit she injected the right knee, 20610-RT, with J3301 x 40 units (Kenalog), dx m17.11. The payer
denied 20610 with CO-97 and says the E/M needs modifier 25 or the injection needs 59/XS. Which is right?

Also, for the same patient the hospital billed 93306-26 and 93000 on a different date, and the PT clinic
billed 97110 GP x4, 97140 GP x2 and 97530 GP. Is CQ needed when the PTA does 97110? Our MUE report shows
97110x4 as over the limit for this payer. Do we need KX after the therapy threshold?

Invoice #47370 and account 99213 are unrelated to the codes above. Patient ID XQJ4829, policy 88812,
group 47370. Remit to PO Box 20610, Dallas, TX 75201; our office is at 350 Fifth Avenue, New York, NY 10118.
Call me at (212) 555-0199 or 212.555.0188, fax 212-555-0177, ext. 20610. Our NPI is 1234567890 and our Tax
ID 12-3456789. Payment of $99213 posted on 2026-11-24 (obviously a typo); USD 47370 was the quarterly total.

One more: 99202-99205 for new patients, is 99205 with 99417 OK when time is 75 minutes? And can 45378 be
reported with 45380 and 45385 in the same session, or only the highest? For the colonoscopy the dx was
z12.11 and k57.30. We also have 0DTJ4ZZ on an inpatient claim for appendicitis k35.80.

Last thing, about the 2027 fee schedule meeting on 12/02 at 10:30: the lab wants to know if 80053 and
80061 drawn with 36415 on the same day need anything, and whether 87880 with QW is still required for a
CLIA-waived rapid strep. They also asked about 3074F and 3079F for the blood pressure measure.

Thanks so much for your help with these -- the team is new to coding and we appreciate it.
Dana, CPC
Coding Specialist, Acme Medical Group
"""
