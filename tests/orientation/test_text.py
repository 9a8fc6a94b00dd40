"""One folding of text for every index: what is stored and what a user types meet."""

import pytest

from orientation.text import fold_word, normalise


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Saint-Étienne", "saint etienne"),
        ("St Malo", "saint malo"),
        ("Cœur", "coeur"),
        ("Aix-en-Provence", "aix en provence"),
    ],
)
def test_names_fold_to_one_form(typed, stored):
    assert normalise(typed) == stored


@pytest.mark.parametrize(
    "word, folded",
    [
        ("Vidéos", "video"),
        ("travaux", "travau"),
        ("bus", "bus"),
        ("cours", "cour"),
        ("jeux", "jeu"),
        ("Pâtisserie", "patisserie"),
    ],
)
def test_a_word_folds_without_accent_nor_plural(word, folded):
    assert fold_word(word) == folded


def test_a_double_s_is_not_a_plural():
    assert fold_word("Press") == "press" and fold_word("stress") == "stress"


def test_the_job_and_activity_indexes_use_the_same_folding():
    from orientation.activities import phrase_key
    from orientation.jobs import folded_words

    assert list(phrase_key("Montages Vidéos")) == folded_words("Montages Vidéos") == ["montage", "video"]
