"""The coding and medical words screening leans on."""

import pytest

from consultant.consult.screen.vocabulary import is_coding_word, is_medical_word, is_subject_matter, words


class TestWords:
    def test_codes_and_slashed_abbreviations_stay_whole(self):
        assert words("Is E/M 99213-25 OK for K76.0?") == ["is", "e/m", "99213-25", "ok", "for", "k76", "0"]

    @pytest.mark.parametrize("word", ["code", "Billing", "modifier", "dx", "NCCI", "e/m", "telehealth"])
    def test_coding_words(self, word):
        assert is_coding_word(word)

    @pytest.mark.parametrize("word", ["colonoscopy", "cholecystectomy", "appendicitis", "knee", "chole", "Lipoma"])
    def test_medical_words_by_list_or_ending(self, word):
        assert is_medical_word(word)

    @pytest.mark.parametrize("word", ["weather", "Thomas", "Maria", "recipe", "Garcia-Lopez", "Denver"])
    def test_not_subject_matter(self, word):
        assert not is_subject_matter(word)

    def test_payers_are_subject_matter(self):
        assert is_subject_matter("Aetna") and is_subject_matter("Cross")
