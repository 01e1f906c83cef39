"""The one table of code shapes: `codes show`/`codes check` read typed entries by it, mentions.py reads prose by it."""

import pytest

from consultant.codes import shapes
from consultant.codes.mentions import find_mentions
from consultant.codes.shapes import hcpcs_populated, icd_prose_shaped, normalise, pcs_shaped, readings


class TestReadings:
    @pytest.mark.parametrize(("given", "found"), [
        ("0002M", [("cpt", "0002M")]),
        ("0002m", [("cpt", "0002M")]),
        ("0042T", [("cpt", "0042T")]),
        ("3074F", [("cpt", "3074F")]),
        ("0001U", [("cpt", "0001U")]),
        ("s72001", [("icd10cm", "S72.001")]),
        ("i10", [("icd10cm", "I10")]),
        ("E1122", [("hcpcs", "E1122"), ("icd10cm", "E11.22")]),
        ("K70-K77", [("icd10cm", "K70-K77")]),
        ("25", [("modifier", "25")]),
        ("hello", []),
    ])
    def test_by_shape(self, given, found):
        assert readings(given) == found

    def test_a_claim_reads_no_blocks_or_modifiers(self):
        assert readings("K70-K77", claim=True) == [] and readings("25", claim=True) == []


class TestOneTable:
    @pytest.mark.parametrize("code", ["0002M", "0042T", "3074F", "0001U", "99213", "K76.0", "S72.001A", "0DTJ4ZZ"])
    def test_a_code_codes_show_reads_is_found_in_prose_the_same_way(self, code):
        [mention] = find_mentions(f"Hi, what is {code}? Thanks")
        assert [(mention.system, mention.code)] == readings(code)

    @pytest.mark.parametrize("code", ["J1100", "G0439", "E1122"])
    def test_a_code_both_sets_hold_is_read_both_ways_in_both_places(self, code):
        [mention] = find_mentions(f"What is {code}?")
        assert [(mention.system, mention.code), *mention.alternatives] == readings(code)

    def test_every_cpt_letter_is_a_cpt_shape(self):
        assert all(shapes.CPT.fullmatch(f"0002{letter}") for letter in shapes.CPT_LETTERS)
        assert shapes.CPT_LETTERS == "FMTU" and not shapes.CPT.fullmatch("0002X")


class TestHcpcsPopulated:
    @pytest.mark.parametrize(("code", "populated"), [
        ("J1100", True), ("E1122", True), ("R0075", True), ("R0789", False), ("K2970", False), ("D0120", False),
        ("M0201", True), ("M0500", False), ("J110", False), ("99213", False)])
    def test_inside_a_range_cms_fills(self, code, populated):
        assert hcpcs_populated(code) is populated


class TestIcdProseShaped:
    @pytest.mark.parametrize(("code", "shaped"), [
        ("K76.0", True), ("K760", True), ("Z3A.39", True), ("C4A", True), ("U07.1", True), ("U071", True),
        ("H1C", False), ("K7Z.1", False), ("U85", False), ("U85.1", False), ("9K76", False), ("K7", False)])
    def test_a_code_the_code_set_could_hold(self, code, shaped):
        assert icd_prose_shaped(code) is shaped


class TestPcsShaped:
    @pytest.mark.parametrize(("code", "shaped"), [
        ("0DTJ4ZZ", True), ("5A1955Z", True), ("BW20ZZZ", True), ("HZ2ZZZZ", True), ("XW033E5", True),
        ("0DIJ4ZZ", False), ("1234567", False), ("SURGERY", False), ("9ABCD12", False), ("0DTJ5ZZ", False)])
    def test_shaped_like_its_section(self, code, shaped):
        assert pcs_shaped(code) is shaped


class TestNormalise:
    @pytest.mark.parametrize(("system", "given", "code"), [
        ("icd10cm", "k760", "K76.0"), ("icd10cm", "M54.5-", "M54.5"), ("icd10cm", "I10.", "I10"),
        ("cpt", " 0002m ", "0002M"), ("hcpcs", "j1100", "J1100")])
    def test_upper_case_and_the_icd_dot(self, system, given, code):
        assert normalise(system, given) == code
