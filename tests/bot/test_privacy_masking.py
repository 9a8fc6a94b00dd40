"""Personal data is masked (bot.privacy) before NLU, storage, logs, the report and the review file,
each kind with its own marker; what the conversation needs (town, age, département, diploma, plain
years and event dates) stays. Also: the realistic messages of tests/production/
personal_data_messages.yml, and every pattern stays fast on hostile input (no backtracking)."""

from __future__ import annotations

import re
import time

import pytest
import yaml

from bot import privacy
from bot.privacy import (
    ADDRESS_MASK,
    DATE_OF_BIRTH_MASK,
    EMAIL_MASK,
    IBAN_MASK,
    INE_MASK,
    MASKS,
    NAME_MASK,
    NIR_MASK,
    PHONE_MASK,
    find_personal_data,
    mask_personal_data,
)
from orientation.paths import TESTS_DIR

MESSAGES_FILE = TESTS_DIR / "production" / "personal_data_messages.yml"


def masked_as(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("écris-moi : lea.martin@gmail.com merci", f"écris-moi : {EMAIL_MASK} merci"),
        ("ÉLÈVE@LYCEE-EXEMPLE.EDU.FR", EMAIL_MASK),
        ("contact : prenom.nom @ free.fr", f"contact : {EMAIL_MASK}"),
        ("mon mail c lea.moreau arobase gmail point com", f"mon mail c {EMAIL_MASK}"),
        ("nathalie point leroux at laposte point net merci", f"{EMAIL_MASK} merci"),
        ("kevin56@hotmail . fr je cherche", f"{EMAIL_MASK} je cherche"),
        ("jean(at)free.fr ou jean [at] gmail.com", f"{EMAIL_MASK} ou {EMAIL_MASK}"),
        ("stephanie.morvan at free point fr, tel", f"{EMAIL_MASK}, tel"),
        ("léa@ex.fr. Merci", f"{EMAIL_MASK}. Merci"),
    ],
)
def test_email_addresses_are_masked_also_spelled_out(text, expected):
    masked_as(text, expected)


@pytest.mark.parametrize(
    "number",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "07-12-34-56-78",
        "06/12/34/56/78",
        "06 1234 5678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "0033612345678",
        "02 99 00 00 00",
        "+44 20 7946 0958",
        "+1 415 555 2671",
    ],
)
def test_every_phone_layout_is_masked(number):
    masked_as(f"rappelez-moi au {number} svp", f"rappelez-moi au {PHONE_MASK} svp")


def test_several_phone_numbers_and_a_postcode_right_after_one():
    masked_as("appelez moi 0645127896 35000 rennes", f"appelez moi {PHONE_MASK} 35000 rennes")
    masked_as("fixe 02 99 45 12 78 portable 06 33 21 54 87,", f"fixe {PHONE_MASK} portable {PHONE_MASK},")
    masked_as("06 11 22 33 44 06 98 76 54 32 07 11 22 33 44", f"{PHONE_MASK} {PHONE_MASK} {PHONE_MASK}")
    masked_as("+1 415 555 2671 35000 Rennes", f"{PHONE_MASK} 35000 Rennes")
    masked_as("dans le 35 06 12 34 56 78", f"dans le 35 {PHONE_MASK}")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12 rue des Lilas 35000 Rennes", f"{ADDRESS_MASK} Rennes"),
        ("j'habite 12 rue des lilas 35000 rennes, un campus ?", f"j'habite {ADDRESS_MASK} rennes, un campus ?"),
        ("au 3 bis avenue Jean Jaurès, 29200 Brest.", f"au {ADDRESS_MASK} Brest."),
        ("45 bd de la liberté 56100 lorient pour", f"{ADDRESS_MASK} lorient pour"),
        ("7 allée des chênes a vitré", f"{ADDRESS_MASK} a vitré"),
        ("9 rue Victor Hugo à Quimper", f"{ADDRESS_MASK} à Quimper"),
        ("Adresse : 18 chemin de la Motte, 44000 Nantes.", f"Adresse : {ADDRESS_MASK} Nantes."),
        ("au lieu-dit Kerhuel 22300 Lannion", f"au {ADDRESS_MASK} Lannion"),
        ("12 av. Jean Jaurès, 29200 Brest", f"{ADDRESS_MASK} Brest"),
        ("4, impasse des Roses 56000 Vannes", f"{ADDRESS_MASK} Vannes"),
        ("12 cours Franklin Roosevelt 69006 Lyon", f"{ADDRESS_MASK} Lyon"),
        ("on habite au 5 place du marché", f"on habite au {ADDRESS_MASK}"),
        ("2 quai de la Fosse et je cherche un BTS", f"{ADDRESS_MASK} et je cherche un BTS"),
        ("15 route de Lorient 29000 Quimper", f"{ADDRESS_MASK} Quimper"),
    ],
)
def test_the_street_is_masked_and_the_town_kept(text, expected):
    masked_as(text, expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("je m'appelle Léa, née le 14/03/2010", f"je m'appelle {NAME_MASK}, née le {DATE_OF_BIRTH_MASK}"),
        ("né le 3-3-2009, je cherche", f"né le {DATE_OF_BIRTH_MASK}, je cherche"),
        ("ma fille née le 3 mars 2009 voudrait", f"ma fille née le {DATE_OF_BIRTH_MASK} voudrait"),
        ("date de naissance: 01.02.2008", f"date de naissance: {DATE_OF_BIRTH_MASK}"),
        ("Ma date de naissance : 30/12/2007.", f"Ma date de naissance : {DATE_OF_BIRTH_MASK}."),
        ("nee le 1er avril 1984, VAE", f"nee le {DATE_OF_BIRTH_MASK}, VAE"),
        ("mon fils ne le 17-11-2008", f"mon fils ne le {DATE_OF_BIRTH_MASK}"),
        ("née à Rennes le 3 mars 2009", f"née à Rennes le {DATE_OF_BIRTH_MASK}"),
        ("je suis né en mars 2009", f"je suis né en {DATE_OF_BIRTH_MASK}"),
    ],
)
def test_dates_of_birth_are_masked(text, expected):
    masked_as(text, expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mon numéro de sécu : 1 08 05 35 238 045 44.", f"mon numéro de sécu : {NIR_MASK}."),
        ("208113523811223 faut le mettre où", f"{NIR_MASK} faut le mettre où"),
        ("c'est 2 53 07 2A 073 004 43 ou 253072B07300470", f"c'est {NIR_MASK} ou {NIR_MASK}"),
        ("numero de secu 1081129233007 05 c normal ?", f"numero de secu {NIR_MASK} c normal ?"),
        # A wrong key after the cue is still masked: masking a mistyped number beats keeping it.
        ("n° sécurité sociale 1 85 05 78 006 084 99", f"n° sécurité sociale {NIR_MASK}"),
        ("mon RIB : FR76 3000 4012 3400 0123 4567 862", f"mon RIB : {IBAN_MASK}"),
        ("FR7615589297110009876543221 pour le stage", f"{IBAN_MASK} pour le stage"),
        ("mon iban c fr76 1360 6000 4512 3456 7890 152 pour", f"mon iban c {IBAN_MASK} pour"),
        ("DE89 3704 0044 0532 0130 00 merci", f"{IBAN_MASK} merci"),
        ("mon iban FR76 3000 6000 0112 3456 7890 188", f"mon iban {IBAN_MASK}"),
        ("INE 0701234567K, je veux", f"INE {INE_MASK}, je veux"),
        ("mon INE c 123456789AB je dois", f"mon INE c {INE_MASK} je dois"),
        ("mon ine 2905678123j c pour", f"mon ine {INE_MASK} c pour"),
        ("identifiant national élève 070312345HK,", f"identifiant national élève {INE_MASK},"),
    ],
)
def test_nir_iban_and_ine_are_masked(text, expected):
    masked_as(text, expected)


@pytest.mark.parametrize(
    "text",
    [
        "1 85 05 78 006 084 36",  # NIR-shaped, wrong key, no cue: not a NIR, and no part taken for a phone
        "FR76 3000 6000 0112 3456 7890 188",  # IBAN-shaped, wrong check digits, no cue
        "123456789012",
    ],
)
def test_numbers_whose_key_is_wrong_stay_whole_without_a_cue(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("je m'appelle Léa Moreau, née", f"je m'appelle {NAME_MASK}, née"),
        ("je m'appelle yanis dupont jai 17 ans", f"je m'appelle {NAME_MASK} jai 17 ans"),
        ("moi c'est enzo martin jai 15 ans", f"moi c'est {NAME_MASK} jai 15 ans"),
        ("mon nom est Karim Benali, né", f"mon nom est {NAME_MASK}, né"),
        ("mon nom est dupont", f"mon nom est {NAME_MASK}"),
        ("je suis Sophie Tanguy, 42 ans", f"je suis {NAME_MASK}, 42 ans"),
        ("Je suis Léa", f"Je suis {NAME_MASK}"),
        ("mon fils Mathis Le Goff veut un CAP", f"mon fils {NAME_MASK} veut un CAP"),
        ("ma fille Chloé Le Gall qui cherche", f"ma fille {NAME_MASK} qui cherche"),
        ("ma fille Emma (15 ans)", f"ma fille {NAME_MASK} (15 ans)"),
        ("je m'appelle Jean-Pierre Le Floch, j'ai 51 ans", f"je m'appelle {NAME_MASK}, j'ai 51 ans"),
        ("je m appelle Yann De La Tour", f"je m appelle {NAME_MASK}"),
        ("Mme Le Goff voudrait savoir", f"Mme {NAME_MASK} voudrait savoir"),
        ("Cordialement, Marie Dupont", f"Cordialement, {NAME_MASK}"),
        ("Nom : DUPONT Léa", f"Nom : {NAME_MASK}"),
    ],
)
def test_names_after_a_cue_are_masked_and_the_sentence_kept(text, expected):
    masked_as(text, expected)


def test_several_details_in_one_message_are_all_masked():
    masked_as(
        "moi c'est léa, lea@ex.fr, 06 11 22 33 44, ou papa 0698765432",
        f"moi c'est {NAME_MASK}, {EMAIL_MASK}, {PHONE_MASK}, ou papa {PHONE_MASK}",
    )


@pytest.mark.parametrize(
    "text",
    [
        "un campus à 35000 Rennes",
        "campus vers 29200 Brest",
        "y a t il un campus dans le 35000 ?",
        "dans le 35",
        "le 75001 ou le 75002",
        "01000 01100",
        "bac pro en 2024",
        "BTS SIO à Brest en 2027 c'est possible ?",
        "CAP en 2 ans",
        "j'ai 17 ans",
        "les campus de 2023 2024",
        "le 12 mars il y a les portes ouvertes",
        "depuis septembre 2024",
        "je suis née en 2009",
        "je suis en 3e",
        "je suis intéressé par le BTS",
        "je suis Intéressée par le BTS",
        "je suis à Brest",
        "Je suis Bretonne et je cherche",
        "je suis CPE au lycée",
        "je suis en BTS MCO",
        "je m'appelle pas, je cherche un campus",
        "moi c'est plutôt l'international",
        "ma fille aimerait faire de la coiffure",
        "mon fils a 16 ans",
        "Madame, Monsieur, je vous écris",
        "Monsieur le directeur",
        "rue du commerce est un site ?",
        "j'ai 3 cours de maths par semaine",
        "la formation fait 1350 heures, code RNCP 38368",
        "informatique en Île-de-France",
        "niveau bac+5",
        "BTS SIO à Brest (29)",
        "rdv at 14h. merci",
        "",
        "😀😀",
    ],
)
def test_what_the_conversation_needs_is_kept(text):
    assert mask_personal_data(text) == text
    assert find_personal_data(text) == []


def test_find_personal_data_names_each_kind_found():
    text = (
        "je m'appelle Léa Moreau, née le 14/03/2010, lea@ex.fr, 06 12 34 56 78, 12 rue des Lilas 35000 Rennes, "
        "INE 0701234567K, sécu 2 85 05 78 006 084 41, IBAN FR76 3000 4012 3400 0123 4567 862"
    )
    assert sorted(find_personal_data(text)) == sorted(MASKS)
    assert find_personal_data(mask_personal_data(text)) == []  # the markers themselves are not personal


# --- the realistic messages (tests/production/personal_data_messages.yml) --------------------


def personal_messages() -> list:
    return yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))["messages"]


def test_the_message_set_is_large_and_well_formed():
    messages = personal_messages()
    assert len(messages) >= 48
    for message in messages:
        assert isinstance(message["text"], str) and message["text"]
        for item in message["personal"]:
            assert item["category"] in MASKS, item
            assert item["value"] in message["text"], item
        for kept in message["keep"]:
            assert kept in message["text"], kept


@pytest.mark.parametrize("message", personal_messages(), ids=lambda message: message["text"][:40])
def test_no_personal_value_survives_and_every_needed_word_does(message):
    masked = mask_personal_data(message["text"])
    for item in message["personal"]:
        assert item["value"] not in masked, item
        assert MASKS[item["category"]] in masked, item
    for kept in message["keep"]:
        assert kept in masked, kept
    assert {item["category"] for item in message["personal"]} <= set(find_personal_data(message["text"]))
    if not message["personal"]:
        assert masked == message["text"]


# --- no pattern backtracks: each finishes fast on long hostile input ---------------------------

ADVERSARIAL_LENGTH = 60_000
# Generous: a pattern that backtracks takes seconds to hours on these; a linear one, milliseconds.
PATTERN_BOUND_SECONDS = 0.2
FUNCTION_BOUND_SECONDS = 1.0

HOSTILE_PIECES = [
    "0",
    "1 ",
    "06.",
    "1-",
    " ",
    ".",
    "-",
    "a",
    "a@",
    "a.",
    "a . ",
    "a point ",
    "x at ",
    "x @ ",
    "@ ",
    "12 rue ",
    "12 rue de ",
    "1 bd. A ",
    "né le ",
    "né le 1/",
    "date de naissance ",
    "je suis Léa ",
    "Je M'appelle Jean-Pierre Le ",
    "FR76 ",
    "AAAA ",
    "+33 ",
    "00 ",
    "INE ",
    "sécu 1 ",
    "habite ",
    "0612345678 35000 ",
]
PATTERNS = {name: value for name, value in vars(privacy).items() if isinstance(value, re.Pattern)}


def hostile(piece: str) -> str:
    return (piece * (ADVERSARIAL_LENGTH // len(piece) + 1))[:ADVERSARIAL_LENGTH]


def test_every_pattern_of_the_module_is_checked():
    assert len(PATTERNS) >= 20  # the list below follows the module: a new pattern is checked too


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_a_pattern_stays_linear_on_hostile_input(name):
    pattern = PATTERNS[name]
    for piece in HOSTILE_PIECES:
        text = hostile(piece)
        started = time.perf_counter()
        for _ in pattern.finditer(text):
            pass
        elapsed = time.perf_counter() - started
        assert elapsed < PATTERN_BOUND_SECONDS, f"{name} took {elapsed:.2f} s on {piece!r} × {len(text)}"


@pytest.mark.parametrize("piece", HOSTILE_PIECES)
def test_masking_stays_linear_on_hostile_input(piece):
    text = hostile(piece)
    started = time.perf_counter()
    mask_personal_data(text)
    elapsed = time.perf_counter() - started
    assert elapsed < FUNCTION_BOUND_SECONDS, f"{elapsed:.2f} s on {piece!r} × {len(text)}"
