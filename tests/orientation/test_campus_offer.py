"""What a campus teaches, as its details show it: the formations of its member establishments, or
of its sector near its seat when its members are not known. Expected answers come from the data."""

import pytest

from orientation import formations
from orientation.campus_offer import (
    SEAT_RADIUS_KM,
    campus_offer,
    campuses_of_establishments,
    member_uai,
    seat_of,
)
from orientation.catalogue import Member, load_catalogue
from orientation.places import distance_km, resolve_place


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def member(name, town, insee_code, kind, uai=""):
    return Member("test", name, town, insee_code, kind, uai, "https://www.example.org/")


def test_a_member_without_uai_is_joined_on_its_name_and_commune():
    uai = member_uai(member("IUT de Lannion", "Lannion", "22113", "IUT"))
    home = formations.establishment(uai)
    assert home is not None and "lannion" in home.name.lower() and home.insee_code == "22113"


@pytest.mark.parametrize(
    "name, town, insee_code, kind",
    [
        # Only the town's word tells it apart: the CFA of Évry is not the university.
        ("Université d'Évry", "Évry-Courcouronnes", "91228", "university"),
        # A CFA's name says too little to pick one of the town's CFAs.
        ("CFA de Limoges", "Limoges", "87085", "CFA"),
        # Two lycées Alexis Monteil in Rodez (general and vocational): neither is guessed.
        ("Lycée Monteil", "Rodez", "12202", "lycée"),
    ],
)
def test_a_member_that_could_be_several_schools_is_not_joined(name, town, insee_code, kind):
    assert member_uai(member(name, town, insee_code, kind)) is None


def test_a_known_uai_is_kept_as_the_source_gives_it():
    assert member_uai(member("Lycée Félix Le Dantec", "Lannion", "22113", "lycée", "0220023F")) == "0220023F"


def test_a_campus_with_members_lists_their_formations_of_its_sector_first(catalogue):
    campus = catalogue.by_id("bretagne-numerique-photonique")
    taught = campus_offer(campus)
    assert taught.kind == "members"
    member_uais = {member_uai(m) for m in campus.members} - {None}
    assert {hit.establishment.uai for hit in taught.hits} <= member_uais
    assert len(taught.hits) >= 2  # the lycée and the IUT joined on its name
    for hit in taught.hits:
        assert all(f.sector == campus.sector for f in hit.formations), hit.establishment.name


def test_the_members_nearest_the_user_come_first(catalogue):
    campus = next(c for c in catalogue.campuses if len(campus_offer(c).hits) >= 2)
    town = resolve_place(campus_offer(campus).hits[-1].establishment.insee_code).place
    hits = campus_offer(campus, town).hits
    distances = [hit.distance_km for hit in hits]
    assert distances == sorted(distances) and distances[0] is not None


def test_a_campus_whose_members_are_unknown_shows_its_sector_near_its_seat(catalogue):
    campus = catalogue.by_id("ara-design-habitat")
    assert not campus.members
    taught = campus_offer(campus)
    assert taught.kind == "sector_near_seat" and taught.near == "Saint-Étienne"
    seat = seat_of(campus)
    for hit in taught.hits:
        assert all(f.sector == campus.sector for f in hit.formations)
        home = hit.establishment
        assert distance_km(seat.lat, seat.lon, home.lat, home.lon) <= SEAT_RADIUS_KM + 1


def test_a_campus_with_no_seat_and_no_member_shows_no_formation(catalogue):
    campus = next(c for c in catalogue.campuses if not c.members and not c.insee_code)
    taught = campus_offer(campus)
    assert taught.kind == "none" and taught.hits == ()


def test_an_establishment_knows_the_campuses_it_belongs_to(catalogue):
    belongs = campuses_of_establishments(catalogue.campuses)
    iut = member_uai(member("IUT de Lannion", "Lannion", "22113", "IUT"))
    assert [c.id for c in belongs[iut]] == ["bretagne-numerique-photonique"]
    assert "0000000X" not in belongs


@pytest.fixture(scope="module")
def schools(catalogue):
    from orientation.campus_offer import SchoolIndex

    return SchoolIndex(catalogue.campuses)


@pytest.mark.parametrize(
    "text, label, campus_id",
    [
        (
            "le lycée Félix Le Dantec de Lannion est membre d'un campus ?",
            "Lycée Félix le Dantec (Lannion)",
            "bretagne-numerique-photonique",
        ),
        # Found by its name before its motto ("Lycée professionnel Roger Claustres - Lycée des métiers ...").
        ("le lycée roger claustres fait partie d'un campus", None, "ara-aeronautique-auvergne"),
        # A member no offer row joins is still found, under its own name.
        ("Enssat c'est un membre de campus ?", "Enssat (Lannion)", "bretagne-numerique-photonique"),
    ],
)
def test_a_school_named_is_found_with_its_campuses(schools, text, label, campus_id):
    found = schools.find(text)
    assert len(found) == 1
    assert label is None or found[0].label == label
    assert [c.id for c in found[0].campuses] == [campus_id]


def test_a_town_named_picks_the_school_of_that_town(schools):
    everywhere = schools.find("le lycée Vauban fait partie d'un campus ?")
    in_brest = schools.find("le lycée Vauban de Brest fait partie d'un campus ?")
    assert len(everywhere) > 1 and [s.town for s in in_brest] == ["Brest"]


def test_the_kind_of_school_named_must_match(schools):
    # "Brest" is a word of "I.U.T de Brest - Site de Morlaix", which is no lycée.
    assert schools.find("le lycée de Brest est dans un campus ?") == ()
    assert schools.find("c'est quoi un campus ?") == ()
