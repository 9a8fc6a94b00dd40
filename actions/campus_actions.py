"""Rasa actions over the campus catalogue: search, "voir plus", details.

They read slots, call the search (catalogue, places, search) and say its facts with `replies`.
The website widget (socket.io channel) gets campus cards; other channels get plain text.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import ANY_SECTOR, ANYWHERE, bounded
from actions.replies import campus_card, campus_lines, describe_query, details_button, details_text, note_text
from orientation.catalogue import Campus, load_catalogue
from orientation.places import place_from_dict
from orientation.search import Match, SearchQuery, SearchResult, search
from orientation.sectors import sector_label
from orientation.settings import load_settings
from orientation.training import levels, training_modes
from orientation.wording import fill

PAGE_SIZE = 3
# A name match this far ahead of the next one is taken without asking which campus.
CLEAR_LEAD = 8
CARD_CHANNELS = {"socketio"}
FEATURE_FILTERS = {"excellence": "excellence", "mobility": "mobility"}
SECTOR_FILTERS = 6


def catalogue():
    return load_catalogue(load_settings().catalogue_source)


# Load the catalogue (and any remote source) when the action server starts, not on the
# first user's message.
catalogue()


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


def show_matches(dispatcher: CollectingDispatcher, tracker: Tracker, matches: List[Match]) -> None:
    as_cards = tracker.get_latest_input_channel() in CARD_CHANNELS
    for match in matches:
        if as_cards:
            dispatcher.utter_message(json_message=campus_card(match))
        else:
            dispatcher.utter_message(text="\n".join(campus_lines(match)), buttons=[details_button(match.campus)])


def show_page(
    dispatcher, tracker, ids: List[str], start: int, result: Optional[SearchResult] = None
) -> List[Dict[Text, Any]]:
    """Shows campuses ids[start:start+PAGE_SIZE] and stores how far the user has got. `result`: the
    search this turn already ran; a later page ("voir plus") runs it again on the same slots."""
    if result is None:
        result = search(catalogue(), build_query(tracker))
    by_id = {m.campus.id: m for m in list(result.matches) + list(result.alternatives)}
    page = [by_id[i] for i in ids[start : start + PAGE_SIZE] if i in by_id]
    show_matches(dispatcher, tracker, page)
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
        events = [SlotSet("search_results", ids)] + show_page(dispatcher, tracker, ids, 0, result)
        if query.sector is None and query.place is not None and len({m.campus.sector for m in found}) > 1:
            dispatcher.utter_message(response="text_search_sector_filters", buttons=sector_filter_buttons(found))
        return events


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


class ActionCampusDetails(Action):
    def name(self) -> Text:
        return "action_campus_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        asked = bounded(next(iter(tracker.get_latest_entity_values("campus")), None) or tracker.get_slot("campus"))
        found = find_campus(asked)
        if not found:
            dispatcher.utter_message(response="text_campus_unknown")
            return [SlotSet("campus", None)]
        if len(found) > 1:
            dispatcher.utter_message(response="text_campus_which", buttons=[details_button(campus) for campus in found])
            return [SlotSet("campus", None)]
        campus = found[0]
        dispatcher.utter_message(
            text=details_text(campus),
            buttons=[
                {
                    "title": fill("text_button_sector_campuses"),
                    "payload": f'/search_campus{{"sector":"{campus.sector}"}}',
                }
            ],
        )
        return [SlotSet("campus", campus.id)]
