"""Rasa actions over the campus catalogue: search, "voir plus", details.

They read slots, call the pure search code (catalogue, places, search) and format replies.
The website widget (socket.io channel) gets campus cards; other channels get plain text.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import ANY_SECTOR, ANYWHERE, bounded
from orientation.catalogue import Campus, load_catalogue
from orientation.places import Place, of_place, place_from_dict
from orientation.search import Match, SearchQuery, SearchResult, search
from orientation.sectors import sector_label
from orientation.settings import load_settings
from orientation.training import levels, offer, training_modes
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


def place_phrase(place: Place) -> str:
    """ "en Bretagne", "près de Brest (29)", "près du Havre (76)", "dans l'académie de Rennes"."""
    if place.kind == "region":
        return fill("text_criteria_region", region=place.label)
    if place.kind == "academie":
        return fill("text_criteria_academie", academie=place.label[0].lower() + place.label[1:])
    return fill("text_criteria_near", of_place=of_place(place.label))


def describe_query(query: SearchQuery) -> str:
    parts = []
    if query.sector:
        parts.append(fill("text_criteria_sector", sector=sector_label(query.sector)))
    if query.place is not None:
        parts.append(place_phrase(query.place))
    if query.excellence:
        parts.append(fill("text_criteria_excellence"))
    if query.mobility:
        parts.append(fill("text_criteria_mobility"))
    return " ".join(parts) if parts else fill("text_criteria_anywhere")


def campus_lines(match: Match) -> List[str]:
    campus = match.campus
    title = fill("text_card_excellence", name=campus.name) if campus.confirmed_excellence else campus.name
    if campus.to_confirm:
        title = fill("text_campus_to_confirm", name=title, to_confirm=campus.to_confirm)
    where = fill("text_card_where", town=campus.town_name, region=campus.region) if campus.town else campus.region
    lines = [title, fill("text_card_sector_where", sector=sector_label(campus.sector), where=where)]
    if match.reasons:
        lines.append(fill("text_card_reasons", reasons=" ; ".join(match.reasons)))
    lines.append(
        fill("text_campus_website", url=campus.website)
        if campus.website
        else fill("text_campus_source", url=campus.source_url)
    )
    return lines


def campus_card(match: Match) -> Dict[str, Any]:
    campus = match.campus
    return {
        "type": "campus_card",
        "id": campus.id,
        "name": campus.name,
        "sector": sector_label(campus.sector),
        "town": campus.town_name,
        "region": campus.region,
        "excellence": campus.confirmed_excellence,
        "to_confirm": campus.to_confirm,
        "distance_km": match.distance_km,
        "reasons": list(match.reasons),
        "website": campus.website,
        "source_url": campus.source_url,
        "text": "\n".join(campus_lines(match)),
        "buttons": [details_button(campus)],
    }


def details_button(campus: Campus) -> Dict[str, str]:
    return {
        "title": fill("text_button_details", name=campus.name),
        "payload": f'/campus_details{{"campus":"{campus.id}"}}',
    }


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
            dispatcher.utter_message(text=result.note)
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


def details_text(campus: Campus) -> str:
    title = fill("text_details_excellence", name=campus.name) if campus.confirmed_excellence else campus.name
    if campus.to_confirm:
        title = fill("text_campus_to_confirm", name=title, to_confirm=campus.to_confirm)
    lines = [
        title,
        fill("text_details_sector", sector=sector_label(campus.sector)),
        fill("text_details_region", region=campus.region, academies=", ".join(campus.academie)),
    ]
    lead = ", ".join(part for part in (campus.lead_establishment, campus.town_name) if part)
    if lead:
        lines.append(fill("text_details_lead", lead=lead))
    if campus.training_modes:
        lines.append(
            fill(
                "text_details_training_modes",
                modes=", ".join(offer(m, training_modes()).name for m in campus.training_modes),
            )
        )
    if campus.levels:
        lines.append(fill("text_details_levels", levels=", ".join(offer(lv, levels()).name for lv in campus.levels)))
    if campus.mobility:
        lines.append(fill("text_details_mobility", mobility=campus.mobility))
    if campus.former_names:
        lines.append(fill("text_details_former_names", names=", ".join(campus.former_names)))
    if campus.website:
        lines.append(fill("text_campus_website", url=campus.website))
    lines.append(fill("text_campus_source", url=campus.source_url))
    return "\n".join(lines)


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
