"""Build the training offer (orientation/data/formations/) from the two reference files.

Run from the repository root:

    python -m devtools.build_formations [--parcoursup PATH] [--voiepro PATH]

Inputs (read-only, outside the repository):
- the Parcoursup 2025 post-bac offer (`parcoursup_postbac.csv`: UAI, name, status, region,
  formation label, GPS point; its text has lost its accents);
- the vocational offer per establishment (`offer.csv`: CAP, bac pro, BMA, MC from Affelnet 2022,
  BTS/BTSA/CS from Parcoursup 2024 with apprenticeship rows; accented labels, names, communes).

Reviewed inputs (in orientation/data/formations/, edited by hand):
- accents.csv: common words whose accents the Parcoursup copy lost ("lycee" -> "lycée");
  no proper noun is in it, so names of people and places stay as the source spells them;
- sector_rules.csv: keywords of a specialty label -> one of the 12 sectors, or `none`;
- sector_overrides.csv: one (level, specialty) -> sector, where the rules are wrong or silent.

Outputs (deterministic: sorted, no timestamps):
- establishments.csv, formations.csv: the offer the orientation.formations module loads;
- specialties.csv: every distinct (level, specialty) with its sector and the rule that gave it;
- SECTORS.md: the same mapping as a table to review.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, TypedDict

from orientation.paths import FORMATIONS_DIR
from orientation.places import COMMUNES_CSV, DEPARTEMENTS_CSV
from orientation.sectors import load_sectors
from orientation.text import normalise, strip_accents

REFERENCE_DIR = Path("/work/shared/reference")
PARCOURSUP_CSV = REFERENCE_DIR / "formations" / "parcoursup_postbac.csv"
VOIEPRO_CSV = REFERENCE_DIR / "formations_voiepro" / "offer.csv"

ACCENTS_CSV = FORMATIONS_DIR / "accents.csv"
SECTOR_RULES_CSV = FORMATIONS_DIR / "sector_rules.csv"
SECTOR_OVERRIDES_CSV = FORMATIONS_DIR / "sector_overrides.csv"
ESTABLISHMENTS_CSV = FORMATIONS_DIR / "establishments.csv"
FORMATIONS_CSV = FORMATIONS_DIR / "formations.csv.gz"
SPECIALTIES_CSV = FORMATIONS_DIR / "specialties.csv"
SECTORS_MD = FORMATIONS_DIR / "SECTORS.md"

NO_SECTOR = "none"
# A commune named in an establishment's name is its commune only if its centre lies this close
# to the establishment's GPS point.
NAME_COMMUNE_MAX_KM = 10.0

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

STATUS_KEYS = {
    "public": "public",
    "prive sous contrat d association": "private_contract",
    "prive enseignement superieur": "private",
    "prive hors contrat": "private_no_contract",
}

# Parcoursup formation types (normalised first part of the label) -> (level key, diploma shown).
# Unlisted types are kept under "other", with their own words as diploma.
PARCOURSUP_TYPES: Dict[str, Tuple[str, str]] = {
    "bts": ("bts", "BTS"),
    "but": ("but", "BUT"),
    "licence": ("licence", "Licence"),
    "double licence": ("licence", "Double licence"),
    "licence professionnelle": ("licence_pro", "Licence professionnelle"),
    "cpge": ("cpge", "CPGE"),
    "cupge": ("cupge", "CUPGE"),
    "formation d ingenieur bac 5": ("ingenieur", "Formation d'ingénieur"),
    "bicursus architecture ingenieur": ("ingenieur", "Bicursus architecture-ingénieur"),
    "certificat de specialisation": ("cs", "Certificat de spécialisation"),
    "dn made": ("dn_made", "DN MADE"),
    "diplome national d art": ("dna", "Diplôme national d'art"),
    "fcil": ("fcil", "FCIL"),
    "bpjeps": ("bpjeps", "BPJEPS"),
    "dejeps": ("dejeps", "DEJEPS"),
    "deust": ("deust", "DEUST"),
    "diplome de comptabilite et de gestion": ("dcg", "Diplôme de comptabilité et de gestion"),
    "dgc diplome de gestion et de comptabilite": ("dcg", "Diplôme de gestion et de comptabilité"),
    "c m i": ("cmi", "Cursus master en ingénierie"),
    "formation des ecoles de commerce et de management": ("ecole_commerce", "École de commerce"),
    "formation des ecoles de commerce et de management bac 3": ("ecole_commerce", "École de commerce (bac+3)"),
    "formation des ecoles de commerce et de management bac 4": ("ecole_commerce", "École de commerce (bac+4)"),
    "formation des ecoles de commerce et de management bac 5": ("ecole_commerce", "École de commerce (bac+5)"),
    "formation des ecoles superieure d art bac 3": ("ecole_art", "École supérieure d'art (bac+3)"),
    "formation des ecoles superieure d art bac 5": ("ecole_art", "École supérieure d'art (bac+5)"),
    "formations aux metiers de l hotellerie restauration bac 3": ("ecole_hotellerie", "École hôtelière (bac+3)"),
    "formations aux metiers de l hotellerie restauration bac 4": ("ecole_hotellerie", "École hôtelière (bac+4)"),
    "sciences po instituts d etudes politiques": ("sciences_po", "Sciences Po / IEP"),
    "double diplome sciences po": ("sciences_po", "Double diplôme Sciences Po"),
    "double diplome sciences po programme europeen franco allemand": ("sciences_po", "Double diplôme Sciences Po"),
    "double diplome sciences po lyon grade master": ("sciences_po", "Double diplôme Sciences Po Lyon"),
    "preparation au concours iep": ("annee_preparatoire", "Préparation au concours IEP"),
    "architecture": ("architecture", "Architecture"),
    "paysage": ("paysage", "Paysage"),
    "paysagiste concepteur": ("paysage", "Paysagiste concepteur"),
    "classe preparatoire aux etudes superieures": ("cpes", "Classe préparatoire aux études supérieures"),
    "cycle pluridisciplinaire d etudes superieures": ("cpes", "Cycle pluridisciplinaire d'études supérieures"),
    "dts imagerie medicale et radiologie therapeutique": ("dts", "DTS"),
    "diplome d etablissement": ("diplome_etablissement", "Diplôme d'établissement"),
    "diplome d universite": ("du", "Diplôme d'université"),
    "dsp": ("dsp", "DSP"),
    "mise a niveau": ("mise_a_niveau", "Mise à niveau"),
    "mise a niveau scientifique": ("mise_a_niveau", "Mise à niveau scientifique"),
    "classe de mise a niveau cinema audiovisuel": ("mise_a_niveau", "Classe de mise à niveau"),
    "classe de mise a niveau pour l entree en bts et les poursuites d etudes scientifiques": (
        "mise_a_niveau",
        "Classe de mise à niveau",
    ),
    "conservation restauration des biens culturels": ("ecole_art", "Conservation-restauration des biens culturels"),
}
PARCOURSUP_TYPE_PREFIXES: Tuple[Tuple[str, Tuple[str, str]], ...] = (
    ("d e ", ("diplome_etat", "Diplôme d'État")),
    ("certificat de capacite d ", ("certificat_capacite", "Certificat de capacité")),
    ("annee preparatoire", ("annee_preparatoire", "Année préparatoire")),
    ("ars annee de remise", ("mise_a_niveau", "Année de remise à niveau")),
    ("formation bac", ("other", "Formation")),
)
# Types whose label after the type is their specialty: "D.E Infirmier" -> "Infirmier".
SPECIALTY_IN_TYPE = ("diplome_etat", "certificat_capacite", "dts")

VOIEPRO_DIPLOMAS: Dict[str, str] = {
    "CAP": "cap",
    "CAP agricole": "cap",
    "Bac pro": "bac_pro",
    "Bac pro agricole": "bac_pro",
    "BMA": "bma",
    "MC": "mc",
    "BTS": "bts",
    "BTSA": "bts",
    "CS": "cs",
    "CS agricole": "cs",
}
VOIEPRO_DIPLOMA_NAMES = {"Bac pro": "Bac pro", "Bac pro agricole": "Bac pro agricole", "MC": "Mention complémentaire"}
MODES = {"school": "initial_training", "apprenticeship": "apprenticeship"}
SOURCES = {"parcoursup_2025": 2025, "affelnet_2022": 2022, "parcoursup_2024": 2024}

_APPRENTICESHIP_SUFFIX = re.compile(r"\s*-?\s*en apprentissage\b", re.IGNORECASE)


# ---------------------------------------------------------------- text


def read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_accents(path: Path = ACCENTS_CSV) -> Dict[str, str]:
    return {row["plain"]: row["accented"] for row in read_csv(path)}


_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+")
_ELISION = re.compile(r"\b([ldLDnsjmtc]|[Qq]u|[Jj]usqu|[Ll]orsqu|[Pp]resqu) (?=[aeiouyhAEIOUYHàâéèêëîïôûÀÂÉÈÊÎÔ])")
_ORDINAL = re.compile(r"\b([12])(ere|eme)\b")
_LONE_A = re.compile(r"(?<!\bopt\.)(?<!\boption)(?<!\boptions) a (?=[a-zà-ÿ])")


def _fits(word: str, accented: str) -> bool:
    """The accented form only adds marks to the letters typed (it never takes one away)."""
    lowered = word.lower()
    if len(lowered) != len(accented):
        return False
    return all(typed == target or typed == strip_accents(target) for typed, target in zip(lowered, accented))


def _with_case(word: str, accented: str) -> str:
    if len(word) > 1 and word.isupper():
        return accented.upper()
    if word[0].isupper():
        return accented[0].upper() + accented[1:]
    return accented


def restore_words(text: str, accents: Dict[str, str]) -> str:
    """Accents of the reviewed common words only; every other word is left as it is."""

    def replace(match: "re.Match[str]") -> str:
        word = match.group(0)
        accented = accents.get(strip_accents(word.lower(), ligatures=False))
        if accented is None or not _fits(word, accented):
            return word
        return _with_case(word, accented)

    return _WORD.sub(replace, text)


def restore_punctuation(text: str) -> str:
    """The Parcoursup copy lost its apostrophes ("l ecole") and dashes (runs of spaces)."""
    text = " - ".join(part.strip() for part in re.split(r"\s{2,}", text.strip()) if part.strip())
    return _ELISION.sub(r"\1'", text)


def restore_label(text: str, accents: Dict[str, str]) -> str:
    text = _ORDINAL.sub(lambda m: m.group(1) + ("ère" if m.group(2) == "ere" else "e"), text)
    text = _LONE_A.sub(" à ", text)
    return restore_words(text, accents)


def tidy_label(text: str) -> str:
    text = _APPRENTICESHIP_SUFFIX.sub("", text).strip(" -")
    text = re.sub(r"\s+", " ", text)
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------- geography


def departement_of_uai(uai: str) -> str:
    """The UAI's first 3 digits: 029 -> 29, 620 -> 2A, 720 -> 2B, 974 -> 974."""
    prefix = uai[:3]
    if prefix == "620":
        return "2A"
    if prefix == "720":
        return "2B"
    if prefix.startswith("0"):
        return prefix[1:]
    return prefix


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@dataclass
class Geo:
    communes: Dict[str, Dict[str, str]] = field(default_factory=dict)  # by INSEE code
    by_name: Dict[Tuple[str, str], List[str]] = field(default_factory=lambda: defaultdict(list))  # (dep, key)
    departements: Dict[str, Dict[str, str]] = field(default_factory=dict)
    centres: Dict[str, Tuple[float, float]] = field(default_factory=dict)


_ARRONDISSEMENT = re.compile(r" \d{1,2} ?(?:e|er|eme)(?: arrondissement)?$")


def commune_key(name: str) -> str:
    return _ARRONDISSEMENT.sub("", normalise(name))


def load_geo() -> Geo:
    geo = Geo()
    points: Dict[str, List[Tuple[float, float, int]]] = defaultdict(list)
    for row in read_csv(COMMUNES_CSV):
        geo.communes[row["insee_code"]] = row
        geo.by_name[(row["departement_code"], commune_key(row["name"]))].append(row["insee_code"])
        if row["lat"] and row["lon"]:
            points[row["departement_code"]].append((float(row["lat"]), float(row["lon"]), int(row["population"] or 0)))
    for row in read_csv(DEPARTEMENTS_CSV):
        geo.departements[row["code"]] = row
        weights = points[row["code"]]
        total = sum(max(p, 1) for _, _, p in weights)
        if total:
            geo.centres[row["code"]] = (
                round(sum(lat * max(p, 1) for lat, _, p in weights) / total, 4),
                round(sum(lon * max(p, 1) for _, lon, p in weights) / total, 4),
            )
    return geo


def find_commune(geo: Geo, departement: str, name: str, near: Optional[Tuple[float, float]]) -> Optional[str]:
    """The INSEE code of the commune `name` of the département; homonyms only with a GPS point."""
    codes = geo.by_name.get((departement, commune_key(name)), [])
    if len(codes) == 1:
        return codes[0]
    if codes and near is not None:
        located = [
            (distance_km(*near, float(geo.communes[c]["lat"]), float(geo.communes[c]["lon"])), c)
            for c in codes
            if geo.communes[c]["lat"]
        ]
        located.sort()
        if located and located[0][0] <= NAME_COMMUNE_MAX_KM:
            return located[0][1]
    return None


def commune_in_name(geo: Geo, departement: str, name: str, near: Tuple[float, float]) -> Optional[str]:
    """A commune of the département spelled out in the establishment's name ("IFSI CHU Nimes",
    "MFR de Saint Flour") whose centre is close to the GPS point; the longest such name wins."""
    words = normalise(name).split()
    best: Optional[Tuple[int, float, str]] = None
    for start in range(len(words)):
        for size in range(1, 6):
            if start + size > len(words):
                break
            key = " ".join(words[start : start + size])
            if len(key) < 4:
                continue
            for code in geo.by_name.get((departement, key), []):
                commune = geo.communes[code]
                if not commune["lat"]:
                    continue
                km = distance_km(*near, float(commune["lat"]), float(commune["lon"]))
                if km <= NAME_COMMUNE_MAX_KM and (best is None or (len(key), -km) > (best[0], -best[1])):
                    best = (len(key), km, code)
    return best[2] if best else None


# ---------------------------------------------------------------- sectors


# Where the specialty's own name ends and its option, parcours or mention begins.
_SPECIALTY_HEAD = re.compile(
    r"\s+(?:-|–|:|options?|opt\.?|parcours|spécialité|mention)\s+|,\s+option\s+", re.IGNORECASE
)


@dataclass(frozen=True)
class Rule:
    pattern: "re.Pattern[str]"
    text: str
    sector: str
    levels: Tuple[str, ...]


def load_rules(path: Path = SECTOR_RULES_CSV) -> List[Rule]:
    rules = []
    for line, row in enumerate(read_csv(path), start=2):
        levels = tuple(x for x in row["levels"].split(";") if x)
        try:
            pattern = re.compile(r"\b(?:" + row["pattern"] + r")\b") if row["pattern"] else re.compile("")
        except re.error as error:
            raise ValueError(f"{path}, line {line}: bad pattern {row['pattern']!r}: {error}") from error
        rules.append(Rule(pattern, row["pattern"], row["sector"], levels))
    return rules


def load_overrides(path: Path = SECTOR_OVERRIDES_CSV) -> Dict[Tuple[str, str], str]:
    return {(row["level"], row["specialty"]): row["sector"] for row in read_csv(path)}


def sector_of(
    level: str, specialty: str, diploma: str, rules: Sequence[Rule], overrides: Dict[Tuple[str, str], str]
) -> Tuple[str, str]:
    """(sector, rule): the override of (level, specialty), else the first rule whose words the
    specialty's head (its words before any option or parcours) contains, else the whole
    specialty, else the diploma; `rule` says which: "override",
    "word: <the words matched>" or "level: <level>" (a rule for every specialty of some levels)."""
    if (level, specialty) in overrides:
        return overrides[(level, specialty)], "override"
    head = _SPECIALTY_HEAD.split(specialty, maxsplit=1)[0]
    for text in (normalise(head), normalise(specialty), normalise(diploma)):
        for rule in rules:
            if rule.levels and level not in rule.levels:
                continue
            match = rule.pattern.search(text)
            if match:
                return rule.sector, f"word: {match.group(0)}" if rule.text else f"level: {level}"
    return "", ""


# ---------------------------------------------------------------- reading the sources


@dataclass
class Place:
    names: Counter[str] = field(default_factory=Counter)
    name: str = ""
    name_source: str = ""
    commune: str = ""
    insee_code: str = ""
    departement: str = ""
    region: str = ""
    points: Counter[Tuple[str, str]] = field(default_factory=Counter)  # (lat, lon) as written
    statuses: Counter[str] = field(default_factory=Counter)


def parcoursup_formation(label: str, accents: Dict[str, str]) -> Tuple[str, str, str, str]:
    """(level, diploma, specialty, mode) of a Parcoursup label "BTS   Production   Electrotechnique"."""
    parts = [part.strip() for part in label.split("   ") if part.strip()]
    kind = normalise(parts[0])
    level, diploma = PARCOURSUP_TYPES.get(kind, ("", ""))
    if not level:
        for prefix, value in PARCOURSUP_TYPE_PREFIXES:
            if kind.startswith(prefix):
                level, diploma = value
                break
        else:
            level, diploma = "other", restore_label(restore_punctuation(parts[0]), accents)
    rest = parts[1:]
    if level == "bts" and rest and rest[0] in ("Production", "Services", "Agricole", "Maritime"):
        diploma = "BTSA" if rest[0] == "Agricole" else "BTS"
        rest = rest[1:]
    if level in SPECIALTY_IN_TYPE:
        head = re.sub(r"^(D\.E|Certificat de capacite d|DTS)\s+", "", parts[0])
        rest = [head] + rest
    mode = "apprenticeship" if re.search(r"\ben apprentissage\b", label) else "initial_training"
    specialty = " - ".join(restore_label(restore_punctuation(part), accents) for part in rest)
    return level, diploma, tidy_label(specialty) if specialty else diploma, mode


def status_of_name(name: str) -> str:
    return "private" if re.search(r"\bpriv[ée]e?\b", name, re.IGNORECASE) else ""


class BuildResult(TypedDict):
    """What build() returns: the rows to write and the counts to report."""

    establishments: List[Dict[str, str]]
    formations: List[Dict[str, str]]
    specialties: List[Dict[str, str]]
    unmapped: List[Tuple[str, str, str]]  # (level, diploma, specialty) without a sector
    unused_overrides: List[Tuple[str, str]]  # (level, specialty) of overrides that match nothing
    counts: Counter[str]
    dropped_2024: Counter[str]


def build(parcoursup_csv: Path = PARCOURSUP_CSV, voiepro_csv: Path = VOIEPRO_CSV) -> BuildResult:
    accents = load_accents()
    rules, overrides = load_rules(), load_overrides()
    geo = load_geo()
    places: Dict[str, Place] = defaultdict(Place)
    formations: List[Dict[str, str]] = []

    # -- Parcoursup 2025
    with open(parcoursup_csv, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        psup_rows = list(reader)
    psup_keys = set()
    for status, uai, name, region, label, gps in psup_rows:
        place = places[uai]
        place.names[name] += 1
        place.statuses[STATUS_KEYS.get(normalise(status), "")] += 1
        place.departement = place.departement or departement_of_uai(uai)
        place.region = place.region or region.strip()
        lat = lon = ""
        if gps.strip():
            lat_text, lon_text = (x.strip() for x in gps.split(","))
            lat, lon = f"{float(lat_text):.4f}", f"{float(lon_text):.4f}"
            place.points[(lat, lon)] += 1
        level, diploma, specialty, mode = parcoursup_formation(label, accents)
        formations.append(
            dict(
                uai=uai,
                level=level,
                diploma=diploma,
                specialty=specialty,
                mode=mode,
                source="parcoursup_2025",
                year="2025",
                cfd="",
                lat=lat,
                lon=lon,
            )
        )
        psup_keys.add((uai, level, normalise(specialty)))

    # -- vocational offer (Affelnet 2022, Parcoursup 2024)
    accented_bts: Dict[str, str] = {}
    dropped_2024: Counter[str] = Counter()
    for row in read_csv(voiepro_csv):
        uai = row["uai"]
        place = places[uai]
        if row["establishment"] and not place.name:
            place.name, place.name_source = row["establishment"], row["establishment_source"]
        if row["commune"] and not place.commune:
            place.commune, place.insee_code = row["commune"], row["insee_code"]
        place.departement = row["departement"] or place.departement or departement_of_uai(uai)
        place.region = place.region or row["region"]
        level = VOIEPRO_DIPLOMAS[row["diploma"]]
        diploma = VOIEPRO_DIPLOMA_NAMES.get(row["diploma"], row["diploma"])
        specialty = tidy_label(restore_label(row["specialty"], accents))
        source = "affelnet_2022" if row["year"] == "2022" else "parcoursup_2024"
        mode = MODES[row["status"]]
        if source == "parcoursup_2024":
            accented_bts.setdefault(normalise(specialty), specialty)
            if mode == "initial_training" and uai in places and places[uai].names:
                # The 2025 list of the establishment is the newer one: its school-status rows win.
                dropped_2024["matched" if (uai, level, normalise(specialty)) in psup_keys else "not_in_2025"] += 1
                continue
        formations.append(
            dict(
                uai=uai,
                level=level,
                diploma=diploma,
                specialty=specialty,
                mode=mode,
                source=source,
                year=row["year"],
                cfd=row["cfd"],
                lat="",
                lon="",
            )
        )

    # BTS/CS labels of Parcoursup 2025 take the accented spelling of the 2024 file where it has one.
    for formation in formations:
        if formation["source"] == "parcoursup_2025" and formation["level"] in ("bts", "cs"):
            formation["specialty"] = accented_bts.get(normalise(formation["specialty"]), formation["specialty"])

    # -- establishments
    counts: Counter[str] = Counter()
    establishments: List[Dict[str, str]] = []
    for uai, place in sorted(places.items()):
        psup_name = place.names.most_common(1)[0][0] if place.names else ""
        if place.name and not (place.name_source == "orgs_prepa" and psup_name):
            name, name_source = place.name, "voiepro:" + place.name_source
        elif psup_name:
            name = restore_words(restore_punctuation(psup_name), accents)
            name_source = "parcoursup_2025"
            counts["names_restored" if name != restore_punctuation(psup_name) else "names_unchanged"] += 1
        else:
            name, name_source = "", ""
        point = None
        if place.points:
            (lat_text, lon_text), _ = place.points.most_common(1)[0]
            point = (float(lat_text), float(lon_text))
        insee = place.insee_code if place.insee_code in geo.communes else ""
        if not insee and place.commune:
            insee = find_commune(geo, place.departement, place.commune, point) or ""
        commune_source = "source" if place.commune else ""
        if not place.commune and point is not None and name:
            insee = commune_in_name(geo, place.departement, name, point) or ""
            commune_source = "name_and_gps" if insee else ""
        commune = geo.communes[insee]["name"] if insee else place.commune
        # Not `lat`/`lon`: those hold the Parcoursup rows' text coordinates above.
        home_lat: Optional[float]
        home_lon: Optional[float]
        if point is not None:
            located_by, (home_lat, home_lon) = "gps", point
        elif insee and geo.communes[insee]["lat"]:
            located_by, home_lat, home_lon = (
                "commune",
                float(geo.communes[insee]["lat"]),
                float(geo.communes[insee]["lon"]),
            )
        elif place.departement in geo.centres:
            located_by, (home_lat, home_lon) = "departement", geo.centres[place.departement]
        else:
            located_by, home_lat, home_lon = "none", None, None
        counts[f"located_by_{located_by}"] += 1
        counts[f"commune_{commune_source or ('unknown' if not commune else 'unlocated')}"] += 1
        status = place.statuses.most_common(1)[0][0] if place.statuses else status_of_name(name)
        # The région of the geo table, accented; the sources' own only outside it (Polynésie).
        region = geo.departements.get(place.departement, {}).get("region", "") or restore_words(place.region, accents)
        establishments.append(
            dict(
                uai=uai,
                name=name,
                name_source=name_source,
                commune=commune,
                insee_code=insee,
                departement_code=place.departement,
                region=region,
                lat="" if home_lat is None else f"{home_lat:.4f}",
                lon="" if home_lon is None else f"{home_lon:.4f}",
                located_by=located_by,
                status=status,
            )
        )
    by_uai = {e["uai"]: e for e in establishments}
    for formation in formations:
        home = by_uai[formation["uai"]]
        if (formation["lat"], formation["lon"]) == (home["lat"], home["lon"]):
            formation["lat"] = formation["lon"] = ""

    # -- specialties and sectors
    specialty_counts = Counter((f["level"], f["diploma"], f["specialty"]) for f in formations)
    specialties: List[Dict[str, str]] = []
    unmapped: List[Tuple[str, str, str]] = []
    sector_by_key: Dict[Tuple[str, str], str] = {}
    for (level, diploma, specialty), _count in sorted(specialty_counts.items()):
        if (level, specialty) in sector_by_key:
            continue
        sector, rule = sector_of(level, specialty, diploma, rules, overrides)
        if not sector:
            unmapped.append((level, diploma, specialty))
        sector_by_key[(level, specialty)] = sector
        total = sum(c for (lv, _, sp), c in specialty_counts.items() if (lv, sp) == (level, specialty))
        specialties.append(
            dict(level=level, diploma=diploma, specialty=specialty, sector=sector, rule=rule, formations=str(total))
        )
    for formation in formations:
        formation["sector"] = sector_by_key[(formation["level"], formation["specialty"])]
    unused = [key for key in overrides if key not in sector_by_key]
    formations.sort(key=lambda f: (f["uai"], f["level"], f["specialty"], f["mode"], f["source"], f["lat"], f["lon"]))
    return BuildResult(
        establishments=establishments,
        formations=formations,
        specialties=specialties,
        unmapped=unmapped,
        unused_overrides=unused,
        counts=counts,
        dropped_2024=dropped_2024,
    )


# ---------------------------------------------------------------- writing


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Dict[str, str]]) -> None:
    """Plain CSV, or gzip for a name ending in .gz (without a timestamp: rebuilds are byte-identical)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in columns})
    data = text.getvalue().encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)


def sectors_table(specialties: Sequence[Dict[str, str]]) -> str:
    labels = {key: sector.label for key, sector in load_sectors().items()}
    lines = [
        "# Training specialties -> Campus sectors",
        "",
        "Generated by `python -m devtools.build_formations`; do not edit by hand. To change a sector,",
        "edit `sector_rules.csv` (keywords, first match wins) or `sector_overrides.csv` (one specialty),",
        "rebuild, then run `pytest tests/data/test_formations_data.py`.",
        "",
        "`rule`: the keywords that matched (a regular expression on the normalised label), or `override`.",
        "`none`: general or academic studies that belong to no campus sector.",
        "",
    ]
    by_sector = Counter(row["sector"] for row in specialties)
    lines += ["| sector | specialties |", "|---|---|"]
    for sector, n in sorted(by_sector.items(), key=lambda item: -item[1]):
        lines.append(f"| {labels.get(sector, sector)} (`{sector}`) | {n} |")
    lines.append("")
    for level in sorted({row["level"] for row in specialties}):
        lines += [f"## {level}", "", "| specialty | diploma | sector | rule | formations |", "|---|---|---|---|---|"]
        for row in specialties:
            if row["level"] != level:
                continue
            rule = row["rule"].replace("|", "\\|")
            lines.append(
                f"| {row['specialty']} | {row['diploma']} | `{row['sector']}` | `{rule}` | {row['formations']} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcoursup", type=Path, default=PARCOURSUP_CSV)
    parser.add_argument("--voiepro", type=Path, default=VOIEPRO_CSV)
    parser.add_argument("--report", action="store_true", help="print the counts only, write nothing")
    args = parser.parse_args(argv)
    result = build(args.parcoursup, args.voiepro)
    counts: Counter[Tuple[str, str, str]] = Counter()
    for f in result["formations"]:
        counts[(f["source"], f["level"], f["mode"])] += 1
    for key, n in sorted(counts.items()):
        print(*key, n, sep="\t")
    print(dict(result["counts"]), dict(result["dropped_2024"]), file=sys.stderr)
    if result["unmapped"]:
        print(f"{len(result['unmapped'])} specialties without a sector:", file=sys.stderr)
        for item in result["unmapped"]:
            print("  ", *item, sep="\t", file=sys.stderr)
    if result["unused_overrides"]:
        print("overrides that match no specialty:", result["unused_overrides"], file=sys.stderr)
    if args.report:
        return 0
    if result["unmapped"] or result["unused_overrides"]:
        return 1
    write_csv(ESTABLISHMENTS_CSV, ESTABLISHMENT_COLUMNS, result["establishments"])
    write_csv(FORMATIONS_CSV, FORMATION_COLUMNS, result["formations"])
    write_csv(SPECIALTIES_CSV, SPECIALTY_COLUMNS, result["specialties"])
    SECTORS_MD.write_text(sectors_table(result["specialties"]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
