"""The replies of the action server on a fixed set of scenarios, as the user reads them, in one JSON
file: two snapshots taken before and after a change of the code show whether any reply moved.

    python -m devtools.reply_snapshot OUT.json            # writes the replies
    python -m devtools.reply_snapshot OUT.json --compare BEFORE.json   # and lists the differences

Scenarios: searches (sectors x places, training modes x levels, excellence and mobility, pages 2
and 3, no match and alternatives, both channels), campus details, sector pages, the search form's
place check (unknown, ambiguous, misspelt towns). Responses named by an action are filled in with
Rasa's own generator, as the Rasa server does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.campus_actions import ActionCampusDetails, ActionSearchCampus, ActionShowMoreCampuses, catalogue
from actions.conversation import ActionContactCounsellor, ActionDescribeSector, ActionListSectors
from actions.forms import ActionAskArea, ActionAskSector, ValidateCampusSearchForm
from orientation.places import place_to_dict, resolve_place
from orientation.sectors import load_sectors
from orientation.wording import responses

PLACES = [
    None,
    "Brest",
    "Lannion",
    "Le Havre",
    "Nantes",
    "Finistère",
    "29",
    "Bretagne",
    "Occitanie",
    "académie de Rennes",
    "Outre-mer",
    "La Réunion",
    "Les Abymes",
    "Paris",
    "Lyon",
    "Ajaccio",
    "Angers",
]
MODES = [None, "apprenticeship", "initial_training", "continuing_education", "vae"]
LEVELS = [None, "cap", "bac_pro", "bts", "licence", "master", "ingenieur"]
FEATURES = [None, "excellence", "mobility"]
AREA_TEXTS = ["Brest", "Saint-Denis", "Valence", "Brset", "Xyzville", "Le Mans", "Bretagne", "anywhere", "Montpellier"]
SECTOR_NAMES = ["informatique", "numérique", "aéronautique", "cuisine", "inconnu"]


def _generator() -> TemplatedNaturalLanguageGenerator:
    return TemplatedNaturalLanguageGenerator(responses())


def render(message: Dict[str, Any]) -> Dict[str, Any]:
    """A dispatcher message as Rasa sends it: a response's text filled in, its buttons first."""
    name = message.get("response")
    if not name:
        return message
    fields = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}
    values = {key: value for key, value in message.items() if key not in fields}
    draft = _generator().generate_from_slots(name, {}, "rest", **values) or {}
    buttons = list(draft.get("buttons") or []) + list(message.get("buttons") or [])
    return {**message, "text": draft.get("text"), "buttons": buttons}


def tracker(slots: Dict[str, Any], entities: Optional[List[dict]] = None, channel: str = "rest") -> Tracker:
    latest = {"text": "", "intent": {"name": "inform", "confidence": 0.9}, "entities": entities or []}
    events = [{"event": "user", "text": "", "parse_data": latest, "input_channel": channel}]
    return Tracker("snapshot", slots, latest, events, False, None, {}, "action_listen")


def run(action, state: Tracker) -> Dict[str, Any]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, {"slots": {}, "responses": {}, "forms": {}}))
    return {"messages": [render(m) for m in dispatcher.messages], "events": events}


def search_slots(sector, place_text, mode=None, level=None, feature=None) -> Dict[str, Any]:
    slots: Dict[str, Any] = {"sector": sector or "any", "area": place_text or "anywhere"}
    if place_text:
        slots["place"] = place_to_dict(resolve_place(place_text).place)
    slots.update(training_mode=mode, level=level, feature=feature)
    return slots


def entities_of(mode, level) -> List[dict]:
    return [{"entity": name, "value": value} for name, value in (("training_mode", mode), ("level", level)) if value]


def search_scenario(name: str, slots: Dict[str, Any], entities=None, channel="rest", pages=2) -> Dict[str, Any]:
    """The search, then "voir plus" up to `pages` times, as the conversation would go."""
    turns = [run(ActionSearchCampus(), tracker(slots, entities, channel))]
    for _ in range(pages):
        state = dict(slots)
        for event in turns[-1]["events"]:
            if event.get("event") == "slot":
                state[event["name"]] = event["value"]
        if not state.get("search_results"):
            break
        turns.append(run(ActionShowMoreCampuses(), tracker(state, channel=channel)))
    return {"name": name, "turns": turns}


def scenarios() -> List[Dict[str, Any]]:
    sectors = [None, *load_sectors()]
    found = []
    for sector in sectors:
        for place in PLACES:
            found.append(search_scenario(f"search {sector} {place}", search_slots(sector, place)))
    for mode in MODES:
        for level in LEVELS:
            for sector, place in (
                ("digital_telecommunications", "Brest"),
                ("innovative_systems_mechatronics", "Bretagne"),
                (None, "Lyon"),
            ):
                slots = search_slots(sector, place, mode, level)
                found.append(
                    search_scenario(f"search {sector} {place} {mode} {level}", slots, entities_of(mode, level))
                )
    for feature in FEATURES[1:]:
        for sector in sectors:
            for place in (None, "Brest", "Occitanie"):
                slots = search_slots(sector, place, feature=feature)
                found.append(search_scenario(f"search {sector} {place} {feature}", slots))
    for place in ("Brest", "Bretagne", None):
        found.append(
            search_scenario(f"cards {place}", search_slots("digital_telecommunications", place), channel="socketio")
        )
    for campus in catalogue().campuses:
        state = tracker({"campus": campus.id})
        found.append({"name": f"details {campus.id}", "turns": [run(ActionCampusDetails(), state)]})
    for text in ("Campus numérique", "campus inconnu", "aéronautique"):
        found.append({"name": f"details {text}", "turns": [run(ActionCampusDetails(), tracker({"campus": text}))]})
    for sector in sectors:
        state = tracker({"sector": sector}, [{"entity": "sector", "value": sector}] if sector else [])
        found.append({"name": f"sector page {sector}", "turns": [run(ActionDescribeSector(), state)]})
    for action in (ActionListSectors(), ActionContactCounsellor(), ActionAskSector(), ActionAskArea()):
        found.append({"name": action.name(), "turns": [run(action, tracker({}))]})
    for text in AREA_TEXTS:
        dispatcher = CollectingDispatcher()
        slots = ValidateCampusSearchForm().validate_area(
            text, dispatcher, tracker({"sector": "digital_telecommunications"}), {}
        )
        messages = [render(m) for m in dispatcher.messages]
        found.append({"name": f"area {text}", "turns": [{"messages": messages, "events": slots}]})
    for text in SECTOR_NAMES:
        dispatcher = CollectingDispatcher()
        slots = ValidateCampusSearchForm().validate_sector(text, dispatcher, tracker({}), {})
        messages = [render(m) for m in dispatcher.messages]
        found.append({"name": f"sector {text}", "turns": [{"messages": messages, "events": slots}]})
    return found


def differences(before: List[Dict[str, Any]], after: List[Dict[str, Any]]) -> List[str]:
    old = {scenario["name"]: scenario for scenario in before}
    new = {scenario["name"]: scenario for scenario in after}
    lines = [f"missing: {name}" for name in old if name not in new]
    lines += [f"new: {name}" for name in new if name not in old]
    lines += [f"differs: {name}" for name in old if name in new and old[name] != new[name]]
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path, help="an earlier snapshot: lists the scenarios whose replies differ")
    args = parser.parse_args(argv)
    found = json.loads(json.dumps(scenarios(), ensure_ascii=False, default=str))
    args.out.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{len(found)} scenarios written to {args.out}")
    if args.compare:
        diff = differences(json.loads(args.compare.read_text(encoding="utf-8")), found)
        print("\n".join(diff) or "no difference")
        print(f"{len(diff)} differences")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
