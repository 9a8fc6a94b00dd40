"""E-mail addresses and phone numbers are masked; what the search needs (places, postcodes) is not."""

import pytest

from bot.privacy import EMAIL_MASK, PHONE_MASK, mask_personal_data


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("mon mail c'est jean.dupont+cmq@gmail.com merci", "jean.dupont+cmq@gmail.com"),
        ("écrivez à josé.garcía@exemple.fr", "josé.garcía@exemple.fr"),
        ("contact : prenom.nom @ free.fr", "prenom.nom @ free.fr"),
        ("ÉLÈVE@LYCEE-EXEMPLE.EDU.FR", "ÉLÈVE@LYCEE-EXEMPLE.EDU.FR"),
    ],
)
def test_email_addresses_are_masked(text, hidden):
    masked = mask_personal_data(text)
    assert hidden not in masked
    assert EMAIL_MASK in masked


@pytest.mark.parametrize(
    "number",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "07-12-34-56-78",
        "+33 6 12 34 56 78",
        "0033612345678",
        "+33612345678",
        "02 99 00 00 00",
        "+44 20 7946 0958",
        "+1 415 555 2671",
    ],
)
def test_phone_numbers_are_masked(number):
    masked = mask_personal_data(f"rappelez-moi au {number} svp")
    assert masked == f"rappelez-moi au {PHONE_MASK} svp"


def test_several_details_in_one_message_are_all_masked():
    masked = mask_personal_data("moi c'est léa, lea@ex.fr, 06 11 22 33 44, ou papa 0698765432")
    assert masked == f"moi c'est léa, {EMAIL_MASK}, {PHONE_MASK}, ou papa {PHONE_MASK}"


@pytest.mark.parametrize(
    "text",
    [
        "un campus à 35000 Rennes",
        "dans le 35",
        "le 75001 ou le 75002",
        "bac pro en 2024",
        "CAP en 2 ans",
        "les campus de 2023 2024",
        "informatique en Île-de-France",
        "",
        "😀😀",
        "niveau bac+5",
        "BTS SIO à Brest (29)",
    ],
)
def test_what_a_search_needs_is_kept(text):
    assert mask_personal_data(text) == text
