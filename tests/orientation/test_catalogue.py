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
    refused_sources,
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
        assert campus.unconfirmed == "label" and not campus.confirmed_excellence


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


# --- December 2026 review: merged campuses, members, diplomas, source dates -------------------


def test_the_normandy_energy_campuses_are_one_campus_reached_by_their_old_ids_and_names(catalogue):
    ceine = catalogue.by_id("normandie-ceine")
    assert ceine is not None and "CEINE" in ceine.name
    for old_id in ("normandie-industrie-energies-cherbourg", "normandie-energies-efficacite-energetique"):
        assert catalogue.by_id(old_id) is ceine  # old links keep working
        assert catalogue.current_id(old_id) == "normandie-ceine"
        assert old_id not in {c.id for c in catalogue.campuses}  # ids are never reused
    for old_name in ("Industrie des énergies", "Énergies et efficacité énergétique", "CEINE"):
        assert catalogue.find_by_name(old_name)[0][0].id == "normandie-ceine", old_name
    assert not ceine.confirmed_excellence  # no official list seen for its excellence


@pytest.mark.parametrize(
    "old_name, campus_id",
    [
        ("Art et design", "idf-art-design"),
        ("Mer (FORMED)", "paca-mer"),
        ("Hôtellerie et tourisme de montagne", "ara-stahr"),
    ],
)
def test_renamed_campuses_are_found_by_their_former_name(catalogue, old_name, campus_id):
    assert catalogue.find_by_name(old_name)[0][0].id == campus_id


def test_members_and_diplomas_are_reached_through_the_campus(catalogue):
    campus = catalogue.by_id(LANNION_ID)
    names = {m.name for m in campus.members}
    assert "Lycée Félix Le Dantec" in names and catalogue.members_of(LANNION_ID) == campus.members
    dantec = next(m for m in campus.members if m.name == "Lycée Félix Le Dantec")
    assert (dantec.town, dantec.insee_code, dantec.kind, dantec.uai) == ("Lannion", "22113", "lycée", "0220023F")
    assert any(d.level == "bts" and d.specialty == "Systèmes photoniques" for d in catalogue.diplomas_of(LANNION_ID))
    assert catalogue.members_of("no-such-campus") == () and catalogue.diplomas_of(None) == ()
    martinique = catalogue.by_id("martinique-mer").members[0]
    assert martinique.town_name == "Le Marin"


def test_campus_levels_cover_the_levels_of_its_diplomas(catalogue):
    for campus in catalogue.campuses:
        assert {d.level for d in campus.diplomas if d.level} <= set(campus.levels), campus.id


def test_source_dates_pair_with_the_sources(catalogue):
    dated = [c for c in catalogue.campuses if c.source_dates]  # a row with one undated source has none
    assert len(dated) >= 80
    assert all(len(c.source_dates) == len(c.sources) for c in dated)
    assert catalogue.by_id("hdf-metiers-art-patrimoine").label_end == "2023-07-27"
    assert catalogue.by_id("reunion-economie-bleue").newest_source_date == "2025-11-14"


def test_a_bad_data_file_is_refused_with_file_and_row(tmp_path):
    from orientation.catalogue import CatalogueFileError, load_catalogue, reset_catalogue_cache

    path = tmp_path / "campuses.csv"
    path.write_text(CATALOGUE_CSV.read_text(encoding="utf-8") + '"an unclosed quote,x\n', encoding="utf-8")
    reset_catalogue_cache()
    with pytest.raises(CatalogueFileError) as raised:
        load_catalogue(csv_path=path)
    assert str(raised.value).startswith(f"{path}, row ") and "\n" not in str(raised.value)
    reset_catalogue_cache()


def test_a_merged_id_sent_again_by_the_http_source_stays_merged(tmp_path, rows):
    from orientation.catalogue import ID_HISTORY_CSV, _build

    all_rows = [dict(r) for r in rows] + [{**dict(rows[0]), "id": "normandie-industrie-energies-cherbourg"}]
    path = tmp_path / "campuses.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(all_rows)
    (tmp_path / ID_HISTORY_CSV.name).write_text(ID_HISTORY_CSV.read_text(encoding="utf-8"), encoding="utf-8")
    catalogue = _build({}, path)
    assert catalogue.by_id("normandie-industrie-energies-cherbourg").id == "normandie-ceine"


def test_a_source_on_a_refused_domain_is_marked_and_never_the_shown_source(catalogue):
    """Six rows are named only by a copy on a document mirror: the copy stays as the row's trace
    for the catalogue check, but the campus has no source to show."""
    refused = refused_sources()
    marked = [c for c in catalogue.campuses if c.source_refused]
    assert {c.id for c in marked} == {campus_id for campus_id, _url in refused.kept_until_replaced}
    for campus in catalogue.campuses:
        assert campus.source_refused == (refused.domain_of(campus.source_url) is not None)
        assert campus.shown_source == (None if campus.source_refused else campus.source_url)
    assert all(c.unconfirmed == "label" for c in marked)
