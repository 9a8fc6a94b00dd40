"""The Rasa actions, run as the action server runs them: real trackers, real dispatcher."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.campus_actions import (
    PAGE_SIZE,
    ActionCampusDetails,
    ActionSearchCampus,
    ActionShowMoreCampuses,
)
from actions.conversation import (
    ActionContactCounsellor,
    ActionDefaultAskAffirmation,
    ActionDescribeSector,
    ActionGreet,
    ActionListSectors,
    ActionResetSearch,
)
from actions.forms import ActionAskArea, ActionAskSector, ValidateCampusSearchForm
from orientation import settings as settings_module
from orientation.places import place_to_dict, resolve_place
from tests.domain_responses import render_all

DOMAIN: Dict[str, Any] = {"slots": {}, "responses": {}, "forms": {}}


def make_tracker(
    slots: Optional[Dict[str, Any]] = None,
    text: str = "",
    intent: str = "inform",
    entities: Optional[List[dict]] = None,
    channel: str = "rest",
    ranking: Optional[List[dict]] = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": ranking or [],
    }
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}]
    return Tracker("test-user", slots or {}, latest, events, False, None, {}, "action_listen")


def run(action, tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return render_all(dispatcher.messages), events


def texts(messages: List[dict]) -> str:
    return "\n".join((m.get("text") or "") + str(m.get("custom") or "") for m in messages)


def slot_events(events) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def search_slots(sector: Optional[str], place_text: Optional[str]) -> Dict[str, Any]:
    slots = {"sector": sector, "area": place_text or "anywhere"}
    if place_text:
        slots["place"] = place_to_dict(resolve_place(place_text).place)
    return slots


# --- the search form ------------------------------------------------------------------------


def validate_area(value: str, slots: Optional[dict] = None):
    dispatcher = CollectingDispatcher()
    result = ValidateCampusSearchForm().validate_area(value, dispatcher, make_tracker(slots), DOMAIN)
    return result, render_all(dispatcher.messages)


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("Nous habitons au Mans", "inform", "mans"),
        ("Bien. Nous habitons en Moselle.", "inform", "moselle"),
        ("c'est quoi la VAE près de chez moi ?", "faq_vae", None),  # a side question, answered as such
        ("je sais pas trop", "inform", None),
    ],
)
def test_a_place_nlu_did_not_tag_answers_where_the_form_asked(text, intent, expected):
    tracker = make_tracker({"requested_slot": "area"}, text=text, intent=intent)
    extracted = asyncio.run(ValidateCampusSearchForm().extract_area(CollectingDispatcher(), tracker, DOMAIN))
    assert extracted.get("area") == expected


@pytest.mark.parametrize("slot", ["area", "sector"])
def test_emoji_alone_answering_the_form_leave_its_question_open_so_it_is_asked_again(slot):
    """Read as nothing, the form would be rejected and the search given up for a counsellor."""
    form = ValidateCampusSearchForm()
    extract = form.extract_area if slot == "area" else form.extract_sector
    asked = make_tracker({"requested_slot": slot}, text="👍", intent="inform")
    assert asyncio.run(extract(CollectingDispatcher(), asked, DOMAIN)) == {slot: None}
    other = make_tracker({"requested_slot": "area" if slot == "sector" else "sector"}, text="👍", intent="inform")
    assert slot not in asyncio.run(extract(CollectingDispatcher(), other, DOMAIN))


@pytest.mark.parametrize("text, tagged", [("audiovisuel st denis", "denis"), ("on habite saint denis", "denis")])
def test_a_saint_town_nlu_cut_short_is_read_whole(text, tagged):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({}, text=text, entities=[{"entity": "location", "value": tagged}])
    result = ValidateCampusSearchForm().validate_area(tagged, dispatcher, tracker, DOMAIN)
    messages = render_all(dispatcher.messages)
    assert result["area"] is None and "plusieurs lieux" in messages[0]["text"]
    assert any(b["title"].startswith("Saint-Denis (93)") for b in messages[0]["buttons"])


def test_a_town_is_resolved_and_kept_as_the_search_place():
    result, messages = validate_area("Brest")
    assert messages == []
    assert result["place"]["label"].startswith("Brest")
    assert result["place"]["region"] == "Bretagne"
    assert result["location"] == "Brest" and result["region"] is None


def test_a_region_replaces_a_previous_town():
    previous = {"place": {"query": "Brest", "label": "Brest (29)"}, "location": "Brest"}
    result, _ = validate_area("Occitanie", previous)
    assert result["region"] == "Occitanie"
    assert result["location"] is None


def test_an_ambiguous_town_is_asked_back_with_buttons():
    result, messages = validate_area("Saint-Denis")
    assert result["area"] is None
    assert "plusieurs lieux" in messages[0]["text"]
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert any("93" in t for t in titles) and any("974" in t for t in titles)


def test_an_unknown_place_gets_a_clear_message():
    result, messages = validate_area("Zzyzxville")
    assert result["area"] is None
    assert "Je ne trouve pas" in messages[0]["text"]


def test_no_preference_means_anywhere():
    result, messages = validate_area("anywhere")
    assert result["area"] == "anywhere" and result["place"] is None and messages == []


def test_an_unknown_sector_is_refused():
    dispatcher = CollectingDispatcher()
    result = ValidateCampusSearchForm().validate_sector("astrologie", dispatcher, make_tracker(), DOMAIN)
    assert result == {"sector": None}
    assert dispatcher.messages


def test_a_cleared_sector_is_asked_for_without_an_error_message():
    dispatcher = CollectingDispatcher()
    result = ValidateCampusSearchForm().validate_sector(None, dispatcher, make_tracker(), DOMAIN)
    assert result == {"sector": None}
    assert dispatcher.messages == []


def test_the_form_offers_sectors_and_the_school_region_as_buttons():
    messages, _ = run(ActionAskSector(), make_tracker())
    assert len(messages[0]["buttons"]) == 13  # 12 sectors + "peu importe"
    messages, _ = run(ActionAskArea(), make_tracker())
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert settings_module.load_settings().default_region in titles


# --- search results -------------------------------------------------------------------------


def test_digital_in_bretagne_finds_the_lannion_campus():
    messages, events = run(ActionSearchCampus(), make_tracker(search_slots("digital_telecommunications", "Bretagne")))
    found = slot_events(events)["search_results"]
    assert found, texts(messages)
    assert "photonique" in texts(messages).lower()
    assert "Bretagne" in texts(messages)


def test_a_town_search_shows_distances_closest_first():
    messages, events = run(ActionSearchCampus(), make_tracker(search_slots(None, "Brest")))
    assert " km" in texts(messages)
    assert slot_events(events)["search_shown"] == min(PAGE_SIZE, len(slot_events(events)["search_results"]))


def test_a_campus_whose_label_is_unconfirmed_says_so_in_results_and_details():
    messages, _ = run(
        ActionSearchCampus(), make_tracker(search_slots("business_services_logistics", "Provence-Alpes-Côte d'Azur"))
    )
    assert "Relation client — label à confirmer" in texts(messages)
    messages, _ = run(
        ActionSearchCampus(),
        make_tracker(search_slots("business_services_logistics", "Provence-Alpes-Côte d'Azur"), channel="socketio"),
    )
    card = next(m["custom"] for m in messages if (m.get("custom") or {}).get("name") == "Relation client")
    assert card["to_confirm"] == "label à confirmer" and card["excellence"] is False
    tracker = make_tracker({"campus": "bretagne-education-artistique-culturelle"}, intent="campus_details")
    messages, _ = run(ActionCampusDetails(), tracker)
    assert "Éducation artistique et culturelle — label à confirmer" in texts(messages)
    assert "campus d'excellence" not in texts(messages)


def test_the_widget_gets_campus_cards():
    tracker = make_tracker(search_slots("digital_telecommunications", "Bretagne"), channel="socketio")
    messages, _ = run(ActionSearchCampus(), tracker)
    cards = [m["custom"] for m in messages if m.get("custom")]
    assert cards and all(card["type"] == "campus_card" and card["reasons"] for card in cards)


def test_no_exact_match_says_so_and_offers_alternatives():
    # Aeronautics in Corse: none there, so nearest campuses of the sector elsewhere.
    messages, events = run(ActionSearchCampus(), make_tracker(search_slots("mobility_aeronautics_transport", "Corse")))
    assert texts(messages).startswith("Notre liste ne compte aucun campus du secteur")
    assert texts(messages).count("Voici les plus proches") == 1
    assert slot_events(events)["search_results"]


def test_none_near_a_town_says_so_then_that_its_region_has_none_and_shows_the_nearest_once():
    messages, events = run(ActionSearchCampus(), make_tracker(search_slots("services_people_wellbeing", "Nantes")))
    lines = texts(messages).split("\n")
    assert lines[0].startswith("Aucun campus dans le secteur") and "Nantes" in lines[0]
    assert lines[1].startswith("Notre liste ne compte aucun campus") and "Pays de la Loire" in lines[1]
    assert texts(messages).count("Voici les plus proches") == 1
    assert slot_events(events)["search_results"]


def test_show_more_pages_through_results():
    slots = search_slots(None, None)
    _, events = run(ActionSearchCampus(), make_tracker(slots))
    state = {**slots, **slot_events(events)}
    assert len(state["search_results"]) > PAGE_SIZE
    messages, events = run(ActionShowMoreCampuses(), make_tracker(state))
    assert slot_events(events)["search_shown"] == 2 * PAGE_SIZE
    assert state["search_results"][PAGE_SIZE] in str(messages)


def test_campus_details_by_id_and_by_approximate_name():
    messages, events = run(ActionSearchCampus(), make_tracker(search_slots("digital_telecommunications", "Bretagne")))
    campus_id = slot_events(events)["search_results"][0]
    by_id, _ = run(ActionCampusDetails(), make_tracker(entities=[{"entity": "campus", "value": campus_id}]))
    assert "Source : http" in by_id[0]["text"]
    by_name, events = run(
        ActionCampusDetails(), make_tracker(entities=[{"entity": "campus", "value": "numerique et photonique"}])
    )
    assert "photonique" in by_name[0]["text"].lower()


def test_an_unknown_campus_is_not_invented():
    messages, _ = run(ActionCampusDetails(), make_tracker(entities=[{"entity": "campus", "value": "Poudlard"}]))
    assert "Je ne connais pas ce campus" in messages[0]["text"] or "De quel campus" in messages[0]["text"]


# --- conversation -----------------------------------------------------------------------------


def test_counsellor_contact_comes_from_the_school_settings(tmp_path, monkeypatch):
    settings_file = tmp_path / "school.yml"
    settings_file.write_text(
        "school: {name: Lycée Test}\ncounsellor: {name: Mme Martin, email: orientation@lycee-test.fr}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SCHOOL_SETTINGS", str(settings_file))
    settings_module.load_settings.cache_clear()
    try:
        messages, _ = run(ActionContactCounsellor(), make_tracker())
        assert "orientation@lycee-test.fr" in messages[0]["text"]
        assert "Lycée Test" in messages[0]["text"]
        assert "monorientationenligne.fr" in messages[0]["text"]
    finally:
        settings_module.load_settings.cache_clear()


def test_without_a_counsellor_the_national_service_is_offered(tmp_path, monkeypatch):
    settings_file = tmp_path / "school.yml"
    settings_file.write_text("school: {name: Lycée Test}\n", encoding="utf-8")
    monkeypatch.setenv("SCHOOL_SETTINGS", str(settings_file))
    settings_module.load_settings.cache_clear()
    try:
        messages, _ = run(ActionContactCounsellor(), make_tracker())
        assert "monorientationenligne.fr" in messages[0]["text"]
    finally:
        settings_module.load_settings.cache_clear()


def test_greeting_names_the_school_and_shows_the_menu():
    messages, _ = run(ActionGreet(), make_tracker())
    assert settings_module.load_settings().school_name in messages[0]["text"]
    assert messages[1]["response"] == "utter_help"


def test_sectors_are_listed_and_described_with_a_source():
    messages, _ = run(ActionListSectors(), make_tracker())
    assert len(messages[0]["buttons"]) == 12
    messages, events = run(
        ActionDescribeSector(),
        make_tracker(entities=[{"entity": "sector", "value": "tourism_gastronomy"}], intent="ask_sector"),
    )
    assert "https://" in messages[0]["text"]
    assert slot_events(events)["sector"] == "tourism_gastronomy"


def test_fallback_offers_the_likely_meanings_in_french():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "faq_vae", "confidence": 0.3},
        {"name": "search_campus", "confidence": 0.2},
    ]
    messages, _ = run(ActionDefaultAskAffirmation(), make_tracker(ranking=ranking))
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["La VAE", "Trouver un campus", "Autre chose"]
    # A retrieval intent needs words to reach the FAQ answer, not "/faq_vae".
    assert not messages[0]["buttons"][0]["payload"].startswith("/")


def test_a_new_search_forgets_old_criteria_but_keeps_what_was_just_said():
    tracker = make_tracker(
        {"sector": "food_agrifood", "area": "Brest", "region": None},
        entities=[{"entity": "region", "value": "Occitanie"}],
        intent="search_campus",
    )
    _, events = run(ActionResetSearch(), tracker)
    cleared = slot_events(events)
    assert cleared["sector"] is None
    assert "area" not in cleared and "region" not in cleared


def after_a_search(tracker: Tracker) -> Tracker:
    """The same tracker with campus results shown just before its latest message."""
    tracker.events.insert(0, {"event": "action", "name": "action_search_campus"})
    return tracker


SHOWN_SEARCH = {
    "sector": "digital_telecommunications",
    "specialty": "informatique",
    "level": "bts",
    "training_mode": "apprenticeship",
    "area": "Brest",
    "place": {"kind": "commune", "name": "Brest"},
}


def test_a_refinement_of_the_search_shown_replaces_only_the_criterion_it_names():
    """ "et plus près de Quimper ?" after a BTS search in computing near Brest, taken as a new
    search by NLU: the diploma, the trade and the training mode stay, the place is replaced."""
    tracker = after_a_search(
        make_tracker(
            dict(SHOWN_SEARCH),
            text="et plus près de Quimper ?",
            entities=[{"entity": "location", "value": "Quimper"}],
            intent="search_campus",
        )
    )
    cleared = slot_events(run(ActionResetSearch(), tracker)[1])
    assert {"sector", "specialty", "level", "training_mode"}.isdisjoint(cleared)
    assert cleared["place"] is None and "location" not in cleared and "area" not in cleared
    assert cleared["search_results"] is None  # the search runs again


def test_a_refinement_naming_another_trade_drops_the_old_specialty():
    tracker = after_a_search(
        make_tracker(
            dict(SHOWN_SEARCH),
            text="y en a dans l'énergie ?",
            entities=[{"entity": "sector", "value": "energy_transition_eco_industry"}],
            intent="search_campus",
        )
    )
    cleared = slot_events(run(ActionResetSearch(), tracker)[1])
    assert cleared["specialty"] != "informatique" and "sector" not in cleared
    assert {"area", "place", "level", "training_mode"}.isdisjoint(cleared)


def test_the_same_words_without_a_search_shown_start_a_new_search():
    tracker = make_tracker(
        dict(SHOWN_SEARCH),
        text="et plus près de Quimper ?",
        entities=[{"entity": "location", "value": "Quimper"}],
        intent="search_campus",
    )
    cleared = slot_events(run(ActionResetSearch(), tracker)[1])
    assert cleared["sector"] is None and cleared["level"] is None and cleared["training_mode"] is None


def test_campus_details_name_the_town_as_people_write_it():
    messages, _ = run(ActionCampusDetails(), make_tracker(entities=[{"entity": "campus", "value": "martinique-mer"}]))
    assert "Lycée Raymond Néris, Le Marin" in messages[0]["text"]


# --- students' own words ------------------------------------------------------------------------


def test_a_place_alone_searches_every_sector_and_offers_them_as_filters():
    result, _ = validate_area("Rennes")
    assert result["sector"] == "any" and result["place"]["label"]
    slots = {**search_slots(None, "Rennes"), "sector": "any"}
    messages, _ = run(ActionSearchCampus(), make_tracker(slots))
    filters = [b for m in messages for b in m.get("buttons") or [] if b["payload"].startswith('/inform{"sector"')]
    assert "près de Rennes" in texts(messages)
    assert len(filters) >= 2 and all("(" in b["title"] for b in filters)


def test_a_place_after_a_chosen_sector_keeps_the_sector():
    result, _ = validate_area("Rennes", {"sector": "digital_telecommunications"})
    assert "sector" not in result


def test_a_job_shows_the_sector_it_leads_to():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker({"job": "Plâtrier", "sector": "infrastructure_building_eco_construction"})
    result = ValidateCampusSearchForm().validate_sector(
        "infrastructure_building_eco_construction", dispatcher, tracker, DOMAIN
    )
    assert result == {"sector": "infrastructure_building_eco_construction"}
    messages = render_all(dispatcher.messages)
    assert "« Plâtrier » → secteur « Infrastructures" in texts(messages)
    assert messages[0]["buttons"][0]["payload"] == "/list_sectors"


def test_a_job_taught_outside_the_campuses_is_said_before_the_sector_question():
    messages, _ = run(ActionAskSector(), make_tracker({"job": "Avocat"}))
    shown = texts(messages)
    assert "en dehors des campus des métiers" in shown and "Parcoursup" in shown
    assert shown.index("en dehors") < shown.index("Quel secteur")


def test_a_search_names_the_training_mode_and_diploma_asked_about():
    entities = [{"entity": "training_mode", "value": "apprenticeship"}, {"entity": "level", "value": "cap"}]
    slots = {**search_slots("services_people_wellbeing", "Nantes"), "training_mode": "apprenticeship", "level": "cap"}
    messages, _ = run(ActionSearchCampus(), make_tracker(slots, entities=entities))
    shown = texts(messages)
    assert shown.index("En apprentissage") < shown.index("Le CAP") < shown.index("campus")


def test_a_search_turn_runs_the_search_once(monkeypatch):
    from actions import campus_actions

    calls = []
    real_search = campus_actions.search
    monkeypatch.setattr(campus_actions, "search", lambda *args: calls.append(args) or real_search(*args))
    messages, _events = run(ActionSearchCampus(), make_tracker(search_slots("digital_telecommunications", "Brest")))
    assert messages and len(calls) == 1
