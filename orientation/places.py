"""Turn what a user typed as a place into a commune, département, région or académie.

Handles accents, hyphens, "St"/"Ste", small typos (rapidfuzz), "à"/"près de"/"en" prefixes,
département numbers, postcodes, INSEE codes (button payloads), labels such as
"Saint-Denis (93)", région abbreviations (PACA, AURA, IDF...) and "académie de Rennes".
Homonyms come back as 'ambiguous' with the candidates, most populous first.

The tables (orientation/data/geo/) come from INSEE/IGN administrative data. Their commune names
carry no leading article ("Havre", "Mans", "Rochelle"), so "le"/"la"/"les" typed by the user
are dropped before the lookup. The tables load once per process.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

from orientation.paths import DATA_DIR
from orientation.text import normalise, strip_accents

GEO_DIR = DATA_DIR / "geo"
COMMUNES_CSV = GEO_DIR / "communes.csv"
DEPARTEMENTS_CSV = GEO_DIR / "departements.csv"
# The commune table drops the leading article ("Havre", "Mans"); this lists the usual names
# ("Le Havre", "Le Mans") of the towns of over 10,000 inhabitants and of the campus towns.
USUAL_NAMES_CSV = GEO_DIR / "usual_names.csv"

# Long inputs are cut: a place name is never this long, and fuzzy matching cost grows with length.
MAX_QUERY_CHARS = 120
RESOLUTIONS_REMEMBERED = 4096  # a few hundred kB
# A homonym this many times more populous than the next one is what users mean.
DOMINANT_POPULATION_RATIO = 10
# A département name that is also the name of a commune elsewhere with at least this many
# inhabitants ("Vienne") is ambiguous; smaller homonyms ("Allier", a village) are ignored.
NOTABLE_HOMONYM_POPULATION = 10_000
# rapidfuzz ratio (0-100) thresholds on normalised names.
FUZZY_FOUND_SCORE = 85
FUZZY_CANDIDATE_SCORE = 75
FUZZY_SUGGESTION_SCORE = 60
# Typos of big towns are likelier than exact names of hamlets: the score gets a bonus of
# POPULATION_WEIGHT * log10(population); the best name must lead the next one by FUZZY_MARGIN.
POPULATION_WEIGHT = 2.0
FUZZY_MARGIN = 3.0
# A name two letters away or more ("poudlard" -> Moulhard) is offered only for a town this big:
# a hamlet that close is a coincidence, not what the user meant.
TYPO_TOWN_POPULATION = 10_000
MAX_CANDIDATES = 5
MAX_SUGGESTIONS = 3

OVERSEAS_REGIONS = ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte")

# Everyday names and abbreviations of the regions, including the pre-2016 regions people
# still use. Keys are normalised (see normalise()).
REGION_ALIASES: Dict[str, Tuple[str, ...]] = {
    "paca": ("Provence-Alpes-Côte d'Azur",),
    "provence": ("Provence-Alpes-Côte d'Azur",),
    "cote d azur": ("Provence-Alpes-Côte d'Azur",),
    "region sud": ("Provence-Alpes-Côte d'Azur",),
    "aura": ("Auvergne-Rhône-Alpes",),
    "ara": ("Auvergne-Rhône-Alpes",),
    "rhone alpes": ("Auvergne-Rhône-Alpes",),
    "auvergne": ("Auvergne-Rhône-Alpes",),
    "idf": ("Île-de-France",),
    "region parisienne": ("Île-de-France",),
    "bfc": ("Bourgogne-Franche-Comté",),
    "bourgogne": ("Bourgogne-Franche-Comté",),
    "franche comte": ("Bourgogne-Franche-Comté",),
    "hdf": ("Hauts-de-France",),
    "nord pas de calais": ("Hauts-de-France",),
    "picardie": ("Hauts-de-France",),
    "cvl": ("Centre-Val de Loire",),
    "centre": ("Centre-Val de Loire",),
    "region centre": ("Centre-Val de Loire",),
    "alsace": ("Grand Est",),
    "lorraine": ("Grand Est",),
    "champagne": ("Grand Est",),
    "champagne ardenne": ("Grand Est",),
    "aquitaine": ("Nouvelle-Aquitaine",),
    "limousin": ("Nouvelle-Aquitaine",),
    "poitou charentes": ("Nouvelle-Aquitaine",),
    "midi pyrenees": ("Occitanie",),
    "languedoc": ("Occitanie",),
    "languedoc roussillon": ("Occitanie",),
    "haute normandie": ("Normandie",),
    "basse normandie": ("Normandie",),
    "pays de loire": ("Pays de la Loire",),
    "pdl": ("Pays de la Loire",),
    "reunion": ("La Réunion",),
    "ile de la reunion": ("La Réunion",),
    "974 reunion": ("La Réunion",),
}
# Several regions at once.
OVERSEAS_ALIASES = ("outre mer", "dom", "drom", "dom tom", "outremer")

# Words before the place name. Those in COMMUNE_HINTS mean a town ("à Mayenne" is the town,
# "en Mayenne" the département); AREA_HINTS mean a wider area; ARTICLES mean neither.
COMMUNE_HINTS = (
    "j habite a",
    "j habite",
    "habite a",
    "je suis a",
    "je vis a",
    "je vis",
    "chez moi a",
    "aux alentours de",
    "a cote de",
    "du cote de",
    "autour de",
    "pres de",
    "proche de",
    "la ville de",
    "ville de",
    "la commune de",
    "commune de",
    "vers",
    "sur",
    "a",
)
AREA_HINTS = (
    "le departement de",
    "le departement du",
    "le departement des",
    "le departement",
    "departement de",
    "departement du",
    "departement des",
    "departement",
    "dept",
    "dpt",
    "la region de",
    "la region",
    "region de",
    "en region",
    "region",
    "dans",
    "en",
)
ARTICLES = ("les", "le", "la", "l", "du", "des", "de", "d", "au", "aux")
TRAILING_NOISE = (
    "et ses environs",
    "et environs",
    "et alentours",
    "et autour",
    "environs",
    "alentours",
    "centre ville",
    "centre",
    "france",
    "svp",
    "stp",
    "merci",
)
# Left over between a town and its qualifier: "Saint-Denis de la Réunion", "Brest dans le 29".
QUALIFIER_GLUE = {"de", "du", "des", "d", "la", "le", "les", "l", "en", "dans", "a", "au", "departement", "dept"}
ACADEMIE_WORDS = ("academie", "acad", "ac")

KINDS = ("commune", "departement", "region", "academie")


@dataclass(frozen=True)
class Place:
    kind: str  # 'commune' | 'departement' | 'region' | 'academie'
    name: str  # "Brest", "Finistère", "Bretagne", "Rennes" (académie)
    label: str  # shown to users: "Brest (29)", "Finistère (29)", "Bretagne"
    region: Optional[str] = None  # None only for a multi-region area ("Outre-mer")
    departement_code: Optional[str] = None
    insee_code: Optional[str] = None
    lat: Optional[float] = None  # a point inside a commune; the population-weighted centre
    lon: Optional[float] = None  # of a département or académie; None for regions
    regions: Tuple[str, ...] = ()  # regions covered

    @property
    def usual_name(self) -> str:
        """The name as people write it: "Le Havre" for the commune the table calls "Havre"."""
        return usual_town_name(self.name) if self.kind == "commune" else self.name


@dataclass(frozen=True)
class Resolution:
    status: str  # 'found' | 'ambiguous' | 'unknown'
    query: str
    place: Optional[Place] = None
    candidates: Tuple[Place, ...] = ()  # homonyms or close names, most likely first
    suggestions: Tuple[str, ...] = ()  # labels close to an unknown place


# ---------------------------------------------------------------- text helpers

_ARRONDISSEMENT = re.compile(r" \d{1,2} ?(?:e|eme|er|ere|em)(?: arrondissement| arr)?$")


@functools.lru_cache(maxsize=1)
def usual_names() -> Dict[str, str]:
    with open(USUAL_NAMES_CSV, encoding="utf-8", newline="") as handle:
        return {row["name"]: row["usual_name"] for row in csv.DictReader(handle)}


def usual_town_name(name: str) -> str:
    """The name as people write it: "Mans" (commune table) -> "Le Mans"."""
    return usual_names().get(name, name)


def _academie_label(name: str) -> str:
    """The académie's own name: "Académie de Rennes", "Académie d'Amiens"."""
    elided = strip_accents(name.lower())[:1] in tuple("aeiouy")
    return f"Académie d'{name}" if elided else f"Académie de {name}"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    earth_radius_km = 6371.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * earth_radius_km * math.asin(math.sqrt(a))


def departement_of_insee(insee_code: str) -> str:
    """INSEE commune code -> département code ("29019" -> "29", "97411" -> "974")."""
    code = insee_code.upper()
    return code[:3] if code.startswith("97") else code[:2]


def departement_of_postcode(postcode: str) -> Optional[str]:
    """Postcode -> département code; Corsican postcodes start with 20 for both départements."""
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if int(postcode) < 20200 else "2B"
    return postcode[:2]


def _coordinate(value: str) -> Optional[float]:
    """A few recently merged communes have no point in the table."""
    return float(value) if value else None


def _weighted(score: float, population: int) -> float:
    return score + POPULATION_WEIGHT * math.log10(max(population, 1))


def _centre(points: Iterable[Tuple[float, float, int]]) -> Tuple[Optional[float], Optional[float]]:
    """Population-weighted centre of (lat, lon, population) points."""
    total = lat_sum = lon_sum = 0.0
    for lat, lon, population in points:
        weight = max(population, 1)
        total += weight
        lat_sum += lat * weight
        lon_sum += lon * weight
    if not total:
        return None, None
    return round(lat_sum / total, 4), round(lon_sum / total, 4)


# ---------------------------------------------------------------- resolver


@dataclass
class _Hints:
    commune: bool = False  # "à", "près de"...: the user means a town
    area: bool = False  # "en", "dans", "département"...: the user means an area


class PlaceResolver:
    """Indexes of the geo tables; resolve() is pure look-ups plus at most two fuzzy scans."""

    def __init__(self, communes_csv: Path = COMMUNES_CSV, departements_csv: Path = DEPARTEMENTS_CSV):
        self.communes_by_insee: Dict[str, Place] = {}
        self.population: Dict[str, int] = {}  # by insee code, département code, region name
        self.departements: Dict[str, Place] = {}  # by code ("29", "2A", "971")
        self.regions: Dict[str, Place] = {}  # by official name
        self.academies: Dict[str, Place] = {}  # by normalised name
        self.departement_academie: Dict[str, str] = {}
        self.communes_per_departement: Dict[str, int] = defaultdict(int)
        self._by_key: Dict[str, List[Place]] = defaultdict(list)
        self._load(communes_csv, departements_csv)
        self._keys: List[str] = list(self._by_key)
        # The same short texts come back all the time ("merci", "oui", a big town), and a text no
        # place has exactly costs a fuzzy pass over every name (about 3 ms): each is resolved once.
        self._remembered = functools.lru_cache(maxsize=RESOLUTIONS_REMEMBERED)(self._resolve)
        self._extensions = self._index_extensions()
        self._key_population = [max(self.population_of(p) for p in self._by_key[k]) for k in self._keys]
        self._keys_by_area: Dict[str, List[str]] = {}
        self._region_centres: Dict[str, Tuple[Optional[float], Optional[float]]] = {}

    # -- loading

    def _load(self, communes_csv: Path, departements_csv: Path) -> None:
        with open(departements_csv, encoding="utf-8", newline="") as handle:
            departement_rows = list(csv.DictReader(handle))
        with open(communes_csv, encoding="utf-8", newline="") as handle:
            commune_rows = list(csv.DictReader(handle))

        points_by_departement: Dict[str, List[Tuple[float, float, int]]] = defaultdict(list)
        for row in commune_rows:
            place = Place(
                kind="commune",
                name=row["name"],
                label=f"{usual_town_name(row['name'])} ({row['departement_code']})",
                region=row["region"],
                departement_code=row["departement_code"],
                insee_code=row["insee_code"],
                lat=_coordinate(row["lat"]),
                lon=_coordinate(row["lon"]),
                regions=(row["region"],),
            )
            population = int(row["population"] or 0)
            self.communes_by_insee[place.insee_code] = place
            self.population[place.insee_code] = population
            self.communes_per_departement[place.departement_code] += 1
            if place.lat is not None and place.lon is not None:
                points_by_departement[place.departement_code].append((place.lat, place.lon, population))
            self._by_key[normalise(place.name)].append(place)

        departements_by_region: Dict[str, List[str]] = defaultdict(list)
        departements_by_academie: Dict[str, List[str]] = defaultdict(list)
        for row in departement_rows:
            code, region = row["code"], row["region"]
            lat, lon = _centre(points_by_departement[code])
            place = Place(
                kind="departement",
                name=row["name"],
                label=f"{row['name']} ({code})",
                region=region,
                departement_code=code,
                lat=lat,
                lon=lon,
                regions=(region,),
            )
            self.departements[code] = place
            self.population[code] = sum(p for _, _, p in points_by_departement[code])
            self.departement_academie[code] = row["academie"]
            departements_by_region[region].append(code)
            departements_by_academie[row["academie"]].append(code)
            self._by_key[normalise(place.name)].append(place)

        for region, codes in departements_by_region.items():
            place = Place(kind="region", name=region, label=region, region=region, regions=(region,))
            self.regions[region] = place
            self.population[region] = sum(self.population[code] for code in codes)
            self._by_key[normalise(region)].append(place)
        for alias, names in REGION_ALIASES.items():
            self._by_key[alias].append(self.regions[names[0]])
        overseas = Place(kind="region", name="Outre-mer", label="Outre-mer", region=None, regions=OVERSEAS_REGIONS)
        self.population["Outre-mer"] = sum(self.population[r] for r in OVERSEAS_REGIONS)
        for alias in OVERSEAS_ALIASES:
            self._by_key[alias].append(overseas)

        for academie, codes in departements_by_academie.items():
            region = self.departements[codes[0]].region
            lat, lon = _centre(point for code in codes for point in points_by_departement[code])
            self.academies[normalise(academie)] = Place(
                kind="academie",
                name=academie,
                label=_academie_label(academie),
                region=region,
                lat=lat,
                lon=lon,
                regions=(region,),
            )

    def _index_extensions(self) -> Dict[str, List[Place]]:
        """Communes by the first words of their name: "boulogne" -> Boulogne-sur-Mer, ..."""
        extensions: Dict[str, List[Place]] = defaultdict(list)
        for key, places in self._by_key.items():
            words = key.split()
            for size in range(1, len(words)):
                extensions[" ".join(words[:size])].extend(p for p in places if p.kind == "commune")
        return extensions

    def population_of(self, place: Place) -> int:
        if place.kind == "commune":
            return self.population.get(place.insee_code or "", 0)
        if place.kind == "departement":
            return self.population.get(place.departement_code or "", 0)
        return self.population.get(place.name, 0)

    # -- public

    def resolve(self, text: str) -> Resolution:
        query = " ".join(str(text or "").split())[:MAX_QUERY_CHARS]
        return self._remembered(query)

    def _resolve(self, query: str) -> Resolution:
        normalised = normalise(query)
        if not normalised:
            return Resolution("unknown", query)
        explicit = re.fullmatch(r"(?:code )?insee (\w{5})", normalised)
        if explicit:
            commune = self.communes_by_insee.get(explicit.group(1).upper())
            return self._found(query, commune) if commune else Resolution("unknown", query)
        variants = self._variants(normalised)
        for variant, hints in variants:
            resolution = self._exact(query, variant, hints)
            if resolution is not None:
                return resolution
        for variant, hints in variants:
            resolution = self._with_qualifier(query, variant, hints)
            if resolution is not None:
                return resolution
        return self._fuzzy(query, variants)

    def region_centre(self, region: str) -> Tuple[Optional[float], Optional[float]]:
        """Population-weighted centre of a region (to sort results when no town is given)."""
        if region not in self._region_centres:
            self._region_centres[region] = _centre(
                (place.lat, place.lon, self.population[place.insee_code])
                for place in self.communes_by_insee.values()
                if place.region == region and place.lat is not None and place.lon is not None
            )
        return self._region_centres[region]

    def find_commune(self, name: str, region: str) -> Optional[Place]:
        """The commune with that name in that region, when there is exactly one."""
        area = self.regions.get(region)
        if not name or area is None:
            return None
        resolution = self._in_area(name, normalise(name), area)
        return resolution.place if resolution is not None and resolution.status == "found" else None

    def academie_of_departement(self, code: str) -> Optional[str]:
        return self.departement_academie.get(code)

    def academies_of_region(self, region: str) -> Tuple[str, ...]:
        """The académies of a region's départements, in alphabetical order."""
        found = {
            self.departement_academie[code]
            for code, place in self.departements.items()
            if place.region == region and code in self.departement_academie
        }
        return tuple(sorted(found))

    # -- steps

    def _variants(self, normalised: str) -> List[Tuple[str, _Hints]]:
        """The text, then the text with each leading hint word removed in turn."""
        hints = _Hints()
        variants = [(normalised, _Hints())]
        current = self._strip_trailing_noise(normalised)
        if current != normalised:
            variants.append((current, _Hints()))
        while True:
            stripped = self._strip_one_hint(current, hints)
            if stripped is None or not stripped:
                break
            current = stripped
            variants.append((current, _Hints(hints.commune, hints.area)))
        return variants

    @staticmethod
    def _strip_one_hint(text: str, hints: _Hints) -> Optional[str]:
        for group, flag in ((COMMUNE_HINTS, "commune"), (AREA_HINTS, "area"), (ARTICLES, None)):
            for hint in group:
                if text.startswith(hint + " "):
                    if flag:
                        setattr(hints, flag, True)
                    return text[len(hint) + 1 :]
        return None

    @staticmethod
    def _strip_trailing_noise(text: str) -> str:
        text = _ARRONDISSEMENT.sub("", text)  # "Lyon 3e": the table has the whole city
        changed = True
        while changed:
            changed = False
            for noise in TRAILING_NOISE:
                if text.endswith(" " + noise):
                    text = text[: -len(noise) - 1]
                    changed = True
        return text

    def _exact(self, query: str, text: str, hints: _Hints) -> Optional[Resolution]:
        academie = self._academie_name(text)
        if academie is not None:
            return self._resolve_academie(query, academie)
        code_resolution = self._resolve_code(query, text)
        if code_resolution is not None:
            return code_resolution
        places = self._by_key.get(text)
        if places:
            return self._pick(query, places, hints)
        return self._by_first_words(query, text)

    def _by_first_words(self, query: str, text: str) -> Optional[Resolution]:
        """ "Boulogne" -> Boulogne-Billancourt or Boulogne-sur-Mer: no commune has that exact name."""
        extensions = self._extensions.get(text)
        if not extensions or len(text) < 3:
            return None
        return self._homonyms(query, extensions)

    @staticmethod
    def _academie_name(text: str) -> Optional[str]:
        words = text.split()
        if len(words) < 2 or words[0] not in ACADEMIE_WORDS:
            return None
        rest = words[1:]
        if rest[0] in ("de", "d", "du", "des") and len(rest) > 1:
            rest = rest[1:]
        return " ".join(rest)

    def _resolve_academie(self, query: str, name: str) -> Resolution:
        academie = self.academies.get(name)
        if academie is None and name.startswith("la "):
            academie = self.academies.get(name[3:])
        if academie is not None:
            return self._found(query, academie)
        close = process.extract(
            name, list(self.academies), scorer=fuzz.ratio, limit=MAX_SUGGESTIONS, score_cutoff=FUZZY_SUGGESTION_SCORE
        )
        if close and close[0][1] >= FUZZY_FOUND_SCORE:
            return self._found(query, self.academies[close[0][0]])
        return Resolution("unknown", query, suggestions=tuple(self.academies[k].label for k, _, _ in close))

    def _resolve_code(self, query: str, text: str) -> Optional[Resolution]:
        """Département numbers, INSEE codes and postcodes, alone or with a town name."""
        if re.fullmatch(r"\d{1,3}|2a|2b", text):
            if text == "20":  # the former single Corsican département
                return self._found(query, self.regions["Corse"])
            departement = self._departement(text)
            return self._found(query, departement) if departement else None
        if re.fullmatch(r"\d{5}|2[ab]\d{3}", text):
            return self._resolve_five_digits(query, text)
        postcode = re.search(r"\b\d{5}\b", text)
        if postcode:
            rest = " ".join(text.replace(postcode.group(0), " ").split())
            departement = self._departement(departement_of_postcode(postcode.group(0)) or "")
            if departement is None:
                return None
            rest = self._strip_glue(rest)
            return self._in_area(query, rest, departement) or self._found(query, departement)
        return None

    def _resolve_five_digits(self, query: str, code: str) -> Optional[Resolution]:
        # A known INSEE code wins: buttons send them. Otherwise read it as a postcode; it shares
        # its first digits with the INSEE codes of its département, so the region is right either way.
        commune = self.communes_by_insee.get(code.upper())
        if commune is not None:
            return self._found(query, commune)
        departement = self._departement(departement_of_postcode(code) or "")
        if departement is None:
            return Resolution("unknown", query)
        return self._found(query, self._single_commune(departement) or departement)

    def _departement(self, code: str) -> Optional[Place]:
        code = code.upper()
        if code.isdigit() and len(code) == 1:
            code = "0" + code
        return self.departements.get(code)

    def _single_commune(self, departement: Place) -> Optional[Place]:
        """The commune of a one-commune département (Paris)."""
        if self.communes_per_departement.get(departement.departement_code or "") != 1:
            return None
        return next(
            (
                c
                for c in self._by_key.get(normalise(departement.name), ())
                if c.kind == "commune" and c.departement_code == departement.departement_code
            ),
            None,
        )

    def _pick(self, query: str, places: Sequence[Place], hints: _Hints) -> Resolution:
        """Choose among the places sharing one name (region > département > commune)."""
        by_kind: Dict[str, List[Place]] = defaultdict(list)
        for place in places:
            by_kind[place.kind].append(place)
        communes = by_kind["commune"]
        if by_kind["region"]:
            return self._found(query, by_kind["region"][0])
        if by_kind["departement"]:
            departement = by_kind["departement"][0]
            single = self._single_commune(departement)
            if single is not None:
                return self._found(query, single)
            if hints.area:
                return self._found(query, departement)
            notable = [c for c in communes if self.population_of(c) >= NOTABLE_HOMONYM_POPULATION]
            if hints.commune and notable:
                return self._homonyms(query, notable)
            elsewhere = [c for c in notable if c.departement_code != departement.departement_code]
            if elsewhere:
                candidates = tuple([departement] + self._by_population(elsewhere))[:MAX_CANDIDATES]
                return Resolution("ambiguous", query, candidates=candidates)
            return self._found(query, departement)
        return self._homonyms(query, communes + self._dominant_extensions(normalise(communes[0].name), communes))

    def _dominant_extensions(self, key: str, communes: Sequence[Place]) -> List[Place]:
        """Longer names far more populous than the exact ones: "Clermont" -> Clermont-Ferrand."""
        largest = max(self.population_of(c) for c in communes)
        return [
            c
            for c in self._extensions.get(key, ())
            if self.population_of(c) >= DOMINANT_POPULATION_RATIO * max(largest, 1)
        ]

    def _by_population(self, places: Iterable[Place]) -> List[Place]:
        return sorted(places, key=lambda p: (-self.population_of(p), p.label))

    def _homonyms(self, query: str, communes: Sequence[Place]) -> Resolution:
        ranked = self._by_population(communes)
        if len(ranked) == 1:
            return self._found(query, ranked[0])
        first, second = (self.population_of(p) for p in ranked[:2])
        candidates = tuple(ranked[:MAX_CANDIDATES])
        if first >= DOMINANT_POPULATION_RATIO * max(second, 1):
            return Resolution("found", query, ranked[0], candidates)
        return Resolution("ambiguous", query, candidates=candidates)

    @staticmethod
    def _found(query: str, place: Place) -> Resolution:
        return Resolution("found", query, place)

    # -- "Saint-Denis (93)", "Saint-Denis 974", "Saint-Denis de la Réunion", "Brest Finistère"

    def _with_qualifier(self, query: str, text: str, hints: _Hints) -> Optional[Resolution]:
        words = text.split()
        for size in range(1, min(4, len(words))):
            area = self._area(" ".join(words[-size:]))
            if area is None:
                continue
            head = self._strip_glue(" ".join(words[:-size]))
            if not head:
                continue
            if area.kind == "departement" and head == normalise(area.name):
                return self._found(query, area)  # a département label: "Finistère (29)"
            resolution = self._in_area(query, head, area)
            if resolution is not None:
                return resolution
        return None

    def _area(self, text: str) -> Optional[Place]:
        """A département (number or name) or a region named after a town."""
        if re.fullmatch(r"\d{1,3}|2a|2b", text):
            return self._departement(text)
        for place in self._by_key.get(text, ()):
            if place.kind in ("departement", "region"):
                return place
        return None

    @staticmethod
    def _strip_glue(text: str) -> str:
        words = text.split()
        while words and words[-1] in QUALIFIER_GLUE:
            words.pop()
        while words and words[0] in QUALIFIER_GLUE | set(COMMUNE_HINTS):
            words.pop(0)
        return " ".join(words)

    def _in_area(self, query: str, name: str, area: Place) -> Optional[Resolution]:
        """The commune called `name` (exactly, else the closest spelling) inside `area`."""
        if not name:
            return None
        inside = [c for c in self._by_key.get(name, ()) if c.kind == "commune" and self._contains(area, c)]
        if not inside:
            for article in ARTICLES:
                if name.startswith(article + " "):
                    inside = [
                        c
                        for c in self._by_key.get(name[len(article) + 1 :], ())
                        if c.kind == "commune" and self._contains(area, c)
                    ]
                    break
        if inside:
            return self._homonyms(query, inside)
        keys = self._area_keys(area)
        best = process.extractOne(name, keys, scorer=fuzz.ratio, score_cutoff=FUZZY_FOUND_SCORE)
        if best is None:
            return None
        inside = [c for c in self._by_key[best[0]] if c.kind == "commune" and self._contains(area, c)]
        return self._homonyms(query, inside) if inside else None

    @staticmethod
    def _contains(area: Place, commune: Place) -> bool:
        if area.kind == "departement":
            return commune.departement_code == area.departement_code
        return commune.region in area.regions

    def _area_keys(self, area: Place) -> List[str]:
        cache_key = f"{area.kind}:{area.name}"
        if cache_key not in self._keys_by_area:
            self._keys_by_area[cache_key] = sorted(
                {normalise(c.name) for c in self.communes_by_insee.values() if self._contains(area, c)}
            )
        return self._keys_by_area[cache_key]

    # -- typos

    def _fuzzy(self, query: str, variants: Sequence[Tuple[str, _Hints]]) -> Resolution:
        # The whole text and the text without its hint words are enough: the middle variants
        # only differ by articles, which the table's names never start with.
        texts = {variants[0][0]: variants[0][1], variants[-1][0]: variants[-1][1]}
        scored: Dict[str, Tuple[float, float]] = {}
        hints = variants[-1][1]
        for text in texts:
            if len(text) < 3:
                continue
            for key, score, index in process.extract(
                text, self._keys, scorer=fuzz.ratio, limit=10, score_cutoff=FUZZY_SUGGESTION_SCORE
            ):
                weighted = _weighted(score, self._key_population[index])
                if key not in scored or weighted > scored[key][1]:
                    scored[key] = (score, weighted)
        every = sorted(scored.items(), key=lambda item: -item[1][1])
        ranked = [item for item in every if self._plausible_typo(*item)]
        leading = self._leading_name(variants[-1][0])
        if leading is not None and (not ranked or ranked[0][1][0] < FUZZY_FOUND_SCORE):
            # "Brest-Ville-Basse": the first words name a town; ask rather than guess.
            others = [self._main_place(key) for key, (score, _) in ranked if score >= FUZZY_CANDIDATE_SCORE]
            candidates = tuple(dict.fromkeys([self._main_place(leading)] + others))[:MAX_CANDIDATES]
            return Resolution("ambiguous", query, candidates=candidates)
        if not ranked or ranked[0][1][0] < FUZZY_CANDIDATE_SCORE:
            return Resolution("unknown", query, suggestions=self._suggestions(every))
        (best_key, (best_score, best_weighted)) = ranked[0]
        rivals = [
            key
            for key, (score, weighted) in ranked[1:]
            if score >= FUZZY_CANDIDATE_SCORE and best_weighted - weighted < FUZZY_MARGIN
        ]
        if best_score >= FUZZY_FOUND_SCORE and not rivals:
            return self._pick(query, self._by_key[best_key], hints)
        close = [best_key] + rivals
        candidates = [self._main_place(key) for key in close]
        return Resolution("ambiguous", query, candidates=tuple(dict.fromkeys(candidates))[:MAX_CANDIDATES])

    def _plausible_typo(self, key: str, scores: Tuple[float, float]) -> bool:
        """A close name (one letter off) of any place, a farther one only of a big enough one."""
        if scores[0] >= FUZZY_FOUND_SCORE:
            return True
        return max(self.population_of(place) for place in self._by_key[key]) >= TYPO_TOWN_POPULATION

    def _leading_name(self, text: str) -> Optional[str]:
        """The longest run of first words that is a place name of at least 4 letters."""
        words = text.split()
        for size in range(len(words) - 1, 0, -1):
            key = " ".join(words[:size])
            if len(key) >= 4 and key in self._by_key:
                return key
        return None

    def _main_place(self, key: str) -> Place:
        places = self._by_key[key]
        for kind in ("region", "departement"):
            for place in places:
                if place.kind == kind:
                    return place
        return self._by_population(places)[0]

    def _suggestions(self, ranked: Sequence[Tuple[str, Tuple[float, float]]]) -> Tuple[str, ...]:
        labels = [self._main_place(key).label for key, _ in ranked]
        return tuple(dict.fromkeys(labels))[:MAX_SUGGESTIONS]


@functools.lru_cache(maxsize=1)
def get_resolver() -> PlaceResolver:
    """The per-process resolver (loading the 35,000 communes takes a fraction of a second)."""
    return PlaceResolver()


def resolve_place(text: str) -> Resolution:
    return get_resolver().resolve(text)


# ---------------------------------------------------------------- slot storage

_PLACE_FIELDS = {f.name for f in fields(Place)}


def place_to_dict(place: Optional[Place]) -> Optional[Dict[str, Any]]:
    """A JSON-friendly dict (for a Rasa slot)."""
    if place is None:
        return None
    data = asdict(place)
    data["regions"] = list(place.regions)
    return data


def place_from_dict(data: Optional[Mapping[str, Any]]) -> Optional[Place]:
    """The Place stored by place_to_dict; None for anything that is not one."""
    if isinstance(data, Place):
        return data
    if not isinstance(data, Mapping) or data.get("kind") not in KINDS or not data.get("name"):
        return None
    values = {key: data[key] for key in _PLACE_FIELDS if key in data}
    values["regions"] = tuple(values.get("regions") or ((data["region"],) if data.get("region") else ()))
    values.setdefault("label", data["name"])
    try:
        for key in ("lat", "lon"):
            if values.get(key) is not None:
                values[key] = float(values[key])
    except (TypeError, ValueError):
        return None
    return Place(**values)


# Words that end a place name in a request ("à Brest en alternance", "vers Lyon svp").
_AFTER_PLACE = {
    "en",
    "pour",
    "avec",
    "svp",
    "stp",
    "merci",
    "ou",
    "et",
    "mais",
    "car",
    "parce",
    "si",
    "pas",
    "c",
    "est",
}
_PLACE_PREPOSITIONS = {
    "a",
    "vers",
    "sur",
    "pres",
    "autour",
    "cote",
    "proche",
    "alentours",
    "habite",
    "dans",
    "au",
    "loin",
}
MAX_PLACE_WORDS = 5  # "saint denis de la reunion"


TRAILING_TOWN_MIN_POPULATION = 10_000


def likeliest_place_text(texts: Sequence[str]) -> Optional[str]:
    """Of several words read as places in one message ("chef de quai ... vers Orléans"), the first
    that names a place for sure, else the first one that may be a place, else the first."""
    texts = [text for text in texts if text and text.strip()]
    statuses = [resolve_place(text).status for text in texts]
    for wanted in ("found", "ambiguous"):
        if wanted in statuses:
            return texts[statuses.index(wanted)]
    return texts[0] if texts else None


def trailing_place(text: str, ignore: Iterable[str] = ()) -> Optional[str]:
    """The last words of a request when they name a place without a preposition ("bts sio
    monpelier", "BUT GEII 38000"): a postcode or département number, a région, or a town of more
    than 10,000 inhabitants (typos corrected), so that a specialty's last word is never a village."""
    words = normalise(text).split()
    ignored = {word for phrase in ignore for word in normalise(phrase).split()}
    resolver = get_resolver()
    chosen, chosen_place = None, None
    for size in (1, 2, 3):  # a longer tail only when its first word changes the place ("saint etienne")
        tail = words[-size:]
        if len(tail) < size or any(word in ignored for word in tail):
            break
        candidate = " ".join(tail)
        resolution = resolver.resolve(candidate)
        place = resolution.place
        if resolution.status != "found" or place is None or place == chosen_place:
            continue
        big_enough = candidate.isdigit() or place.kind != "commune"
        if big_enough or resolver.population_of(place) >= TRAILING_TOWN_MIN_POPULATION:
            chosen, chosen_place = candidate, place
    return chosen


def place_in_request(text: str, ignore: Iterable[str] = ()) -> Optional[str]:
    """The words that follow the last place preposition of a request ("un BTS SIO à Montpelier"
    -> "Montpelier"), for when NLU found no place: they are resolved like a place typed alone, so
    that a misspelt or unknown town is corrected or said unknown. None when nothing follows, or
    only words of `ignore` (the diploma, the request's own words)."""
    words = normalise(text).split()
    ignored = {word for phrase in ignore for word in normalise(phrase).split()}
    starts = [i for i, word in enumerate(words) if word in _PLACE_PREPOSITIONS]
    if not starts:
        return None
    place: List[str] = []
    for word in words[starts[-1] + 1 :]:
        if word in _AFTER_PLACE or word in ignored or len(place) == MAX_PLACE_WORDS:
            break
        if not place and word in ("de", "d", "du", "des", "le", "la", "les", "l"):
            continue  # "près de", "dans le"
        place.append(word)
    return " ".join(place) or None
