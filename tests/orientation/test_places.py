"""Place resolution as users type places: towns, départements, postcodes, regions, académies."""

import json

import pytest

from orientation.places import (
    distance_km,
    likeliest_place_text,
    place_from_dict,
    place_to_dict,
    resolve_place,
)

# (what the user typed, the label of the place it must resolve to)
FOUND = [
    # towns, with or without accents, hyphens, case
    ("Brest", "Brest (29)"),
    ("brest", "Brest (29)"),
    ("BREST", "Brest (29)"),
    ("Rennes", "Rennes (35)"),
    ("Lannion", "Lannion (22)"),
    ("Orléans", "Orléans (45)"),
    ("orleans", "Orléans (45)"),
    ("Besancon", "Besançon (25)"),
    ("Chateauroux", "Châteauroux (36)"),
    ("nimes", "Nîmes (30)"),
    ("Aix en Provence", "Aix-en-Provence (13)"),
    ("aix-en-provence", "Aix-en-Provence (13)"),
    ("Boulogne sur mer", "Boulogne-sur-Mer (62)"),
    ("Boulogne s/ Mer", "Boulogne-sur-Mer (62)"),
    ("Fort de France", "Fort-de-France (972)"),
    ("Pointe-a-Pitre", "Pointe-à-Pitre (971)"),
    ("Cayenne", "Cayenne (973)"),
    ("Mamoudzou", "Mamoudzou (976)"),
    ("Ajaccio", "Ajaccio (2A)"),
    # Saint / St / Ste
    ("St Malo", "Saint-Malo (35)"),
    ("St-Brieuc", "Saint-Brieuc (22)"),
    ("saint etienne", "Saint-Étienne (42)"),
    ("Ste Maxime", "Sainte-Maxime (83)"),
    # prefixes people write before a place
    ("à Brest", "Brest (29)"),
    ("a brest", "Brest (29)"),
    ("près de Rennes", "Rennes (35)"),
    ("pres de rennes", "Rennes (35)"),
    ("vers Rennes", "Rennes (35)"),
    ("autour de Lyon", "Lyon (69)"),
    ("j'habite à Quimper", "Quimper (29)"),
    ("Rennes centre", "Rennes (35)"),
    ("Lyon 3e", "Lyon (69)"),
    ("Marseille 13ème arrondissement", "Marseille (13)"),
    # the table's names have no leading article
    ("Le Havre", "Le Havre (76)"),
    ("au Havre", "Le Havre (76)"),
    ("Le Mans", "Le Mans (72)"),
    ("Les Sables d'Olonne", "Les Sables-d'Olonne (85)"),
    # small typos
    ("Renes", "Rennes (35)"),
    ("brst", "Brest (29)"),
    ("Marseile", "Marseille (13)"),
    ("Montpelier", "Montpellier (34)"),
    ("Bordeau", "Bordeaux (33)"),
    ("Strasbourgg", "Strasbourg (67)"),
    ("Lanion", "Lannion (22)"),
    ("quimpr", "Quimper (29)"),
    ("toulousse", "Toulouse (31)"),
    # départements: name or number
    ("Finistère", "Finistère (29)"),
    ("finistere", "Finistère (29)"),
    ("dans le Finistère", "Finistère (29)"),
    ("le 35", "Ille-et-Vilaine (35)"),
    ("35", "Ille-et-Vilaine (35)"),
    ("dans le 93", "Seine-Saint-Denis (93)"),
    ("06", "Alpes-Maritimes (06)"),
    ("2A", "Corse-du-Sud (2A)"),
    ("2b", "Haute-Corse (2B)"),
    ("971", "Guadeloupe (971)"),
    ("974", "La Réunion (974)"),
    ("département du Nord", "Nord (59)"),
    ("en Mayenne", "Mayenne (53)"),
    ("Mayenne", "Mayenne (53)"),
    ("à Mayenne", "Mayenne (53)"),
    ("en Vienne", "Vienne (86)"),
    ("à Vienne", "Vienne (38)"),
    ("Finistère (29)", "Finistère (29)"),
    # postcodes -> département, or the town when it is given too
    ("29200", "Finistère (29)"),
    ("29200 Brest", "Brest (29)"),
    ("Brest 29200", "Brest (29)"),
    ("35000", "Ille-et-Vilaine (35)"),
    ("75015", "Paris (75)"),
    ("97400", "La Réunion (974)"),
    ("20000", "Corse-du-Sud (2A)"),
    ("20200", "Haute-Corse (2B)"),
    # INSEE codes (buttons) and labels
    ("93066", "Saint-Denis (93)"),
    ("97411", "Saint-Denis (974)"),
    ("insee 29019", "Brest (29)"),
    ("Saint-Denis (93)", "Saint-Denis (93)"),
    ("saint denis 974", "Saint-Denis (974)"),
    ("Saint-Denis de la Réunion", "Saint-Denis (974)"),
    ("Saint-Denis, La Réunion", "Saint-Denis (974)"),
    ("Brest Finistère", "Brest (29)"),
    # regions: names, abbreviations, DROM
    ("Bretagne", "Bretagne"),
    ("en bretagne", "Bretagne"),
    ("bretange", "Bretagne"),
    ("PACA", "Provence-Alpes-Côte d'Azur"),
    ("AURA", "Auvergne-Rhône-Alpes"),
    ("IDF", "Île-de-France"),
    ("ile de france", "Île-de-France"),
    ("BFC", "Bourgogne-Franche-Comté"),
    ("Nouvelle Aquitaine", "Nouvelle-Aquitaine"),
    ("grand est", "Grand Est"),
    ("Alsace", "Grand Est"),
    ("hauts de france", "Hauts-de-France"),
    ("la Réunion", "La Réunion"),
    ("à la Réunion", "La Réunion"),
    ("Martinique", "Martinique"),
    ("Guyane", "Guyane"),
    ("Mayotte", "Mayotte"),
    ("région Centre", "Centre-Val de Loire"),
    ("Corse", "Corse"),
    ("20", "Corse"),
    ("outre-mer", "Outre-mer"),
    # académies
    ("académie de Rennes", "Académie de Rennes"),
    ("academie d'Aix-Marseille", "Académie d'Aix-Marseille"),
    ("académie de Normandie", "Académie de Normandie"),
    ("académie d'Orleans Tours", "Académie d'Orléans-Tours"),
    # far more populous homonym or longer name
    ("Valence", "Valence (26)"),
    ("Saint-Pierre", "Saint-Pierre (974)"),
    ("Clermont", "Clermont-Ferrand (63)"),
    ("Paris", "Paris (75)"),
]


@pytest.mark.parametrize("typed, label", FOUND)
def test_place_is_found(typed, label):
    resolution = resolve_place(typed)
    assert resolution.status == "found", resolution
    assert resolution.place.label == label


# (what the user typed, labels that must be among the candidates, most populous first)
AMBIGUOUS = [
    ("Saint-Denis", ["Saint-Denis (974)", "Saint-Denis (93)"]),
    ("St Denis", ["Saint-Denis (974)", "Saint-Denis (93)"]),
    ("à Saint-Denis", ["Saint-Denis (974)", "Saint-Denis (93)"]),
    ("Sainte-Marie", ["Sainte-Marie (974)", "Sainte-Marie (972)"]),
    ("Vienne", ["Vienne (86)", "Vienne (38)"]),
    ("Boulogne", ["Boulogne-Billancourt (92)", "Boulogne-sur-Mer (62)"]),
    ("Aix", ["Aix-en-Provence (13)", "Aix-les-Bains (73)"]),
]


@pytest.mark.parametrize("typed, labels", AMBIGUOUS)
def test_homonyms_are_ambiguous(typed, labels):
    resolution = resolve_place(typed)
    assert resolution.status == "ambiguous"
    assert resolution.place is None
    candidate_labels = [place.label for place in resolution.candidates]
    assert candidate_labels[: len(labels)] == labels
    assert len(candidate_labels) <= 5


@pytest.mark.parametrize("typed", [typed for typed, _ in AMBIGUOUS] + ["Kimper", "Valence"])
def test_every_offered_choice_resolves_back_to_itself(typed):
    """Buttons send a candidate's INSEE code, or its label for a département: either must
    give back that very place."""
    for candidate in resolve_place(typed).candidates:
        assert resolve_place(candidate.label).place == candidate
        if candidate.insee_code:
            assert resolve_place(candidate.insee_code).place == candidate


def test_a_dominant_homonym_still_lists_the_others():
    resolution = resolve_place("Valence")
    assert resolution.status == "found"
    assert "Valence (82)" in [place.label for place in resolution.candidates]


UNKNOWN = [
    "Xyzzyville",
    "Bruxelles Belgique",
    "",
    "   ",
    "😀😀😀",
    "<script>alert(1)</script>",
    "99999",
    "insee 00000",
    "académie de Gotham",
    "qqqqqqqqqqqq",
    # Two letters from a hamlet (Moulhard, 28) is a coincidence, not a typo to offer.
    "poudlard",
    "quai",
]


@pytest.mark.parametrize("typed", UNKNOWN)
def test_unknown_places(typed):
    resolution = resolve_place(typed)
    assert resolution.status == "unknown"
    assert resolution.place is None
    assert len(resolution.suggestions) <= 3


@pytest.mark.parametrize(
    "typed, first",
    [
        ("Kimper", "Quimper (29)"),
        ("Quimperleeeeee", "Quimperlé (29)"),
        ("Brest-Ville-Basse", "Brest (29)"),
        ("Lannion-Plage-Centre", "Lannion (22)"),
    ],
)
def test_unsure_corrections_are_offered_not_imposed(typed, first):
    resolution = resolve_place(typed)
    assert resolution.status == "ambiguous"
    assert resolution.candidates[0].label == first


def test_suggestions_for_an_unknown_place_resolve_when_clicked():
    resolution = resolve_place("Bruxelles Belgique")
    assert resolution.status == "unknown"
    assert resolution.suggestions
    for label in resolution.suggestions:
        assert resolve_place(label).status == "found", label


def test_very_long_input_is_cut_and_answered():
    resolution = resolve_place("Brest " * 2000)
    assert resolution.status in ("unknown", "ambiguous", "found")
    assert len(resolution.query) <= 120


def test_found_places_carry_region_and_coordinates():
    brest = resolve_place("Brest").place
    assert (brest.kind, brest.region, brest.departement_code, brest.insee_code) == (
        "commune",
        "Bretagne",
        "29",
        "29019",
    )
    assert brest.regions == ("Bretagne",)
    assert 48 < brest.lat < 49 and -5 < brest.lon < -4
    finistere = resolve_place("29").place
    assert finistere.kind == "departement" and finistere.lat is not None
    bretagne = resolve_place("Bretagne").place
    assert (bretagne.kind, bretagne.regions, bretagne.lat) == ("region", ("Bretagne",), None)
    overseas = resolve_place("DROM").place
    assert set(overseas.regions) == {"Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"}
    academie = resolve_place("académie de Rennes").place
    assert (academie.kind, academie.region) == ("academie", "Bretagne")


def test_le_35_rennes_and_bretagne_all_lead_to_bretagne():
    for typed in ("le 35", "Rennes", "Bretagne", "35000", "académie de Rennes"):
        assert resolve_place(typed).place.regions == ("Bretagne",), typed


def test_place_survives_a_json_slot():
    for typed in ("Brest", "29", "Bretagne", "outre-mer", "académie de Rennes"):
        place = resolve_place(typed).place
        stored = json.loads(json.dumps(place_to_dict(place)))
        assert place_from_dict(stored) == place


def test_place_from_dict_ignores_extra_keys_and_rejects_junk():
    stored = place_to_dict(resolve_place("Brest").place)
    stored["query"] = "à Brest"
    assert place_from_dict(stored).label == "Brest (29)"
    assert place_from_dict(None) is None
    assert place_from_dict({"kind": "planet", "name": "Mars"}) is None
    assert place_from_dict("Brest") is None
    assert place_to_dict(None) is None


def test_distance_between_brest_and_rennes():
    brest, rennes = resolve_place("Brest").place, resolve_place("Rennes").place
    assert 205 < distance_km(brest.lat, brest.lon, rennes.lat, rennes.lon) < 215


@pytest.mark.parametrize(
    "read, meant",
    [
        (["quai", "Orleans"], "Orleans"),  # "chef de quai ... vers Orléans"
        (["com", "Paris"], "Paris"),  # "but info com paris"
        (["Brest", "Lyon"], "Brest"),  # two real places: the first
        (["Xyzzyville"], "Xyzzyville"),  # nothing better: said unknown as typed
    ],
)
def test_of_several_words_read_as_places_the_real_place_is_kept(read, meant):
    assert likeliest_place_text(read) == meant
