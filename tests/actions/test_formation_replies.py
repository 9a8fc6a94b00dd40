"""Where a diploma is prepared near the user, as the student reads it: establishments nearest
first, with their town, distance and status, the year of the data and where to check the offer."""

from __future__ import annotations

import pytest

from actions.campus_actions import ActionSearchCampus, member_campuses
from actions.conversation import ActionRefineSearch, ActionResetSearch
from actions.replies import formations_reply
from orientation import formations
from orientation.places import place_to_dict, resolve_place
from tests.actions.test_actions import make_tracker, run, slot_events, texts


def search_turn(text: str, entities: list, place_text: str):
    """A new search as the dialogue runs it: the reset reads this message, then the search."""
    _, events = run(ActionResetSearch(), make_tracker({}, text=text, intent="search_campus", entities=entities))
    slots = {name: value for name, value in slot_events(events).items() if value is not None}
    slots.update(
        {e["entity"]: e["value"] for e in entities if e["entity"] in ("sector", "level", "training_mode", "job")}
    )
    slots.update(area=place_text, place=place_to_dict(resolve_place(place_text).place))
    messages, _ = run(ActionSearchCampus(), make_tracker(slots, text=text, intent="search_campus", entities=entities))
    return slots, texts(messages)


@pytest.mark.parametrize(
    "text, entities",
    [
        ("je cherche un campus", []),
        ("des campus vers Rennes ?", [{"entity": "location", "value": "Rennes"}]),
        ("un campus d'excellence en Bretagne", [{"entity": "region", "value": "Bretagne"}]),
        ('/search_campus{"feature": "mobility"}', [{"entity": "feature", "value": "mobility"}]),
    ],
)
def test_a_search_naming_no_diploma_leaves_the_sector_to_be_asked(text, entities):
    _, events = run(ActionResetSearch(), make_tracker({}, text=text, intent="search_campus", entities=entities))
    slots = slot_events(events)
    assert slots.get("specialty") is None and slots.get("sector") is None, slots


def test_an_interest_nlu_could_not_place_starts_a_search_in_its_sector_not_a_specialty():
    text = "il passe ses journées à démonter des moteurs"
    entities = [{"entity": "sector", "value": "mobility_aeronautics_transport"}]
    tracker = make_tracker({"area": "Sarthe"}, text=text, intent="nlu_fallback", entities=entities)
    _, events = run(ActionRefineSearch(), tracker)
    assert slot_events(events).get("specialty") is None, events


def test_a_sector_named_by_its_own_word_is_a_sector_search_not_a_specialty():
    text = "un campus pour mon fils qui voudrait travailler dans l'énergie"
    start = text.index("énergie")
    sector = {"entity": "sector", "value": "energy_transition_eco_industry", "start": start, "end": start + 7}
    _, events = run(ActionResetSearch(), make_tracker({}, text=text, intent="search_campus", entities=[sector]))
    assert slot_events(events).get("specialty") is None, events
    with_diploma = "un BTS dans l'énergie"
    start = with_diploma.index("énergie")
    entities = [{"entity": "level", "value": "bts"}, dict(sector, start=start, end=start + 7)]
    _, events = run(ActionResetSearch(), make_tracker({}, text=with_diploma, intent="search_campus", entities=entities))
    assert slot_events(events).get("specialty"), events
    plural = "campus matériaux grand est"  # the specialty index keeps the singular
    start = plural.index("matériaux")
    materials = {"entity": "sector", "value": "materials", "start": start, "end": start + 9}
    _, events = run(ActionResetSearch(), make_tracker({}, text=plural, intent="search_campus", entities=[materials]))
    assert slot_events(events).get("specialty") is None, events


def test_a_bts_in_computing_near_quimper_lists_schools_nearest_first():
    slots, reply = search_turn(
        "un BTS informatique près de Quimper",
        [{"entity": "level", "value": "bts"}, {"entity": "location", "value": "Quimper"}],
        "Quimper",
    )
    assert slots["specialty"] == "informatique" and slots["sector"] == "digital_telecommunications"
    lines = [line for line in reply.splitlines() if line.startswith("• ")]
    assert lines and "près de Quimper (29)" in reply and "offre Parcoursup 2025" in reply
    kms = [int(line.split(" km")[0].rsplit(" ", 1)[-1].lstrip("~")) for line in lines]
    assert kms == sorted(kms) and kms[0] <= 30
    assert all("BTS " in line for line in lines)
    assert "candidatez sur https://www.parcoursup.gouv.fr/" in reply
    assert "campus" in reply  # the campuses follow


def test_a_cap_in_apprenticeship_is_said_missing_from_the_data_never_invented():
    _, reply = search_turn(
        "un CAP cuisine en apprentissage près de Tours",
        [
            {"entity": "level", "value": "cap"},
            {"entity": "training_mode", "value": "apprenticeship"},
            {"entity": "location", "value": "Tours"},
        ],
        "Tours",
    )
    assert "Nos données n'ont pas l'offre de CAP Cuisine en apprentissage" in reply
    assert "labonnealternance" in reply and "• " not in reply


def test_a_diploma_that_does_not_exist_is_said_unknown_with_real_ones_as_choices():
    slots, reply = search_turn(
        "un BTS astronaute à Paris",
        [{"entity": "level", "value": "bts"}, {"entity": "location", "value": "Paris"}],
        "Paris",
    )
    assert "Je ne connais pas de BTS « astronaute »" in reply and "• " not in reply


def test_apprenticeship_rows_only_when_apprenticeship_is_asked():
    place = resolve_place("Lyon").place
    result = formations.search("electrotechnique", "bts", place, mode="apprenticeship", limit=5)
    reply = "\n".join(m["text"] for m in formations_reply(result, member_campuses()))
    lines = [line for line in reply.splitlines() if line.startswith("• ")]
    assert lines and all("(en apprentissage)" in line for line in lines)
    assert "offre Parcoursup 2024" in reply and "La bonne alternance" in reply


def test_a_member_school_says_which_campus_it_belongs_to():
    members = member_campuses()
    uai, campus_name = next(iter(members.items()))
    home = formations.establishment(uai)
    offered = formations.formations_of([uai])
    if home is None or not offered:
        pytest.skip("this member's UAI has no formation in the offer")
    first = offered[0]
    place = resolve_place(home.insee_code).place if home.insee_code else None
    result = formations.search(first.specialty, first.level, place, limit=10)
    reply = "\n".join(m["text"] for m in formations_reply(result, members))
    assert f"(membre du campus {campus_name})" in reply


def test_a_school_joined_to_a_campus_on_its_name_says_so_in_a_search():
    result = formations.search("informatique", "but", resolve_place("Lannion").place, limit=5)
    reply = "\n".join(m["text"] for m in formations_reply(result, member_campuses()))
    iut = next(line for line in reply.splitlines() if "I.U.T de Lannion" in line)
    assert "(membre du campus Numérique et photonique)" in iut


def campus_details(campus_id, place_text=None):
    from actions.replies import details_text
    from orientation.catalogue import load_catalogue

    place = resolve_place(place_text).place if place_text else None
    return details_text(load_catalogue().by_id(campus_id), place)


def test_campus_details_list_what_its_members_teach():
    details = campus_details("bretagne-numerique-photonique", "Brest")
    offer = details[details.index("Formations de ses établissements membres") :]
    assert "I.U.T de Lannion — Lannion" in offer and "BUT Informatique" in offer
    assert "Lycée Félix le Dantec — Lannion" in offer
    assert "https://www.parcoursup.gouv.fr/" in offer


def test_campus_details_without_members_show_its_sector_around_its_seat():
    details = campus_details("ara-design-habitat")
    assert "Ses membres ne sont pas connus : formations de son secteur à Saint-Étienne et autour" in details
    assert "BTS Bâtiment" in details
    assert "Architecture Architecture" not in details  # a specialty that repeats its diploma is said once


def test_a_job_named_without_a_diploma_lists_its_sector_s_formations_near_the_user():
    entities = [
        {"entity": "region", "value": "Mayotte"},
        {"entity": "job", "value": "Cuisinier"},
        {"entity": "sector", "value": "tourism_gastronomy"},
    ]
    slots, replies = search_turn("je veux etre cuisinier a mayotte ou je me forme", entities, "Mayotte")
    assert slots.get("specialty") is None  # not "Cuisinier en desserts de restaurant" in the Jura
    assert "Formations du secteur « Tourisme, gastronomie » à Mayotte" in replies
    assert "Lycée polyvalent de Kawéni — Mamoudzou" in replies


def test_turning_apprenticeship_down_searches_the_school_route():
    entities = [
        {"entity": "level", "value": "cap"},
        {"entity": "location", "value": "Chartres"},
        {"entity": "training_mode", "value": "apprenticeship"},
    ]
    text = "je veux faire un cap cuisine a chartres mais pas en alternance, en lycée"
    _, events = run(ActionResetSearch(), make_tracker({}, text=text, intent="search_campus", entities=entities))
    assert slot_events(events)["training_mode"] == "initial_training"
