"""What a campus teaches: the formations of its member establishments, joined to the training offer
(`formations.py`) on their UAI code or, failing that, on their name and commune; when no member
can be joined, the formations of the campus's sector near its seat.

A member of a campus is often a general lycée or a university with formations in every field: the
formations of the campus's sector come first, the others only when a member has none in it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple

from orientation import formations
from orientation.catalogue import Campus, Catalogue, Member
from orientation.formations import Establishment, Formation, Hit
from orientation.places import Place, departement_of_insee, distance_km, get_resolver
from orientation.text import normalise

ESTABLISHMENTS_SHOWN = 3
SEAT_RADIUS_KM = 30.0

# Words every school name may carry: they say what kind of school it is, not which one.
GENERIC_NAME_WORDS = frozenset(
    "lycee lycees professionnel polyvalent general technologique technique prive privee public des de du "
    "la le les l d et metiers metier iut institut universitaire universite ecole centre formation "
    "apprentis cfa site campus en au aux".split()
)


@dataclass(frozen=True)
class CampusOffer:
    kind: str  # "members": formations of its members; "sector_near_seat": of its sector near its seat; "none"
    hits: Tuple[Hit, ...]  # one per establishment, nearest to the user first when a place is known
    total: int  # establishments with formations to show (hits holds at most ESTABLISHMENTS_SHOWN)
    near: str = ""  # the seat's town for "sector_near_seat"

    @property
    def sources(self) -> Tuple[Tuple[str, int], ...]:
        return tuple(sorted({(f.source, f.year) for hit in self.hits for f in hit.formations}))


def _name_words(name: str) -> frozenset:
    return frozenset(normalise(name.replace(".", "")).split())


# The word a name of each kind carries: "IUT de Blagnac" is matched on "iut" and its commune.
KIND_WORDS = {"IUT": "iut", "university": "universite", "lycée": "lycee"}  # a CFA's name says too little


@functools.lru_cache(maxsize=1)
def _establishments_by_commune() -> Dict[str, Tuple[Establishment, ...]]:
    grouped: Dict[str, List[Establishment]] = {}
    for establishment in formations.get_offer().establishments.values():
        if establishment.insee_code:
            grouped.setdefault(establishment.insee_code, []).append(establishment)
    return {code: tuple(found) for code, found in grouped.items()}


def _key_words(member: Member) -> frozenset:
    """The words that tell this member from the other schools of its commune: its name without
    the generic words and the town's ("Lycée Monteil" in Rodez -> monteil), or its kind's word."""
    words = _name_words(member.name) - GENERIC_NAME_WORDS - _name_words(member.town)
    if words:
        return words
    kind_word = KIND_WORDS.get(member.kind)
    return frozenset({kind_word}) if kind_word else frozenset()


def member_uai(member: Member) -> Optional[str]:
    """The member's UAI: its own, or that of the one establishment of its commune whose name
    carries every word that tells the member apart ("IUT de Blagnac" -> "I.U.T de Blagnac")."""
    if member.uai:
        return member.uai
    words = _key_words(member)
    if not words or not member.insee_code:
        return None
    named = [e for e in _establishments_by_commune().get(member.insee_code, ()) if words <= _name_words(e.name)]
    return named[0].uai if len(named) == 1 else None


def _of_sector_first(offered: Tuple[Formation, ...], sector: str) -> Tuple[Formation, ...]:
    in_sector = tuple(f for f in offered if f.sector == sector)
    return in_sector or offered


def _distance(establishment: Establishment, place: Optional[Place]) -> Optional[float]:
    if place is None or place.lat is None or place.lon is None:
        return None
    if establishment.lat is None or establishment.lon is None:
        return None
    return round(distance_km(place.lat, place.lon, establishment.lat, establishment.lon), 1)


def _member_hits(campus: Campus, place: Optional[Place]) -> List[Hit]:
    offer = formations.get_offer()
    hits = []
    for uai in dict.fromkeys(filter(None, (member_uai(m) for m in campus.members))):
        establishment = offer.establishment(uai)
        offered = offer.formations_of([uai])
        if establishment is None or not offered:
            continue
        hits.append(
            Hit(
                establishment=establishment,
                formations=_of_sector_first(offered, campus.sector),
                distance_km=_distance(establishment, place),
                distance_approximate=establishment.location_approximate,
                in_place=True,
            )
        )
    if place is not None:  # the nearest to the user first; the sources' order otherwise
        hits.sort(key=lambda hit: hit.distance_km if hit.distance_km is not None else float("inf"))
    return hits


def seat_of(campus: Campus) -> Optional[Place]:
    return get_resolver().communes_by_insee.get(campus.insee_code) if campus.insee_code else None


def campus_offer(campus: Campus, place: Optional[Place] = None) -> CampusOffer:
    """The formations to show on a campus's details (`place`: the user's, to order the members)."""
    hits = _member_hits(campus, place)
    if hits:
        return CampusOffer("members", tuple(hits[:ESTABLISHMENTS_SHOWN]), len(hits))
    seat = seat_of(campus)
    if seat is None:
        return CampusOffer("none", (), 0)
    near = formations.search(sector=campus.sector, place=seat, limit=ESTABLISHMENTS_SHOWN, radius_km=SEAT_RADIUS_KM)
    if near.status != "found":
        return CampusOffer("none", (), 0)
    return CampusOffer("sector_near_seat", near.hits, near.total_in_place, near=seat.usual_name)


def campuses_of_establishments(campuses: Iterable[Campus]) -> Dict[str, Tuple[Campus, ...]]:
    """UAI -> the campuses the establishment is a member of."""
    found: Dict[str, List[Campus]] = {}
    for campus in campuses:
        for member in campus.members:
            uai = member_uai(member)
            if uai and campus not in found.setdefault(uai, []):
                found[uai].append(campus)
    return {uai: tuple(listed) for uai, listed in found.items()}


# ---------------------------------------------------------------- "le lycée X fait partie d'un campus ?"


@dataclass(frozen=True)
class School:
    """An establishment a user may name: one of the training offer, or a member no offer row joins."""

    name: str
    town: str  # as people write it
    insee_code: str
    uai: str  # "" for a member the offer does not know
    campuses: Tuple[Campus, ...]  # the campuses it is a member of, in our data
    departement_code: str = ""

    @property
    def label(self) -> str:
        """ "Lycée Vauban (Brest)"; its département when its town is not known."""
        where = self.town or self.departement_code
        return f"{self.name} ({where})" if where else self.name


class SchoolIndex:
    """Schools by the words that tell them apart, for finding the one a message names."""

    def __init__(self, campuses: Iterable[Campus]):
        campuses = tuple(campuses)
        belongs = campuses_of_establishments(campuses)
        self.schools: List[School] = []
        self._keys: List[frozenset] = []
        self._by_word: Dict[str, List[int]] = {}
        for establishment in formations.get_offer().establishments.values():
            if establishment.name:
                self._add(
                    School(
                        establishment.name,
                        establishment.town,
                        establishment.insee_code,
                        establishment.uai,
                        belongs.get(establishment.uai, ()),
                        establishment.departement_code,
                    ),
                    establishment.commune,
                )
        for campus in campuses:
            for member in campus.members:
                if member_uai(member) is None:
                    school = School(
                        member.name,
                        member.town_name,
                        member.insee_code,
                        "",
                        (campus,),
                        departement_of_insee(member.insee_code),
                    )
                    self._add(school, member.town)
        self.campuses_with_members = sum(1 for campus in campuses if campus.members)
        self.campuses = len(campuses)

    def _add(self, school: School, commune: str) -> None:
        # "Lycée Roger Claustres - Lycée des métiers des réalisations industrielles": its name, not its motto.
        name = _name_words(school.name.split(" - ")[0])
        key = name - GENERIC_NAME_WORDS - _name_words(commune)
        if not any(len(word) >= MIN_KEY_WORD for word in key):
            # "IUT de Lannion", "Lycée professionnel" of Felletin: found by its kind and its town.
            kind = next((word for word in NAMED_KINDS if word in name), None)
            if kind is None or not commune:
                return
            key = frozenset({kind}) | _name_words(commune)
        index = len(self.schools)
        self.schools.append(school)
        self._keys.append(frozenset(key))
        for word in key:
            self._by_word.setdefault(word, []).append(index)

    def find(self, text: str) -> Tuple[School, ...]:
        """The schools whose every telling word is in the text, the most precisely named first;
        those of a town the text names when it names one."""
        words = _name_words(text[:MAX_TEXT_CHARS])
        candidates = {i for word in words for i in self._by_word.get(word, ())}
        named = [i for i in candidates if self._keys[i] <= words]
        # "le lycée de Brest" is no IUT, whatever its name says of Brest.
        kinds = {kind for kind in NAMED_KINDS if kind in words}
        if kinds:
            named = [i for i in named if kinds & _name_words(self.schools[i].name)]
        if not named:
            return ()
        best = max(len(self._keys[i]) for i in named)
        named = [i for i in named if len(self._keys[i]) == best]
        in_town = [i for i in named if self.schools[i].town and _name_words(self.schools[i].town) <= words]
        chosen = in_town or named
        return tuple(sorted((self.schools[i] for i in chosen), key=lambda s: (s.town, s.name)))[:MAX_SCHOOLS]


@functools.lru_cache(maxsize=1)
def school_index(catalogue: Catalogue) -> SchoolIndex:
    """One index per catalogue (cached on the catalogue object, which is loaded once per process)."""
    return SchoolIndex(catalogue.campuses)


MIN_KEY_WORD = 3
NAMED_KINDS = ("iut", "universite", "lycee", "cfa")
MAX_TEXT_CHARS = 300
MAX_SCHOOLS = 5
