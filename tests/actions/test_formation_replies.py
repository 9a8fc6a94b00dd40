"""Where a diploma is prepared near the user, as the student reads it: establishments nearest
first, with their town, distance and status, the year of the data and where to check the offer."""

from __future__ import annotations

import pytest

from actions.campus_actions import ActionSearchCampus, member_campuses
from actions.conversation import ActionResetSearch
from actions.replies import formations_reply
from orientation import formations
from orientation.places import place_to_dict, resolve_place
from tests.actions.test_actions import make_tracker, run, slot_events, texts


def search_turn(text: str, entities: list, place_text: str):
    """A new search as the dialogue runs it: the reset reads this message, then the search."""
    _, events = run(ActionResetSearch(), make_tracker({}, text=text, intent="search_campus", entities=entities))
    slots = {name: value for name, value in slot_events(events).items() if value is not None}
    slots.update({e["entity"]: e["value"] for e in entities if e["entity"] in ("sector", "level", "training_mode")})
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
