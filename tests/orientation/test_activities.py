"""Everyday activities lead to their sector, inside a sentence, with or without accents."""

import pytest
import yaml

from orientation.activities import ACTIVITIES_PATH, find_activities, resolve_activity
from orientation.catalogue import SECTOR_LABELS


@pytest.mark.parametrize(
    "sentence, sector, typed",
    [
        ("je voudrais réparer des motos", "mobility_aeronautics_transport", "motos"),
        ("faire des jeux videos", "creation_design_audiovisual", "jeux videos"),
        ("les effets spéciaux pour le cinéma", "creation_design_audiovisual", "effets spéciaux"),
        ("piloter des drones", "mobility_aeronautics_transport", "piloter"),
        ("fabriquer des MÉDICAMENTS", "chemistry_biotechnology", "MÉDICAMENTS"),
        ("isoler des bâtiments anciens", "infrastructure_building_eco_construction", "isoler"),
        ("installer des panneaux solaires", "energy_transition_eco_industry", "panneaux solaires"),
    ],
)
def test_an_activity_in_a_sentence_gives_its_sector_and_span(sentence, sector, typed):
    first = find_activities(sentence)[0]
    assert (first.sector, first.text, sentence[first.start : first.end]) == (sector, typed, typed)


@pytest.mark.parametrize(
    "sentence",
    [
        "je cherche un campus en Bretagne",
        "c'est quoi la VAE ?",
        "mon enfant veut un conseiller",
        "quel mode de formation choisir",
        "je veux parler à son professeur",
        "ce campus a un site internet ?",
    ],
)
def test_sentences_about_other_topics_name_no_activity(sentence):
    assert find_activities(sentence) == []


def test_every_activity_belongs_to_one_of_the_twelve_sectors():
    listed = yaml.safe_load(ACTIVITIES_PATH.read_text(encoding="utf-8"))
    assert set(listed) == set(SECTOR_LABELS)
    assert resolve_activity("les jeux vidéo") == "creation_design_audiovisual"
    assert resolve_activity("xyz") is None
