"""The training offer per establishment: which CAP, bac pro, BTS, BUT, licence, CPGE... is taught
where, nearest first.

Data in orientation/data/formations/ (built by devtools/build_formations.py, described in its
README.md): the Parcoursup 2025 post-bac offer, the Affelnet 2022 CAP / bac pro offer (school
status only) and the Parcoursup 2024 BTS / CS offer with its apprenticeship rows. Loaded once per
process (lru_cache, like the catalogue); a malformed file raises FormationDataError naming the
file and the line.

search() returns typed facts, no sentences: the replies are written elsewhere.

Specialties are found by words, never guessed: every word typed must be a word of the specialty
(a plural, a missing accent, a prefix of 5+ letters or a typo within FUZZY_WORD_SCORE are
allowed), so "BTS astronaute" finds nothing rather than a random BTS. The abbreviations students
type ("SIO", "MCO", "bac pro MSPC", "prépa") are read from abbreviations.csv.
"""

from __future__ import annotations

import bisect
import csv
import functools
import gzip
import io
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypedDict

import numpy as np
from rapidfuzz import fuzz, process

from orientation.paths import FORMATIONS_DIR
from orientation.places import DEPARTEMENTS_CSV, Place, usual_town_name
from orientation.sectors import load_sectors
from orientation.text import fold_word, normalise

ESTABLISHMENTS_CSV = FORMATIONS_DIR / "establishments.csv"
FORMATIONS_CSV = FORMATIONS_DIR / "formations.csv.gz"
SPECIALTIES_CSV = FORMATIONS_DIR / "specialties.csv"
ABBREVIATIONS_CSV = FORMATIONS_DIR / "abbreviations.csv"

ESTABLISHMENT_COLUMNS = (
    "uai",
    "name",
    "name_source",
    "commune",
    "insee_code",
    "departement_code",
    "region",
    "lat",
    "lon",
    "located_by",
    "status",
)
FORMATION_COLUMNS = ("uai", "level", "diploma", "specialty", "mode", "sector", "source", "year", "cfd", "lat", "lon")
SPECIALTY_COLUMNS = ("level", "diploma", "specialty", "sector", "rule", "formations")
ABBREVIATION_COLUMNS = ("abbreviation", "level", "words", "note")

MODES = ("initial_training", "apprenticeship")
NO_SECTOR = "none"
LOCATED_BY = ("gps", "commune", "departement", "none")
STATUSES = ("public", "private_contract", "private", "private_no_contract", "")
# The campaign year of each source.
SOURCES: Dict[str, int] = {"parcoursup_2025": 2025, "parcoursup_2024": 2024, "affelnet_2022": 2022}
# Where each source's offer is checked today (the data have no link per formation).
SOURCE_CHECK_URLS = {
    "parcoursup_2025": "https://www.parcoursup.gouv.fr/",
    "parcoursup_2024": "https://www.parcoursup.gouv.fr/",
    "affelnet_2022": "https://www.onisep.fr/",
}
# The data hold no apprenticeship offer for these levels (Affelnet 2022 lists school status only).
NO_APPRENTICESHIP_DATA = ("cap", "bac_pro", "bma", "mc")
UAI = re.compile(r"^[0-9A-Z]{8}$")

# A commune "is" its surroundings: formations this close count as being there.
COMMUNE_RADIUS_KM = 30.0
DEFAULT_LIMIT = 10
MAX_KNOWN_SPECIALTIES = 20
# A typed word of at least FUZZY_MIN_LENGTH letters stands for a specialty word this close
# (rapidfuzz ratio, 0-100); a prefix of PREFIX_MIN_LENGTH letters stands for the whole word.
FUZZY_WORD_SCORE = 88
FUZZY_MIN_LENGTH = 6
PREFIX_MIN_LENGTH = 5
WORDS_REMEMBERED = 8192  # typed words and the specialty words they stand for, per process

# Level words typed before a specialty ("bts sio", "bac pro cuisine"), longest first.
LEVEL_WORDS: Tuple[Tuple[str, str], ...] = (
    ("bac professionnel", "bac_pro"),
    ("bac pro", "bac_pro"),
    ("bacpro", "bac_pro"),
    ("cap agricole", "cap"),
    ("capa", "cap"),
    ("cap", "cap"),
    ("btsa", "bts"),
    ("bts", "bts"),
    ("but", "but"),
    ("dut", "but"),
    ("licence professionnelle", "licence_pro"),
    ("licence pro", "licence_pro"),
    ("licence", "licence"),
    ("classe prepa", "cpge"),
    ("prepa", "cpge"),
    ("cpge", "cpge"),
    ("diplome national des metiers d art et du design", "dn_made"),
    ("dn made", "dn_made"),
    ("dnmade", "dn_made"),
    ("brevet des metiers d art", "bma"),
    ("bma", "bma"),
    ("mention complementaire", "mc"),
    ("mc", "mc"),
    ("certificat de specialisation", "cs"),
    ("deust", "deust"),
    ("diplome d etat", "diplome_etat"),
    ("ecole d ingenieur", "ingenieur"),
    ("ecole de commerce", "ecole_commerce"),
)
STOP_WORDS = frozenset(
    "a au aux d de des du en et l la le les pour sur option options mention un une dans avec ou mon ma".split()
)


class FormationDataError(ValueError):
    """A data file of the offer is missing or malformed; the message names the file and line."""


# ---------------------------------------------------------------- facts


@dataclass(frozen=True, slots=True)
class Establishment:
    uai: str
    name: str  # "" when no source names it
    commune: str  # the commune table's name ("Mans"), "" when unknown
    insee_code: str
    departement_code: str
    region: str
    lat: Optional[float]
    lon: Optional[float]
    located_by: str  # "gps" (Parcoursup point), "commune" (its centre), "departement" (its centre), "none"
    status: str  # "public", "private_contract", "private", "private_no_contract", "" (unknown)
    name_source: str = ""

    @property
    def town(self) -> str:
        """The town as people write it ("Le Mans"), "" when unknown."""
        return usual_town_name(self.commune) if self.commune else ""

    @property
    def is_public(self) -> Optional[bool]:
        return None if not self.status else self.status == "public"

    @property
    def location_approximate(self) -> bool:
        """Placed at its département's centre only: its commune is not known."""
        return self.located_by in ("departement", "none")


@dataclass(frozen=True, slots=True)
class Formation:
    uai: str
    level: str  # "cap", "bac_pro", "bts", "but", "licence", "licence_pro", "cpge", "dn_made"...
    diploma: str  # "BTS", "BTSA", "CAP agricole", "Diplôme d'État"...
    specialty: str  # accented label
    mode: str  # "initial_training" | "apprenticeship"
    sector: str  # a key of sectors.yml, or "none"
    source: str  # "parcoursup_2025" | "affelnet_2022" | "parcoursup_2024"
    year: int
    cfd: str  # BCN code of the diploma, "" for Parcoursup 2025 rows
    lat: Optional[float]  # where it is taught when Parcoursup gives a point of its own, else the establishment's
    lon: Optional[float]

    @property
    def check_url(self) -> str:
        """Where the current offer is checked: the data are of `year`."""
        return SOURCE_CHECK_URLS[self.source]

    @property
    def link(self) -> Optional[str]:
        """The formation's own page: none of the sources gives one."""
        return None


@dataclass(frozen=True)
class Specialty:
    level: str
    diploma: str
    label: str
    sector: str
    formations: int  # in the whole offer


@dataclass(frozen=True)
class Abbreviation:
    abbreviation: str
    level: str  # "" for any level
    words: Tuple[str, ...]  # normalised words the specialty must contain; () for a whole level
    note: str


@dataclass(frozen=True)
class SpecialtyMatch:
    """How a typed specialty was read."""

    status: str  # "found" | "level_only" (a level and no specialty words) | "unknown" | "none" (nothing typed)
    level: Optional[str]  # the level typed or given
    words: Tuple[str, ...]  # the specialty words used (after abbreviations and typo correction)
    specialties: Tuple[Specialty, ...] = ()
    abbreviation: Optional[Abbreviation] = None
    unknown_words: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    establishment: Establishment
    formations: Tuple[Formation, ...]  # the matching formations of this establishment
    distance_km: Optional[float]  # None without a place point, without coordinates, or in a région asked
    distance_approximate: bool  # measured from the département's centre
    in_place: bool  # inside the place asked (département, région, or the commune's radius)


@dataclass(frozen=True)
class SearchResult:
    status: str  # "found" | "nearest_outside" | "nothing" | "unknown_specialty" | "no_data"
    hits: Tuple[Hit, ...]
    total_in_place: int  # matching establishments in the place (hits holds at most `limit`)
    match: SpecialtyMatch
    level: Optional[str]
    mode: Optional[str]
    sector: Optional[str]
    place: Optional[Place]
    outside_place: bool = False  # nothing in the place: the hits are the nearest ones elsewhere
    unknown_specialty: bool = False
    known_specialties: Tuple[Specialty, ...] = ()  # for an unknown specialty: those of the sector/level
    no_data: Optional[str] = None  # "apprenticeship_before_bac": the data have no such offer
    sources: Tuple[Tuple[str, int], ...] = ()  # (source, year) of the formations shown


class _SearchContext(TypedDict):
    """The SearchResult fields every outcome of Offer.search repeats."""

    match: SpecialtyMatch
    level: Optional[str]
    mode: Optional[str]
    sector: Optional[str]
    place: Optional[Place]


# ---------------------------------------------------------------- loading


def _open_text(path: Path) -> io.TextIOBase:
    if not path.exists():
        raise FormationDataError(f"{path}: file missing (run python -m devtools.build_formations)")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _rows(path: Path, columns: Sequence[str]) -> Iterable[Tuple[int, Dict[str, str]]]:
    """(line number, row) of a CSV whose header must hold `columns`."""
    try:
        with _open_text(path) as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or ())]
            if missing:
                raise FormationDataError(f"{path}, line 1: missing columns {', '.join(missing)}")
            for row in reader:
                if None in row or any(row[c] is None for c in columns):
                    raise FormationDataError(f"{path}, line {reader.line_num}: wrong number of fields")
                yield reader.line_num, row
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, gzip.BadGzipFile) as error:
        raise FormationDataError(f"{path}: unreadable ({error})") from error


def _coordinate(path: Path, line: int, value: str, low: float, high: float) -> Optional[float]:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise FormationDataError(f"{path}, line {line}: not a coordinate: {value!r}") from None
    if not low <= number <= high:
        raise FormationDataError(f"{path}, line {line}: coordinate out of range: {value!r}")
    return number


def read_establishments(path: Path = ESTABLISHMENTS_CSV) -> Dict[str, Establishment]:
    establishments: Dict[str, Establishment] = {}
    for line, row in _rows(path, ESTABLISHMENT_COLUMNS):
        uai = row["uai"]
        if not UAI.match(uai):
            raise FormationDataError(f"{path}, line {line}: bad UAI {uai!r}")
        if uai in establishments:
            raise FormationDataError(f"{path}, line {line}: UAI {uai} listed twice")
        if row["located_by"] not in LOCATED_BY or row["status"] not in STATUSES:
            raise FormationDataError(f"{path}, line {line}: bad located_by or status")
        lat = _coordinate(path, line, row["lat"], -90, 90)
        lon = _coordinate(path, line, row["lon"], -180, 180)
        if (lat is None) != (row["located_by"] == "none"):
            raise FormationDataError(f"{path}, line {line}: coordinates and located_by disagree")
        establishments[uai] = Establishment(
            uai=uai,
            name=row["name"],
            commune=row["commune"],
            insee_code=row["insee_code"],
            departement_code=row["departement_code"],
            region=row["region"],
            lat=lat,
            lon=lon,
            located_by=row["located_by"],
            status=row["status"],
            name_source=row["name_source"],
        )
    return establishments


def read_formations(establishments: Dict[str, Establishment], path: Path = FORMATIONS_CSV) -> List[Formation]:
    sectors = set(load_sectors()) | {NO_SECTOR}
    interned: Dict[str, str] = {}
    share = lambda text: interned.setdefault(text, text)  # noqa: E731 - 47,000 rows, a few hundred labels
    formations = []
    for line, row in _rows(path, FORMATION_COLUMNS):
        home = establishments.get(row["uai"])
        if home is None:
            raise FormationDataError(f"{path}, line {line}: UAI {row['uai']!r} is not in {ESTABLISHMENTS_CSV.name}")
        if not row["level"] or not row["specialty"]:
            raise FormationDataError(f"{path}, line {line}: level or specialty missing")
        if row["mode"] not in MODES:
            raise FormationDataError(f"{path}, line {line}: bad mode {row['mode']!r}")
        if row["source"] not in SOURCES:
            raise FormationDataError(f"{path}, line {line}: bad source {row['source']!r}")
        if row["sector"] not in sectors:
            raise FormationDataError(f"{path}, line {line}: unknown sector {row['sector']!r}")
        if not row["year"].isdigit():
            raise FormationDataError(f"{path}, line {line}: bad year {row['year']!r}")
        lat = _coordinate(path, line, row["lat"], -90, 90)
        lon = _coordinate(path, line, row["lon"], -180, 180)
        if lat is None or lon is None:
            lat, lon = home.lat, home.lon
        formations.append(
            Formation(
                uai=home.uai,
                level=share(row["level"]),
                diploma=share(row["diploma"]),
                specialty=share(row["specialty"]),
                mode=share(row["mode"]),
                sector=share(row["sector"]),
                source=share(row["source"]),
                year=int(row["year"]),
                cfd=row["cfd"],
                lat=lat,
                lon=lon,
            )
        )
    return formations


def read_specialties(path: Path = SPECIALTIES_CSV) -> List[Specialty]:
    specialties = []
    for line, row in _rows(path, SPECIALTY_COLUMNS):
        if not row["formations"].isdigit():
            raise FormationDataError(f"{path}, line {line}: bad count {row['formations']!r}")
        specialties.append(
            Specialty(row["level"], row["diploma"], row["specialty"], row["sector"], int(row["formations"]))
        )
    return specialties


def read_abbreviations(path: Path = ABBREVIATIONS_CSV) -> List[Abbreviation]:
    abbreviations = []
    for line, row in _rows(path, ABBREVIATION_COLUMNS):
        if not row["abbreviation"] or not (row["level"] or row["words"]):
            raise FormationDataError(f"{path}, line {line}: an abbreviation needs a level or words")
        abbreviations.append(
            Abbreviation(row["abbreviation"], row["level"], tuple(normalise(row["words"]).split()), row["note"])
        )
    return abbreviations


def _departement_academies() -> Dict[str, str]:
    with open(DEPARTEMENTS_CSV, encoding="utf-8", newline="") as handle:
        return {row["code"]: row["academie"] for row in csv.DictReader(handle)}


def _words(text: str) -> Tuple[str, ...]:
    return tuple(fold_word(w) for w in normalise(text).split() if w not in STOP_WORDS)


class Offer:
    """The loaded offer with its indexes; search() is array filtering plus one distance pass."""

    def __init__(
        self,
        establishments: Dict[str, Establishment],
        formations: List[Formation],
        specialties: List[Specialty],
        abbreviations: List[Abbreviation],
    ):
        self.establishments = establishments
        self.formations = formations
        self.specialties = specialties
        self.abbreviations: Dict[str, List[Abbreviation]] = defaultdict(list)
        for abbreviation in abbreviations:
            self.abbreviations[normalise(abbreviation.abbreviation)].append(abbreviation)
        self._specialty_index = {(s.level, s.label): i for i, s in enumerate(specialties)}
        self._specialty_words = [frozenset(_words(s.label)) for s in specialties]
        self._specialties_with_word: Dict[str, List[int]] = defaultdict(list)
        for i, words in enumerate(self._specialty_words):
            for word in words:
                self._specialties_with_word[word].append(i)
        vocabulary = sorted(self._specialties_with_word)
        self._vocabulary = vocabulary
        self._vocabulary_set = frozenset(vocabulary)
        self._remembered_variants = functools.lru_cache(maxsize=WORDS_REMEMBERED)(self._variants_of)
        self._by_uai: Dict[str, List[int]] = defaultdict(list)
        self._academies = _departement_academies()

        n = len(formations)
        specialty_ids = np.empty(n, dtype=np.int32)
        for i, formation in enumerate(formations):
            key = (formation.level, formation.specialty)
            if key not in self._specialty_index:
                raise FormationDataError(
                    f"{FORMATIONS_CSV}: specialty {formation.specialty!r} ({formation.level}) is not in {SPECIALTIES_CSV.name}"
                )
            specialty_ids[i] = self._specialty_index[key]
            self._by_uai[formation.uai].append(i)
        self.specialty_ids = specialty_ids
        self.levels = self._codes([f.level for f in formations])
        self.modes = self._codes([f.mode for f in formations])
        self.sectors = self._codes([f.sector for f in formations])
        homes = [establishments[f.uai] for f in formations]
        self.departements = self._codes([e.departement_code for e in homes])
        self.regions = self._codes([e.region for e in homes])
        self.lat = np.array([np.nan if f.lat is None else f.lat for f in formations], dtype=np.float64)
        self.lon = np.array([np.nan if f.lon is None else f.lon for f in formations], dtype=np.float64)
        self._lat_rad, self._lon_rad = np.radians(self.lat), np.radians(self.lon)
        self.approximate = np.array([e.location_approximate for e in homes], dtype=bool)
        uai_numbers: Dict[str, int] = {}
        self.uai_ids = np.array([uai_numbers.setdefault(f.uai, len(uai_numbers)) for f in formations], dtype=np.int32)
        self._uai_name_rank = self._name_ranks(uai_numbers)
        self._region_centres = self._centres(lambda e: e.region)

    # -- index helpers

    @staticmethod
    def _codes(values: Sequence[str]) -> Tuple[Dict[str, int], np.ndarray]:
        table: Dict[str, int] = {}
        codes = np.array([table.setdefault(v, len(table)) for v in values], dtype=np.int32)
        return table, codes

    def _mask(self, index: Tuple[Dict[str, int], np.ndarray], values: Iterable[str]) -> np.ndarray:
        table, codes = index
        wanted = [table[v] for v in values if v in table]
        return np.isin(codes, wanted)

    def _centres(self, key: Callable[[Establishment], str]) -> Dict[str, Tuple[float, float]]:
        sums: Dict[str, List[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for e in self.establishments.values():
            if e.lat is not None and e.lon is not None and not e.location_approximate:
                entry = sums[key(e)]
                entry[0] += e.lat
                entry[1] += e.lon
                entry[2] += 1
        return {k: (v[0] / v[2], v[1] / v[2]) for k, v in sums.items() if v[2]}

    # -- specialties

    def _word_variants(self, word: str) -> Optional[Tuple[str, ...]]:
        """The specialty words a typed word stands for: itself, the words it begins, or a close typo
        (each word read once: a request is read in every window of its words)."""
        return self._remembered_variants(word)

    def _variants_of(self, word: str) -> Optional[Tuple[str, ...]]:
        if word in self._vocabulary_set:
            return (word,)
        if len(word) >= PREFIX_MIN_LENGTH:
            start = bisect.bisect_left(self._vocabulary, word)  # the vocabulary is sorted
            prefixed = tuple(itertools.takewhile(lambda w: w.startswith(word), self._vocabulary[start:]))
            if prefixed:
                return prefixed
        if len(word) >= FUZZY_MIN_LENGTH:
            close = process.extract(word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_WORD_SCORE, limit=3)
            if close:
                return tuple(w for w, _, _ in close)
        return None

    def resolve_specialty(self, text: Optional[str], level: Optional[str] = None) -> SpecialtyMatch:
        """The specialties `text` names ("BTS SIO", "SIO", "maintenance des véhicules")."""
        query = normalise(text or "")
        for level_words, key in LEVEL_WORDS:
            if query == level_words or query.startswith(level_words + " "):
                level = level or key
                query = query[len(level_words) :].strip()
                break
        if not query:
            return SpecialtyMatch("level_only" if level else "none", level, ())
        abbreviation = self._abbreviation(query, level)
        if abbreviation is not None:
            level = level or abbreviation.level or None
            if not abbreviation.words:
                return SpecialtyMatch("level_only", level, (), abbreviation=abbreviation)
            words = tuple(fold_word(w) for w in abbreviation.words)
            found = self._with_words([(w,) for w in words], level)
            return SpecialtyMatch("found" if found else "unknown", level, words, found, abbreviation)
        words = tuple(fold_word(w) for w in self._expanded(query.split(), level) if w not in STOP_WORDS)
        if not words:
            return SpecialtyMatch("level_only" if level else "none", level, ())
        variants = [self._word_variants(w) for w in words]
        unknown = tuple(w for w, v in zip(words, variants) if v is None)
        if unknown:
            return SpecialtyMatch("unknown", level, words, unknown_words=unknown)
        # No word is unknown here: every variant is a tuple (the filter only narrows the type).
        found = self._with_words([v for v in variants if v is not None], level)
        return SpecialtyMatch("found" if found else "unknown", level, words, found)

    def _expanded(self, words: Sequence[str], level: Optional[str]) -> List[str]:
        """An abbreviation among other words stands for its words: "lea anglais espagnol"."""
        expanded: List[str] = []
        for word in words:
            abbreviation = self._abbreviation(word, level) if len(word) > SHORT_ABBREVIATION else None
            expanded.extend(abbreviation.words if abbreviation is not None and abbreviation.words else (word,))
        return expanded

    def _abbreviation(self, query: str, level: Optional[str]) -> Optional[Abbreviation]:
        candidates = self.abbreviations.get(query, [])
        for abbreviation in candidates:
            if not level or not abbreviation.level or abbreviation.level == level:
                return abbreviation
        return None

    def _with_words(self, variants: Sequence[Tuple[str, ...]], level: Optional[str]) -> Tuple[Specialty, ...]:
        """The specialties holding, for each typed word, one of the words it stands for."""
        chosen: Optional[set] = None
        for options in variants:
            holding = {i for v in options for i in self._specialties_with_word.get(v, ())}
            chosen = holding if chosen is None else chosen & holding
            if not chosen:
                return ()
        ids = range(len(self.specialties)) if chosen is None else chosen
        found = [self.specialties[i] for i in ids if not level or self.specialties[i].level == level]
        return tuple(sorted(found, key=lambda s: (-s.formations, s.level, s.label)))

    def known_specialties(self, sector: Optional[str] = None, level: Optional[str] = None) -> Tuple[Specialty, ...]:
        """The specialties of a sector and/or level, most offered first."""
        chosen = [s for s in self.specialties if (not sector or s.sector == sector) and (not level or s.level == level)]
        return tuple(sorted(chosen, key=lambda s: (-s.formations, s.label))[:MAX_KNOWN_SPECIALTIES])

    # -- search

    def search(
        self,
        specialty: Optional[str] = None,
        level: Optional[str] = None,
        place: Optional[Place] = None,
        sector: Optional[str] = None,
        mode: Optional[str] = None,
        limit: int = DEFAULT_LIMIT,
        radius_km: float = COMMUNE_RADIUS_KM,
    ) -> SearchResult:
        match = self.resolve_specialty(specialty, level)
        level = match.level
        common: _SearchContext = dict(match=match, level=level, mode=mode, sector=sector, place=place)
        # The data have no apprenticeship offer before the bac, whatever the specialty typed.
        levels_asked = {level} if level else {s.level for s in match.specialties}
        if mode == "apprenticeship" and levels_asked and levels_asked <= set(NO_APPRENTICESHIP_DATA):
            return SearchResult("no_data", (), 0, no_data="apprenticeship_before_bac", **common)
        if match.status == "unknown":
            return SearchResult(
                "unknown_specialty",
                (),
                0,
                unknown_specialty=True,
                known_specialties=self.known_specialties(sector, level),
                **common,
            )

        mask = np.ones(len(self.formations), dtype=bool)
        if match.status == "found":
            ids = [self._specialty_index[(s.level, s.label)] for s in match.specialties]
            mask &= np.isin(self.specialty_ids, ids)
        if level:
            mask &= self._mask(self.levels, [level])
        if mode:
            mask &= self._mask(self.modes, [mode])
        if sector:
            mask &= self._mask(self.sectors, [sector])
        candidates = np.flatnonzero(mask)
        if not len(candidates):
            no_data = (
                "apprenticeship_before_bac"
                if mode == "apprenticeship" and levels_asked & set(NO_APPRENTICESHIP_DATA)
                else None
            )
            return SearchResult("no_data" if no_data else "nothing", (), 0, no_data=no_data, **common)

        point = self._point(place)
        distances = self._distances(candidates, point)
        inside = self._inside(candidates, distances, place, radius_km)
        chosen = candidates[inside]
        chosen_distances = distances[inside]
        outside = False
        if not len(chosen):
            if point is None:
                return SearchResult("nothing", (), 0, **common)
            chosen, chosen_distances, outside = candidates, distances, True
        # A région's centre orders its establishments but is nowhere a student lives: no distance shown.
        shown_distances = chosen_distances
        if place is not None and place.kind == "region" and not outside:
            shown_distances = np.full(len(chosen), np.nan)
        hits, total = self._hits(chosen, chosen_distances, limit, in_place=not outside, shown=shown_distances)
        sources = tuple(sorted({(f.source, f.year) for hit in hits for f in hit.formations}))
        return SearchResult(
            "nearest_outside" if outside else "found",
            hits,
            0 if outside else total,
            outside_place=outside,
            sources=sources,
            **common,
        )

    def _point(self, place: Optional[Place]) -> Optional[Tuple[float, float]]:
        if place is None:
            return None
        if place.lat is not None and place.lon is not None:
            return place.lat, place.lon
        if place.kind == "region" and place.region in self._region_centres:
            return self._region_centres[place.region]
        return None

    def _distances(self, rows: np.ndarray, point: Optional[Tuple[float, float]]) -> np.ndarray:
        if point is None:
            return np.full(len(rows), np.nan)
        lat0, lon0 = np.radians(point[0]), np.radians(point[1])
        lat, lon = self._lat_rad[rows], self._lon_rad[rows]
        a = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
        return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))

    def _inside(self, rows: np.ndarray, distances: np.ndarray, place: Optional[Place], radius_km: float) -> np.ndarray:
        if place is None:
            return np.ones(len(rows), dtype=bool)
        if place.kind == "commune":
            return np.nan_to_num(distances, nan=np.inf) <= radius_km
        if place.kind == "departement":
            return self._mask(self.departements, [place.departement_code or ""])[rows]
        if place.kind == "academie":
            codes = [code for code, academie in self._academies.items() if academie == place.name]
            return self._mask(self.departements, codes)[rows]
        return self._mask(self.regions, place.regions or ((place.region,) if place.region else ()))[rows]

    def _hits(
        self, rows: np.ndarray, distances: np.ndarray, limit: int, in_place: bool, shown: Optional[np.ndarray] = None
    ) -> Tuple[Tuple[Hit, ...], int]:
        """One hit per establishment, nearest first; those located by their département only come
        after the others (their distance is from the département's centre); by département, town
        and name when there is no distance. Only the `limit` establishments shown are built: a
        national search matches thousands of rows."""
        uais = self.uai_ids[rows]
        if np.isnan(distances).all():
            order = np.lexsort((rows, self._uai_name_rank[uais]))
        else:
            # Establishments placed at their département's centre come after those really located.
            order = np.lexsort((rows, np.nan_to_num(distances, nan=np.inf), self.approximate[rows]))
        ordered_uais = uais[order]
        _unique, first_positions = np.unique(ordered_uais, return_index=True)
        hits = []
        for position in np.sort(first_positions)[:limit]:
            members = rows[order[ordered_uais == ordered_uais[position]]]
            formations = tuple(self.formations[int(i)] for i in members)
            home = self.establishments[formations[0].uai]
            distance = float((distances if shown is None else shown)[order[position]])
            hits.append(
                Hit(
                    establishment=home,
                    formations=formations,
                    distance_km=None if np.isnan(distance) else round(distance, 1),
                    distance_approximate=home.location_approximate,
                    in_place=in_place,
                )
            )
        return tuple(hits), len(first_positions)

    def _name_ranks(self, uai_numbers: Dict[str, int]) -> np.ndarray:
        """Rank of each establishment number by département, town and name (the order without a place)."""

        def key(uai: str) -> Tuple[str, str, str]:
            home = self.establishments[uai]
            return home.departement_code, normalise(home.commune), normalise(home.name)

        by_name = sorted(uai_numbers, key=key)
        ranks = np.empty(len(uai_numbers), dtype=np.int32)
        for rank, uai in enumerate(by_name):
            ranks[uai_numbers[uai]] = rank
        return ranks

    # -- look-ups

    def establishment(self, uai: str) -> Optional[Establishment]:
        return self.establishments.get((uai or "").strip().upper())

    def formations_of(self, uais: Iterable[str]) -> Tuple[Formation, ...]:
        """Every formation of these establishments (a campus's members), in the order of the UAIs."""
        result: List[Formation] = []
        for uai in dict.fromkeys((u or "").strip().upper() for u in uais):
            result.extend(self.formations[i] for i in self._by_uai.get(uai, ()))
        return tuple(result)


def load_offer(
    establishments_csv: Path = ESTABLISHMENTS_CSV,
    formations_csv: Path = FORMATIONS_CSV,
    specialties_csv: Path = SPECIALTIES_CSV,
    abbreviations_csv: Path = ABBREVIATIONS_CSV,
) -> Offer:
    """Read and check the four files (FormationDataError names the file and line of a fault)."""
    establishments = read_establishments(establishments_csv)
    return Offer(
        establishments,
        read_formations(establishments, formations_csv),
        read_specialties(specialties_csv),
        read_abbreviations(abbreviations_csv),
    )


@functools.lru_cache(maxsize=1)
def get_offer() -> Offer:
    """The per-process offer (about 47,000 formations; loading takes well under a second)."""
    return load_offer()


def search(
    specialty: Optional[str] = None,
    level: Optional[str] = None,
    place: Optional[Place] = None,
    sector: Optional[str] = None,
    mode: Optional[str] = None,
    limit: int = DEFAULT_LIMIT,
    radius_km: float = COMMUNE_RADIUS_KM,
) -> SearchResult:
    """Formations nearest first: see Offer.search."""
    return get_offer().search(specialty, level, place, sector, mode, limit, radius_km)


def resolve_specialty(text: Optional[str], level: Optional[str] = None) -> SpecialtyMatch:
    return get_offer().resolve_specialty(text, level)


# Words of a request or of a correction that never belong to a specialty ("je veux faire un BTS ...
# près de Brest", "non plutôt à Lyon").
REQUEST_WORDS = frozenset(
    """je j tu vous veux voudrais voudrait aimerais aimerait souhaite souhaiterais cherche faire fais
    quel quels quelle quelles ou trouver preparer passer suivre entrer integrer inscrire formation
    formations diplome diplomes etudes ecole ecoles lycee lycees etablissement etablissements pres
    proche proches vers autour cote coin region departement ville secteur c est ce que qu il ils elle
    y on peut possible moi nous sommes habite habitons bonjour bonsoir svp stp merci alternance
    apprentissage apprenti apprentie alternant initiale scolaire voie statut temps plein apres mon ma
    mes fils fille enfant ado son sa ses cette cet se faut dois ai as a as combien existe possible
    donne donner liste lister montre montrer quoi comment dans sur par chez apprendre former devenir
    etre travailler bosser reprendre reconvertir reconversion envie passionne passionnee interesse
    interessee rentree prochaine annee ans adulte salarie propose proposent existe existent campus cmq
    cmqe label excellence filiere domaine wesh genre truc comme ca cela bac sti2d stmg st2s stl stav
    std2a sthr diplomant diplomante diplomants diplomantes forme formes me te
    non oui plutot pardon voulais dire ah oh euh bah ben ok alors sinon aussi seulement uniquement
    juste finalement enfin plus pas ya yen savoir connaitre renseigner renseignement renseignements
    obtenir""".split()
)
# Words of many specialties, which name none when read alone out of a longer request.
GENERIC_SPECIALTY_WORDS = frozenset(
    fold_word(word)
    for word in """metier metiers art arts technique techniques science sciences gestion service services
    production industrie industriel industrielle systeme systemes professionnel professionnelle
    management conception etude etudes option parcours mention specialite specialise specialisee
    general generale technologie technologique design""".split()
)
SHORT_ABBREVIATION = 2  # "CG", "TC", "MS": taken only in capitals or right after a level word
# Every window of words is tried, longest first: bounded so that a long message costs no more than
# a short one (a specialty is named in a few words, a request in a few dozen).
MAX_SPECIALTY_WORDS = 6
MAX_REQUEST_WORDS = 40


def find_specialty(text: str, level: Optional[str] = None, exclude: Sequence[str] = ()) -> SpecialtyMatch:
    """The specialty a whole request names ("je veux un BTS SIO près de Brest" -> SIO), reading
    the runs of words that are neither request words, nor the level, nor the place (`exclude`)."""
    offer = get_offer()
    level = level if level in offer.levels[0] else None  # a value NLU did not normalise is no level
    capitals = {normalise(word) for word in re.findall(r"\b[A-Z0-9]{2,}\b", text)}
    excluded = {word for phrase in exclude for word in normalise(phrase).split()}
    tokens = normalise(text).split()[:MAX_REQUEST_WORDS]
    runs: List[Tuple[Optional[str], List[str]]] = []  # (level typed just before, words)
    current: List[str] = []
    typed_level, held, index = None, False, 0
    held_levels: List[str] = []  # "après mon CAP": a diploma the user has
    asked_levels: List[str] = []

    def close_run() -> None:
        while current and current[-1] in STOP_WORDS:
            current.pop()
        if current and not held:  # "après un bac pro cuisine": the diploma held, not the one asked
            runs.append((typed_level, list(current)))
        current.clear()

    while index < len(tokens):
        token = tokens[index]
        matched = next(((w, k) for w, k in LEVEL_WORDS if tokens[index : index + len(w.split())] == w.split()), None)
        if matched:
            close_run()
            held = "apres" in tokens[max(0, index - 2) : index]
            typed_level = matched[1]
            (held_levels if held else asked_levels).append(matched[1])
            index += len(matched[0].split())
            continue
        if token in REQUEST_WORDS or fold_word(token) in REQUEST_WORDS or token in excluded:
            close_run()
            typed_level, held = None, False
        elif current or token not in STOP_WORDS:
            current.append(token)
        index += 1
    close_run()
    # The level NLU read may be the one the user holds ("une MC après mon CAP"): the one asked wins.
    if asked_levels and (level is None or (level in held_levels and level not in asked_levels)):
        level = asked_levels[0]
    for after_level, words in runs:
        for size in range(min(len(words), MAX_SPECIALTY_WORDS), 0, -1):
            for start in range(len(words) - size + 1):
                piece = words[start : start + size]
                short = size == 1 and len(piece[0]) <= SHORT_ABBREVIATION
                if short and not (piece[0] in capitals or (after_level and start == 0)):
                    continue
                # A part of the words is never only generic ones ("métiers" of "métiers du numérique").
                if size < len(words) and all(fold_word(w) in GENERIC_SPECIALTY_WORDS for w in piece):
                    continue
                match = offer.resolve_specialty(" ".join(piece), level)
                if match.status == "found":
                    return match
    named = next((words for after_level, words in runs if after_level), None)
    if named:  # "BTS astronaute": a level followed by words that name no specialty
        return SpecialtyMatch("unknown", level, tuple(named), unknown_words=tuple(named))
    return SpecialtyMatch("level_only" if level else "none", level, ())


def establishment(uai: str) -> Optional[Establishment]:
    return get_offer().establishment(uai)


def formations_of(uais: Iterable[str]) -> Tuple[Formation, ...]:
    return get_offer().formations_of(uais)
