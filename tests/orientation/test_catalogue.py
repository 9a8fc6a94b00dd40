"""The campus catalogue: every row of the data file is valid, bad rows are caught,
and campuses are found by the names people use."""

import csv

import pytest

from orientation.catalogue import (
    CATALOGUE_CSV,
    COLUMNS,
    SECTOR_LABELS,
    build_catalogue,
    load_catalogue,
    read_rows,
    validate_row,
    validate_rows,
)

SPEC_SECTORS = {
    "mobility_aeronautics_transport",
    "tourism_gastronomy",
    "creation_design_audiovisual",
    "chemistry_biotechnology",
    "materials",
    "energy_transition_eco_industry",
    "services_people_wellbeing",
    "food_agrifood",
    "infrastructure_building_eco_construction",
    "innovative_systems_mechatronics",
    "business_services_logistics",
    "digital_telecommunications",
}
LANNION_ID = "bretagne-numerique-photonique"


@pytest.fixture(scope="module")
def rows():
    return read_rows()


@pytest.fixture()
def good_row(rows):
    return dict(next(row for row in rows if row["id"] == LANNION_ID))


def test_data_file_has_the_documented_columns():
    with open(CATALOGUE_CSV, encoding="utf-8", newline="") as handle:
        assert tuple(next(csv.reader(handle))) == COLUMNS


def test_every_row_of_the_data_file_is_valid(rows):
    assert validate_rows(rows) == []


def test_every_row_becomes_a_campus(rows, catalogue):
    assert len(catalogue) == len(rows) >= 80


def test_sector_labels_cover_the_twelve_sectors():
    assert set(SECTOR_LABELS) == SPEC_SECTORS
    assert SECTOR_LABELS["digital_telecommunications"] == "Numérique, télécommunications"


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"sector": "space_tourism"}, "unknown sector"),
        ({"sector": ""}, "empty field: sector"),
        ({"region": "Bretagne-Nord"}, "unknown region"),
        ({"region": "Normandie"}, "is not in Normandie"),  # Lannion and académie de Rennes
        ({"source_url": ""}, "empty field: source_url"),
        ({"source_url": "voir le site"}, "source_url is not a web address"),
        ({"website": "www campus"}, "website is not a web address"),
        ({"other_sources": "https://a.example;pas une url"}, "other_sources"),
        ({"id": "Campus Lannion"}, "id is not a lowercase slug"),
        ({"excellence": "yes (2019)"}, "excellence must be yes or no"),
        ({"unconfirmed": "maybe"}, "unconfirmed must be empty or one of"),
        ({"unconfirmed": "excellence", "excellence": "no"}, "unconfirmed=excellence needs excellence=yes"),
        ({"sector_inferred": "maybe"}, "sector_inferred must be yes or no"),
        ({"academie": "Gotham"}, "unknown académie"),
        ({"academie": "Lyon"}, "académie Lyon is not in Bretagne"),
        ({"training_modes": "apprenticeship;distance_learning"}, "unknown value in training_modes"),
        ({"levels": "bts;bac+2"}, "unknown value in levels"),
        ({"insee_code": "99999"}, "unknown INSEE code"),
        ({"insee_code": "29019"}, "is Brest, not 'Lannion'"),  # code of another town
        ({"town": "Lanion-sur-Mer", "insee_code": ""}, "has no INSEE code"),  # unresolvable town
        ({"town": "Lyon", "insee_code": "69123"}, "is not in Bretagne"),  # town in another region
    ],
)
def test_bad_rows_are_reported(good_row, change, problem):
    assert validate_row(good_row) == []
    problems = validate_row({**good_row, **change})
    assert any(problem in p for p in problems), problems


def test_missing_columns_are_reported(good_row):
    for column in ("id", "name", "sector", "region", "source_url"):
        row = {k: v for k, v in good_row.items() if k != column}
        assert f"missing field: {column}" in validate_row(row)


def test_duplicate_ids_are_reported(good_row):
    problems = validate_rows([good_row, dict(good_row)])
    assert problems == [f"row 2 ({LANNION_ID}): duplicate id (first in row 1)"]


def test_town_without_code_is_resolved_within_its_region(good_row):
    row = {**good_row, "insee_code": ""}
    assert validate_row(row) == []
    campus = build_catalogue([row]).by_id(LANNION_ID)
    assert (campus.town, campus.insee_code) == ("Lannion", "22113")


def test_records_with_json_types_are_accepted(good_row):
    record = {
        **good_row,
        "excellence": True,
        "training_modes": ["apprenticeship", "vae"],
        "levels": [],
        "other_sources": None,
    }
    assert validate_row(record) == []
    campus = build_catalogue([record]).by_id(LANNION_ID)
    assert campus.excellence is True and campus.training_modes == ("apprenticeship", "vae")


def test_bad_rows_are_left_out_of_the_catalogue(good_row, caplog):
    bad = {**good_row, "id": "bretagne-bad-row", "sector": "unknown"}
    catalogue = build_catalogue([good_row, bad, dict(good_row)])
    assert [c.id for c in catalogue.campuses] == [LANNION_ID]
    assert "bretagne-bad-row" in caplog.text and "duplicate id" in caplog.text


def test_campus_is_joined_with_its_town(catalogue):
    campus = catalogue.by_id(LANNION_ID)
    assert campus.name == "Numérique et photonique"
    assert (campus.sector, campus.region, campus.town, campus.departement_code) == (
        "digital_telecommunications",
        "Bretagne",
        "Lannion",
        "22",
    )
    assert 48.7 < campus.lat < 48.8 and -3.5 < campus.lon < -3.4
    assert campus.source_url.startswith("http")
    assert campus.sector_label == "Numérique, télécommunications"


def test_rows_contradicted_by_their_sources_are_corrected_or_marked(catalogue):
    """Propulsions sits at the Madrillet technology park, CMQ 3E's lead IUT at Illkirch; three labels
    that no official source confirms are marked, and their excellence is not claimed."""
    assert catalogue.by_id("normandie-propulsions").town == "Saint-Étienne-du-Rouvray"
    assert catalogue.by_id("ge-eco-construction-efficacite-energetique").town == "Illkirch-Graffenstaden"
    for campus_id in (
        "hdf-ferroviaire-automobile-eco-mobilite",
        "paca-relation-client",
        "bretagne-education-artistique-culturelle",
    ):
        campus = catalogue.by_id(campus_id)
        assert campus.to_confirm == "label à confirmer" and not campus.confirmed_excellence


def test_campus_without_a_known_town_has_no_coordinates(catalogue):
    unplaced = [c for c in catalogue.campuses if not c.town]
    assert all(c.lat is None and c.lon is None and c.insee_code == "" for c in unplaced)
    assert all(c.lat is not None for c in catalogue.campuses if c.town)


def test_by_id(catalogue):
    assert catalogue.by_id(LANNION_ID).id == LANNION_ID
    assert catalogue.by_id("no-such-campus") is None
    assert catalogue.by_id(None) is None


def test_catalogue_is_loaded_once_per_process():
    assert load_catalogue() is load_catalogue()
    assert load_catalogue({"url": None}) is load_catalogue({"url": None})


@pytest.mark.parametrize(
    "typed",
    [
        "Numérique et photonique",
        "numerique et photonique",
        "NUMERIQUE ET PHOTONIQUE",
        "Campus des métiers et des qualifications Numérique et Photonique",
        "le campus numérique et photonique",
        "CMQ numerique photonique",
        "numerik et fotonique",
        "photonique",
        "campus de Lannion",
    ],
)
def test_find_by_name_is_tolerant(catalogue, typed):
    found = catalogue.find_by_name(typed)
    assert found and found[0][0].id == LANNION_ID, found


def test_find_by_former_name(catalogue):
    renamed = [c for c in catalogue.campuses if c.former_names]
    assert renamed
    for campus in renamed:
        assert catalogue.find_by_name(campus.former_names[0])[0][0].id == campus.id


def test_find_by_name_ranks_and_limits(catalogue):
    found = catalogue.find_by_name("aéronautique", limit=3)
    assert len(found) == 3
    assert all("ronautique" in campus.name for campus, _ in found)
    scores = [score for _, score in found]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("typed", ["", "campus", "zzzzqqqq", "🙂"])
def test_find_by_name_without_a_real_name(catalogue, typed):
    assert catalogue.find_by_name(typed) == []
