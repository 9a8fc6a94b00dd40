"""Rasa actions over the campus catalogue: search, "voir plus", details.

They read slots, call the search (catalogue, places, search) and say its facts with `replies`.
The website widget (socket.io channel) gets campus cards; other channels get plain text.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import (
    CAMPUSES,
    answer_within,
    asked_field,
    latest_context,
    point_at,
    rank_of,
    says_one_of_them,
    says_this_one,
    shown_campuses,
)
from actions.forms import ANY_SECTOR, ANYWHERE, bounded, named_job
from actions.replies import (
    at_place,
    campus_card,
    campus_lines,
    describe_query,
    details_button,
    details_text,
    field_answer,
    formations_reply,
    note_text,
)
from orientation import formations
from orientation.campus_offer import School, campuses_of_establishments, school_index
from orientation.catalogue import Campus, load_catalogue
from orientation.places import Place, place_from_dict, resolve_place
from orientation.search import Match, SearchQuery, SearchResult, search
from orientation.sectors import sector_label
from orientation.settings import load_settings
from orientation.training import levels, training_modes
from orientation.wording import fill

PAGE_SIZE = 3
FORMATIONS_SHOWN = 5
# A name match this far ahead of the next one is taken without asking which campus.
CLEAR_LEAD = 8
CARD_CHANNELS = {"socketio"}
FEATURE_FILTERS = {"excellence": "excellence", "mobility": "mobility"}
SECTOR_FILTERS = 6


def catalogue():
    return load_catalogue(load_settings().catalogue_source)


# Load the catalogue (and any remote source) and the training offer when the action server
# starts, not on the first user's message.
catalogue()
formations.get_offer()


def build_query(tracker: Tracker) -> SearchQuery:
    sector = bounded(tracker.get_slot("sector"))
    area = bounded(tracker.get_slot("area"))
    place_dict = tracker.get_slot("place")
    place = place_from_dict(place_dict) if place_dict and area != ANYWHERE else None
    feature = bounded(tracker.get_slot("feature"))
    return SearchQuery(
        sector=None if sector in (None, ANY_SECTOR) else sector,
        region=place.region if place is not None and place.kind == "region" else None,
        place=place,
        excellence=True if feature == "excellence" else None,
        mobility=True if feature == "mobility" else None,
        training_mode=bounded(tracker.get_slot("training_mode")),
        level=bounded(tracker.get_slot("level")),
    )


def show_matches(
    dispatcher: CollectingDispatcher, tracker: Tracker, matches: List[Match], place: Optional[Place] = None
) -> None:
    as_cards = tracker.get_latest_input_channel() in CARD_CHANNELS
    for match in matches:
        if as_cards:
            dispatcher.utter_message(json_message=campus_card(match, place))
        else:
            dispatcher.utter_message(text="\n".join(campus_lines(match, place)), buttons=[details_button(match.campus)])


def show_page(
    dispatcher, tracker, ids: List[str], start: int, result: Optional[SearchResult] = None
) -> List[Dict[Text, Any]]:
    """Shows campuses ids[start:start+PAGE_SIZE] and stores how far the user has got. `result`: the
    search this turn already ran; a later page ("voir plus") runs it again on the same slots."""
    if result is None:
        result = search(catalogue(), build_query(tracker))
    by_id = {m.campus.id: m for m in list(result.matches) + list(result.alternatives)}
    page = [by_id[i] for i in ids[start : start + PAGE_SIZE] if i in by_id]
    show_matches(dispatcher, tracker, page, result.query.place)
    shown = start + len(page)
    remaining = len(ids) - shown
    if remaining:
        dispatcher.utter_message(response="text_search_more", count=remaining)
    else:
        dispatcher.utter_message(response="text_search_end")
    return [SlotSet("search_shown", float(shown))]


def summarise_path(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """One line on the training mode and diploma this message asked about ("un CAP en apprentissage")."""
    mode = next(iter(tracker.get_latest_entity_values("training_mode")), None)
    level = next(iter(tracker.get_latest_entity_values("level")), None)
    for value, table in ((mode, training_modes()), (level, levels())):
        summary = table[value].summary if value in table else None
        if summary:
            dispatcher.utter_message(response=summary)


def sector_filter_buttons(matches: List[Match]) -> List[Dict[str, str]]:
    """The sectors of the campuses found, most frequent first, to narrow a search by place alone."""
    counts: Dict[str, int] = {}
    for match in matches:
        counts[match.campus.sector] = counts.get(match.campus.sector, 0) + 1
    ranked = sorted(counts, key=lambda key: (-counts[key], sector_label(key)))[:SECTOR_FILTERS]
    return [
        {
            "title": fill("text_button_sector_filter", sector=sector_label(key), count=counts[key]),
            "payload": f'/inform{{"sector":"{key}"}}',
        }
        for key in ranked
    ]


class ActionSearchCampus(Action):
    def name(self) -> Text:
        return "action_search_campus"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        query = build_query(tracker)
        result = search(catalogue(), query)
        criteria = describe_query(query)
        summarise_path(dispatcher, tracker)
        show_formations(dispatcher, tracker, query)
        if result.matches:
            found = result.matches
            if len(found) > 1:
                dispatcher.utter_message(response="text_search_found", count=len(found), criteria=criteria)
            else:
                dispatcher.utter_message(response="text_search_found_one", criteria=criteria)
        else:
            found = result.alternatives
            if not found:
                dispatcher.utter_message(response="text_search_none", criteria=criteria)
                dispatcher.utter_message(response="text_search_try_other")
                return [SlotSet("search_results", []), SlotSet("search_shown", 0.0)]
            if not result.note:
                dispatcher.utter_message(response="text_search_none_alternatives", criteria=criteria)
            elif searched_near_a_place(query):
                # "none near Nantes"; the note adds "none in the region either" and announces the nearest.
                dispatcher.utter_message(response="text_search_none", criteria=criteria)
        if result.note:
            dispatcher.utter_message(text=note_text(result.note))
        ids = [m.campus.id for m in found]
        events = [SlotSet("search_results", ids), SlotSet("campus", None)] + show_page(
            dispatcher, tracker, ids, 0, result
        )
        if query.sector is None and query.place is not None and len({m.campus.sector for m in found}) > 1:
            dispatcher.utter_message(response="text_search_sector_filters", buttons=sector_filter_buttons(found))
        return events


@functools.lru_cache(maxsize=1)
def member_campuses() -> Dict[str, str]:
    """UAI code of a member establishment -> the name of its campus."""
    members = campuses_of_establishments(catalogue().campuses)
    return {uai: ", ".join(campus.name for campus in campuses) for uai, campuses in members.items()}


def show_formations(dispatcher: CollectingDispatcher, tracker: Tracker, query: SearchQuery) -> None:
    """Where the diploma asked is prepared near the user, before the campuses: when the search
    names a specialty ("BTS SIO"), a diploma and a sector ("un BTS dans le numérique"), or a job."""
    specialty = bounded(tracker.get_slot("specialty"))
    # A job named with no diploma ("je veux être mécanicien avion, où me former ?"): its sector's.
    by_job = query.sector is not None and query.place is not None and named_job(tracker) is not None
    if not specialty and not (query.level and query.sector) and not by_job:
        return
    mode = query.training_mode if query.training_mode in formations.MODES else None
    result = formations.search(
        specialty=specialty or None,
        level=query.level,
        place=query.place,
        sector=None if specialty else query.sector,
        mode=mode,
        limit=FORMATIONS_SHOWN,
    )
    for message in formations_reply(result, member_campuses()):
        dispatcher.utter_message(**message)


def searched_near_a_place(query: SearchQuery) -> bool:
    """A town, a département or an académie: narrower than the region the note speaks of."""
    return query.place is not None and query.place.kind != "region"


class ActionShowMoreCampuses(Action):
    def name(self) -> Text:
        return "action_show_more_campuses"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        ids = tracker.get_slot("search_results") or []
        shown = int(tracker.get_slot("search_shown") or 0)
        if shown >= len(ids):
            dispatcher.utter_message(response="text_search_no_more")
            return []
        return show_page(dispatcher, tracker, ids, shown)


def find_campus(name_or_id: Optional[str]) -> List[Campus]:
    """The campus a user named: an exact id (buttons), one clear best name, or a short list."""
    if not name_or_id:
        return []
    cat = catalogue()
    exact = cat.by_id(name_or_id)
    if exact is not None:
        return [exact]
    scored = cat.find_by_name(name_or_id, limit=3)
    if len(scored) > 1 and scored[0][1] - scored[1][1] >= CLEAR_LEAD:
        return [scored[0][0]]
    return [campus for campus, _score in scored]


# Fields answered in one line per campus when a question asks them of several shown.
ANSWERED_FOR_EACH = ("website", "where", "excellence", "distance")


def about_campus_in_context(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """The campus the message names or points at among the ones just shown ("le deuxième",
    "celui de Lannion", "ils ont un site ?"), or the one whose details were just given."""
    named = bounded(next(iter(tracker.get_latest_entity_values("campus")), None))
    if named:
        return say_campus(dispatcher, tracker, find_campus(named))
    shown = shown_campuses(tracker)
    # The campus whose details were just given, for "il a un site ?" right after them.
    current = catalogue().by_id(tracker.get_slot("campus") or "")
    pointed = point_at(tracker, shown)
    if shown and (pointed.explicit or current is None):
        if pointed.town_not_shown:
            dispatcher.utter_message(
                response="text_campus_town_not_shown",
                at_town=at_place(pointed.town_not_shown),
                buttons=[details_button(c) for c in pointed.candidates],
            )
            return [SlotSet("campus", None)]
        if pointed.out_of_range:
            dispatcher.utter_message(
                response="text_campus_out_of_range",
                count=len(shown),
                buttons=[details_button(c) for c in pointed.candidates],
            )
            return [SlotSet("campus", None)]
        text = tracker.latest_message.get("text") or ""
        field = asked_field(text)
        if pointed.campus is None and field in ANSWERED_FOR_EACH and not says_one_of_them(text):
            # "ils sont d'excellence ?" about a list: the answer for each, then their details.
            place = place_named_now(tracker) or build_query(tracker).place
            lines = [field_answer(campus, field, place) or "" for campus in pointed.candidates]
            dispatcher.utter_message(text="\n".join(lines), buttons=[details_button(c) for c in pointed.candidates])
            return [SlotSet("campus", None)]
        return say_campus(dispatcher, tracker, [pointed.campus] if pointed.campus else list(pointed.candidates))
    if current is not None:
        return say_campus(dispatcher, tracker, [current])
    dispatcher.utter_message(response="text_campus_nothing_shown")
    return [SlotSet("campus", None)]


def say_campus(dispatcher: CollectingDispatcher, tracker: Tracker, found: List[Campus]) -> List[Dict[Text, Any]]:
    """The details of one campus (led by the field asked), or which one of several."""
    if not found:
        dispatcher.utter_message(response="text_campus_unknown")
        return [SlotSet("campus", None)]
    if len(found) > 1:
        dispatcher.utter_message(response="text_campus_which", buttons=[details_button(campus) for campus in found])
        return [SlotSet("campus", None)]
    campus = found[0]
    place = place_named_now(tracker) or build_query(tracker).place
    answer = field_answer(campus, asked_field(tracker.latest_message.get("text") or ""), place)
    if answer:
        dispatcher.utter_message(text=answer)
    dispatcher.utter_message(
        text=details_text(campus, place),
        buttons=[
            {
                "title": fill("text_button_sector_campuses"),
                "payload": f'/search_campus{{"sector":"{campus.sector}"}}',
            }
        ],
    )
    return [SlotSet("campus", campus.id)]


def place_named_now(tracker: Tracker) -> Optional[Place]:
    """The place this message names ("quels lycées du campus Bois près de Nancy ?"), if it is one."""
    for entity in ("location", "region"):
        for value in tracker.get_latest_entity_values(entity):
            resolution = resolve_place(bounded(str(value)))
            if resolution.status == "found":
                return resolution.place
    return None


def points_at_a_campus(tracker: Tracker) -> bool:
    """The message names a campus, or points at one of those shown by rank, town, sector, name or
    a demonstrative ("celui-ci", "ce campus")."""
    text = tracker.latest_message.get("text") or ""
    if next(iter(tracker.get_latest_entity_values("campus")), None) or says_this_one(text) or rank_of(text) is not None:
        return True
    shown = shown_campuses(tracker)
    return bool(shown) and point_at(tracker, shown).explicit


class ActionCampusDetails(Action):
    """The details of a campus named or pointed at; a question about the FAQ answer just given
    ("c'est quoi le site officiel ?" after the VAE) is answered within its topic."""

    def name(self) -> Text:
        return "action_campus_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        context = latest_context(tracker)
        if context not in (None, CAMPUSES) and not points_at_a_campus(tracker):
            answer = answer_within(tracker, context)
            if answer:
                dispatcher.utter_message(response=answer)
                return []
        return about_campus_in_context(dispatcher, tracker)


def schools():
    return school_index(catalogue())


class ActionSchoolMembership(Action):
    """ "le lycée Vauban fait partie d'un campus ?": the campuses a school named is a member of."""

    def name(self) -> Text:
        return "action_school_membership"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        chosen = bounded(next(iter(tracker.get_latest_entity_values("establishment")), None))
        index = schools()
        found = index.find(chosen or tracker.latest_message.get("text") or "")
        if not found:
            dispatcher.utter_message(response="text_school_unknown")
        elif len(found) > 1:
            dispatcher.utter_message(response="text_school_which", buttons=[school_button(s) for s in found])
        elif found[0].campuses:
            school = found[0]
            names = ", ".join(campus.name for campus in school.campuses)
            dispatcher.utter_message(
                response="text_school_member",
                school=school.label,
                campuses=names,
                buttons=[details_button(campus) for campus in school.campuses],
            )
        else:
            school = found[0]
            buttons = []
            if school.town:
                payload = f'/search_campus{{"location":"{school.town}"}}'
                buttons.append({"title": fill("text_button_campuses_near", town=school.town), "payload": payload})
            dispatcher.utter_message(
                response="text_school_not_member",
                school=school.label,
                known=index.campuses_with_members,
                total=index.campuses,
                buttons=buttons,
            )
        return []


def school_button(school: School) -> Dict[str, str]:
    value = f"{school.name} {school.town}".replace('"', "")
    return {"title": school.label, "payload": f'/school_membership{{"establishment":"{value}"}}'}


# Join the campuses' members to the training offer, and index the schools, at start too (about 1 s).
member_campuses()
schools()
