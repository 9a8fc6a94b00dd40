"""The campus search form: asks only for what is missing (sector, then where).

"Peu importe" is accepted for both. The place typed by the user is resolved here
(town, département, postcode, region...) so that the search action gets a clean place.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from orientation.jobs import Job, resolve_job
from orientation.places import (
    Resolution,
    likeliest_place_text,
    place_in_request,
    place_to_dict,
    resolve_place,
    trailing_place,
)
from orientation.sectors import load_sectors, sector_label
from orientation.settings import load_settings
from orientation.text import has_a_word, normalise
from orientation.wording import fill

# Build the place and job indexes when the action server starts, not on the first user's message.
resolve_place("Paris")
resolve_job("boulanger")

ANY_SECTOR = "any"
ANYWHERE = "anywhere"
# Slot and entity values come from the tracker Rasa sends: at most this many characters of one
# go on to the place, job and campus lookups (the longest name they know: a job title, 116).
MAX_SLOT_CHARS = 200


MAX_PLACES_READ = 4  # places read out of one message


def bounded(value: Any) -> Any:
    """A text value cut to MAX_SLOT_CHARS; any other value as it is."""
    return value[:MAX_SLOT_CHARS] if isinstance(value, str) else value


def _first(value: Any) -> Optional[str]:
    """Entities can fill a slot with a list when a user names two values."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()[:MAX_SLOT_CHARS]
    return text or None


def _latest_entity(tracker: Tracker, entity: str) -> Optional[str]:
    return _first(list(tracker.get_latest_entity_values(entity)))


# Words after "dans", "sur"... that are not a place ("dans le secteur du bâtiment").
NOT_PLACE_WORDS = ["secteur", "domaine", "filiere", "campus", "metier", "metiers", "formation", "distance", "internet"]


def entity_texts(tracker: Tracker, names: Sequence[str]) -> List[str]:
    """The words the user typed for these entities, and their values."""
    text = tracker.latest_message.get("text") or ""
    found = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") in names:
            found.append(str(entity.get("value") or ""))
            if isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int):
                found.append(text[entity["start"] : entity["end"]])
    return found


# The intents a place given in answer to the form's question is read with.
PLACE_ANSWER_INTENTS = ("inform", "search_campus")


def written_place(tracker: Tracker) -> Optional[str]:
    """The words after "à", "vers", "près de"... of this message when they can be a place: a
    place the resolver knows (typos corrected), or a name written with a capital ("Pétaouchnok")."""
    text = bounded(tracker.latest_message.get("text") or "")
    ignore = entity_texts(tracker, ("level", "sector", "training_mode", "job", "feature"))
    ignore += NOT_PLACE_WORDS + [tracker.get_slot("specialty") or ""]
    written = place_in_request(text, ignore)
    if written is None:
        return trailing_place(text, ignore + entity_texts(tracker, ("campus",))) or place_ending_an_interest(tracker)
    capitalised = any(word[:1].isupper() and normalise(word) in written.split() for word in text.split())
    return written if capitalised or resolve_place(written).status != "unknown" else None


def place_ending_an_interest(tracker: Tracker) -> Optional[str]:
    """ "plasturgie rhone alpes" tagged whole as the sector: the last words of the interest name
    a place (a région, a département, a large town), and some words are left for the interest."""
    for phrase in entity_texts(tracker, ("sector", "job")):
        tail = trailing_place(phrase)
        if tail and len(tail.split()) < len(normalise(phrase).split()):
            return tail
    return None


NAME_PREFIXES = ("st", "ste", "saint", "sainte", "le", "la", "les")


def _with_name_prefix(tracker: Tracker, folded: str) -> Optional[str]:
    """ "st denis" when NLU kept "denis": the word before it begins the town's name, and the two
    name a place (several, maybe: the user then picks one)."""
    words = normalise(tracker.latest_message.get("text") or "").split()
    size = len(folded.split())
    for i in range(1, len(words) - size + 1):
        if words[i - 1] in NAME_PREFIXES and " ".join(words[i : i + size]) == folded:
            candidate = " ".join(words[i - 1 : i + size])
            if resolve_place(candidate).status != "unknown" and resolve_place(folded).status != "found":
                return candidate
    return None


def widened_place(value: Optional[str], tracker: Tracker) -> Optional[str]:
    """The place as the user wrote it when NLU kept only its end ("saint malo" read as "malo")."""
    if value is not None:
        prefixed = _with_name_prefix(tracker, normalise(value))
        if prefixed:
            return prefixed
    written = written_place(tracker)
    if written is None or value is None:
        return value
    folded = normalise(value)
    if written == folded:
        return value
    if written.endswith(" " + folded):
        return written
    # "Saint-Denis de la Réunion" read as "Saint-Denis de": the whole when it names a place.
    if written.startswith(folded + " ") and resolve_place(written).status == "found":
        return written
    return value


def place_buttons(candidates) -> List[Dict[str, str]]:
    return [
        {"title": place.label, "payload": f'/inform{{"location":"{place.insee_code or place.label}"}}'}
        for place in candidates
    ]


def explain_unresolved(dispatcher: CollectingDispatcher, resolution: Resolution) -> None:
    """Says that a place is ambiguous or unknown, with the places it may be as buttons."""
    if resolution.status == "ambiguous":
        dispatcher.utter_message(
            response="text_place_ambiguous", place=resolution.query, buttons=place_buttons(resolution.candidates)
        )
        return
    buttons = [{"title": name, "payload": f'/inform{{"location":"{name}"}}'} for name in resolution.suggestions]
    dispatcher.utter_message(response="text_place_unknown", place=resolution.query, buttons=buttons)


def named_job(tracker: Tracker) -> Optional[Job]:
    """The job the user named in this search ("je veux devenir fleuriste"), if any."""
    name = _first(tracker.get_slot("job"))
    return resolve_job(name) if name else None


def explain_job(dispatcher: CollectingDispatcher, job: Job, sector: Optional[str]) -> None:
    """Shows which sector a job leads to, or says that it is taught outside the campuses."""
    if job.route == "outside":
        dispatcher.utter_message(response="text_job_outside_campuses", job=job.title)
        if sector in job.sectors:
            dispatcher.utter_message(response="text_job_neighbour_sector", sector=sector_label(sector))
    elif sector in job.sectors:
        # The link is shown so that a wrong one can be corrected.
        dispatcher.utter_message(response="text_job_sector", job=job.title, sector=sector_label(sector))


def set_in_this_turn(tracker: Tracker, slot: str) -> bool:
    """Whether an event since the user's latest message set `slot`."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == slot:
            return True
    return False


def replaced_specialty(tracker: Tracker) -> Dict[Text, Any]:
    """ "en fait non, plutôt l'aéronautique" after "BTS bâtiment": a trade named now replaces the
    specialty of an earlier message, unless this message names a specialty itself."""
    named_now = any(entity.get("entity") == "sector" for entity in tracker.latest_message.get("entities", []))
    if named_now and tracker.get_slot("specialty") and not set_in_this_turn(tracker, "specialty"):
        return {"specialty": None}
    return {}


def answered_without_a_word(tracker: Tracker, slot: str) -> bool:
    """ "👍" when the form asked `slot`: no answer, but no reason to give up the search either
    (a form that reads nothing is rejected): the slot stays empty and the form asks again."""
    text = tracker.latest_message.get("text") or ""
    asked = tracker.get_slot("requested_slot") == slot
    return asked and bool(text.strip()) and not text.startswith("/") and not has_a_word(text)


class ValidateCampusSearchForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_campus_search_form"

    async def extract_sector(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return {"sector": None} if answered_without_a_word(tracker, "sector") else {}

    def validate_sector(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        sector = _first(slot_value)
        if sector is None:  # cleared by a new search: the form will ask for it
            return {"sector": None}
        if sector == ANY_SECTOR or sector in load_sectors():
            job = named_job(tracker)
            if job is not None:
                explain_job(dispatcher, job, sector)
            return {"sector": sector, **replaced_specialty(tracker)}
        dispatcher.utter_message(response="text_sector_unknown")
        return {"sector": None}

    async def extract_area(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """ "Nous habitons au Mans" in answer to "Où cherchez-vous ?": a place NLU did not tag,
        read from the words after "à", "près de"... or at the end of the message."""
        if answered_without_a_word(tracker, "area"):
            return {"area": None}
        latest = tracker.latest_message
        tagged = any(entity.get("entity") in ("location", "region") for entity in latest.get("entities", []))
        # Asked where, or the form starting on this message ("aeronautique marseile") with no place yet.
        starting = tracker.get_slot("requested_slot") is None and not tracker.get_slot("area")
        answering = (tracker.get_slot("requested_slot") == "area" or starting) and not tagged
        if not answering or (latest.get("intent") or {}).get("name") not in PLACE_ANSWER_INTENTS:
            return {}
        written = written_place(tracker)
        return {"area": written} if written else {}

    def validate_area(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[Text, Any]:
        # Two words read as places ("chef de quai ... vers Orléans"): the one that is a place.
        if isinstance(slot_value, list):
            area = likeliest_place_text([str(value)[:MAX_SLOT_CHARS] for value in slot_value[:MAX_PLACES_READ]])
        else:
            area = _first(slot_value)
        if area is not None and area != ANYWHERE:
            area = widened_place(area, tracker)
        if area is None:
            return {"area": None}
        if area == ANYWHERE:
            return {"area": ANYWHERE, "place": None, "region": None, "location": None}
        current = tracker.get_slot("place") or {}
        if area in (current.get("query"), current.get("label")):
            return {"area": area}  # already resolved (form re-activated for a refinement)
        resolution = resolve_place(area)
        if resolution.status != "found":
            explain_unresolved(dispatcher, resolution)
            return {"area": None, "place": None}
        place = place_to_dict(resolution.place)
        place["query"] = area
        # A new place replaces the previous one of the other kind ("à Brest" after "en Occitanie").
        is_region = resolution.place.kind == "region"
        slots = {
            "area": area,
            "place": place,
            "region": resolution.place.name if is_region else None,
            "location": None if is_region else area,
        }
        # A place alone is a search: every sector there, the sectors found offered as filters after.
        if not _first(tracker.get_slot("sector")) and named_job(tracker) is None:
            slots["sector"] = ANY_SECTOR
        return slots


class ActionAskSector(Action):
    """Asks for the sector with the 12 sectors as buttons."""

    def name(self) -> Text:
        return "action_ask_sector"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        buttons = [
            {"title": sector.label, "payload": f'/inform{{"sector":"{key}"}}'} for key, sector in load_sectors().items()
        ]
        buttons.append({"title": fill("text_button_no_preference"), "payload": "/no_preference"})
        job = named_job(tracker)
        if job is not None:
            explain_job(dispatcher, job, None)
        dispatcher.utter_message(response="text_ask_sector", buttons=buttons)
        return []


class ActionAskArea(Action):
    """Asks where to search, suggesting the school's region first."""

    def name(self) -> Text:
        return "action_ask_area"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        buttons = []
        default_region = load_settings().default_region
        if default_region:
            buttons.append({"title": default_region, "payload": f'/inform{{"region":"{default_region}"}}'})
        buttons.append({"title": fill("text_button_anywhere"), "payload": "/no_preference"})
        say_sector_understood(dispatcher, tracker)
        dispatcher.utter_message(response="text_ask_area", buttons=buttons)
        return []


def say_sector_understood(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The sector this message's words gave ("j'aime bricoler"), with an example job, so that a
    wrong reading can be corrected; a job named is explained by explain_job instead."""
    sector = _latest_entity(tracker, "sector")
    if not sector or sector not in load_sectors() or named_job(tracker) is not None:
        return
    details = load_sectors()[sector]
    if details.jobs:
        dispatcher.utter_message(response="text_sector_understood", sector=details.label, job=details.jobs[0])
