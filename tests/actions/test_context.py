"""What the conversation is about: a follow-up answered within the topic being talked about, and
the campuses just shown pointed at by rank, town, sector, a word of their name or "celui-là"."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker

from actions.campus_actions import ActionCampusDetails
from actions.context import asked_field, current_topic, latest_context, point_at, rank_of, shown_campuses
from actions.conversation import (
    ActionAnswerFollowUp,
    ActionDefaultAskAffirmation,
    ActionDefaultFallback,
    ActionOutOfScope,
)
from actions.replies import after_campus, at_place
from orientation.text import normalise
from tests.actions.test_actions import run, texts


def faq_answer(name: str) -> dict:
    return {"event": "bot", "text": "…", "metadata": {"utter_action": name}}


def follow_up_tracker(events: List[dict], text: str = "et c'est payant ?") -> Tracker:
    selection = {
        topic: {"response": {"utter_action": f"utter_{topic}/{answer}", "confidence": 0.7}}
        for topic, answer in (("faq_vae", "funding"), ("faq_mobility", "funding"), ("faq_apprenticeship", "pay"))
    }
    latest = {"text": text, "intent": {"name": "faq_follow_up", "confidence": 0.9}, "response_selector": selection}
    return Tracker(
        "u", {}, latest, events + [{"event": "user", "text": text, "parse_data": latest}], False, None, {}, ""
    )


def test_a_follow_up_is_answered_within_the_latest_faq_topic():
    tracker = follow_up_tracker([faq_answer("utter_faq_mobility/what_is"), faq_answer("utter_faq_vae/what_is")])
    assert current_topic(tracker) == "faq_vae"
    messages, _ = run(ActionAnswerFollowUp(), tracker)
    assert messages[0].get("response") == "utter_faq_vae/funding"


def test_an_age_after_the_pay_answer_gets_the_row_for_that_age():
    tracker = follow_up_tracker([faq_answer("utter_faq_apprenticeship/pay")], "et à 21 ans ?")
    messages, _ = run(ActionAnswerFollowUp(), tracker)
    assert "À 21 ans" in texts(messages) and "53 %" in texts(messages) and "78 %" in texts(messages)
    older = follow_up_tracker([faq_answer("utter_faq_apprenticeship/pay")], "et à 30 ans ?")
    assert "au moins le SMIC (100 %)" in texts(run(ActionAnswerFollowUp(), older)[0])
    # After another answer, an age is not a pay question.
    elsewhere = follow_up_tracker([faq_answer("utter_faq_apprenticeship/age")], "et à 21 ans ?")
    assert "À 21 ans" not in texts(run(ActionAnswerFollowUp(), elsewhere)[0])


def test_a_follow_up_without_a_topic_asks_which_one():
    messages, _ = run(ActionAnswerFollowUp(), follow_up_tracker([{"event": "bot", "text": "Bonjour !"}]))
    assert "De quel sujet parlez-vous" in texts(messages)
    titles = [button["title"] for button in messages[0]["buttons"]]
    assert "La VAE" in titles or any("VAE" in title for title in titles)


def test_a_new_session_forgets_the_topic():
    events = [faq_answer("utter_faq_vae/what_is"), {"event": "session_started"}]
    assert current_topic(follow_up_tracker(events)) is None


# --- the campuses just shown ----------------------------------------------------------------


def results_tracker(
    ids: List[str], text: str, entities: Optional[List[dict]] = None, campus: Optional[str] = None
) -> Tracker:
    slots: Dict[str, Any] = {"search_results": ids, "search_shown": float(min(3, len(ids))), "campus": campus}
    latest = {"text": text, "intent": {"name": "campus_details", "confidence": 0.9}, "entities": entities or []}
    return Tracker("u", slots, latest, [{"event": "user", "text": text, "parse_data": latest}], False, None, {}, "")


@pytest.fixture(scope="module")
def three(catalogue):
    """Three campuses of different towns and sectors, shown in this order."""
    chosen, towns, sectors = [], set(), set()
    for campus in catalogue.campuses:
        if campus.town and campus.town not in towns and campus.sector not in sectors:
            chosen.append(campus)
            towns.add(campus.town)
            sectors.add(campus.sector)
        if len(chosen) == 3:
            return chosen
    raise AssertionError("the catalogue has three campuses of different towns and sectors")


def ids(campuses):
    return [campus.id for campus in campuses]


@pytest.mark.parametrize(
    "text, index", [("le premier", 0), ("le 2e", 1), ("et le deuxième ?", 1), ("le troisième", 2), ("le dernier", 2)]
)
def test_a_rank_points_at_the_campus_shown_there(three, text, index):
    assert point_at(results_tracker(ids(three), text), three).campus == three[index]


def test_a_rank_beyond_what_was_shown_offers_the_ones_shown(three):
    pointed = point_at(results_tracker(ids(three), "le cinquième"), three)
    assert pointed.campus is None and pointed.out_of_range and pointed.candidates == tuple(three)
    messages, _ = run(ActionCampusDetails(), results_tracker(ids(three), "le cinquième"))
    assert "montré 3" in texts(messages) and len(messages[0]["buttons"]) == 3


def test_a_town_a_sector_or_a_word_of_the_name_points_at_one(three):
    target = three[1]
    by_town = results_tracker(ids(three), "celui-là", [{"entity": "location", "value": target.town_name}])
    assert point_at(by_town, three).campus == target
    by_sector = results_tracker(ids(three), "celui-là", [{"entity": "sector", "value": target.sector}])
    assert point_at(by_sector, three).campus == target
    word = max(
        (
            w
            for w in normalise(target.name).split()
            if len(w) > 3 and all(w not in normalise(c.name) for c in three if c != target)
        ),
        key=len,
    )
    assert point_at(results_tracker(ids(three), f"celui sur {word}"), three).campus == target


def test_a_town_none_shown_is_in_is_said_so(three, catalogue):
    elsewhere = next(c for c in catalogue.campuses if c.town and c not in three)
    typed = elsewhere.town_name.lower()  # said as typed, answered with the town's own spelling
    text = f"celui de {typed}"
    tracker = results_tracker(ids(three), text, [{"entity": "location", "value": typed}])
    messages, _ = run(ActionCampusDetails(), tracker)
    assert f"Aucun des campus que je vous ai montrés n'est {at_place(elsewhere.town_name)}" in texts(messages)
    assert len(messages[0]["buttons"]) == 3


def test_a_town_further_down_the_results_points_at_that_campus(three, catalogue):
    further = next(c for c in catalogue.campuses if c.town and c not in three)
    text = f"et celui de {further.town_name} ?"
    tracker = results_tracker(ids(three) + [further.id], text, [{"entity": "location", "value": further.town_name}])
    assert point_at(tracker, three).campus == further


def test_celui_la_with_several_shown_asks_which(three):
    messages, events = run(ActionCampusDetails(), results_tracker(ids(three), "celui-là"))
    assert "De quel campus parlez-vous" in texts(messages)
    assert [b["payload"] for b in messages[0]["buttons"]] == [f'/campus_details{{"campus":"{i}"}}' for i in ids(three)]


def test_celui_la_with_one_shown_gives_its_details(three):
    messages, events = run(ActionCampusDetails(), results_tracker(ids(three)[:1], "il est où celui-là ?"))
    campus = three[0]
    assert texts(messages).splitlines()[0].startswith(f"Le campus {campus.name} est ")
    assert {"event": "slot", "name": "campus", "value": campus.id} in [
        {k: e[k] for k in ("event", "name", "value")} for e in events
    ]


def test_a_field_of_the_campus_just_detailed(catalogue, three):
    with_site = next(c for c in catalogue.campuses if c.website)
    messages, _ = run(ActionCampusDetails(), results_tracker(ids(three), "ils ont un site ?", campus=with_site.id))
    assert texts(messages).splitlines()[0] == f"Le site du campus {with_site.name} : {with_site.website}"
    plain = next(c for c in catalogue.campuses if not c.excellence and not c.unconfirmed)
    messages, _ = run(ActionCampusDetails(), results_tracker([], "il est d'excellence ?", campus=plain.id))
    assert texts(messages).startswith("Non, ")


def test_a_reference_with_nothing_shown_says_so():
    messages, _ = run(ActionCampusDetails(), results_tracker([], "celui-là"))
    assert "aucun campus" in texts(messages)


def test_only_the_campuses_seen_can_be_pointed_at(three):
    tracker = results_tracker(ids(three), "le premier")
    tracker.slots["search_shown"] = 2.0
    assert shown_campuses(tracker) == three[:2]


@pytest.mark.parametrize(
    "text, field",
    [
        ("ils ont un site ?", "website"),
        ("le lien svp", "website"),
        ("c'est où exactement ?", "where"),
        ("il est dans quelle ville", "where"),
        ("il est d'excellence ?", "excellence"),
        ("c'est où précisément ?", "where"),
        ("ils proposent quels diplômes ?", "offer"),
        ("c'est loin de chez moi ?", "distance"),
        ("il est à combien de km de Toulouse", "distance"),
        ("il fait quoi ?", None),
        ("le premier", None),
    ],
)
def test_the_field_asked(text, field):
    assert asked_field(text) == field


def test_the_latest_context_is_what_was_said_or_shown_last():
    faq_then_search = [faq_answer("utter_faq_vae/what_is"), {"event": "action", "name": "action_search_campus"}]
    assert latest_context(follow_up_tracker(faq_then_search)) == "campuses"
    search_then_faq = list(reversed(faq_then_search))
    assert latest_context(follow_up_tracker(search_then_faq)) == "faq_vae"


def test_a_follow_up_after_campus_results_is_about_them(three):
    tracker = results_tracker(ids(three), "ils ont un site ?")
    tracker.events.insert(0, {"event": "action", "name": "action_search_campus"})
    messages, _ = run(ActionAnswerFollowUp(), tracker)
    lines = texts(messages).splitlines()
    assert [after_campus(campus.name) in line for campus, line in zip(three, lines)] == [True] * 3
    assert all("site" in line for line in lines)
    tracker = results_tracker(ids(three), "et celui-là ?")
    tracker.events.insert(0, {"event": "action", "name": "action_search_campus"})
    messages, _ = run(ActionAnswerFollowUp(), tracker)
    assert "De quel campus parlez-vous" in texts(messages)


def test_a_question_on_the_faq_answer_just_given_is_answered_within_its_topic(three):
    tracker = results_tracker(ids(three), "c'est quoi le site officiel ?")
    tracker.events.insert(0, {"event": "action", "name": "action_search_campus"})
    tracker.events.insert(1, faq_answer("utter_faq_vae/what_is"))
    tracker.latest_message["response_selector"] = {"faq_vae": {"response": {"utter_action": "utter_faq_vae/steps"}}}
    messages, _ = run(ActionCampusDetails(), tracker)
    assert messages[0].get("response") == "utter_faq_vae/steps"
    # pointing at a campus shown still gives the campus
    tracker.latest_message["text"] = "le premier"
    messages, _ = run(ActionCampusDetails(), tracker)
    assert three[0].name in texts(messages)


# --- a message NLU could not place, in the conversation's context ----------------------------


def unclear(tracker: Tracker, intent: str = "nlu_fallback") -> Tracker:
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.45}
    tracker.latest_message["intent_ranking"] = [{"name": "faq_studies", "confidence": 0.3}]
    tracker.events[-1]["parse_data"] = tracker.latest_message
    return tracker


def test_an_unclear_question_about_the_campus_just_shown_is_answered(three):
    tracker = unclear(results_tracker(ids(three)[:1], "c'est où précisément ?"))
    tracker.events.insert(0, {"event": "action", "name": "action_search_campus"})
    messages, _ = run(ActionDefaultAskAffirmation(), tracker)
    assert texts(messages).startswith(f"Le campus {three[0].name} est ")
    # the same words with no campus shown: what was meant is asked
    messages, _ = run(ActionDefaultAskAffirmation(), unclear(results_tracker([], "c'est où précisément ?")))
    assert messages[0].get("response") == "text_ask_affirmation"


def test_an_unclear_follow_up_of_an_faq_answer_is_answered_within_its_topic_when_likely():
    tracker = unclear(follow_up_tracker([faq_answer("utter_faq_vae/what_is")], "ça dure combien de temps ?"))
    messages, _ = run(ActionDefaultAskAffirmation(), tracker)
    assert messages[0].get("response") == "utter_faq_vae/funding"
    tracker.latest_message["response_selector"]["faq_vae"]["response"]["confidence"] = 0.3
    messages, _ = run(ActionDefaultAskAffirmation(), tracker)
    assert messages[0].get("response") == "text_ask_affirmation"
    # a long message is no follow-up
    long = unclear(follow_up_tracker([faq_answer("utter_faq_vae/what_is")], "mot " * 14))
    messages, _ = run(ActionOutOfScope(), long)
    assert messages[0].get("response") == "utter_out_of_scope"


def test_after_an_unclear_message_answered_in_context_the_next_one_is_asked_about_not_given_up():
    answered = [
        {"event": "user", "text": "ça dure combien ?", "parse_data": {"intent": {"name": "nlu_fallback"}}},
        faq_answer("utter_faq_vae/duration"),
    ]
    tracker = unclear(follow_up_tracker(answered, "bof " * 14))
    messages, _ = run(ActionDefaultFallback(), tracker)
    assert messages[0].get("response") == "text_ask_affirmation"
    # two messages not understood, each asked about: the counsellor
    asked = [answered[0], {"event": "bot", "text": "…", "metadata": {"utter_action": "text_ask_affirmation"}}]
    messages, _ = run(ActionDefaultFallback(), unclear(follow_up_tracker(asked, "bof " * 14)))
    assert messages[0].get("response") == "text_fallback"


def test_a_field_asked_of_the_whole_list_is_answered_for_each(three):
    tracker = results_tracker(ids(three), "ils sont d'excellence ?")
    tracker.events.insert(0, {"event": "action", "name": "action_search_campus"})
    messages, _ = run(ActionCampusDetails(), tracker)
    lines = texts(messages).splitlines()
    assert len(lines) == 3 and all(after_campus(campus.name) in line for campus, line in zip(three, lines))
    assert len(messages[0]["buttons"]) == 3
    # "celui-là" means one of them: which one is asked
    tracker.latest_message["text"] = "celui-là, il est d'excellence ?"
    messages, _ = run(ActionCampusDetails(), tracker)
    assert "De quel campus parlez-vous" in texts(messages)


def test_a_clue_every_campus_shown_shares_does_not_stop_a_name_word(catalogue):
    same_sector = [c for c in catalogue.campuses if c.sector == catalogue.campuses[0].sector][:3]
    target = same_sector[-1]
    word = max(
        (
            w
            for w in normalise(target.name).split()
            if len(w) > 3 and all(w not in normalise(c.name) for c in same_sector[:-1])
        ),
        key=len,
    )
    tracker = results_tracker(ids(same_sector), f"celui sur {word}", [{"entity": "sector", "value": target.sector}])
    assert point_at(tracker, same_sector).campus == target


@pytest.mark.parametrize(
    "text, name",
    [
        ("celui sur les bateaux", "Nautisme"),
        ("et celui sur les voitures ?", "Auto-mobilités"),
        ("celui avec les tracteurs", "Agroéquipements"),
    ],
)
def test_a_word_of_the_trade_points_at_the_campus_whose_name_means_it(catalogue, text, name):
    same_sector = [
        next(c for c in catalogue.campuses if c.name == wanted)
        for wanted in ("Nautisme", "Auto-mobilités", "Aéronautique", "Agroéquipements")
    ]
    mobility = {"entity": "sector", "value": "mobility_aeronautics_transport"}
    pointed = point_at(results_tracker(ids(same_sector), text, [mobility]), same_sector)
    assert pointed.campus is not None and pointed.campus.name == name


def test_after_campuses_in_apprenticeship_a_question_of_no_campus_is_answered_within_apprenticeship(three):
    tracker = results_tracker(ids(three), "et c'est payé combien ?")
    tracker.events.insert(0, {"event": "action", "name": "action_search_campus"})
    tracker.slots["training_mode"] = "apprenticeship"
    pay = {"response": {"utter_action": "utter_faq_apprenticeship/pay", "confidence": 0.95}}
    tracker.latest_message["response_selector"] = {"faq_apprenticeship": pay}
    messages, _ = run(ActionAnswerFollowUp(), tracker)
    assert messages[0].get("response") == "utter_faq_apprenticeship/pay"
    # A search in no training mode: the question is about the campuses shown.
    tracker.slots["training_mode"] = None
    messages, _ = run(ActionAnswerFollowUp(), tracker)
    assert messages[0].get("response") != "utter_faq_apprenticeship/pay"


def test_a_rank_of_time_points_at_no_campus(three):
    assert rank_of("Et combien serait-elle payée la première année ?") is None
    assert rank_of("c'est la 2e fois que je demande") is None
    assert rank_of("et le premier ?") == 0


def test_a_town_nlu_did_not_tag_still_points_at_the_campus_there(catalogue):
    shown = [next(c for c in catalogue.campuses if c.town_name.startswith(town)) for town in ("Épinal", "Charleville")]
    assert point_at(results_tracker(ids(shown), "et celui de Charleville ?"), shown).campus == shown[1]


def test_how_far_from_a_town_is_asked_of_the_campus_just_detailed_not_of_one_with_a_member_there(catalogue):
    shown = [next(c for c in catalogue.campuses if c.name == name) for name in ("Nautisme", "Auto-mobilités")]
    nantes = [{"entity": "location", "value": "Nantes"}]
    tracker = results_tracker(ids(shown), "c'est loin de Nantes ?", nantes, campus=shown[1].id)
    assert point_at(tracker, shown).campus is None and not point_at(tracker, shown).explicit
    # Without a distance asked, the town points at the campus with a member there.
    assert point_at(results_tracker(ids(shown), "et celui de Nantes ?", nantes), shown).campus == shown[0]
