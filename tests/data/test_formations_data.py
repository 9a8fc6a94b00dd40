"""The training offer's data files (orientation/data/formations/): every specialty has a sector,
the reviewed overrides all apply, the generated table is up to date, the names carry their
accents and the places are never guessed."""

import csv
import gzip
import re
import shutil
from collections import Counter

import pytest

from devtools import build_formations as build
from orientation import formations
from orientation.places import distance_km, get_resolver
from orientation.sectors import load_sectors
from orientation.text import strip_accents

DIR = formations.FORMATIONS_DIR
SECTORS = set(load_sectors()) | {"none"}


def read(name):
    path = DIR / name
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def specialties():
    return read("specialties.csv")


@pytest.fixture(scope="module")
def rows():
    return read("formations.csv.gz")


@pytest.fixture(scope="module")
def establishments():
    return {row["uai"]: row for row in read("establishments.csv")}


def test_every_specialty_of_the_offer_has_one_sector(rows, specialties):
    mapped = {(s["level"], s["specialty"]): s["sector"] for s in specialties}
    assert len(mapped) == len(specialties), "a (level, specialty) is mapped twice"
    assert all(sector in SECTORS for sector in mapped.values())
    for row in rows:
        assert mapped.get((row["level"], row["specialty"])) == row["sector"], row


def test_the_mapping_is_what_the_rules_and_overrides_give(specialties):
    rules, overrides = build.load_rules(), build.load_overrides()
    for row in specialties:
        sector, rule = build.sector_of(row["level"], row["specialty"], row["diploma"], rules, overrides)
        assert (sector, rule) == (row["sector"], row["rule"]), row


def test_every_reviewed_override_applies(specialties):
    by_key = {(s["level"], s["specialty"]): s for s in specialties}
    overrides = read("sector_overrides.csv")
    assert overrides
    for override in overrides:
        key = (override["level"], override["specialty"])
        assert key in by_key, f"override for a specialty the offer does not have: {key}"
        assert by_key[key]["sector"] == override["sector"] and by_key[key]["rule"] == "override"
        assert override["sector"] in SECTORS and override["note"]


def test_every_sector_rule_names_a_sector_and_is_used(specialties):
    rules = read("sector_rules.csv")
    assert all(rule["sector"] in SECTORS for rule in rules)
    used_levels = {s["rule"].split(": ", 1)[1] for s in specialties if s["rule"].startswith("level: ")}
    assert used_levels, "the level rules map nothing"


def test_the_review_table_is_generated_from_the_mapping(specialties):
    assert (DIR / "SECTORS.md").read_text(encoding="utf-8") == build.sectors_table(specialties), (
        "run: python -m devtools.build_formations"
    )


def test_each_specialty_count_is_its_number_of_formations(rows, specialties):
    counted = Counter((row["level"], row["specialty"]) for row in rows)
    assert {(s["level"], s["specialty"]): int(s["formations"]) for s in specialties} == dict(counted)


def test_the_accent_list_only_adds_accents_to_lower_case_common_words():
    entries = read("accents.csv")
    plains = [entry["plain"] for entry in entries]
    assert len(plains) == len(set(plains))
    for entry in entries:
        assert entry["plain"] == strip_accents(entry["accented"], ligatures=False) != entry["accented"], entry
        assert entry["accented"] == entry["accented"].lower(), "a capital: proper nouns are never restored"


def test_names_from_the_unaccented_file_got_their_common_words_accented(establishments):
    accents = build.load_accents()
    restored = [e["name"] for e in establishments.values() if e["name_source"] == "parcoursup_2025"]
    assert len(restored) > 1000
    for name in restored:
        left = [w for w in re.findall(r"[A-Za-z]+", name) if w.lower() in accents and w.lower() != "a"]
        assert not left, (name, left)
    assert sum("Lycée" in name for name in restored) > 150
    assert not any(re.search(r"\bLycee\b", e["name"]) for e in establishments.values())


def test_an_establishment_without_a_known_commune_is_placed_by_its_departement_only(establishments):
    resolver = get_resolver()
    for e in establishments.values():
        if e["located_by"] == "departement":
            assert not e["insee_code"]
            centre = resolver.departements[e["departement_code"]]
            assert distance_km(float(e["lat"]), float(e["lon"]), centre.lat, centre.lon) < 1
        if e["insee_code"]:
            commune = resolver.communes_by_insee[e["insee_code"]]
            assert commune.departement_code == e["departement_code"]
            assert commune.name == e["commune"]
            if e["located_by"] == "gps" and commune.lat is not None and not e["departement_code"].startswith("97"):
                # The commune named agrees with the GPS point of its formations (overseas
                # communes are too large for the test).
                assert distance_km(float(e["lat"]), float(e["lon"]), commune.lat, commune.lon) < 40, e


def test_sources_years_and_modes_are_consistent(rows):
    years = {"parcoursup_2025": "2025", "parcoursup_2024": "2024", "affelnet_2022": "2022"}
    for row in rows:
        assert years[row["source"]] == row["year"]
        assert row["mode"] in formations.MODES
    before_bac = [row for row in rows if row["level"] in formations.NO_APPRENTICESHIP_DATA]
    assert before_bac and all(row["mode"] == "initial_training" for row in before_bac)
    assert {row["source"] for row in before_bac} == {"affelnet_2022"}
    apprenticeship = Counter(row["level"] for row in rows if row["mode"] == "apprenticeship")
    assert apprenticeship["bts"] > 8000


def test_the_level_keys_of_the_contract_are_used(rows):
    levels = {row["level"] for row in rows}
    assert {"cap", "bac_pro", "bts", "but", "licence", "licence_pro", "cpge", "dn_made", "bma", "mc", "cs"} <= levels
    assert all(re.fullmatch(r"[a-z_]+", level) for level in levels)


def test_every_abbreviation_reaches_specialties_of_its_level():
    offer = formations.get_offer()
    for abbreviation in formations.read_abbreviations():
        match = offer.resolve_specialty(abbreviation.abbreviation)
        level_word = match.abbreviation is None and match.status == "level_only"  # "CPGE", "prépa", "DN MADE"
        assert match.abbreviation == abbreviation or (level_word and match.level == abbreviation.level), abbreviation
        assert match.status == ("found" if abbreviation.words else "level_only"), abbreviation
        for specialty in match.specialties:
            assert not abbreviation.level or specialty.level == abbreviation.level
        if not abbreviation.words:
            assert offer.search(abbreviation.abbreviation).hits


# ---------------------------------------------------------------- malformed files


def copy_offer(tmp_path):
    for name in ("establishments.csv", "formations.csv.gz", "specialties.csv", "abbreviations.csv"):
        shutil.copy(DIR / name, tmp_path / name)
    return {
        name: tmp_path / name
        for name in ("establishments.csv", "formations.csv.gz", "specialties.csv", "abbreviations.csv")
    }


def load(paths):
    return formations.load_offer(
        paths["establishments.csv"], paths["formations.csv.gz"], paths["specialties.csv"], paths["abbreviations.csv"]
    )


def test_a_bad_line_is_reported_with_its_file_and_line(tmp_path):
    paths = copy_offer(tmp_path)
    lines = paths["establishments.csv"].read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace(lines[4].split(",")[0], "NOT-A-UAI", 1)
    paths["establishments.csv"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(formations.FormationDataError, match=r"establishments\.csv, line 5: bad UAI"):
        load(paths)


def test_a_bad_formation_row_is_reported_with_its_line(tmp_path):
    paths = copy_offer(tmp_path)
    with gzip.open(paths["formations.csv.gz"], "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    lines[10] = (
        lines[10].replace("initial_training", "by_correspondence").replace("apprenticeship", "by_correspondence")
    )
    with gzip.open(paths["formations.csv.gz"], "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    with pytest.raises(formations.FormationDataError, match=r"formations\.csv\.gz, line 11: bad mode"):
        load(paths)


def test_a_missing_or_truncated_file_is_named(tmp_path):
    paths = copy_offer(tmp_path)
    paths["specialties.csv"].unlink()
    with pytest.raises(formations.FormationDataError, match=r"specialties\.csv: file missing"):
        load(paths)
    paths = copy_offer(tmp_path)
    paths["formations.csv.gz"].write_bytes(paths["formations.csv.gz"].read_bytes()[:5000])
    with pytest.raises(formations.FormationDataError, match=r"formations\.csv\.gz"):
        load(paths)


def test_a_missing_column_is_reported(tmp_path):
    paths = copy_offer(tmp_path)
    text = paths["abbreviations.csv"].read_text(encoding="utf-8")
    paths["abbreviations.csv"].write_text(
        text.replace("abbreviation,level,words", "abbr,level,words", 1), encoding="utf-8"
    )
    with pytest.raises(
        formations.FormationDataError, match=r"abbreviations\.csv, line 1: missing columns abbreviation"
    ):
        load(paths)
