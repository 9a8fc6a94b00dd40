"""Which campuses answer a search, in which order, and why — as facts, never as sentences.

Filters: sector, area (a region, or a town/département/académie, which filters by its region),
excellence, international mobility, training mode and level.

Training modes and levels are only known for some campuses. A campus whose data lists them
is kept only if it offers what was asked; a campus with no data on them is kept, with a
reason saying it is to be checked, and comes after the confirmed ones when all else is equal.

Ranking: campuses in the requested region first, then the closest to the user's town
(haversine, km), then those labelled excellence, then by name. When nothing matches, the
alternatives are campuses of the same sector elsewhere (closest first), then campuses of
other sectors near the user.

Each match carries typed reasons and the result a typed note, so that a reply can say them, and a
later turn can refer back to "the campus in Lannion, shown for its sector"
(`actions/replies.py` puts them into words).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import List, Optional, Tuple

from orientation.catalogue import Campus, Catalogue, Member
from orientation.places import Place, distance_km, get_resolver
from orientation.text import normalise

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


class Why(str, Enum):
    """Why a campus is in the results."""

    SECTOR = "sector"  # of the sector asked
    SAME_SECTOR = "same_sector"  # nothing matched: a campus of the sector asked, elsewhere
    OTHER_SECTOR = "other_sector"  # nothing matched: a campus of another sector near the user
    SAME_TOWN = "same_town"  # in the town asked
    DISTANCE = "distance"  # km from the town asked
    DEPARTEMENT = "departement"  # in the département asked
    DEPARTEMENT_DISTANCE = "departement_distance"  # km from the centre of the département asked
    ACADEMIE = "academie"  # in the académie asked
    REGION = "region"  # in the region (of the place) asked
    ELSEWHERE = "elsewhere"  # outside the area asked: its region, and km when known
    EXCELLENCE = "excellence"  # labelled excellence (confirmed)
    TO_CONFIRM = "to_confirm"  # no official source confirms the label yet
    MOBILITY = "mobility"  # a documented international mobility, as asked
    OFFERED = "offered"  # the training mode or level asked is offered
    NOT_KNOWN = "not_known"  # the data does not say whether the training mode or level asked is offered


@dataclass(frozen=True)
class Reason:
    why: Why
    sector: Optional[str] = None  # SECTOR, SAME_SECTOR, OTHER_SECTOR
    km: Optional[float] = None  # DISTANCE, DEPARTEMENT_DISTANCE, ELSEWHERE
    place: Optional[Place] = None  # the place asked, for the place reasons
    region: Optional[str] = None  # REGION, ELSEWHERE: the campus's region
    offer: Optional[str] = None  # OFFERED, NOT_KNOWN: a training mode or level key
    unconfirmed: Optional[str] = None  # TO_CONFIRM: what is to confirm ("label", "excellence")


@dataclass(frozen=True)
class Match:
    campus: Campus
    distance_km: Optional[float]  # from the user's town or département, 1 decimal
    reasons: Tuple[Reason, ...]
    unconfirmed: int = 0  # how many of the training mode and level asked the data leaves open


class NoteKind(str, Enum):
    NOTHING = "nothing"  # nothing at all, even widening the search
    NO_MATCH = "no_match"  # nothing matches: the alternatives are the closest to the request
    NOT_KNOWN = "not_known"  # for `count` matches the data does not say whether `asked` is offered


@dataclass(frozen=True)
class Note:
    kind: NoteKind
    sector: Optional[str] = None  # NO_MATCH: the sector asked
    region: Optional[str] = None  # NO_MATCH: the one region searched
    overseas: bool = False  # NO_MATCH: the area asked is "outre-mer"
    wishes: Tuple[str, ...] = ()  # NO_MATCH: "excellence", "mobility", training mode and level keys asked
    asked: Tuple[str, ...] = ()  # NOT_KNOWN: the training mode and level keys asked
    count: int = 0  # NOT_KNOWN: how many matches


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    matches: Tuple[Match, ...]
    alternatives: Tuple[Match, ...]  # only when matches is empty
    note: Optional[Note]


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
            return self.place.name in academies_of(campus)
        return campus.region in self.regions


def academies_of(campus: Campus) -> Tuple[str, ...]:
    """The académies named in the data, else the one of the campus's town."""
    if campus.academie:
        return campus.academie
    academie = get_resolver().academie_of_departement(campus.departement_code or "")
    return (academie,) if academie else ()


def campus_distance(campus: Campus, place: Optional[Place]) -> Optional[float]:
    """Km from the user's town (or département's centre) to the campus's town, when both are known."""
    return _distance(campus, _Area(place.regions, place).origin if place is not None else None)


def _distance(campus: Campus, origin: Optional[Tuple[float, float]]) -> Optional[float]:
    if origin is None or campus.lat is None or campus.lon is None:
        return None
    return round(distance_km(origin[0], origin[1], campus.lat, campus.lon), 1)


def _where(campus: Campus, area: _Area, distance: Optional[float]) -> Reason:
    """In the town, at so many km from it or from the département's centre, in the académie, or the region."""
    place = area.place
    if place is not None and place.kind == "commune" and distance is not None:
        if campus.insee_code and campus.insee_code == place.insee_code:
            return Reason(Why.SAME_TOWN, place=place)
        return Reason(Why.DISTANCE, km=distance, place=place)
    if place is not None and place.kind == "departement" and distance is not None:
        if campus.departement_code == place.departement_code:
            return Reason(Why.DEPARTEMENT, place=place)
        return Reason(Why.DEPARTEMENT_DISTANCE, km=distance, place=place)
    if place is not None and place.kind == "academie" and place.name in academies_of(campus):
        return Reason(Why.ACADEMIE, place=place)
    return Reason(Why.REGION, region=campus.region)


def _offer(offered: Tuple[str, ...], wanted: Optional[str]) -> Tuple[bool, Optional[Reason]]:
    """(kept, reason) for a training mode or level filter; no data keeps the campus."""
    if wanted is None:
        return True, None
    if not offered:
        return True, Reason(Why.NOT_KNOWN, offer=wanted)
    return wanted in offered, Reason(Why.OFFERED, offer=wanted)


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
    kept_mode, mode_reason = _offer(campus.training_modes, _wanted(query.training_mode))
    kept_level, level_reason = _offer(campus.levels, _wanted(query.level))
    if not (kept_mode and kept_level):
        return None
    distance = _distance(campus, area.origin)
    reasons: List[Reason] = []
    if sector:
        reasons.append(Reason(Why.SECTOR, sector=sector))
    if area.regions:
        reasons.append(_where(campus, area, distance))
    reasons += _label_reasons(campus)
    if query.mobility:
        reasons.append(Reason(Why.MOBILITY))
    reasons += [reason for reason in (mode_reason, level_reason) if reason]
    unconfirmed = sum(1 for reason in (mode_reason, level_reason) if reason and reason.why is Why.NOT_KNOWN)
    return Match(campus, distance, tuple(reasons), unconfirmed)


def _label_reasons(campus: Campus) -> List[Reason]:
    if campus.confirmed_excellence:
        return [Reason(Why.EXCELLENCE)]
    return [Reason(Why.TO_CONFIRM, unconfirmed=campus.unconfirmed)] if campus.unconfirmed else []


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
    if _wanted(query.sector):
        kind = Why.SAME_SECTOR if same_sector else Why.OTHER_SECTOR
        reasons.append(Reason(kind, sector=campus.sector))
    reasons.append(_where(campus, area, distance) if area.contains(campus) else _elsewhere(campus, area, distance))
    reasons += _label_reasons(campus)
    return Match(campus, distance, tuple(reasons))


def _elsewhere(campus: Campus, area: _Area, distance: Optional[float]) -> Reason:
    """A campus outside the requested area: its region, and how far from the user's town or département."""
    if distance is None or area.place is None:
        return Reason(Why.ELSEWHERE, region=campus.region)
    return Reason(Why.ELSEWHERE, region=campus.region, km=distance, place=area.place)


def _alternatives(catalogue: Catalogue, query: SearchQuery, area: _Area) -> List[Match]:
    point = _reference_point(area)
    sector = _wanted(query.sector)

    def closeness(campus: Campus):
        distance = _distance(campus, point)
        if distance is None and point is not None:  # no town in the sources: its region's centre
            lat, lon = get_resolver().region_centre(campus.region)
            distance = distance_km(point[0], point[1], lat, lon) if lat is not None and lon is not None else None
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


def _offers_asked(query: SearchQuery) -> Tuple[str, ...]:
    """The training mode and level keys asked, in that order."""
    return tuple(wanted for wanted in (_wanted(query.training_mode), _wanted(query.level)) if wanted)


def _note_without_matches(query: SearchQuery, area: _Area, alternatives: List[Match]) -> Note:
    if not alternatives:
        return Note(NoteKind.NOTHING)
    wishes = (("excellence",) if query.excellence else ()) + (("mobility",) if query.mobility else ())
    overseas = area.place is not None and area.place.kind == "region" and not area.place.region
    return Note(
        NoteKind.NO_MATCH,
        sector=_wanted(query.sector),
        region=area.regions[0] if len(area.regions) == 1 else None,
        overseas=overseas,
        wishes=wishes + _offers_asked(query),
    )


def _note_on_matches(matches: List[Match], query: SearchQuery) -> Optional[Note]:
    unknown = sum(1 for match in matches if match.unconfirmed)
    if not unknown:
        return None
    return Note(NoteKind.NOT_KNOWN, asked=_offers_asked(query), count=unknown)


# ---------------------------------------------------------------- members


@dataclass(frozen=True)
class MemberAt:
    member: Member
    distance_km: Optional[float]  # from the user's town or département, when both are known


def members_by_distance(campus: Campus, place: Optional[Place]) -> Tuple[MemberAt, ...]:
    """The campus's member establishments, the nearest to the user's town or département first
    (as the sources list them when no place is known)."""
    origin = _Area(place.regions, place).origin if place is not None else None
    communes = get_resolver().communes_by_insee
    located = []
    for index, member in enumerate(campus.members):
        commune = communes.get(member.insee_code)
        distance = None
        if origin is not None and commune is not None and commune.lat is not None and commune.lon is not None:
            distance = round(distance_km(origin[0], origin[1], commune.lat, commune.lon), 1)
        located.append((distance if distance is not None else math.inf, index, MemberAt(member, distance)))
    return tuple(item for _, _, item in sorted(located, key=lambda entry: (entry[0], entry[1])))
