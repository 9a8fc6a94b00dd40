"""Jobs named by users, matched against the ROME job titles, and the sector mapping."""

import csv
import random
import re
import time
from collections import Counter, defaultdict

import pytest

from orientation import jobs
from orientation.sectors import load_sectors
from orientation.text import strip_accents

ROME = jobs.ROME_DIR


def read_csv(name):
    with open(ROME / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


APPELLATIONS = read_csv("appellations.csv")
SHEETS = {row["code_rome"]: row["libelle_rome"] for row in read_csv("metiers.csv")}
MAPPING = {row["code"]: row for row in read_csv("sectors.csv")}


def code_of(title):
    """The job sheet of a ROME title as written in the data, e.g. "Plâtrier / Plâtrière"."""
    return next(row["code_rome"] for row in APPELLATIONS if row["title"] == title)


def sectors_of(code_rome):
    row = MAPPING.get(code_rome) or MAPPING[code_rome[:3]]
    return [key for key in row["sectors"].split(";") if key]


def title_forms():
    """(form as written, job sheets having a title with that form) for every masculine and feminine title."""
    forms = [(form, row["code_rome"]) for row in APPELLATIONS for form in jobs.split_genders(row["title"]) if form]
    sheets_by_key = defaultdict(set)
    for form, code in forms:
        sheets_by_key[jobs.key_of(form)].add(code)
    return [(form, code, sheets_by_key[jobs.key_of(form)]) for form, code in forms]


WORD = re.compile(r"[^\W_]+")


def typed_words(text):
    """The text from its first to its last word: a match leaves out the punctuation around them."""
    return re.search(r"[^\W_](.*[^\W_])?", text).group()


def assert_names(match, form, code, sheets):
    assert match.text == typed_words(form)
    if len(sheets) == 1:
        assert match.job.code_rome == code
    else:
        assert set(sectors_of(code)) <= set(match.job.sectors)


# ---------------------------------------------------------------- every ROME title


def test_every_title_masculine_and_feminine_is_found_in_a_sentence_with_and_without_accents():
    generic = jobs.get_index().generic
    skipped = []
    for form, code, sheets in title_forms():
        if jobs.key_of(form) in generic:
            skipped.append(form)
            continue
        for typed in {form, strip_accents(form)}:
            sentence = f"je voudrais devenir {typed}"
            matches = jobs.find_jobs(sentence)
            assert matches, sentence
            assert_names(matches[0], typed, code, sheets)
    # Only titles that are a bare rank ("Chef", "Agent") or an orientation word are left out.
    assert len(skipped) < 100
    assert all(" " not in jobs.key_of(form) for form in skipped)


def test_titles_with_one_typo_are_mostly_found():
    forms = [item for item in title_forms() if any(len(word) >= 8 for word in WORD.findall(item[0]))]
    sample = random.Random(7).sample(forms, 400)
    found = 0
    for form, code, _sheets in sample:
        longest = max(WORD.findall(form), key=len)
        position = len(longest) // 2
        replacement = "z" if longest[position].lower() != "z" else "w"
        # Lower case, as people type: a capitalised word inside a sentence is read as a name.
        typo = form.replace(longest, longest[:position] + replacement + longest[position + 1 :], 1).lower()
        matches = jobs.find_jobs(f"je voudrais devenir {typo}")
        if (
            matches
            and matches[0].text == typed_words(typo)
            and (matches[0].job.code_rome == code or set(sectors_of(code)) <= set(matches[0].job.sectors))
        ):
            found += 1
    # A typo may turn a word into another title word ("détention" -> "détection").
    assert found >= 0.95 * len(sample)


# ---------------------------------------------------------------- what users type


@pytest.mark.parametrize(
    "sentence, typed, title",
    [
        ("je veux être fleuriste", "fleuriste", "Fleuriste"),
        ("devenir infographiste", "infographiste", "Infographiste"),
        ("devenir infographist", "infographist", "Infographiste"),
        ("plâtrier ça me plairait", "plâtrier", "Plâtrier / Plâtrière"),
        ("platrier ça me plairait", "platrier", "Plâtrier / Plâtrière"),
        ("plattrier", "plattrier", "Plâtrier / Plâtrière"),
        ("mon fils voudrait être mécanicien moto", "mécanicien moto", "Mécanicien / Mécanicienne moto"),
        ("mon fils voudrait etre mecanicien moto", "mecanicien moto", "Mécanicien / Mécanicienne moto"),
        ("ma fille veut être boulangère", "boulangère", "Boulanger / Boulangère"),
        ("les boulangers se lèvent tôt", "boulangers", "Boulanger / Boulangère"),
        ("je suis intéressé par développeur web", "développeur web", "Développeur / Développeuse web"),
        ("aide-soignante à Saint-Nazaire", "aide-soignante", "Aide-soignant / Aide-soignante"),
        # words for people ending in -in, -ot, -ron...
        ("j'aimerais être laborantine", "laborantine", "Laborantin / Laborantine chimie environnement en industrie"),
        ("devenir vigneronne", "vigneronne", "Vigneron manipulant / Vigneronne manipulante"),
        # an -er ending written as heard
        ("je veux devenir plombié", "plombié", "Plombier / Plombière"),
        # small words typed or left out that the title has or has not
        (
            "technicien traitement des eaux",
            "technicien traitement des eaux",
            "Technicien / Technicienne en traitement des eaux",
        ),
        (
            "animatrice en club de vacances",
            "animatrice en club de vacances",
            "Animateur / Animatrice de club de vacances",
        ),
        # clipped words inside a title
        (
            "technicien de labo à Tours",
            "technicien de labo",
            "Technicien / Technicienne de laboratoire d'analyse industrielle",
        ),
        # everyday names (everyday_names.csv)
        ("jveux etre mecano", "mecano", "Mécanicien / Mécanicienne automobile"),
        ("cuisto en alternance", "cuisto", "Cuisinier / Cuisinière"),
        ("ATSEM dans le Val-de-Marne", "ATSEM", "Agent spécialisé / Agente spécialisée des écoles maternelles (ASEM)"),
        ("électricien en alternance", "électricien", "Electricien / Electricienne du bâtiment"),
    ],
)
def test_jobs_people_name(sentence, typed, title):
    match = jobs.find_jobs(sentence)[0]
    assert sentence[match.start : match.end] == match.text == typed
    assert match.job.code_rome == code_of(title)


def test_feminine_forms_give_the_masculine_title_and_the_feminine_one():
    job = jobs.resolve_job("infirmière")
    assert job.feminine.lower().startswith("infirmière") and job.title.lower().startswith("infirmier")
    assert job.code_rome.startswith("J15")
    chauffeuse = jobs.resolve_job("chauffeuse")
    assert chauffeuse and chauffeuse.title.lower().startswith("chauffeur")


def test_several_jobs_in_one_sentence_do_not_overlap():
    sentence = "boulangère ou coiffeuse, j'hésite"
    matches = jobs.find_jobs(sentence)
    assert [match.text for match in matches] == ["boulangère", "coiffeuse"]
    assert matches[0].job.code_rome == code_of("Boulanger / Boulangère")
    assert matches[1].job.code_rome == code_of("Coiffeur / Coiffeuse")
    assert len(jobs.find_jobs(sentence, limit=1)) == 1


def test_a_form_shared_by_several_sheets_gives_one_match_with_their_sectors_most_frequent_first():
    titles = [(row["code_rome"], jobs.key_of(jobs.split_genders(row["title"])[0])) for row in APPELLATIONS]
    sheets = [code for code, key in titles if key.split()[0] == "mecanicien"]
    counts = Counter(sector for code in sheets for sector in sectors_of(code))
    matches = jobs.find_jobs("je veux être mécanicien")
    assert len(matches) == 1
    assert set(matches[0].job.sectors) == set(counts)
    assert matches[0].job.sectors[0] == counts.most_common(1)[0][0]


GENERIC = [
    "conseiller",
    "agent",
    "assistant",
    "directeur",
    "responsable",
    "chef",
    "professeur",
    "aide",
    "employé",
    "technicien",
    "ouvrier",
    "apprenti",
    "stagiaire",
    "formateur",
    "ingénieur",
]


@pytest.mark.parametrize("word", GENERIC)
def test_generic_words_alone_are_no_job(word):
    assert jobs.find_jobs(f"je veux être {word}") == []
    assert jobs.resolve_job(word) is None


@pytest.mark.parametrize(
    "sentence",
    [
        "je cherche un campus en Bretagne",
        "c'est quoi la VAE",
        "je veux parler à un conseiller",
        "combien gagne un apprenti",
        "je cherche un campus à Saint-Nazaire",
        "je suis en seconde au lycée",
        "quelles formations en alternance près de Lyon",
        "bonjour, je voudrais des informations sur le BTS",
        "mon professeur principal m'a parlé des campus d'excellence",
        "merci beaucoup pour votre aide",
        "je cherche un campus à Mâcon",
        "des formations autour de Poitiers",
        "il faut former les jeunes et passer le bac",
        "je préfère travailler dehors",
        "je veux devenir compagnon du devoir",
        "mon garçon est en seconde",
    ],
)
def test_sentences_about_other_topics_give_no_job(sentence):
    assert jobs.find_jobs(sentence) == []


def test_every_everyday_name_stands_for_a_title_of_the_repository():
    titles = {row["title"] for row in APPELLATIONS}
    for row in jobs._read_csv(jobs.EVERYDAY_NAMES_CSV):
        assert row["title"] in titles, row
        assert jobs.resolve_job(row["name"]).code_rome == code_of(row["title"]), row


def test_a_job_found_without_its_small_words_is_named_as_the_title():
    match = jobs.find_jobs("technicienne traitement des eaux, ça recrute ?")[0]
    assert match.job.title == "Technicien en traitement des eaux"
    assert match.score < jobs.EXACT_SCORE


def test_town_names_are_not_jobs():
    assert jobs.find_jobs("Saint-Nazaire") == []


def test_resolve_job_takes_a_name_alone():
    assert jobs.resolve_job("fleuriste").code_rome == code_of("Fleuriste")
    assert jobs.resolve_job("Mecanicien moto").code_rome == code_of("Mécanicien / Mécanicienne moto")
    assert jobs.resolve_job("") is None
    assert jobs.resolve_job("Bretagne") is None


def test_a_very_long_word_is_handled_at_once():
    """The typo correction costs the square of a word's length: a word longer than any title word
    is not corrected, whatever it is (a slot value comes from a tracker, typed by anyone)."""
    jobs.get_index()  # built once, as when the action server starts
    for word in ("b" * 100_000, "plombier" * 12_500, "é" * 100_000):
        started = time.perf_counter()
        assert jobs.find_jobs(word) == []
        assert jobs.resolve_job(word) is None
        assert time.perf_counter() - started < 0.2, word[:20]
    sentence = "je veux devenir plombier " + "x" * 100_000
    started = time.perf_counter()
    assert [match.job.title for match in jobs.find_jobs(sentence)] == [jobs.resolve_job("plombier").title]
    assert time.perf_counter() - started < 0.2


def test_the_typo_bound_keeps_every_correction():
    index = jobs.get_index()
    longest = max(index.vocabulary, key=len)
    assert index.longest_word == len(longest)
    # one letter too many on the longest title word is still corrected
    typo = longest[:3] + longest[2] + longest[3:]
    assert index.correct(typo) == longest


def test_jobs_carry_their_sheet_sectors_and_route():
    job = jobs.resolve_job("boulanger")
    assert job.sheet == SHEETS[job.code_rome]
    assert job.sectors[0] == "food_agrifood" and job.route == "campus"
    assert jobs.resolve_job("infirmier en soins généraux").route == "outside"


def test_official_url_points_at_the_job_sheet():
    job = jobs.resolve_job("fleuriste")
    url = jobs.onisep_or_official_url(job)
    assert url.startswith("https://") and url.endswith(job.code_rome)


def test_split_genders_shares_the_words_after_the_feminine_head():
    assert jobs.split_genders("Boulanger / Boulangère") == ("Boulanger", "Boulangère")
    assert jobs.split_genders("Accastilleur-monteur / Accastilleuse-monteuse électronique de marine") == (
        "Accastilleur-monteur électronique de marine",
        "Accastilleuse-monteuse électronique de marine",
    )
    assert jobs.split_genders("Artiste Plasticien / Plasticienne") == ("Artiste Plasticien", "Artiste Plasticienne")
    assert jobs.split_genders("Homme sage-femme / Sage-femme") == ("Homme sage-femme", "Sage-femme")
    assert jobs.split_genders("Fleuriste") == ("Fleuriste", "")


# ---------------------------------------------------------------- the mapping


def test_every_domaine_has_a_row_and_every_override_is_a_job_sheet():
    domaines = {code[:3] for code in SHEETS}
    assert len(domaines) == 110
    assert domaines == {code for code in MAPPING if len(code) == 3}
    assert all(code in SHEETS for code in MAPPING if len(code) == 5)


def test_mapping_values_are_valid():
    keys = set(load_sectors())
    assert len(keys) == 12
    for code, row in MAPPING.items():
        assert set(sectors_of(code)) <= keys, code
        assert row["route"] in jobs.ROUTES, code
        assert row["note"].strip(), code


@pytest.mark.parametrize(
    "code_rome, sector, route",
    [
        ("J1506", "services_people_wellbeing", "outside"),  # nurse
        ("D1102", "food_agrifood", "campus"),  # baker
        ("F1601", "infrastructure_building_eco_construction", "campus"),  # plasterer
        ("F1604", "infrastructure_building_eco_construction", "campus"),  # plasterboard fitter
        ("E1205", "creation_design_audiovisual", "campus"),  # graphic designer
        ("M1805", "digital_telecommunications", "campus"),  # software developer
    ],
)
def test_key_jobs_land_in_the_expected_sector(code_rome, sector, route):
    target = jobs.destination(code_rome)
    assert target.sectors[0] == sector
    assert target.route == route


def test_mapping_md_is_up_to_date():
    assert jobs.MAPPING_MD.read_text(encoding="utf-8") == jobs.mapping_table(), (
        "run: python -m orientation.jobs --table > orientation/data/rome/MAPPING.md"
    )
