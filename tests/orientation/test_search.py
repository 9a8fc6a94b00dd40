"""Campus search on the real catalogue: filters, ranking, the facts of each reason, alternatives, notes."""

import pytest

from orientation.places import resolve_place
from orientation.search import NoteKind, Reason, SearchQuery, Why, search
from orientation.text import normalise

LANNION_ID = "bretagne-numerique-photonique"
DIGITAL = "digital_telecommunications"


def place(text):
    resolution = resolve_place(text)
    assert resolution.status == "found", resolution
    return resolution.place


def ids(matches):
    return [match.campus.id for match in matches]


def whys(match):
    return [reason.why for reason in match.reasons]


def reason(match, why):
    return next(r for r in match.reasons if r.why is why)


def test_digital_in_bretagne_finds_the_lannion_campus(catalogue):
    result = search(catalogue, SearchQuery(sector=DIGITAL, region="Bretagne"))
    assert LANNION_ID in ids(result.matches)
    match = next(m for m in result.matches if m.campus.id == LANNION_ID)
    assert Reason(Why.SECTOR, sector=DIGITAL) in match.reasons
    assert Reason(Why.REGION, region="Bretagne") in match.reasons
    assert Reason(Why.EXCELLENCE) in match.reasons
    assert all(m.campus.region == "Bretagne" and m.campus.sector == DIGITAL for m in result.matches)
    assert result.alternatives == ()


def test_digital_typed_as_le_35_or_rennes_gives_the_same_campus(catalogue):
    for typed in ("le 35", "Rennes", "Bretagne"):
        result = search(catalogue, SearchQuery(sector=DIGITAL, place=place(typed)))
        assert LANNION_ID in ids(result.matches), typed


def test_a_town_ranks_closest_first_with_km(catalogue):
    result = search(catalogue, SearchQuery(place=place("Brest")))
    matches = result.matches
    assert len(matches) >= 3
    assert all(m.campus.region == "Bretagne" for m in matches)
    distances = [m.distance_km for m in matches if m.distance_km is not None]
    assert distances == sorted(distances)
    lannion = next(m for m in matches if m.campus.id == LANNION_ID)
    assert 75 < lannion.distance_km < 95
    assert reason(lannion, Why.DISTANCE) == Reason(Why.DISTANCE, km=lannion.distance_km, place=place("Brest"))
    # a campus in Brest itself comes first and says so
    in_brest = [m for m in matches if m.campus.town == "Brest"]
    if in_brest:
        assert matches[0].campus.town == "Brest" and Why.SAME_TOWN in whys(matches[0])


def test_campuses_without_a_town_come_after_the_located_ones(catalogue):
    result = search(catalogue, SearchQuery(place=place("Lyon")))
    located = [m.distance_km is not None for m in result.matches]
    assert located == sorted(located, reverse=True)
    for match in result.matches:
        if match.distance_km is None:
            assert Reason(Why.REGION, region="Auvergne-Rhône-Alpes") in match.reasons


def test_a_departement_filters_by_region_and_sorts_by_distance(catalogue):
    result = search(catalogue, SearchQuery(place=place("Finistère")))
    assert all(m.campus.region == "Bretagne" for m in result.matches)
    distances = [m.distance_km for m in result.matches if m.distance_km is not None]
    assert distances == sorted(distances)
    for match in result.matches:
        if match.campus.departement_code == "29":
            assert Reason(Why.DEPARTEMENT, place=place("Finistère")) in match.reasons
        elif match.distance_km is not None:
            assert reason(match, Why.DEPARTEMENT_DISTANCE).km == match.distance_km


def test_an_academie_keeps_its_campuses_only(catalogue):
    result = search(catalogue, SearchQuery(place=place("académie de Rennes")))
    assert LANNION_ID in ids(result.matches)
    assert all(m.campus.region == "Bretagne" for m in result.matches)
    assert all(reason(m, Why.ACADEMIE).place.name == "Rennes" for m in result.matches)


def test_overseas_covers_the_five_regions(catalogue):
    result = search(catalogue, SearchQuery(place=place("outre-mer")))
    regions = {m.campus.region for m in result.matches}
    assert regions and regions <= {"Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"}


def test_no_result_gives_same_sector_elsewhere_then_other_sectors_nearby(catalogue):
    in_bretagne = {c.sector for c in catalogue.campuses if c.region == "Bretagne"}
    sector = next(c.sector for c in catalogue.campuses if c.sector not in in_bretagne)
    brest = place("Brest")
    result = search(catalogue, SearchQuery(sector=sector, place=brest))
    assert result.matches == ()
    assert result.note.kind is NoteKind.NO_MATCH and result.note.sector == sector
    assert result.note.region == "Bretagne"
    same = [m for m in result.alternatives if m.campus.sector == sector]
    nearby = [m for m in result.alternatives if m.campus.sector != sector]
    assert same and nearby
    assert result.alternatives[: len(same)] == tuple(same)  # same sector first
    assert all(Reason(Why.SAME_SECTOR, sector=sector) in m.reasons for m in same)
    assert all(m.campus.region == "Bretagne" for m in nearby)
    assert all(Reason(Why.OTHER_SECTOR, sector=m.campus.sector) in m.reasons for m in nearby)
    same_distances = [m.distance_km for m in same if m.distance_km is not None]
    assert same_distances == sorted(same_distances)
    located = [c for c in catalogue.campuses if c.sector == sector and c.lat is not None]
    if located:
        assert same[0].distance_km is not None
        elsewhere = reason(same[0], Why.ELSEWHERE)
        assert elsewhere.place == brest and elsewhere.km == same[0].distance_km
        assert elsewhere.region == same[0].campus.region


def test_no_result_in_a_region_without_campus(catalogue):
    result = search(catalogue, SearchQuery(place=place("Mayotte")))
    assert result.matches == ()
    assert result.alternatives
    assert result.note.kind is NoteKind.NO_MATCH and result.note.region == "Mayotte"


def test_excellence_filter(catalogue):
    result = search(catalogue, SearchQuery(excellence=True))
    assert result.matches
    assert all(m.campus.excellence for m in result.matches)
    everything = search(catalogue, SearchQuery())
    assert len(everything.matches) == len(catalogue)
    assert len(result.matches) < len(everything.matches)


def test_mobility_filter_keeps_campuses_with_documented_mobility(catalogue):
    result = search(catalogue, SearchQuery(mobility=True))
    assert LANNION_ID in ids(result.matches)
    assert all(m.campus.mobility for m in result.matches)
    assert all(Why.MOBILITY in whys(m) for m in result.matches)


def test_training_mode_keeps_unknowns_and_drops_known_refusals(catalogue):
    result = search(catalogue, SearchQuery(training_mode="apprenticeship"))
    kept = ids(result.matches)
    for campus in catalogue.campuses:
        if campus.training_modes and "apprenticeship" not in campus.training_modes:
            assert campus.id not in kept
        else:
            assert campus.id in kept
    for match in result.matches:
        expected = Why.OFFERED if match.campus.training_modes else Why.NOT_KNOWN
        assert Reason(expected, offer="apprenticeship") in match.reasons
    unknown = [m for m in result.matches if not m.campus.training_modes]
    assert result.note.kind is NoteKind.NOT_KNOWN
    assert result.note.asked == ("apprenticeship",) and result.note.count == len(unknown)


def test_level_filter(catalogue):
    result = search(catalogue, SearchQuery(level="bts"))
    for match in result.matches:
        assert not match.campus.levels or "bts" in match.campus.levels
    confirmed = [m for m in result.matches if m.campus.levels]
    assert all(Reason(Why.OFFERED, offer="bts") in m.reasons for m in confirmed)


def test_ranking_without_a_town_puts_excellence_first_then_names(catalogue):
    result = search(catalogue, SearchQuery(sector="materials"))
    # An excellence label that no official source confirms does not rank first (CATALOGUE.md).
    flags = [m.campus.confirmed_excellence for m in result.matches]
    assert flags == sorted(flags, reverse=True)
    excellent = [normalise(m.campus.name) for m in result.matches if m.campus.confirmed_excellence]
    assert excellent == sorted(excellent)


@pytest.mark.parametrize("no_preference", ["any", "anywhere", "", None])
def test_no_preference_values_do_not_filter(catalogue, no_preference):
    result = search(catalogue, SearchQuery(sector=no_preference, region=no_preference))
    assert len(result.matches) == len(catalogue)


def test_every_match_says_why(catalogue):
    queries = [
        SearchQuery(sector=DIGITAL),
        SearchQuery(region="Occitanie"),
        SearchQuery(place=place("Toulouse"), excellence=True),
        SearchQuery(sector="tourism_gastronomy", place=place("Nice"), training_mode="vae"),
    ]
    for query in queries:
        result = search(catalogue, query)
        for match in result.matches + result.alternatives:
            assert match.reasons, (query, match.campus.id)


def test_a_campus_in_the_town_asked_says_so(catalogue):
    le_mans = place("Le Mans")
    in_le_mans = search(catalogue, SearchQuery(place=le_mans))
    first = in_le_mans.matches[0]
    assert first.campus.id == "pdl-auto-mobilites"
    assert Reason(Why.SAME_TOWN, place=le_mans) in first.reasons
    others = [m for m in in_le_mans.matches[1:] if m.distance_km is not None]
    assert others and reason(others[0], Why.DISTANCE).place == le_mans


def test_the_overseas_area_and_the_wishes_are_in_the_note(catalogue):
    result = search(catalogue, SearchQuery(sector="materials", place=place("outre-mer"), excellence=True, level="bts"))
    assert result.matches == ()
    assert result.note.kind is NoteKind.NO_MATCH and result.note.overseas
    assert result.note.wishes == ("excellence", "bts")


def test_an_unlabelled_campus_is_marked_to_confirm(catalogue):
    unconfirmed = [c for c in catalogue.campuses if c.unconfirmed]
    assert unconfirmed
    for campus in unconfirmed:
        result = search(catalogue, SearchQuery(sector=campus.sector, region=campus.region))
        match = next(m for m in result.matches if m.campus.id == campus.id)
        assert Reason(Why.TO_CONFIRM, unconfirmed=campus.unconfirmed) in match.reasons
        assert Why.EXCELLENCE not in whys(match)


def test_members_come_nearest_the_user_first(catalogue):
    from orientation.search import members_by_distance

    campus = max(catalogue.campuses, key=lambda c: len({m.insee_code for m in c.members if m.insee_code}))
    located = [m for m in campus.members if m.insee_code]
    last = located[-1]
    ordered = members_by_distance(campus, place(last.town_name))
    distances = [at.distance_km for at in ordered if at.distance_km is not None]
    assert distances == sorted(distances) and ordered[0].member.insee_code == last.insee_code
    assert [at.member for at in members_by_distance(campus, None)] == list(campus.members)


def test_a_campus_with_no_town_is_offered_by_how_near_its_region_is(catalogue):
    """The thermal-spa campus has no town in its sources: asked in Occitanie, it still comes
    before the campuses of the same sector in regions further away."""
    result = search(catalogue, SearchQuery(sector="services_people_wellbeing", region="Occitanie"))
    offered = [m.campus.id for m in result.alternatives]
    assert "ara-thermalisme-bien-etre-sante" in offered[:3], offered
