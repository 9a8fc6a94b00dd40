"""The training offer as a user sees it: "BTS SIO near Quimper", "CAP cuisine near Tours"... The
expected answers are computed from the data files, not written down."""

from collections import defaultdict

import pytest

from orientation import formations
from orientation.places import distance_km, resolve_place
from orientation.text import normalise


@pytest.fixture(scope="module")
def offer():
    return formations.get_offer()


def place(text):
    resolution = resolve_place(text)
    assert resolution.status == "found", text
    return resolution.place


def matching(offer, level=None, words=(), mode=None):
    """Formations whose specialty holds every word (computed without the search code)."""
    return [
        f
        for f in offer.formations
        if (not level or f.level == level)
        and (not mode or f.mode == mode)
        and all(w in normalise(f.specialty).split() for w in words)
    ]


def uais_within(rows, lat, lon, km):
    return {f.uai for f in rows if f.lat is not None and distance_km(lat, lon, f.lat, f.lon) <= km}


def assert_nearest_first(result):
    distances = [hit.distance_km for hit in result.hits if not hit.distance_approximate]
    assert distances == sorted(distances)
    approximate = [hit.distance_approximate for hit in result.hits]
    assert approximate == sorted(approximate), "establishments placed by département only come last"


def test_bts_sio_near_quimper(offer):
    quimper = place("Quimper")
    result = formations.search("BTS SIO", place=quimper)
    assert result.status == "found" and not result.outside_place
    rows = matching(offer, "bts", ("services", "informatiques", "organisations"))
    expected = uais_within(rows, quimper.lat, quimper.lon, formations.COMMUNE_RADIUS_KM)
    assert {hit.establishment.uai for hit in result.hits} == expected and expected
    assert result.total_in_place == len(expected)
    assert_nearest_first(result)
    assert result.hits[0].establishment.departement_code == "29"
    for hit in result.hits:
        assert all(
            f.level == "bts" and "informatiques aux organisations" in normalise(f.specialty) for f in hit.formations
        )
        assert hit.distance_km <= formations.COMMUNE_RADIUS_KM
        assert hit.establishment.status in ("public", "private_contract", "private", "private_no_contract", "")
    assert ("parcoursup_2025", 2025) in result.sources


def test_bts_sio_in_finistere_lists_the_departement_first(offer):
    result = formations.search("SIO", place=place("Finistère"), limit=50)
    rows = [f for f in matching(offer, "bts", ("services", "informatiques", "organisations"))]
    expected = {f.uai for f in rows if offer.establishments[f.uai].departement_code == "29"}
    assert {hit.establishment.uai for hit in result.hits} == expected
    assert all(hit.establishment.departement_code == "29" and hit.in_place for hit in result.hits)
    assert_nearest_first(result)


def test_cap_cuisine_near_tours(offer):
    tours = place("Tours")
    result = formations.search("CAP cuisine", place=tours)
    expected = uais_within(matching(offer, "cap", ("cuisine",)), tours.lat, tours.lon, formations.COMMUNE_RADIUS_KM)
    assert {hit.establishment.uai for hit in result.hits} == expected and expected
    assert result.hits[0].establishment.departement_code == "37"
    for hit in result.hits:
        assert {(f.level, f.specialty, f.source, f.year) for f in hit.formations} == {
            ("cap", "Cuisine", "affelnet_2022", 2022)
        }
    assert_nearest_first(result)


def test_bac_pro_maintenance_des_vehicules_in_ille_et_vilaine(offer):
    result = formations.search("bac pro maintenance des véhicules", place=place("35"), limit=100)
    rows = matching(offer, "bac_pro", ("maintenance",))
    rows = [f for f in rows if "vehicules" in normalise(f.specialty).split()]
    expected = {f.uai for f in rows if offer.establishments[f.uai].departement_code == "35"}
    assert {hit.establishment.uai for hit in result.hits} == expected and expected
    assert result.total_in_place == len(expected)
    for hit in result.hits:
        assert hit.establishment.departement_code == "35"
        assert all(f.level == "bac_pro" and "vehicules" in normalise(f.specialty) for f in hit.formations)
    assert_nearest_first(result)


def test_bts_electrotechnique_in_apprenticeship_near_lyon(offer):
    lyon = place("Lyon")
    result = formations.search("BTS électrotechnique", mode="apprenticeship", place=lyon, limit=100)
    rows = matching(offer, "bts", ("electrotechnique",), mode="apprenticeship")
    assert {hit.establishment.uai for hit in result.hits} == uais_within(
        rows, lyon.lat, lyon.lon, formations.COMMUNE_RADIUS_KM
    )
    assert result.hits
    for hit in result.hits:
        assert all(f.mode == "apprenticeship" and f.specialty.startswith("Électrotechnique") for f in hit.formations)
    assert_nearest_first(result)


def test_a_diploma_that_does_not_exist_matches_nothing(offer):
    result = formations.search("BTS astronaute", place=place("Toulouse"), sector="mobility_aeronautics_transport")
    assert result.status == "unknown_specialty" and result.unknown_specialty and not result.hits
    assert result.match.unknown_words == ("astronaute",)
    known = result.known_specialties
    assert known and all(s.level == "bts" and s.sector == "mobility_aeronautics_transport" for s in known)
    assert [s.formations for s in known] == sorted((s.formations for s in known), reverse=True)
    # Known words that no specialty of the level holds together: still nothing.
    assert formations.search("BTS cuisine moléculaire").status == "unknown_specialty"
    assert formations.search("CAP informatique").status == "unknown_specialty"


def test_an_unknown_specialty_without_a_sector_lists_the_level(offer):
    result = formations.search("BTS fabrication de licornes")
    assert result.unknown_specialty and {s.level for s in result.known_specialties} == {"bts"}


def test_typos_and_prefixes_reach_the_specialty_but_not_a_random_one():
    assert {s.label for s in formations.resolve_specialty("BTS electrotechnque").specialties} >= {"Électrotechnique"}
    assert {s.label for s in formations.resolve_specialty("électrotech", "bts").specialties} >= {"Électrotechnique"}
    assert formations.resolve_specialty("BTS xyzabc").status == "unknown"


def test_cap_and_bac_pro_in_apprenticeship_have_no_data():
    for text in ("CAP cuisine", "bac pro MSPC", "CAP AEPE", "MELEC"):
        result = formations.search(text, mode="apprenticeship", place=place("Rennes"))
        assert result.status == "no_data" and result.no_data == "apprenticeship_before_bac" and not result.hits, text
    assert formations.search(level="cap", mode="apprenticeship").no_data == "apprenticeship_before_bac"


def test_nothing_within_the_place_gives_the_nearest_ones_flagged(offer):
    rows = matching(offer, "cs", ("sommellerie",))
    ajaccio = place("Ajaccio")
    assert not uais_within(rows, ajaccio.lat, ajaccio.lon, formations.COMMUNE_RADIUS_KM)
    result = formations.search("sommellerie", level="cs", place=ajaccio)
    assert result.status == "nearest_outside" and result.outside_place and result.total_in_place == 0
    assert result.hits and not any(hit.in_place for hit in result.hits)
    nearest = min(distance_km(ajaccio.lat, ajaccio.lon, f.lat, f.lon) for f in rows if f.lat is not None)
    assert result.hits[0].distance_km == pytest.approx(nearest, abs=0.1) or result.hits[0].distance_approximate
    assert_nearest_first(result)


def test_prepa_in_a_region_and_an_academie(offer):
    result = formations.search("prépa", place=place("Bretagne"), limit=200)
    assert result.match.status == "level_only" and result.level == "cpge"
    expected = {
        f.uai for f in offer.formations if f.level == "cpge" and offer.establishments[f.uai].region == "Bretagne"
    }
    assert {hit.establishment.uai for hit in result.hits} == expected
    # Ordered from the région's centre, which is nowhere a student lives: no distance is shown.
    assert all(hit.distance_km is None for hit in result.hits)
    academie = formations.search("CPGE", place=place("académie de Lyon"), limit=200)
    assert academie.hits and {hit.establishment.departement_code for hit in academie.hits} <= {"01", "42", "69"}


def test_names_of_establishments_are_accented():
    result = formations.search("BTS SIO", place=place("Bretagne"), limit=100)
    names = [hit.establishment.name for hit in result.hits]
    assert any("Lycée" in name for name in names)
    assert not any("Lycee" in name for name in names)


def test_formations_of_a_campus_s_members_and_one_establishment(offer):
    uais = sorted({f.uai for f in offer.formations})[:3]
    expected = [f for f in offer.formations if f.uai in uais]
    got = formations.formations_of([u.lower() for u in uais] + [uais[0]])
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert formations.formations_of(["0000000X"]) == ()
    one = formations.establishment(uais[0])
    assert one is not None and one.uai == uais[0]
    assert formations.establishment("0000000X") is None


def test_every_abbreviation_students_type_reaches_its_specialty():
    expected_level = {
        "BTS SIO": "bts", "SIO": "bts", "SLAM": "bts", "SISR": "bts", "MCO": "bts", "NDRC": "bts", "CIEL": "bts",
        "GPME": "bts", "CG": "bts", "BUT GEII": "but", "GEII": "but", "MMI": "but", "TC": "but", "GEA": "but",
        "QLIO": "but", "CPGE": "cpge", "prépa": "cpge", "DN MADE": "dn_made", "MHR": "bts", "CRSA": "bts",
        "MS": "bts", "ERA": "bts", "CAP AEPE": "cap", "MELEC": "bac_pro", "bac pro MSPC": "bac_pro",
        "ASSP": "bac_pro", "AGORA": "bac_pro", "MCV": "bac_pro",
    }  # fmt: skip
    for text, level in expected_level.items():
        match = formations.resolve_specialty(text)
        assert match.status in ("found", "level_only") and match.level == level, text
        assert formations.search(text).hits, text
    mv = formations.resolve_specialty("MV")
    assert {s.level for s in mv.specialties} >= {"cap", "bac_pro", "bts"}
    assert all("vehicules" in normalise(s.label) for s in mv.specialties)
    assert {s.level for s in formations.resolve_specialty("bac pro MV").specialties} == {"bac_pro"}


def test_hits_group_an_establishment_s_formations(offer):
    result = formations.search("BTS", place=place("Brest"), limit=5)
    per_uai = defaultdict(int)
    for hit in result.hits:
        per_uai[hit.establishment.uai] += 1
        assert all(f.uai == hit.establishment.uai and f.level == "bts" for f in hit.formations)
    assert all(n == 1 for n in per_uai.values())


@pytest.mark.parametrize(
    "request_text, place, level, label_word",
    [
        ("un BTS informatique près de Quimper", "Quimper", "bts", "informatique"),
        ("BUT génie électrique à Nancy", "Nancy", "but", "électrique"),
        ("bac pro maintenance des véhicules dans le 35", "35", "bac_pro", "véhicules"),
        ("je cherche un BTS MCO en alternance sur Bordeaux", "Bordeaux", "bts", "Management"),
        ("Bonjour, mon fils voudrait faire un CAP en boulangerie près de Caen", "Caen", "cap", "Boulanger"),
        ("but tc lille", "lille", "but", "commercialisation"),
    ],
)
def test_the_specialty_is_found_in_a_whole_request(request_text, place, level, label_word):
    from orientation.formations import find_specialty

    match = find_specialty(request_text, None, exclude=[place])
    assert match.status == "found" and match.level == level
    assert all(label_word.lower() in s.label.lower() for s in match.specialties[:1])


def test_the_diploma_held_is_not_the_one_asked():
    from orientation.formations import find_specialty

    match = find_specialty("quel BTS après un bac pro cuisine vers Lyon ?", None, exclude=["Lyon"])
    assert match.level == "bts" and match.status != "found" or all(s.level == "bts" for s in match.specialties)


def test_short_abbreviations_need_capitals_or_a_level_word():
    from orientation.formations import find_specialty

    assert find_specialty("ms a nantes", None, exclude=["nantes"]).status == "none"
    assert find_specialty("bts ms a nantes", None, exclude=["nantes"]).status == "found"
    assert find_specialty("un BTS astronaute à Paris", None, exclude=["Paris"]).status == "unknown"


@pytest.mark.parametrize(
    "request_text, place, level, label_words",
    [
        # The level asked wins over the one held, even when NLU read the one held.
        ("mc boulangerie spécialisée apres mon cap, vers tours", "tours", "mc", None),
        # The bac the student has is no specialty word.
        ("prépa TSI pour bac STI2D du côté de Belfort", "Belfort", "cpge", ("tsi",)),
        # An abbreviation among other words stands for its words.
        ("LEA anglais espagnol à Lille", "Lille", None, ("langues", "anglais", "espagnol")),
        (
            "diplôme national des métiers d'art et du design mention objet, Strasbourg",
            "Strasbourg",
            "dn_made",
            ("objet",),
        ),
        ("une licence psycho a aix c possible", "aix", "licence", ("psychologie",)),
        ("cap mecanique auto a fort de france", "fort de france", "cap", ("maintenance", "véhicules")),
        ("BUT STID pres de vannes", "vannes", "but", ("science", "données")),
        # "comme", "ça" are request words: "social" is the specialty.
        (
            "je veux pas bosser comme infirmière, y a un BTS dans le social près de Tarbes ?",
            "Tarbes",
            "bts",
            ("social",),
        ),
    ],
)
def test_what_students_type_reaches_the_specialty_meant(request_text, place, level, label_words):
    from orientation.formations import find_specialty

    match = find_specialty(request_text, "cap" if "apres mon cap" in request_text else None, exclude=[place])
    assert match.level == level
    if label_words:
        assert match.status == "found", match
        assert all(word in s.label.lower() for s in match.specialties for word in label_words), match.specialties


def test_a_request_word_for_the_diploma_asked_is_not_a_specialty():
    from orientation.formations import find_specialty

    match = find_specialty(
        "mon fils veut etre plombier chauffagiste, il y a un bac pro pour ça vers Chambéry ?",
        "bac_pro",
        exclude=["Chambéry", "plombier chauffagiste"],
    )
    assert match.status == "level_only" and match.level == "bac_pro"
