"""The street/ZIP recogniser the PHI screen and code mentions share."""

import re

import pytest

from consultant.text.addresses import (
    ZIP_HINTS, addresses, plus_four_after, state_of_an_address, street_number_at, zip_codes, zip_label_or_place_before)


def _spans(found, text):
    return [text[start:end] for start, end in found]


class TestAddresses:
    @pytest.mark.parametrize("address", [
        "742 Evergreen Terrace", "1600 Oakridge Ave Apt 4B", "PO Box 4471", "P.O. Box 12", "55 N Maple Dr",
        "2201 West 78th St", "18 Willow Creek Lane", "10001 North Main Street", "9 Elm Sq", "500 Elm St."])
    def test_street_and_box(self, address):
        text = f"lives at {address} now"
        assert _spans(addresses(text), text) == [address]

    @pytest.mark.parametrize("text", ["our office on Main Street, Suite 400", "99213 visits", "10001 oak street"])
    def test_not_without_a_number_and_a_capitalised_street(self, text):
        assert list(addresses(text)) == []


class TestZipCodes:
    @pytest.mark.parametrize(("text", "found"), [
        ("Springfield, IL 62704", ["62704"]), ("DALLAS, TX 75201", ["75201"]), ("McAllen, TX 78501", ["78501"]),
        ("NY 10001", ["10001"]), ("Texas 75201", ["75201"]), ("ZIP 10025-1234", ["10025-1234"]),
        ("zip code 30303", ["30303"]), ("Patient's ZIP is 10001", ["10001"]), ("zip no. 30303", ["30303"]),
        ("postal code: 30303", ["30303"]), ("ZIP codes 10001, 10002 and 10003", ["10001", "10002", "10003"])])
    def test_shown_as_a_zip(self, text, found):
        assert _spans(zip_codes(text), text) == found

    @pytest.mark.parametrize("text", ["Is 10021 the FNA code?", "PA 99213 visit", "MA 97110 x2", "ZIP 1000"])
    def test_bare_five_digits_are_not(self, text):
        assert list(zip_codes(text)) == []


class TestStreetNumberAt:
    def test_a_number_before_a_street(self):
        text = "10001 Oak Street and 11000 W 78th St"
        assert street_number_at(text, 5) and street_number_at(text, 26)

    def test_a_number_before_other_words(self):
        assert not street_number_at("10001 units of Oak", 5)


class TestZipLabelOrPlaceBefore:
    @pytest.mark.parametrize("text", [
        "ZIP 10001", "zip code is 10001", "ZIP codes 10001, 10002 and 10003", "Dallas, TX 75201", "NY 10001",
        "Austin, Texas 78701"])
    def test_before_the_last_number(self, text):
        assert zip_label_or_place_before(text, len(text) - 5)

    @pytest.mark.parametrize("text", ["ZIP 10001", "zip code is 10001", "Dallas, TX 75201", "Austin, Texas 78701"])
    def test_a_hint_word_is_among_the_last_three_words_before_it(self, text):
        assert not ZIP_HINTS.isdisjoint(re.findall(r"[A-Z]+", text.upper()[:-5])[-3:])

    @pytest.mark.parametrize("text", ["Is 10021", "PA 99213", "CPT 99213", "MA 97110", "claim 99213"])
    def test_nothing_of_the_kind(self, text):
        assert not zip_label_or_place_before(text, len(text) - 5)


class TestPlusFourAfter:
    def test_a_dash_and_four_digits(self):
        assert plus_four_after("10001-1234", 5) and plus_four_after("10001\u20131234 ", 5)

    def test_a_modifier_or_a_longer_number(self):
        assert not plus_four_after("99213-25", 5) and not plus_four_after("00409-48880", 5)


class TestStateOfAnAddress:
    @pytest.mark.parametrize(("text", "start"), [("Atlanta, GA", 9), ("GA 30303", 0), ("sent from GA, 30303", 10)])
    def test_a_state(self, text, start):
        assert state_of_an_address(text, start, start + 2)

    def test_a_modifier(self):
        assert not state_of_an_address("append GA to 99213", 7, 9)
