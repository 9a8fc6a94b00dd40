"""What the conversation is about: the FAQ topic being talked about, for a follow-up that names
none, and the campuses just shown, for "le deuxième", "celui de Lannion", "celui-là".

A follow-up ("et c'est payant ?", "combien de temps ?") comes with the answer of every FAQ topic
(bot.nlu_components.FaqAnswerSelector); the topic is the one of the latest FAQ answer of this
session, read from the tracker's events, so that nothing else needs to remember it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from rasa_sdk import Tracker

from orientation.campus_themes import pointed_by_theme
from orientation.catalogue import Campus, load_catalogue
from orientation.places import get_resolver
from orientation.settings import load_settings
from orientation.text import normalise

FAQ_PREFIX = "utter_faq_"


def catalogue():
    return load_catalogue(load_settings().catalogue_source)


CAMPUS_ACTIONS = {"action_search_campus", "action_show_more_campuses", "action_campus_details"}
CAMPUSES = "campuses"  # the latest context: campuses shown


def latest_context(tracker: Tracker) -> Optional[str]:
    """What was said or shown last in this session: an FAQ topic ("faq_vae") or CAMPUSES."""
    return context_of(reversed(tracker.events))


def context_of(events_newest_first: Iterable[Dict[str, Any]]) -> Optional[str]:
    """latest_context of events given as dicts, the newest first (also read by the dialogue policy)."""
    for event in events_newest_first:
        kind = event.get("event")
        if kind == "session_started":
            return None
        if kind == "action" and event.get("name") in CAMPUS_ACTIONS:
            return CAMPUSES
        name = str((event.get("metadata") or {}).get("utter_action") or "") if kind == "bot" else ""
        if name.startswith(FAQ_PREFIX) and "/" in name:
            return name[len("utter_") :].split("/")[0]
    return None


def latest_faq_answer(tracker: Tracker) -> Optional[str]:
    """The latest FAQ answer given in this session ("utter_faq_vae/steps"), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return None
        name = str((event.get("metadata") or {}).get("utter_action") or "") if event.get("event") == "bot" else ""
        if name.startswith(FAQ_PREFIX) and "/" in name:
            return name
    return None


def current_topic(tracker: Tracker) -> Optional[str]:
    """The FAQ topic ("faq_vae") of the latest answer given in this session, if any."""
    answer = latest_faq_answer(tracker)
    return answer[len("utter_") :].split("/")[0] if answer else None


# The FAQ topic a search is about when it asked for a training mode or mobility ("un campus qui
# accompagne la VAE"): a question after its results ("comment se déroule la démarche ?") is of it.
TOPIC_OF_SEARCH = {
    ("training_mode", "vae"): "faq_vae",
    ("training_mode", "apprenticeship"): "faq_apprenticeship",
    ("training_mode", "continuing_education"): "faq_continuing_education",
    ("feature", "mobility"): "faq_mobility",
}


def topic_of_search_slots(get_slot: Callable[[str], Any]) -> Optional[str]:
    """The FAQ topic the search's training mode or mobility names, from its slots (also read by the
    dialogue policy, whose tracker is Rasa's own)."""
    for slot in ("training_mode", "feature"):
        topic = TOPIC_OF_SEARCH.get((slot, str(get_slot(slot))))
        if topic:
            return topic
    return None


def topic_of_search(tracker: Tracker) -> Optional[str]:
    """The FAQ topic of the search shown, else of the latest FAQ answer of the session."""
    return topic_of_search_slots(tracker.get_slot) or current_topic(tracker)


def answer_within(tracker: Tracker, topic: str, min_confidence: float = 0.0) -> Optional[str]:
    """The response of `topic` the latest message asks for ("utter_faq_vae/funding"), when its
    confidence reaches `min_confidence`."""
    selection = (tracker.latest_message.get("response_selector") or {}).get(topic) or {}
    response = selection.get("response") or {}
    if float(response.get("confidence") or 0.0) < min_confidence:
        return None
    return response.get("utter_action")


# ---------------------------------------------------------------- the campuses just shown

RANKS = {
    "premier": 0, "premiere": 0, "1er": 0, "1ere": 0,
    "deuxieme": 1, "second": 1, "seconde": 1, "2e": 1, "2eme": 1,
    "troisieme": 2, "3e": 2, "3eme": 2,
    "quatrieme": 3, "4e": 3, "4eme": 3,
    "cinquieme": 4, "5e": 4, "5eme": 4,
    "sixieme": 5, "6e": 5,
    "dernier": -1, "derniere": -1,
}  # fmt: skip
# Words of a campus name too common to point at one ("celui sur les métiers").
NAME_STOPWORDS = {"campus", "metiers", "metier", "qualifications", "qualification", "excellence", "celui", "des", "les"}


# Entities that name a search criterion: after campuses are shown, a message naming one ("et dans
# le 35 ?", "et en alternance ?", "et pour être cuisinier ?") is the search again with it.
CRITERIA_ENTITIES = frozenset({"sector", "job", "region", "location", "training_mode", "level", "feature"})
# Intents of a message NLU could not place: one naming an interest is a search in its sector.
UNPLACED_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


@dataclass(frozen=True)
class Pointed:
    """What "le deuxième", "celui de Lannion", "celui-là" designates among the campuses shown."""

    campus: Optional[Campus] = None
    candidates: Tuple[Campus, ...] = ()  # several fit: the user picks one
    out_of_range: bool = False  # "le cinquième" after three
    explicit: bool = True  # False for "celui-là", "ils ont un site ?": nothing in the words points
    town_not_shown: Optional[str] = None  # "celui de Montpellier" when none shown is there


def shown_campuses(tracker: Tracker) -> List[Campus]:
    """The campuses of the latest search the user has seen, in the order shown."""
    shown = int(tracker.get_slot("search_shown") or 0)
    return found_campuses(tracker)[: max(shown, 0)]


def found_campuses(tracker: Tracker) -> List[Campus]:
    """Every campus the latest search found, those not shown yet included."""
    found = (catalogue().by_id(i) for i in tracker.get_slot("search_results") or [])
    return [campus for campus in found if campus is not None]


# "la première année", "la 2e fois": a rank of time, not of the campuses shown.
NOT_RANKED = {"annee", "annees", "an", "ans", "fois", "semaine", "mois", "partie", "etape", "jour"}


def _rank(words: Sequence[str]) -> Optional[int]:
    for i, word in enumerate(words):
        if word in RANKS and (i + 1 == len(words) or words[i + 1] not in NOT_RANKED):
            return RANKS[word]
    return None


def rank_of(text: str) -> Optional[int]:
    """The rank a message points at ("le deuxième" -> 1, "le dernier" -> -1), if any."""
    return _rank(normalise(text).split())


def _named_town(names: Sequence[str], towns: Sequence[str]) -> bool:
    """One of `names` is a town named ("Charleville" for Charleville-Mézières)."""
    folded = [normalise(name) for name in names if name]
    return any(name == town or name.startswith(town + " ") for name in folded for town in towns)


def _by_place(tracker: Tracker, shown: Sequence[Campus]) -> List[Campus]:
    """The campuses in the town named, else those with a member there."""
    towns = [normalise(value) for value in tracker.get_latest_entity_values("location")]
    if not towns:
        return []
    in_town = [c for c in shown if _named_town([c.town_name, c.town], towns)]
    return in_town or [c for c in shown if _named_town([m.town_name for m in c.members], towns)]


TOWN_STOPWORDS = {"saint", "sainte"}  # shorter ones ("sur", "les") are left out by length


def _by_town_word(words: Sequence[str], shown: Sequence[Campus]) -> List[Campus]:
    """ "celui de Charleville" when NLU tagged no place: a word of the town of a campus shown."""
    asked = {word for word in words if len(word) > 3 and word not in TOWN_STOPWORDS}
    return [c for c in shown if c.town and asked & set(normalise(c.town_name).split())]


def _written_as_usual(town: str) -> str:
    """ "montpellier" -> "Montpellier": the name as the geography tables spell it, when found."""
    resolved = get_resolver().resolve(town)
    return resolved.place.usual_name if resolved.status == "found" and resolved.place else town


def _by_sector(tracker: Tracker, shown: Sequence[Campus]) -> List[Campus]:
    sectors = set(tracker.get_latest_entity_values("sector"))
    return [c for c in shown if c.sector in sectors]


def _by_name_word(words: Sequence[str], shown: Sequence[Campus]) -> List[Campus]:
    asked = {word for word in words if len(word) > 3 and word not in NAME_STOPWORDS}
    return [c for c in shown if asked & set(normalise(c.name).split())]


def _by_theme(text: str, shown: Sequence[Campus]) -> List[Campus]:
    """ "celui sur les bateaux": the campuses whose name means that trade (Nautisme)."""
    return [shown[i] for i in pointed_by_theme(text, [c.name for c in shown])]


NEAREST_WORDS = ("plus proche", "moins loin", "plus pres")
MEASURED_PLACES = ("commune", "departement")  # the places the results are ordered by distance from


def _nearest(tracker: Tracker, words: Sequence[str]) -> Optional[int]:
    """ "le plus proche": the first shown when the results run from the nearest (searched near a
    town or a département)."""
    if not _says_any(" ".join(words), NEAREST_WORDS):
        return None
    searched_near = (tracker.get_slot("place") or {}).get("kind") in MEASURED_PLACES
    return 0 if searched_near else None


def point_at(tracker: Tracker, shown: Sequence[Campus]) -> Pointed:
    """The campus a reference designates: by rank ("le plus proche" when the results run from the
    nearest), town, sector, a word of its name or of its trade ("celui sur les bateaux"); the only
    one shown; else the ones it may be."""
    text = tracker.latest_message.get("text") or ""
    words = normalise(text).split()
    rank = _rank(words)
    if rank is None:
        rank = _nearest(tracker, words)
    if rank is not None:
        if rank >= len(shown):
            return Pointed(candidates=tuple(shown), out_of_range=True)
        return Pointed(shown[rank])
    # A town none of them is in: one further down the results ("et celui de Charleville ?"), else
    # the user is told none shown is there.
    # "c'est loin de Nantes ?": the town is where the distance is measured from, not a pointer.
    measuring = asked_field(text) == "distance"
    towns = [] if measuring else list(tracker.get_latest_entity_values("location"))
    if towns and says_this_one(" ".join(words)) and not _by_place(tracker, shown):
        further = _by_place(tracker, found_campuses(tracker))
        if len(further) == 1:
            return Pointed(further[0])
        return Pointed(candidates=tuple(shown), town_not_shown=_written_as_usual(str(towns[0])))
    # The first clue that singles one out wins; one that keeps them all ("le bois" names the sector
    # of every campus shown) says nothing.
    narrowest: List[Campus] = []
    clues = (
        [] if measuring else _by_place(tracker, shown),
        [] if measuring else _by_town_word(words, shown),
        _by_sector(tracker, shown),
        _by_name_word(words, shown),
        _by_theme(" ".join(words), shown),
    )
    for narrowed in clues:
        if len(narrowed) == 1:
            return Pointed(narrowed[0])
        if narrowed and len(narrowed) < len(shown) and not narrowest:
            narrowest = narrowed
    if narrowest:
        return Pointed(candidates=tuple(narrowest))
    if len(shown) == 1:
        return Pointed(shown[0], explicit=False)
    return Pointed(candidates=tuple(shown), explicit=False)


# What a question about one campus asks for, from its words (folded).
FIELD_WORDS = {
    "website": ("site", "web", "lien", "internet", "url"),
    "where": ("adresse", "quelle ville", "situe", "se trouve", "localis", "c est ou", "c ou", "il est ou", "est ou", "ou exactement", "ou precisement", "ou ca"),
    "excellence": ("excellence", "label"),
    # Its member establishments, the nearest to the user first.
    "members": ("lycee", "etablissement", "membre", "ecoles", "iut", "cfa", "universite"),
    # How far it is from the user: the campus's town and the nearest member, in km.
    "distance": ("loin", "distance", "km", "kilometre", "a combien", "de chez moi", "de chez nous", "trajet", "plus proche"),
    # Answered by the details themselves: levels, diplomas, the members nearest the user.
    "offer": ("diplome", "niveau", "formation", "forment", "propos", "prepar"),
}  # fmt: skip


def _says_any(text: str, words: Sequence[str]) -> bool:
    """Whether the folded text holds one of `words` at the start of a word ("propos" in "proposent")."""
    folded = f" {normalise(text)} "
    return any(f" {word}" in folded for word in words)


def asked_field(text: str) -> Optional[str]:
    """ "website", "where", "excellence", "members" or "offer": the field of a campus the question asks."""
    return next((field for field, words in FIELD_WORDS.items() if _says_any(text, words)), None)


SINGULAR_DEMONSTRATIVES = ("celui", "celle", "ce campus", "cet etablissement", "ce lycee", "ce cmq")
DEMONSTRATIVES = SINGULAR_DEMONSTRATIVES + ("ceux", "ces campus")


def says_this_one(text: str) -> bool:
    """ "celui-ci", "celui-là", "ce campus": a campus shown is meant, even right after an FAQ answer."""
    return _says_any(text, DEMONSTRATIVES)


def says_one_of_them(text: str) -> bool:
    """ "celui-là", "ce campus": one campus is meant, not the whole list."""
    return _says_any(text, SINGULAR_DEMONSTRATIVES)
