"""Which campuses answer a search, in which order, and why.

Filters: sector, area (a region, or a town/département/académie, which filters by its region),
excellence, international mobility, training mode and level.

Training modes and levels are only known for some campuses. A campus whose data lists them
is kept only if it offers what was asked; a campus with no data on them is kept, with a
reason saying it is to be checked, and comes after the confirmed ones when all else is equal.

Ranking: campuses in the requested region first, then the closest to the user's town
(haversine, km), then those labelled excellence, then by name. When nothing matches, the
alternatives are campuses of the same sector elsewhere (closest first), then campuses of
other sectors near the user.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from orientation.catalogue import SECTOR_LABELS, Campus, Catalogue
from orientation.places import Place, at_place, distance_km, get_resolver, of_place, region_phrase
from orientation.text import normalise
from orientation.training import Offer, levels, offer, training_modes
from orientation.wording import fill

# Slot values that mean "no preference".
NO_PREFERENCE = {"", "any", "anywhere", "none", "peu importe", "partout"}
MAX_SAME_SECTOR_ALTERNATIVES = 3
MAX_NEARBY_ALTERNATIVES = 3


@dataclass(frozen=True)
class SearchQuery:
    sector: Optional[str] = None
    region: Optional[str] = None
    place: Optional[Place] = None
    excellence: Optional[bool] = None  # True: labelled excellence only; None/False: no filter
    mobility: Optional[bool] = None  # True: campuses with a documented mobility only
    training_mode: Optional[str] = None
    level: Optional[str] = None


@dataclass(frozen=True)
class Match:
    campus: Campus
    distance_km: Optional[float]  # from the user's town or département, 1 decimal
    reasons: Tuple[str, ...]  # in French, shown to the user
    unconfirmed: int = 0  # how many of the training mode and level asked the data leaves open


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    matches: Tuple[Match, ...]
    alternatives: Tuple[Match, ...]  # only when matches is empty
    note: Optional[str]


def _wanted(value: Optional[str]) -> Optional[str]:
    if value is None or str(value).strip().lower() in NO_PREFERENCE:
        return None
    return str(value).strip()


@dataclass(frozen=True)
class _Area:
    """Where the user wants to study, and the point distances are measured from."""

    regions: Tuple[str, ...] = ()
    place: Optional[Place] = None

    @classmethod
    def of(cls, query: SearchQuery) -> "_Area":
        if query.place is not None and query.place.regions:
            return cls(query.place.regions, query.place)
        region = _wanted(query.region)
        return cls((region,) if region else ())

    @property
    def origin(self) -> Optional[Tuple[float, float]]:
        """The user's point: a town, or the centre of a département."""
        if self.place is None or self.place.lat is None or self.place.lon is None:
            return None
        if self.place.kind not in ("commune", "departement"):
            return None
        return self.place.lat, self.place.lon

    def contains(self, campus: Campus) -> bool:
        if not self.regions:
            return True
        if self.place is not None and self.place.kind == "academie":
            return self.place.name in _academies_of(campus)
        return campus.region in self.regions


def _academies_of(campus: Campus) -> Tuple[str, ...]:
    """The académies named in the data, else the one of the campus's town."""
    if campus.academie:
        return campus.academie
    academie = get_resolver().academie_of_departement(campus.departement_code or "")
    return (academie,) if academie else ()


def _distance(campus: Campus, origin: Optional[Tuple[float, float]]) -> Optional[float]:
    if origin is None or campus.lat is None or campus.lon is None:
        return None
    return round(distance_km(origin[0], origin[1], campus.lat, campus.lon), 1)


def _where(campus: Campus, area: _Area, distance: Optional[float]) -> str:
    """ "à 34 km de Brest", "à Brest", "dans le département Finistère (29)", "en Bretagne"."""
    place = area.place
    if place is not None and place.kind == "commune" and distance is not None:
        if campus.insee_code and campus.insee_code == place.insee_code:
            return at_place(place.usual_name)
        return fill("text_reason_distance", km=max(1, round(distance)), of_place=of_place(place.usual_name))
    if place is not None and place.kind == "departement" and distance is not None:
        if campus.departement_code == place.departement_code:
            return fill("text_reason_departement", departement=place.label)
        return fill("text_reason_departement_distance", km=max(1, round(distance)), departement=place.label)
    if place is not None and place.kind == "academie" and place.name in _academies_of(campus):
        return fill("text_reason_academie", of_academie=of_place(place.name))
    return region_phrase(campus.region)


def _offer(offered: Tuple[str, ...], wanted: Optional[str], table: Dict[str, Offer]) -> Tuple[bool, Optional[str]]:
    """(kept, reason) for a training mode or level filter; no data keeps the campus."""
    if wanted is None:
        return True, None
    entry = offer(wanted, table)
    if not offered:
        return True, fill("text_reason_unconfirmed", offer=entry.name)
    return wanted in offered, fill("text_reason_offered", offer=entry.with_article)


def _match(campus: Campus, query: SearchQuery, area: _Area) -> Optional[Match]:
    sector = _wanted(query.sector)
    if sector and campus.sector != sector:
        return None
    if not area.contains(campus):
        return None
    if query.excellence and not campus.excellence:
        return None
    if query.mobility and not campus.mobility:
        return None
    kept_mode, mode_reason = _offer(campus.training_modes, _wanted(query.training_mode), training_modes())
    kept_level, level_reason = _offer(campus.levels, _wanted(query.level), levels())
    if not (kept_mode and kept_level):
        return None
    distance = _distance(campus, area.origin)
    reasons: List[str] = []
    if sector:
        reasons.append(fill("text_reason_sector", sector=SECTOR_LABELS.get(sector, sector)))
    if area.regions:
        reasons.append(_where(campus, area, distance))
    reasons += _label_reasons(campus)
    if query.mobility:
        reasons.append(fill("text_reason_mobility"))
    reasons += [reason for reason in (mode_reason, level_reason) if reason]
    unconfirmed = sum(
        1
        for wanted, offered in (
            (_wanted(query.training_mode), campus.training_modes),
            (_wanted(query.level), campus.levels),
        )
        if wanted and not offered
    )
    return Match(campus, distance, tuple(reasons), unconfirmed)


def _label_reasons(campus: Campus) -> List[str]:
    if campus.confirmed_excellence:
        return [fill("text_reason_excellence")]
    return [campus.to_confirm] if campus.to_confirm else []


def _rank_key(match: Match, area: _Area):
    campus = match.campus
    in_region = not area.regions or campus.region in area.regions
    distance = match.distance_km if match.distance_km is not None else math.inf
    return (not in_region, distance, not campus.confirmed_excellence, match.unconfirmed, normalise(campus.name))


def search(catalogue: Catalogue, query: SearchQuery) -> SearchResult:
    area = _Area.of(query)
    matches = [m for m in (_match(c, query, area) for c in catalogue.campuses) if m is not None]
    matches.sort(key=lambda m: _rank_key(m, area))
    if matches:
        return SearchResult(query, tuple(matches), (), _note_on_matches(matches, query))
    alternatives = _alternatives(catalogue, query, area)
    return SearchResult(query, (), tuple(alternatives), _note_without_matches(query, area, alternatives))


# ---------------------------------------------------------------- no result


def _reference_point(area: _Area) -> Optional[Tuple[float, float]]:
    """Where "closest" is measured from: the user's point, else the centre of the region."""
    if area.origin is not None:
        return area.origin
    if len(area.regions) == 1:
        lat, lon = get_resolver().region_centre(area.regions[0])
        if lat is not None and lon is not None:
            return lat, lon
    return None


def _alternative(campus: Campus, area: _Area, point, same_sector: bool, query: SearchQuery) -> Match:
    # Distances are shown from the user's own town or département, not from a region's centre.
    distance = _distance(campus, point) if area.origin is not None else None
    reasons = []
    sector = _wanted(query.sector)
    if sector:
        reasons.append(
            fill("text_reason_same_sector", sector=SECTOR_LABELS.get(sector, sector))
            if same_sector
            else fill("text_reason_other_sector", sector=campus.sector_label)
        )
    reasons.append(_where(campus, area, distance) if area.contains(campus) else _elsewhere(campus, area, distance))
    reasons += _label_reasons(campus)
    return Match(campus, distance, tuple(reasons))


def _elsewhere(campus: Campus, area: _Area, distance: Optional[float]) -> str:
    """ "en Normandie, à 180 km de Brest" for a campus outside the requested area."""
    where = region_phrase(campus.region)
    if distance is None or area.place is None:
        return where
    if area.place.kind == "commune":
        return fill(
            "text_reason_elsewhere_from",
            where=where,
            km=max(1, round(distance)),
            of_place=of_place(area.place.usual_name),
        )
    return fill("text_reason_elsewhere", where=where, km=max(1, round(distance)))


def _alternatives(catalogue: Catalogue, query: SearchQuery, area: _Area) -> List[Match]:
    point = _reference_point(area)
    sector = _wanted(query.sector)

    def closeness(campus: Campus):
        distance = _distance(campus, point)
        return (
            not area.contains(campus),
            distance if distance is not None else math.inf,
            not campus.confirmed_excellence,
            normalise(campus.name),
        )

    # Same sector, relaxing the area and the other filters; then other sectors near the user.
    same = sorted((c for c in catalogue.campuses if sector is None or c.sector == sector), key=closeness)
    chosen = [_alternative(c, area, point, True, query) for c in same[:MAX_SAME_SECTOR_ALTERNATIVES]]
    if sector and area.regions:
        nearby = sorted((c for c in catalogue.campuses if c.sector != sector and area.contains(c)), key=closeness)
        chosen += [_alternative(c, area, point, False, query) for c in nearby[:MAX_NEARBY_ALTERNATIVES]]
    return chosen


def _criteria_words(query: SearchQuery) -> List[str]:
    words = []
    if query.excellence:
        words.append(fill("text_note_excellence"))
    if query.mobility:
        words.append(fill("text_note_mobility"))
    for value, table in ((query.training_mode, training_modes()), (query.level, levels())):
        wanted = _wanted(value)
        if wanted:
            words.append(offer(wanted, table).with_article)
    return words


def _area_phrase(area: _Area) -> str:
    if area.place is not None and area.place.kind == "region" and not area.place.region:
        return fill("text_note_overseas")
    return region_phrase(area.regions[0]) if len(area.regions) == 1 else ""


def _note_without_matches(query: SearchQuery, area: _Area, alternatives: Sequence[Match]) -> Optional[str]:
    if not alternatives:
        return fill("text_note_nothing")
    sector = _wanted(query.sector)
    parts = []
    if sector:
        parts.append(fill("text_note_criteria_sector", sector=SECTOR_LABELS.get(sector, sector)))
    if area.regions:
        parts.append(_area_phrase(area))
    extra = _criteria_words(query)
    if extra:
        parts.append(fill("text_note_criteria_with", wishes=", ".join(extra)))
    criteria = " ".join(p for p in parts if p)
    return fill("text_note_no_match", criteria=criteria) if criteria else fill("text_note_no_match_any")


def _note_on_matches(matches: Sequence[Match], query: SearchQuery) -> Optional[str]:
    unknown = sum(1 for match in matches if match.unconfirmed)
    if not unknown:
        return None
    asked = [
        offer(wanted, table).with_article
        for wanted, table in ((_wanted(query.training_mode), training_modes()), (_wanted(query.level), levels()))
        if wanted
    ]
    if unknown > 1:
        return fill("text_note_unconfirmed", count=unknown, asked=" et ".join(asked))
    return fill("text_note_unconfirmed_one", asked=" et ".join(asked))
