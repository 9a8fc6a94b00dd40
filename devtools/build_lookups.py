"""Build the NLU lookup tables (regions, départements, towns, campuses) from the project's data.

Run from the repository root:  python -m devtools.build_lookups
The output is deterministic (sorted, no timestamps), so a re-run only changes files when the
data changed. The tables feed the RegexFeaturizer: they help the entity extractor spot places
and campus names it never saw in the training examples.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Dict, Iterable, List, Set

import yaml

from orientation.paths import DATA_DIR, PROJECT_ROOT, TRAINING_DATA_DIR
from orientation.places import usual_town_name
from orientation.text import strip_accents

GEO_DIR = DATA_DIR / "geo"
LOOKUP_DIR = TRAINING_DATA_DIR / "nlu" / "lookups"
SYNONYMS_FILE = TRAINING_DATA_DIR / "nlu" / "synonyms.yml"

# Towns of at least this many inhabitants: about 1,000 communes, enough to cover where people
# live while keeping the regular expression small enough for fast featurising.
MIN_TOWN_POPULATION = 10_000
# Above this size a town also gets its hyphen-free and "St" spellings ("st etienne"); doing it
# for every town would push the table past ~1,500 entries.
MIN_POPULATION_FOR_ALL_SPELLINGS = 20_000

# Short names, abbreviations and pre-2016 regions people still use ("en Alsace", "en PACA").
REGION_ALIASES = [
    "PACA",
    "Provence",
    "Côte d'Azur",
    "Région Sud",
    "AURA",
    "ARA",
    "Rhône-Alpes",
    "Auvergne",
    "IDF",
    "Ile de France",
    "région parisienne",
    "BFC",
    "Bourgogne",
    "Franche-Comté",
    "HDF",
    "Nord-Pas-de-Calais",
    "Picardie",
    "Centre",
    "Alsace",
    "Lorraine",
    "Champagne-Ardenne",
    "Champagne",
    "Aquitaine",
    "Limousin",
    "Poitou-Charentes",
    "Midi-Pyrénées",
    "Languedoc-Roussillon",
    "Languedoc",
    "Basse-Normandie",
    "Haute-Normandie",
    "Pays de Loire",
    "Réunion",
    "la Réunion",
    "Guyane française",
]

# Campus acronyms that are also common French words ("ici", "mes"): never campus names alone.
CAMPUS_ALIAS_STOPWORDS = {"ici", "mes"}


def spelling_variants(name: str) -> List[str]:
    """The name as written officially, without accents, and with spaces for hyphens."""
    folded = strip_accents(name, ligatures=False).replace("œ", "oe").replace("Œ", "Oe")
    variants = [name, folded, folded.replace("-", " ")]
    if folded.startswith(("Saint-", "Sainte-")):
        variants.append(re.sub(r"^Saint(e?)-", r"St\1 ", folded))
    return variants


def unique_sorted(names: Iterable[str]) -> List[str]:
    """Sorted, without duplicates that differ only in letter case (the featurizer ignores it)."""
    by_key: Dict[str, str] = {}
    for name in names:
        name = name.strip()
        if name:
            by_key.setdefault(name.lower(), name)
    return sorted(by_key.values(), key=lambda name: (strip_accents(name, ligatures=False).lower(), name))


def read_csv(path: Path) -> List[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def region_names() -> List[str]:
    official = {row["region"] for row in read_csv(GEO_DIR / "departements.csv")}
    names = [variant for region in official for variant in spelling_variants(region)]
    names += [variant for alias in REGION_ALIASES for variant in spelling_variants(alias)]
    return unique_sorted(names)


def departement_names() -> List[str]:
    names = [row["name"] for row in read_csv(GEO_DIR / "departements.csv")]
    return unique_sorted(variant for name in names for variant in spelling_variants(name))


def town_names() -> List[str]:
    names = []
    for row in read_csv(GEO_DIR / "communes.csv"):
        population = int(row["population"] or 0)
        # The source has no population for Mayotte's 17 communes; most are above the threshold.
        if population < MIN_TOWN_POPULATION and row["region"] != "Mayotte":
            continue
        # People write the article the commune table drops ("Le Mans"): the usual name.
        variants = spelling_variants(usual_town_name(row["name"]))
        names += variants if population >= MIN_POPULATION_FOR_ALL_SPELLINGS else variants[:2]
    return unique_sorted(names)


def campus_catalogue_path() -> Path:
    return DATA_DIR / "campuses.csv"


def is_acronym(text: str) -> bool:
    """'CMQ 3E', 'PatMAT', 'IED': short, with several capitals."""
    return len(text) <= 12 and sum(char.isupper() for char in text) >= 2


def campus_aliases(raw_name: str) -> List[str]:
    """'Mer (CMQ2M)' -> ['Mer', 'CMQ2M']; 'Green City – énergie et ...' -> ['Green City – ...',
    'Green City']: the name, its short form before a dash, a bracketed acronym or campus name."""
    main = re.sub(r"\s*\(.*?\)", "", raw_name).strip()
    aliases = [main]
    short_form = re.split(r"\s[–—]\s", main)[0].strip()
    if short_form != main:
        aliases.append(short_form)
    for bracketed in re.findall(r"\(([^)]*)\)", raw_name):
        bracketed = bracketed.strip()
        if "campus" in bracketed.lower() or is_acronym(bracketed):
            aliases.append(bracketed)
    return aliases


def everyday_words() -> Set[str]:
    """Sector words and region names: a campus called 'Informatique' or 'Mer' must not make
    every mention of informatique look like a campus name."""
    synonyms = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8")) if SYNONYMS_FILE.exists() else {}
    words = {"mer"} | CAMPUS_ALIAS_STOPWORDS
    for item in (synonyms or {}).get("nlu", []):
        words.update(line.lstrip("- ").strip() for line in item.get("examples", "").splitlines())
    words.update(region_names())
    return {strip_accents(word, ligatures=False).lower() for word in words}


def campus_names() -> List[str]:
    rows = read_csv(campus_catalogue_path())
    generic = everyday_words()
    raw_names = [row["name"] for row in rows]
    # Former names ("Textile, mode, cuir et design Rhône-Alpes" for Text'In) are still in use.
    raw_names += [former for row in rows for former in (row.get("former_names") or "").split(";")]
    names = [
        alias
        for raw_name in raw_names
        if raw_name.strip()
        for alias in campus_aliases(raw_name)
        if strip_accents(alias, ligatures=False).lower() not in generic
    ]
    return unique_sorted(variant for name in names for variant in spelling_variants(name)[:2])


def render_lookup(name: str, values: List[str], origin: str) -> str:
    lines = [
        "# Generated by `python -m devtools.build_lookups` from " + origin + ". Do not edit by hand.",
        'version: "3.1"',
        "nlu:",
        f"  - lookup: {name}",
        "    examples: |",
    ]
    lines += [f"      - {value}" for value in values]
    return "\n".join(lines) + "\n"


def build() -> dict:
    """Write every lookup file; return how many names each holds."""
    catalogue = campus_catalogue_path().relative_to(PROJECT_ROOT)
    tables = {
        "regions.yml": ("region", region_names(), "orientation/data/geo/departements.csv and aliases"),
        "departements.yml": ("departement", departement_names(), "orientation/data/geo/departements.csv"),
        "towns.yml": ("town", town_names(), "orientation/data/geo/communes.csv"),
        "campuses.yml": ("campus", campus_names(), str(catalogue)),
    }
    LOOKUP_DIR.mkdir(parents=True, exist_ok=True)
    counts = {}
    for file_name, (lookup, values, origin) in tables.items():
        (LOOKUP_DIR / file_name).write_text(render_lookup(lookup, values, origin), encoding="utf-8")
        counts[file_name] = len(values)
    return counts


if __name__ == "__main__":
    for file_name, count in build().items():
        print(f"data/nlu/lookups/{file_name}: {count} names")
