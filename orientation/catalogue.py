"""The campus catalogue: the versioned CSV (orientation/data/campuses.csv) joined with the commune
coordinates, optionally updated from an HTTP source (orientation/sources.py).

Every row goes through validate_row(); a bad row is left out with a warning rather than
shown to a student. Loaded once per process.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from rapidfuzz import fuzz

from orientation.paths import DATA_DIR
from orientation.places import departement_of_insee, get_resolver, usual_town_name
from orientation.sectors import load_sectors
from orientation.text import normalise
from orientation.training import levels, training_modes

logger = logging.getLogger(__name__)

CATALOGUE_CSV = DATA_DIR / "campuses.csv"

COLUMNS = (
    "id",
    "name",
    "sector",
    "sector_inferred",
    "region",
    "academie",
    "lead_establishment",
    "town",
    "insee_code",
    "excellence",
    "unconfirmed",
    "website",
    "mobility",
    "training_modes",
    "levels",
    "former_names",
    "source_url",
    "other_sources",
)
# A row (CSV line or HTTP record) without one of these is skipped; the others default to empty.
REQUIRED_COLUMNS = ("id", "name", "sector", "region", "source_url")
LIST_SEPARATOR = ";"

# The 12 sectors of the label, as the Ministry names them (orientation/data/sectors.yml).
SECTOR_LABELS: Dict[str, str] = {key: sector.label for key, sector in load_sectors().items()}
TRAINING_MODES = tuple(training_modes())
LEVELS = tuple(levels())
YES_NO = ("yes", "no")
# What the sources of a row do not confirm, shown to users as "à confirmer" (see CATALOGUE.md).
UNCONFIRMED_NOTES = {"label": "label à confirmer", "excellence": "label excellence à confirmer"}
UNCONFIRMED_VALUES = tuple(UNCONFIRMED_NOTES)

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_URL = re.compile(r"https?://[^\s;]+")
# What people put before a campus name and what does not help to tell campuses apart.
_NAME_PREFIX = re.compile(
    r"^(?:(?:le|la|les|l|du|de|des|d)\s+)?"
    r"(?:campus\s+(?:des\s+)?metiers\s+(?:et\s+)?(?:des\s+)?qualifications?(?:\s+d\s+excellence)?|cmqe?|campus)"
    r"(?:\s+(?:de\s+la|de\s+l|des|du|de|d))?\s*"
)
FIND_SCORE_CUTOFF = 60
# A query that is only part of a name scores a little below the full name.
PART_OF_NAME_WEIGHT = 0.95


@dataclass(frozen=True)
class Campus:
    id: str
    name: str
    sector: str
    sector_inferred: bool
    region: str
    academie: Tuple[str, ...]
    lead_establishment: Optional[str]
    town: str  # "" when the sources give no town
    insee_code: str  # "" when the town is unknown
    lat: Optional[float]  # None when the town is unknown
    lon: Optional[float]
    excellence: bool  # labelled excellence by a source (see `unconfirmed`)
    website: Optional[str]
    mobility: Optional[str]
    training_modes: Tuple[str, ...]  # empty: the sources say nothing (not "none")
    levels: Tuple[str, ...]  # idem
    former_names: Tuple[str, ...]
    source_url: str
    other_sources: Tuple[str, ...]
    departement_code: Optional[str] = None
    unconfirmed: str = ""  # "label" or "excellence": no official source confirms it yet

    @property
    def sector_label(self) -> str:
        return SECTOR_LABELS.get(self.sector, self.sector)

    @property
    def confirmed_excellence(self) -> bool:
        return self.excellence and not self.unconfirmed

    @property
    def to_confirm(self) -> Optional[str]:
        """What users are told when no official source confirms the label, else None."""
        return UNCONFIRMED_NOTES.get(self.unconfirmed)

    @property
    def town_name(self) -> str:
        """The town as people write it ("Le Mans"; the `town` column says "Mans"), "" when unknown."""
        return usual_town_name(self.town)


# ---------------------------------------------------------------- rows


def split_list(value: Any) -> Tuple[str, ...]:
    """ "a;b" or ["a", "b"] -> ("a", "b")."""
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else str(value).split(LIST_SEPARATOR)
    return tuple(item for item in (str(i).strip() for i in items) if item)


def clean_row(raw: Mapping[str, Any]) -> Dict[str, str]:
    """Text values for the known columns; an HTTP record may hold lists, booleans or numbers.
    Absent columns stay absent so that validation can tell "missing" from "empty"."""
    row: Dict[str, str] = {}
    for column in COLUMNS:
        if column not in raw:
            continue
        value = raw[column]
        if value is None:
            row[column] = ""
        elif isinstance(value, bool):
            row[column] = "yes" if value else "no"
        elif isinstance(value, (list, tuple)):
            row[column] = LIST_SEPARATOR.join(str(v).strip() for v in value)
        elif column == "insee_code" and isinstance(value, int):
            row[column] = f"{value:05d}"
        else:
            row[column] = str(value).strip()
    return row


def _known_academies() -> Dict[str, str]:
    """académie -> its region."""
    resolver = get_resolver()
    return {academie.name: academie.region or "" for academie in resolver.academies.values()}


def validate_row(raw: Mapping[str, Any]) -> List[str]:
    """The problems in one row (empty list: the row is usable)."""
    row = clean_row(raw)
    problems = [f"missing field: {column}" for column in REQUIRED_COLUMNS if column not in row]
    problems += [f"empty field: {column}" for column in REQUIRED_COLUMNS if column in row and not row[column]]
    if row.get("id") and not _SLUG.fullmatch(row["id"]):
        problems.append(f"id is not a lowercase slug: {row['id']!r}")
    if row.get("sector") and row["sector"] not in SECTOR_LABELS:
        problems.append(f"unknown sector: {row['sector']!r}")
    for column in ("sector_inferred", "excellence"):
        if row.get(column) and row[column] not in YES_NO:
            problems.append(f"{column} must be yes or no: {row[column]!r}")
    resolver = get_resolver()
    region = row.get("region", "")
    if region and region not in resolver.regions:
        problems.append(f"unknown region: {region!r}")
    academies = _known_academies()
    for academie in split_list(row.get("academie")):
        if academie not in academies:
            problems.append(f"unknown académie: {academie!r}")
        elif region in resolver.regions and academies[academie] != region:
            problems.append(f"académie {academie} is not in {region}")
    problems += _town_problems(row)
    if row.get("unconfirmed") and row["unconfirmed"] not in UNCONFIRMED_VALUES:
        problems.append(f"unconfirmed must be empty or one of {UNCONFIRMED_VALUES}: {row['unconfirmed']!r}")
    if row.get("unconfirmed") == "excellence" and row.get("excellence") != "yes":
        problems.append("unconfirmed=excellence needs excellence=yes")
    for column, allowed in (("training_modes", TRAINING_MODES), ("levels", LEVELS)):
        for value in split_list(row.get(column)):
            if value not in allowed:
                problems.append(f"unknown value in {column}: {value!r}")
    for column in ("source_url", "website"):
        if row.get(column) and not _URL.fullmatch(row[column]):
            problems.append(f"{column} is not a web address: {row[column]!r}")
    for url in split_list(row.get("other_sources")):
        if not _URL.fullmatch(url):
            problems.append(f"other_sources holds something else than a web address: {url!r}")
    return problems


def _town_problems(row: Mapping[str, str]) -> List[str]:
    town, insee_code, region = row.get("town", ""), row.get("insee_code", ""), row.get("region", "")
    if not town and not insee_code:
        return []  # the sources give no town: the campus is listed by region only
    commune = get_resolver().communes_by_insee.get(insee_code.upper()) if insee_code else None
    if commune is None:
        if insee_code:
            return [f"unknown INSEE code: {insee_code!r}"]
        return [f"town {town!r} has no INSEE code"] if _commune_by_name(town, region) is None else []
    problems = []
    if town and normalise(town) != normalise(commune.name):
        problems.append(f"INSEE code {insee_code} is {commune.name}, not {town!r}")
    if region and commune.region != region:
        problems.append(f"{commune.name} ({commune.departement_code}) is not in {region}")
    return problems


def _commune_by_name(town: str, region: str):
    """The one commune of that name in the region (rows from the HTTP source may lack the code)."""
    return get_resolver().find_commune(town, region)


def validate_rows(rows: Sequence[Mapping[str, Any]]) -> List[str]:
    """Problems of every row, plus duplicate ids, each prefixed by the row's place and id."""
    problems = []
    seen: Dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        row_id = str(row.get("id") or "").strip()
        for problem in validate_row(row):
            problems.append(f"row {number} ({row_id or 'no id'}): {problem}")
        if row_id in seen:
            problems.append(f"row {number} ({row_id}): duplicate id (first in row {seen[row_id]})")
        elif row_id:
            seen[row_id] = number
    return problems


def campus_from_row(raw: Mapping[str, Any]) -> Campus:
    """A Campus from a valid row (see validate_row)."""
    row = clean_row(raw)
    insee_code = row.get("insee_code", "").upper()
    resolver = get_resolver()
    commune = resolver.communes_by_insee.get(insee_code) if insee_code else None
    if commune is None and row.get("town"):
        commune = _commune_by_name(row["town"], row["region"])
    return Campus(
        id=row["id"],
        name=row["name"],
        sector=row["sector"],
        sector_inferred=row.get("sector_inferred") == "yes",
        region=row["region"],
        academie=split_list(row.get("academie")),
        lead_establishment=row.get("lead_establishment") or None,
        town=commune.name if commune else "",
        insee_code=commune.insee_code if commune else "",
        lat=commune.lat if commune else None,
        lon=commune.lon if commune else None,
        excellence=row.get("excellence") == "yes",
        website=row.get("website") or None,
        mobility=row.get("mobility") or None,
        training_modes=split_list(row.get("training_modes")),
        levels=split_list(row.get("levels")),
        former_names=split_list(row.get("former_names")),
        source_url=row["source_url"],
        other_sources=split_list(row.get("other_sources")),
        departement_code=departement_of_insee(commune.insee_code) if commune else None,
        unconfirmed=row.get("unconfirmed", ""),
    )


# ---------------------------------------------------------------- catalogue


def _name_key(text: str) -> str:
    key = normalise(text)
    previous = None
    while key != previous:
        previous, key = key, _NAME_PREFIX.sub("", key, count=1).strip()
    return key


def _name_score(query: str, key: str) -> float:
    """How well a campus name key answers the query (0-100). A query may be part of a name
    ("photonique"), but a short name inside a long query ("mer" in "numérique") does not count."""
    score = fuzz.ratio(query, key)
    if len(query) >= 4 and len(query) <= len(key):
        score = max(score, PART_OF_NAME_WEIGHT * max(fuzz.partial_ratio(query, key), fuzz.token_set_ratio(query, key)))
    return score


class Catalogue:
    def __init__(self, campuses: Iterable[Campus]):
        self.campuses: List[Campus] = sorted(campuses, key=lambda c: (c.region, normalise(c.name)))
        self._by_id = {campus.id: campus for campus in self.campuses}
        self._name_keys: List[str] = []
        self._name_owners: List[Campus] = []
        for campus in self.campuses:
            for key in self._keys_for(campus):
                self._name_keys.append(key)
                self._name_owners.append(campus)

    @staticmethod
    def _keys_for(campus: Campus) -> List[str]:
        """Current and former names, the name without its bracket, what the bracket holds
        (acronyms, usual names), and the name with the town ("numérique Lannion")."""
        names = [campus.name, *campus.former_names]
        keys = []
        for name in names:
            keys.append(name)
            bracket = re.search(r"\(([^)]*)\)", name)
            if bracket:
                keys.append(name[: bracket.start()])
                keys.append(bracket.group(1))
        if campus.town:
            keys.append(f"{campus.name} {campus.town}")
        return list(dict.fromkeys(k for k in (_name_key(key) for key in keys) if k))

    def __len__(self) -> int:
        return len(self.campuses)

    def by_id(self, campus_id: Optional[str]) -> Optional[Campus]:
        return self._by_id.get(str(campus_id or "").strip())

    def find_by_name(self, text: str, limit: int = 5) -> List[Tuple[Campus, float]]:
        """Campuses whose name (or former name) is closest to the text, best first."""
        query = _name_key(str(text or "")[:200])
        if len(query) < 2:
            return []
        best: Dict[str, Tuple[Campus, float]] = {}
        for key, campus in zip(self._name_keys, self._name_owners):
            score = _name_score(query, key)
            if score >= FIND_SCORE_CUTOFF and (campus.id not in best or score > best[campus.id][1]):
                best[campus.id] = (campus, score)
        ranked = sorted(best.values(), key=lambda item: (-item[1], normalise(item[0].name)))
        return ranked[:limit]


def read_rows(path: Path = CATALOGUE_CSV) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def build_catalogue(rows: Sequence[Mapping[str, Any]]) -> Catalogue:
    """A catalogue of the valid rows; the others are logged and left out."""
    campuses: Dict[str, Campus] = {}
    for number, row in enumerate(rows, start=1):
        problems = validate_row(row)
        row_id = str(row.get("id") or "").strip()
        if not problems and row_id in campuses:
            problems = ["duplicate id"]
        if problems:
            logger.warning("Campus row %s (%s) left out: %s", number, row_id or "no id", "; ".join(problems))
            continue
        campuses[row_id] = campus_from_row(row)
    return Catalogue(campuses.values())


@dataclass(frozen=True)
class MergeReport:
    updated: int = 0
    added: int = 0
    skipped: int = 0


def merge_rows(
    embedded: Sequence[Mapping[str, Any]], remote: Sequence[Mapping[str, Any]]
) -> Tuple[List[Dict[str, str]], MergeReport]:
    """Embedded rows updated by the remote ones (same id) plus the new remote ids.
    A remote record with missing or invalid fields is skipped and counted."""
    merged: Dict[str, Dict[str, str]] = {}
    for row in embedded:
        cleaned = clean_row(row)
        merged.setdefault(cleaned.get("id", ""), cleaned)
    updated = added = skipped = 0
    for record in remote:
        if not isinstance(record, Mapping):
            skipped += 1
            continue
        incoming = clean_row(record)
        row_id = incoming.get("id", "")
        candidate = {**merged.get(row_id, {}), **incoming}
        if any(column not in incoming for column in REQUIRED_COLUMNS) or validate_row(candidate):
            skipped += 1
            continue
        if row_id in merged:
            updated += 1
        else:
            added += 1
        merged[row_id] = candidate
    return list(merged.values()), MergeReport(updated, added, skipped)


_CACHE: Dict[str, Catalogue] = {}
_CACHE_LOCK = threading.Lock()


def load_catalogue(source_settings: Optional[Mapping[str, Any]] = None, csv_path: Path = CATALOGUE_CSV) -> Catalogue:
    """The catalogue for these settings, built once per process.

    source_settings is the `catalogue_source` section of school.yml; without a url only the
    embedded CSV is used. A failing source never breaks the catalogue (see orientation/sources.py)."""
    settings = dict(source_settings or {})
    key = json.dumps({"csv": str(csv_path), **settings}, sort_keys=True, default=str)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _build(settings, csv_path)
        return _CACHE[key]


def _build(settings: Mapping[str, Any], csv_path: Path) -> Catalogue:
    rows = read_rows(csv_path)
    if settings.get("url"):
        rows = _with_remote_rows(rows, settings)
    return build_catalogue(rows)


def _with_remote_rows(rows: List[Dict[str, str]], settings: Mapping[str, Any]) -> List[Dict[str, str]]:
    from orientation.sources import load_remote_records  # only needed when a source is set

    try:
        remote = load_remote_records(settings)
        if remote is None:
            return rows
        merged, report = merge_rows(rows, remote.records)
    except Exception:  # a bug in remote data handling must not take the catalogue down
        logger.warning("Campus source ignored after an unexpected error.", exc_info=True)
        return rows
    logger.info(
        "Campus source (%s): %d updated, %d added, %d skipped.",
        remote.origin,
        report.updated,
        report.added,
        report.skipped,
    )
    if report.skipped:
        logger.warning("Campus source: %d record(s) skipped (missing or invalid fields).", report.skipped)
    return merged


def reset_catalogue_cache() -> None:
    """Forget the loaded catalogues (tests, or after changing the source)."""
    with _CACHE_LOCK:
        _CACHE.clear()
