"""The campus catalogue: the versioned CSV (orientation/data/campuses.csv) joined with the commune
coordinates, optionally updated from an HTTP source (orientation/sources.py).

Every row goes through validate_row(); a bad row is left out with a warning rather than
shown to a student. A file that cannot be read as a table (bad encoding, broken quoting, missing
columns, a row with too many or too few fields) is refused with a CatalogueFileError naming the
file and the row. Loaded once per process.

Beside the campus rows (CATALOGUE.md describes every file):
- campus_members.csv: the member establishments of each campus (Campus.members, Catalogue.members_of);
- campus_diplomas.csv: the diplomas and specialties a source names (Campus.diplomas, Catalogue.diplomas_of);
- campus_id_history.csv: ids of merged or renamed campuses and the id that replaced them, so that an
  old link still opens the campus (Catalogue.by_id, Catalogue.current_id); ids are never reused;
- refused_source_domains.yml: document mirrors and content farms that are never a source
  (refused_source_domains(), refused_domain_of()).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

import yaml
from rapidfuzz import fuzz

from orientation.paths import DATA_DIR, PROJECT_ROOT
from orientation.places import departement_of_insee, get_resolver, usual_town_name
from orientation.sectors import load_sectors
from orientation.text import normalise
from orientation.training import levels, training_modes

logger = logging.getLogger(__name__)

CATALOGUE_CSV = DATA_DIR / "campuses.csv"
MEMBERS_CSV = DATA_DIR / "campus_members.csv"
DIPLOMAS_CSV = DATA_DIR / "campus_diplomas.csv"
ID_HISTORY_CSV = DATA_DIR / "campus_id_history.csv"
REFUSED_DOMAINS_YML = DATA_DIR / "refused_source_domains.yml"

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
    "source_dates",
    "label_end",
)
MEMBER_COLUMNS = ("campus_id", "name", "town", "insee_code", "kind", "uai", "source_url")
DIPLOMA_COLUMNS = ("campus_id", "level", "specialty", "establishment", "source_url")
ID_HISTORY_COLUMNS = ("old_id", "new_id", "change", "date", "source_url")
# What a member establishment is (campus_members.csv, `kind`).
MEMBER_KINDS = ("lycée", "CFA", "IUT", "university", "company", "other")
ID_CHANGES = ("merged", "renamed")
# A row (CSV line or HTTP record) without one of these is skipped; the others default to empty.
REQUIRED_COLUMNS = ("id", "name", "sector", "region", "source_url")
LIST_SEPARATOR = ";"

# The 12 sectors of the label, as the Ministry names them (orientation/data/sectors.yml).
SECTOR_LABELS: Dict[str, str] = {key: sector.label for key, sector in load_sectors().items()}
TRAINING_MODES = tuple(training_modes())
LEVELS = tuple(levels())
YES_NO = ("yes", "no")
# What the sources of a row do not confirm, shown to users as "à confirmer" (see CATALOGUE.md).
# What no official source confirms yet: the label itself, or its excellence (actions/replies.py says it).
UNCONFIRMED_VALUES = ("label", "excellence")

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
    # Dates of source_url then other_sources, in the same order ("" for an undated page).
    source_dates: Tuple[str, ...] = ()
    label_end: str = ""  # when the label (or its excellence) ends, where a source says so
    members: Tuple["Member", ...] = ()  # from campus_members.csv; empty: no source names them
    diplomas: Tuple["Diploma", ...] = ()  # from campus_diplomas.csv; a lower bound of the offer
    # source_url is a copy on a refused domain, kept only as the trace of the row until an
    # acceptable page is found: it is never shown to a user as a source.
    source_refused: bool = False

    @property
    def sector_label(self) -> str:
        return SECTOR_LABELS.get(self.sector, self.sector)

    @property
    def confirmed_excellence(self) -> bool:
        return self.excellence and not self.unconfirmed

    @property
    def town_name(self) -> str:
        """The town as people write it ("Le Mans"; the `town` column says "Mans"), "" when unknown."""
        return usual_town_name(self.town)

    @property
    def shown_source(self) -> Optional[str]:
        """The page shown as the campus's source, None when only a refused copy names it."""
        return None if self.source_refused else self.source_url

    @property
    def sources(self) -> Tuple[str, ...]:
        """Every URL of the row: source_url first, then other_sources."""
        return (self.source_url, *self.other_sources)

    @property
    def newest_source_date(self) -> str:
        """The most recent dated source ("2024-11", "2019"...), "" when every source is undated."""
        return max(self.source_dates, key=_date_key, default="") if any(self.source_dates) else ""


@dataclass(frozen=True)
class Member:
    """A member establishment of a campus, as a source names it (campus_members.csv)."""

    campus_id: str
    name: str
    town: str  # spelled as in geo/communes.csv ("Mans"); see town_name
    insee_code: str
    kind: str  # one of MEMBER_KINDS
    uai: str  # national establishment code when matched for sure to the offer tables, else ""
    source_url: str

    @property
    def town_name(self) -> str:
        """The town as people write it ("Le Mans")."""
        return usual_town_name(self.town)


@dataclass(frozen=True)
class Diploma:
    """A diploma or specialty a source names for a campus (campus_diplomas.csv)."""

    campus_id: str
    level: str  # one of LEVELS, or "" when the source gives no level the contract knows
    specialty: str  # "" when the source names only the level
    establishment: str  # where it is taught, when the source says so
    source_url: str


def _date_key(date: str) -> Tuple[int, int, int]:
    parts = [int(p) for p in date.split("-")] if date else []
    return tuple(parts + [0] * (3 - len(parts)))  # type: ignore[return-value]


def _is_date_text(date: str) -> bool:
    """A year, a month or a day: "2021", "2021-09", "2021-09-13" (digits only, no regex needed)."""
    parts = (date or "").split("-")
    sizes = [len(part) for part in parts]
    return sizes in ([4], [4, 2], [4, 2, 2]) and all(part.isascii() and part.isdigit() for part in parts)


def is_uai(code: str) -> bool:
    """A national establishment code (UAI/RNE): 7 digits then a capital letter, e.g. 0220023F."""
    return len(code) == 8 and code[:7].isascii() and code[:7].isdigit() and "A" <= code[7] <= "Z"


def date_start(date: str) -> Optional[dt.date]:
    """The first day a "YYYY[-MM[-DD]]" date covers, None when empty or malformed."""
    if not _is_date_text(date):
        return None
    year, month, day = _date_key(date)
    try:
        return dt.date(year, month or 1, day or 1)
    except ValueError:
        return None


def date_end(date: str) -> Optional[dt.date]:
    """The last day a "YYYY[-MM[-DD]]" date covers ("2023-07" ends on 31 July 2023)."""
    start = date_start(date)
    if start is None:
        return None
    year, month, day = _date_key(date)
    if day:
        return start
    if month:
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        return following - dt.timedelta(days=1)
    return dt.date(year, 12, 31)


class CatalogueFileError(ValueError):
    """A data file of the catalogue that cannot be read as a table. The message is one line:
    "<file>, row <n>: <problem>" (row 1 is the header)."""

    def __init__(self, path: Path, row: int, problem: str):
        self.path, self.row, self.problem = Path(path), row, problem
        super().__init__(f"{display_path(path)}, row {row}: {problem}")


def display_path(path: Path) -> str:
    """The path relative to the project when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def is_web_address(url: str) -> bool:
    """An http(s) address with a host name and nothing that is not part of a link (no spaces,
    no ";", no "user@" before the host: copies of pages sometimes glue an e-mail to the host)."""
    if not _URL.fullmatch(url or ""):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    return "@" not in parts.netloc and "." in host and not host.startswith(".") and not host.endswith(".")


def url_host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@dataclass(frozen=True)
class RefusedSources:
    """refused_source_domains.yml: domains never used as a source, and the few links kept only
    as the trace of a row whose label is marked unconfirmed until an acceptable source is found."""

    domains: Dict[str, str]  # domain -> why it is refused
    kept_until_replaced: Dict[Tuple[str, str], str]  # (campus id, url) -> why it is still there

    def domain_of(self, url: str) -> Optional[str]:
        """The refused domain the URL belongs to (sub-domains included), else None."""
        host = url_host(url)
        for domain in self.domains:
            if host == domain or host.endswith("." + domain):
                return domain
        return None


def refused_sources(path: Path = REFUSED_DOMAINS_YML) -> RefusedSources:
    """The refused domains and the links kept until replaced (refused_source_domains.yml)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CatalogueFileError(path, 1, f"unreadable: {str(error).splitlines()[0]}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("domains"), list):
        raise CatalogueFileError(path, 1, "expected a mapping with a `domains` list")
    domains: Dict[str, str] = {}
    for number, item in enumerate(raw["domains"], start=1):
        if not isinstance(item, dict) or not str(item.get("domain") or "").strip() or not item.get("why"):
            raise CatalogueFileError(path, number, "each domain needs `domain` and `why`")
        domains[str(item["domain"]).strip().lower()] = str(item["why"])
    kept: Dict[Tuple[str, str], str] = {}
    for number, item in enumerate(raw.get("kept_until_replaced") or [], start=1):
        if not isinstance(item, dict) or not item.get("campus_id") or not item.get("url") or not item.get("why"):
            raise CatalogueFileError(path, number, "each kept link needs `campus_id`, `url` and `why`")
        kept[(str(item["campus_id"]), str(item["url"]))] = str(item["why"])
    return RefusedSources(domains, kept)


def refused_source_domains(path: Path = REFUSED_DOMAINS_YML) -> Tuple[str, ...]:
    """The domains that are never a source (document mirrors, content farms, blog farms)."""
    return tuple(refused_sources(path).domains)


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
        if row.get(column) and not is_web_address(row[column]):
            problems.append(f"{column} is not a web address: {row[column]!r}")
    for url in split_list(row.get("other_sources")):
        if not is_web_address(url):
            problems.append(f"other_sources holds something else than a web address: {url!r}")
    problems += _date_problems(row)
    return problems


def _date_problems(row: Mapping[str, str]) -> List[str]:
    problems = []
    if row.get("source_dates"):
        dates = [d.strip() for d in str(row["source_dates"]).split(LIST_SEPARATOR)]
        problems += [
            f"source_dates holds a bad date: {d!r} (YYYY, YYYY-MM or YYYY-MM-DD)"
            for d in dates
            if d and date_start(d) is None
        ]
    if row.get("label_end") and date_start(row["label_end"]) is None:
        problems.append(f"label_end is not a date: {row['label_end']!r} (YYYY, YYYY-MM or YYYY-MM-DD)")
    return problems


def _aligned_dates(row: Mapping[str, str]) -> Tuple[str, ...]:
    """source_dates when they match the sources one for one; () otherwise (an HTTP record that
    changed its sources without their dates: the dates are then unknown)."""
    dates = (
        tuple(d.strip() for d in row.get("source_dates", "").split(LIST_SEPARATOR)) if row.get("source_dates") else ()
    )
    return dates if len(dates) == 1 + len(split_list(row.get("other_sources"))) else ()


def source_dates_mismatch(row: Mapping[str, Any]) -> Optional[str]:
    """The problem when a row's source_dates do not pair one for one with its sources."""
    cleaned = clean_row(row)
    if not cleaned.get("source_dates"):
        return None
    dates = cleaned["source_dates"].split(LIST_SEPARATOR)
    urls = 1 + len(split_list(cleaned.get("other_sources")))
    return None if len(dates) == urls else f"source_dates has {len(dates)} dates for {urls} sources"


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
        source_dates=_aligned_dates(row),
        label_end=row.get("label_end", ""),
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
    """The campuses, found by id (old ids of merged or renamed campuses too) or by name.

    id_history maps an old id to the id that replaced it (campus_id_history.csv)."""

    def __init__(self, campuses: Iterable[Campus], id_history: Optional[Mapping[str, str]] = None):
        self.campuses: List[Campus] = sorted(campuses, key=lambda c: (c.region, normalise(c.name)))
        self._by_id = {campus.id: campus for campus in self.campuses}
        self.id_history: Dict[str, str] = dict(id_history or {})
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

    def current_id(self, campus_id: Optional[str]) -> str:
        """The id a campus has today: an old id (merged, renamed) leads to the id that replaced it,
        through every step; any other id is returned as it is."""
        key = str(campus_id or "").strip()
        seen = {key}
        while key not in self._by_id and key in self.id_history:
            key = self.id_history[key]
            if key in seen:  # a loop in the history: campus_id_history.csv is checked for this
                break
            seen.add(key)
        return key

    def by_id(self, campus_id: Optional[str]) -> Optional[Campus]:
        """The campus with that id, or the campus an old id now belongs to (None if neither)."""
        return self._by_id.get(self.current_id(campus_id))

    def members_of(self, campus_id: Optional[str]) -> Tuple[Member, ...]:
        """The member establishments a source names for the campus (old ids work too)."""
        campus = self.by_id(campus_id)
        return campus.members if campus else ()

    def diplomas_of(self, campus_id: Optional[str]) -> Tuple[Diploma, ...]:
        """The diplomas and specialties a source names for the campus (old ids work too)."""
        campus = self.by_id(campus_id)
        return campus.diplomas if campus else ()

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


def read_table(path: Path, columns: Sequence[str], required: Sequence[str] = ()) -> List[Dict[str, str]]:
    """The rows of a UTF-8 CSV data file whose header holds `columns` (in any order; others are
    refused too). Raises CatalogueFileError (file and row in one line) when the file cannot be
    read, the header is wrong, a row has too many or too few fields, or a required value is empty."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None:
                raise CatalogueFileError(path, 1, "empty file, no header")
            missing = [c for c in columns if c not in header]
            unknown = [c for c in header if c not in columns]
            if missing or unknown or len(set(header)) != len(header):
                details = "; ".join(
                    part
                    for part in (
                        f"missing columns: {', '.join(missing)}" if missing else "",
                        f"unknown columns: {', '.join(unknown)}" if unknown else "",
                        "a column appears twice" if len(set(header)) != len(header) else "",
                    )
                    if part
                )
                raise CatalogueFileError(path, 1, f"bad header ({details})")
            rows: List[Dict[str, str]] = []
            for values in reader:
                number = reader.line_num
                if not values:
                    continue  # a blank line
                if len(values) != len(header):
                    raise CatalogueFileError(path, number, f"{len(values)} fields where the header has {len(header)}")
                row = dict(zip(header, values))
                empty = [c for c in required if not row[c].strip()]
                if empty:
                    raise CatalogueFileError(path, number, f"empty field: {', '.join(empty)}")
                rows.append(row)
            return rows
    except CatalogueFileError:
        raise
    except FileNotFoundError as error:
        raise CatalogueFileError(path, 0, "file not found") from error
    except UnicodeDecodeError as error:
        raise CatalogueFileError(path, _line_of_byte(path, error.start), "not UTF-8 text") from error
    except csv.Error as error:
        line = getattr(locals().get("reader"), "line_num", 0)
        raise CatalogueFileError(path, line, f"not a readable CSV table ({error})") from error
    except OSError as error:
        raise CatalogueFileError(path, 0, f"unreadable ({error.strerror or error})") from error


def _line_of_byte(path: Path, offset: int) -> int:
    try:
        return Path(path).read_bytes()[:offset].count(b"\n") + 1
    except OSError:
        return 0


def read_rows(path: Path = CATALOGUE_CSV) -> List[Dict[str, str]]:
    """The campus rows (each row's content is checked by validate_row, not here)."""
    return read_table(path, COLUMNS)


def read_members(path: Path = MEMBERS_CSV) -> List[Dict[str, str]]:
    return read_table(path, MEMBER_COLUMNS, required=("campus_id", "name", "source_url"))


def read_diplomas(path: Path = DIPLOMAS_CSV) -> List[Dict[str, str]]:
    return read_table(path, DIPLOMA_COLUMNS, required=("campus_id", "source_url"))


def read_id_history(path: Path = ID_HISTORY_CSV) -> Dict[str, str]:
    """old id -> the id that replaced it."""
    return {row["old_id"]: row["new_id"] for row in read_table(path, ID_HISTORY_COLUMNS, required=("old_id", "new_id"))}


def member_from_row(row: Mapping[str, str]) -> Member:
    commune = get_resolver().communes_by_insee.get(row.get("insee_code", "").strip())
    return Member(
        campus_id=row["campus_id"].strip(),
        name=row["name"].strip(),
        town=commune.name if commune else row.get("town", "").strip(),
        insee_code=commune.insee_code if commune else row.get("insee_code", "").strip(),
        kind=row.get("kind", "").strip(),
        uai=row.get("uai", "").strip(),
        source_url=row["source_url"].strip(),
    )


def diploma_from_row(row: Mapping[str, str]) -> Diploma:
    return Diploma(
        campus_id=row["campus_id"].strip(),
        level=row.get("level", "").strip(),
        specialty=row.get("specialty", "").strip(),
        establishment=row.get("establishment", "").strip(),
        source_url=row["source_url"].strip(),
    )


def build_catalogue(
    rows: Sequence[Mapping[str, Any]],
    members: Sequence[Mapping[str, str]] = (),
    diplomas: Sequence[Mapping[str, str]] = (),
    id_history: Optional[Mapping[str, str]] = None,
    refused: Optional[RefusedSources] = None,
) -> Catalogue:
    """A catalogue of the valid rows; the others are logged and left out. Members and diplomas
    are attached to their campus (rows naming no known campus are left out with a warning); a
    source on a refused domain is marked so that it is never shown."""
    campuses: Dict[str, Campus] = {}
    for number, row in enumerate(rows, start=1):
        problems = validate_row(row)
        row_id = str(row.get("id") or "").strip()
        if not problems and row_id in campuses:
            problems = ["duplicate id"]
        if problems:
            logger.warning("Campus row %s (%s) left out: %s", number, row_id or "no id", "; ".join(problems))
            continue
        campus = campus_from_row(row)
        if refused is not None and refused.domain_of(campus.source_url):
            campus = replace(campus, source_refused=True)
        campuses[row_id] = campus
    history = dict(id_history or {})
    grouped: Dict[str, Dict[str, list]] = {}
    for kind, items, make in (("members", members, member_from_row), ("diplomas", diplomas, diploma_from_row)):
        for item in items:
            record = make(item)
            campus_id = record.campus_id if record.campus_id in campuses else history.get(record.campus_id, "")
            if campus_id not in campuses:
                logger.warning("Campus %s row left out: no campus %r.", kind[:-1], record.campus_id)
                continue
            grouped.setdefault(campus_id, {"members": [], "diplomas": []})[kind].append(record)
    for campus_id, extra in grouped.items():
        campuses[campus_id] = replace(
            campuses[campus_id], members=tuple(extra["members"]), diplomas=tuple(extra["diplomas"])
        )
    return Catalogue(campuses.values(), history)


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
    data_dir = Path(csv_path).parent
    history = _optional(read_id_history, data_dir / ID_HISTORY_CSV.name) or {}
    retired = [row for row in rows if str(row.get("id") or "").strip() in history]
    if retired:  # e.g. an HTTP source still sending a merged campus under its old id
        logger.warning(
            "Campus rows left out, their id now leads to another campus: %s",
            ", ".join(sorted(str(r["id"]) for r in retired)),
        )
        rows = [row for row in rows if str(row.get("id") or "").strip() not in history]
    return build_catalogue(
        rows,
        members=_optional(read_members, data_dir / MEMBERS_CSV.name),
        diplomas=_optional(read_diplomas, data_dir / DIPLOMAS_CSV.name),
        id_history=history,
        refused=_optional(refused_sources, data_dir / REFUSED_DOMAINS_YML.name) or None,
    )


def _optional(reader, path: Path):
    """What the reader gives, or nothing when the file does not exist beside the catalogue
    (a catalogue copied alone); a file that exists and is invalid is still refused."""
    return reader(path) if Path(path).exists() else []


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
