"""The French of a search reply, composed from the search's facts: what a student reads on a card,
in the note above the results and in a campus's details."""

from __future__ import annotations

import pytest

from actions.replies import (
    at_place,
    campus_card,
    campus_lines,
    details_text,
    field_answer,
    note_text,
    of_place,
    reason_text,
    reasons_text,
    region_phrase,
)
from orientation.places import resolve_place
from orientation.search import Note, NoteKind, Reason, SearchQuery, Why, search

LANNION_ID = "bretagne-numerique-photonique"
DIGITAL = "digital_telecommunications"


def place(text):
    return resolve_place(text).place


def match_of(result, campus_id):
    return next(m for m in result.matches + result.alternatives if m.campus.id == campus_id)


@pytest.mark.parametrize(
    "phrase, expected",
    [
        (of_place("Brest"), "de Brest"),
        (of_place("Angers"), "d'Angers"),
        (of_place("Évry"), "d'Évry"),
        (of_place("Le Mans"), "du Mans"),
        (at_place("Le Havre"), "au Havre"),
        (at_place("Les Abymes"), "aux Abymes"),
        (at_place("La Rochelle"), "à La Rochelle"),
        (region_phrase("Bretagne"), "en Bretagne"),
        (region_phrase("Grand Est"), "dans le Grand Est"),
        (region_phrase("La Réunion"), "à La Réunion"),
    ],
)
def test_french_place_phrases(phrase, expected):
    assert phrase == expected


def test_the_lannion_campus_card_says_sector_region_and_excellence(catalogue):
    match = match_of(search(catalogue, SearchQuery(sector=DIGITAL, region="Bretagne")), LANNION_ID)
    assert reasons_text(match)[:3] == ["secteur Numérique, télécommunications", "en Bretagne", "label excellence"]
    card = campus_card(match)
    assert card["reasons"] == reasons_text(match)
    assert "Pourquoi" in card["text"] and "label excellence" in card["text"]


def test_distances_are_said_in_whole_km_from_the_town(catalogue):
    match = match_of(search(catalogue, SearchQuery(place=place("Brest"))), LANNION_ID)
    assert f"à {round(match.distance_km)} km de Brest" in reasons_text(match)


def test_a_campus_in_the_town_and_the_town_article(catalogue):
    result = search(catalogue, SearchQuery(place=place("Le Mans")))
    assert "au Mans" in reasons_text(result.matches[0])
    others = [m for m in result.matches[1:] if m.distance_km is not None]
    assert any(text.endswith("km du Mans") for text in reasons_text(others[0]))


def test_departement_and_academie_reasons(catalogue):
    finistere = place("Finistère")
    assert reason_text(Reason(Why.DEPARTEMENT, place=finistere)) == "dans le département Finistère (29)"
    assert reason_text(Reason(Why.DEPARTEMENT_DISTANCE, km=41.6, place=finistere)) == (
        "à 42 km du centre du département Finistère (29)"
    )
    assert reason_text(Reason(Why.ACADEMIE, place=place("académie de Rennes"))) == "dans l'académie de Rennes"


def test_a_distance_under_one_km_is_said_one_km():
    assert reason_text(Reason(Why.DISTANCE, km=0.3, place=place("Brest"))) == "à 1 km de Brest"


def test_training_mode_and_level_reasons():
    assert reason_text(Reason(Why.OFFERED, offer="apprenticeship")) == "propose l'apprentissage"
    assert reason_text(Reason(Why.OFFERED, offer="bts")) == "propose le BTS"
    assert reason_text(Reason(Why.NOT_KNOWN, offer="apprenticeship")) == "apprentissage : à vérifier auprès du campus"


def test_alternatives_say_same_or_other_sector_and_where(catalogue):
    in_bretagne = {c.sector for c in catalogue.campuses if c.region == "Bretagne"}
    sector = next(c.sector for c in catalogue.campuses if c.sector not in in_bretagne)
    result = search(catalogue, SearchQuery(sector=sector, place=place("Brest")))
    assert note_text(result.note).startswith("Notre liste ne compte aucun campus du secteur")
    assert "en Bretagne" in note_text(result.note)
    first, last = reasons_text(result.alternatives[0]), reasons_text(result.alternatives[-1])
    assert first[0].startswith("même secteur : ") and last[0].startswith("autre secteur : ")
    if result.alternatives[0].distance_km is not None:
        assert first[1].endswith("km de Brest") and first[1].startswith(
            region_phrase(result.alternatives[0].campus.region)
        )


def test_notes_on_the_results(catalogue):
    assert "à Mayotte" in note_text(search(catalogue, SearchQuery(place=place("Mayotte"))).note)
    assert note_text(Note(NoteKind.NOTHING)).startswith("Aucun campus")
    assert note_text(Note(NoteKind.NO_MATCH)).startswith("Notre liste ne compte aucun campus.")
    overseas = note_text(Note(NoteKind.NO_MATCH, sector="materials", overseas=True, wishes=("excellence", "bts")))
    assert "outre-mer" in overseas and "avec le label excellence, le BTS" in overseas
    one = note_text(Note(NoteKind.NOT_KNOWN, asked=("apprenticeship",), count=1))
    many = note_text(Note(NoteKind.NOT_KNOWN, asked=("apprenticeship", "bts"), count=4))
    assert one.startswith("Pour l'un de ces campus") and "son site, son établissement support ou son académie" in one
    assert many.startswith("Pour 4 de ces campus") and "l'apprentissage et le BTS" in many


def test_an_unconfirmed_label_is_said_on_the_card_and_the_details(catalogue):
    campus = next(c for c in catalogue.campuses if c.unconfirmed == "label")
    match = match_of(search(catalogue, SearchQuery(sector=campus.sector, region=campus.region)), campus.id)
    assert campus_lines(match)[0] == f"{campus.name} — label à confirmer"
    assert "label à confirmer" in reasons_text(match)
    assert campus_card(match)["to_confirm"] == "label à confirmer"
    assert details_text(campus).splitlines()[0] == f"{campus.name} — label à confirmer"


def test_the_details_list_members_nearest_the_user_and_the_diplomas(catalogue):
    campus = max(catalogue.campuses, key=lambda c: len({m.insee_code for m in c.members if m.insee_code}))
    towns = [m for m in campus.members if m.insee_code]
    assert len({m.insee_code for m in towns}) >= 2, "a campus with members in two towns"
    far_member = towns[-1]
    text = details_text(campus, place(far_member.town_name))
    members_line = next(line for line in text.splitlines() if line.startswith("Établissements membres : "))
    assert members_line.startswith(f"Établissements membres : {far_member.name} ({far_member.town_name}, 1 km)") or (
        f"{far_member.town_name}, 1 km" in members_line.split(";")[0]
    )
    with_diplomas = next(c for c in catalogue.campuses if c.diplomas)
    assert "Diplômes cités par ses sources : " in details_text(with_diplomas)


def test_a_card_near_the_user_names_the_nearest_member(catalogue):
    campus = next(c for c in catalogue.campuses if any(m.insee_code for m in c.members))
    member = next(m for m in campus.members if m.insee_code)
    result = search(catalogue, SearchQuery(sector=campus.sector, place=place(member.town_name)))
    match = match_of(result, campus.id)
    lines = campus_lines(match, result.query.place)
    assert any(line.startswith("Membre le plus proche : ") and "km)" in line for line in lines)


def test_the_details_never_show_a_town_as_the_lead_establishment(catalogue):
    led = next(c for c in catalogue.campuses if c.lead_establishment and c.town_name)
    assert f"Établissement support : {led.lead_establishment}, {led.town_name}" in details_text(led)
    unled = next(c for c in catalogue.campuses if not c.lead_establishment and c.town_name)
    text = details_text(unled)
    assert "Établissement support" not in text and f"Ville principale : {unled.town_name}" in text


@pytest.mark.parametrize("campus_id", ["pdl-informatique", "occitanie-transition-energetique"])
def test_a_refused_copy_is_never_shown_as_the_source(catalogue, campus_id):
    """The Angers campus is named only in a mirror's copy of an article about another campus: the
    card, the details and "ils ont un site ?" say no official page presents it, and where to look."""
    campus = catalogue.by_id(campus_id)
    match = match_of(search(catalogue, SearchQuery(sector=campus.sector, region=campus.region)), campus.id)
    texts = [*campus_lines(match), details_text(campus), field_answer(campus, "website") or ""]
    refused = ("hastone-be.fr", "frdocs.com", "readkong.com")
    for text in texts:
        assert not any(domain in text for domain in refused), text
    assert "aucune page officielle" in campus_lines(match)[-1]
    assert "aucune page officielle" in details_text(campus).splitlines()[-1]
    assert "education.gouv.fr" in field_answer(campus, "website")
    assert campus_card(match)["source_url"] is None


def test_the_details_always_name_an_academie_to_ask(catalogue):
    """A campus whose sources name no académie and no town: the académies of its région, so that a
    card without a site or a lead establishment still says whom to ask."""
    for campus in catalogue.campuses:
        assert "(académie de )" not in details_text(campus), campus.id
    occitanie = catalogue.by_id("occitanie-transition-energetique")
    assert not occitanie.academie and not occitanie.town
    assert "Région : Occitanie (académie de Montpellier ou de Toulouse)" in details_text(occitanie)
    rennes = next(c for c in catalogue.campuses if c.academie == ("Rennes",))
    assert f"Région : {rennes.region} (académie de Rennes)" in details_text(rennes)


def test_is_it_excellence_is_answered_about_excellence_whatever_is_unconfirmed(catalogue):
    for unconfirmed in ("excellence", "label"):
        campus = next(c for c in catalogue.campuses if c.unconfirmed == unconfirmed)
        answer = field_answer(campus, "excellence")
        assert "label excellence" in answer and "à confirmer" in answer, answer


def test_how_far_a_campus_is_from_the_town_the_user_gave(catalogue):
    campus = catalogue.by_id(LANNION_ID)
    answer = field_answer(campus, "distance", place("Brest"))
    first = answer.splitlines()[0]
    assert first.startswith("Le campus") and "à Lannion" in first and "km de Brest" in first, answer
    km = int(first.split(" km")[0].split()[-1])
    assert 80 <= km <= 120, answer  # Brest-Lannion, as the crow flies


def test_how_far_asks_where_the_user_lives_when_no_place_is_known(catalogue):
    answer = field_answer(catalogue.by_id(LANNION_ID), "distance", None)
    assert "où vous habitez" in answer


def test_how_far_from_a_region_says_where_the_campus_is(catalogue):
    answer = field_answer(catalogue.by_id(LANNION_ID), "distance", place("Bretagne"))
    assert "Lannion" in answer and "km" not in answer, answer


def test_how_far_from_the_campus_town_itself_says_it_is_in_that_town(catalogue):
    answer = field_answer(catalogue.by_id(LANNION_ID), "distance", place("Lannion"))
    first = answer.splitlines()[0]
    assert "à Lannion, dans votre ville" in first and "km" not in first, answer


def test_a_merged_campus_card_names_the_campuses_it_joined(catalogue):
    """A student who knows the Cherbourg or Fécamp energy campus finds it in the Normandy one."""
    merged = match_of(
        search(catalogue, SearchQuery(sector="energy_transition_eco_industry", region="Normandie")), "normandie-ceine"
    )
    former = next(line for line in campus_lines(merged) if line.startswith("Anciennement"))
    assert "Industrie des énergies (Cherbourg)" in former and "Fécamp" in former
