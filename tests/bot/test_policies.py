"""The context policy: which messages, after which turns, refine the campuses just shown, name an
interest, or open a guided exchange."""

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies import (
    CAMPUS_DETAILS,
    FOLLOW_UP,
    GUIDED_START,
    HELP,
    REFINE_ACTION,
    ContextPolicy,
    only_names_criteria,
    refines_shown_campuses,
)
from orientation.paths import PROJECT_ROOT


def entity(text, words, name, value=None):
    start = text.index(words)
    return {"entity": name, "start": start, "end": start + len(words), "value": value or words}


@pytest.mark.parametrize(
    "text, words, name",
    [
        ("et plus près de Lyon ?", "Lyon", "location"),
        ("non plutot lyon", "lyon", "location"),
        ("ah non pardon je voulais dire nantes", "nantes", "location"),
        ("et en alternance ?", "alternance", "training_mode"),
        ("et que les cap ?", "cap", "level"),
        ("et en Bretagne ça existe pas ?", "Bretagne", "region"),
        ("Nous sommes à Metz", "Metz", "location"),
        ("on habite chez moi à Brest", "Brest", "location"),
    ],
)
def test_a_message_naming_only_criteria_is_a_refinement(text, words, name):
    assert only_names_criteria(text, [entity(text, words, name)])


@pytest.mark.parametrize(
    "text, words, name",
    [
        ("et en alternance c'est payé combien ?", "alternance", "training_mode"),
        ("il est loin de Toulouse ?", "Toulouse", "location"),
        ("et celui de Lannion ?", "Lannion", "location"),
    ],
)
def test_a_message_asking_something_else_is_not(text, words, name):
    assert not only_names_criteria(text, [entity(text, words, name)])


def test_a_message_with_no_criterion_is_not():
    assert not only_names_criteria("non plutôt pas", [])
    assert not only_names_criteria("et le premier ?", [{"entity": "campus", "start": 3, "end": 13}])


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def tracker_after(events, text, intent, entities, confidence=0.7):
    user = UserUttered(text, {"name": intent, "confidence": confidence}, entities)
    return DialogueStateTracker.from_events("user", [*events, user])


def faq_answered(question, answer):
    """The events of an FAQ question answered with `answer` ("utter_faq_studies/bts")."""
    topic = answer.split("/")[0]
    return [
        ActionExecuted("action_listen"),
        UserUttered(question, {"name": topic[len("utter_") :], "confidence": 1.0}),
        ActionExecuted(topic),
        BotUttered("…", metadata={"utter_action": answer}),
        ActionExecuted("action_listen"),
    ]


CAMPUSES_SHOWN = [
    ActionExecuted("action_listen"),
    UserUttered("aéronautique en Occitanie", {"name": "search_campus", "confidence": 1.0}),
    ActionExecuted("action_search_campus"),
    BotUttered("J'ai trouvé 2 campus…"),
    ActionExecuted("action_listen"),
]


def test_after_campuses_a_correction_read_as_a_refusal_refines_the_search():
    text = "non plutot lyon"
    tracker = tracker_after(CAMPUSES_SHOWN, text, "deny", [entity(text, "lyon", "location")])
    assert refines_shown_campuses(tracker)


def test_after_an_faq_answer_the_same_message_keeps_its_intent():
    faq = faq_answered("c'est quoi un BTS", "utter_faq_studies/bts")
    text = "et en alternance ?"
    tracker = tracker_after(
        CAMPUSES_SHOWN + faq, text, "faq_apprenticeship", [entity(text, "alternance", "training_mode")]
    )
    assert not refines_shown_campuses(tracker)


def test_a_new_session_forgets_the_campuses_shown():
    text = "non plutot lyon"
    events = CAMPUSES_SHOWN + [SessionStarted(), ActionExecuted("action_listen")]
    assert not refines_shown_campuses(tracker_after(events, text, "deny", [entity(text, "lyon", "location")]))


def test_intents_that_search_again_themselves_are_left_to_their_rules():
    text = "et en Normandie ?"
    tracker = tracker_after(CAMPUSES_SHOWN, text, "inform", [entity(text, "Normandie", "region")])
    assert not refines_shown_campuses(tracker)


def test_the_actions_predicted_are_in_the_domain(domain):
    assert {REFINE_ACTION, GUIDED_START, CAMPUS_DETAILS, FOLLOW_UP, HELP} <= set(domain.action_names_or_texts)


def test_a_message_nlu_could_not_place_that_names_an_interest_is_a_search():
    text = "il passe son temps à démonter des moteurs"
    interest = entity(text, "moteurs", "sector", "mobility_aeronautics_transport")
    assert (
        ContextPolicy.action_for(tracker_after([ActionExecuted("action_listen")], text, "nlu_fallback", [interest]))
        == REFINE_ACTION
    )
    assert ContextPolicy.action_for(tracker_after([ActionExecuted("action_listen")], text, "nlu_fallback", [])) is None
    # Understood as something else: its own rule answers.
    assert (
        ContextPolicy.action_for(tracker_after([ActionExecuted("action_listen")], text, "faq_mobility", [interest]))
        is None
    )


def test_a_reluctant_opening_starts_the_guided_exchange():
    opening = [ActionExecuted("action_listen")]
    assert ContextPolicy.action_for(tracker_after(opening, "jsais pas 😅", "deny", [])) == GUIDED_START
    greeted = [
        ActionExecuted("action_listen"),
        UserUttered("bonjour", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("action_greet"),
        BotUttered("Bonjour !", metadata={"utter_action": "text_greet"}),
        ActionExecuted("action_listen"),
    ]
    assert ContextPolicy.action_for(tracker_after(greeted, "aucune idée", "no_preference", [])) == GUIDED_START


def test_a_refusal_of_something_asked_stays_a_refusal():
    assert ContextPolicy.action_for(tracker_after(CAMPUSES_SHOWN, "non merci", "deny", [])) is None


def in_search_form(requested_slot):
    """The search form running, waiting for `requested_slot`."""
    return [
        ActionExecuted("action_listen"),
        UserUttered("un campus dans le bâtiment", {"name": "search_campus", "confidence": 1.0}),
        ActionExecuted("campus_search_form"),
        ActiveLoop("campus_search_form"),
        SlotSet("requested_slot", requested_slot),
        BotUttered("Où cherchez-vous ?"),
        ActionExecuted("action_listen"),
    ]


def test_an_faq_question_while_the_form_waits_is_answered_before_the_form_goes_on():
    text = "un maçon avec quinze ans de métier peut-il faire une VAE ?"
    trade = entity(text, "maçon", "job", "maçon")
    tracker = tracker_after(in_search_form("area"), text, "faq_vae", [trade])
    assert ContextPolicy.action_for(tracker) == "utter_faq_vae"


def test_an_faq_intent_that_gives_what_the_form_asked_is_left_to_the_form():
    text = "en apprentissage à Rennes"
    place = entity(text, "Rennes", "location")
    assert ContextPolicy.action_for(tracker_after(in_search_form("area"), text, "faq_apprenticeship", [place])) is None
    # No form running: the FAQ rules answer.
    plain = [ActionExecuted("action_listen")]
    assert ContextPolicy.action_for(tracker_after(plain, "c'est quoi la VAE ?", "faq_vae", [])) is None


@pytest.mark.parametrize(
    "text, intent",
    [
        ("le 2e", "inform"),
        ("ok le deuxieme alors", "search_campus"),
        ("il a le label excellence ?", "faq_cmq"),
        ("c'est un campus d'excellence ?", "faq_cmq"),
        ("c'est quel niveau ?", "faq_studies"),
        ("celui à côté de roissy", "inform"),
    ],
)
def test_after_campuses_a_rank_or_their_label_is_about_one_of_them(text, intent):
    assert ContextPolicy.action_for(tracker_after(CAMPUSES_SHOWN, text, intent, [])) == CAMPUS_DETAILS


@pytest.mark.parametrize(
    "text", ["c'est quoi un campus d'excellence ?", "comment obtenir le label excellence ?", "il faut quel niveau ?"]
)
def test_after_campuses_the_general_question_keeps_its_intent(text):
    assert ContextPolicy.action_for(tracker_after(CAMPUSES_SHOWN, text, "faq_cmq", [])) is None


def test_after_campuses_a_question_naming_a_diploma_is_about_the_diploma():
    text = "c'est quel niveau un BTS ?"
    bts = entity(text, "BTS", "level", "bts")
    assert ContextPolicy.action_for(tracker_after(CAMPUSES_SHOWN, text, "faq_studies", [bts])) is None


ERASMUS_ANSWERED = faq_answered("je peux partir en erasmus pendant mon cap ?", "utter_faq_mobility/eligibility")


def test_after_an_faq_answer_a_question_read_as_an_unsure_search_follows_it_up():
    text = "qui paie le voyage"
    tourism = entity(text, "voyage", "sector", "tourism_gastronomy")
    assert ContextPolicy.action_for(tracker_after(ERASMUS_ANSWERED, text, "inform", [tourism], 0.56)) == FOLLOW_UP
    # Not a question, or a search NLU is sure of: the search.
    assert ContextPolicy.action_for(tracker_after(ERASMUS_ANSWERED, "le tourisme", "inform", [], 0.56)) is None
    sure = UserUttered(text, {"name": "inform", "confidence": 0.95}, [tourism])
    assert ContextPolicy.action_for(DialogueStateTracker.from_events("u", [*ERASMUS_ANSWERED, sure])) is None
    # No FAQ answer before: nothing to follow up.
    alone = tracker_after([ActionExecuted("action_listen")], text, "inform", [tourism], 0.56)
    assert ContextPolicy.action_for(alone) is None


@pytest.mark.parametrize("text, intent", [("🙂🙂", "inform"), ("???", "faq_follow_up")])
def test_emoji_or_symbols_alone_get_what_the_assistant_can_do(text, intent):
    assert ContextPolicy.action_for(tracker_after([ActionExecuted("action_listen")], text, intent, [])) == HELP


def test_an_emoji_that_says_yes_keeps_its_intent():
    assert ContextPolicy.action_for(tracker_after([ActionExecuted("action_listen")], "👍", "affirm", [])) is None


def test_after_its_own_answer_the_policy_waits_for_the_user():
    answered = [*CAMPUSES_SHOWN, UserUttered("le 2e", {"name": "inform", "confidence": 0.6})]
    answered.append(ActionExecuted(CAMPUS_DETAILS, policy="ContextPolicy"))
    assert ContextPolicy.action_for(DialogueStateTracker.from_events("u", answered)) == "action_listen"
    # The same action predicted by a rule: the rules go on.
    by_rule = [*answered[:-1], ActionExecuted(CAMPUS_DETAILS, policy="RulePolicy")]
    assert ContextPolicy.action_for(DialogueStateTracker.from_events("u", by_rule)) is None


def test_after_campuses_a_place_nlu_did_not_tag_refines_the_search():
    for text in ("et dans le 13 en general ?", "et vers marseile ?"):
        assert ContextPolicy.action_for(tracker_after(CAMPUSES_SHOWN, text, "nlu_fallback", [])) == REFINE_ACTION
    # A question around the place is about the campus shown; a message NLU understood keeps its intent.
    far = tracker_after(CAMPUSES_SHOWN, "c'est loin de marseille ?", "nlu_fallback", [])
    assert ContextPolicy.action_for(far) == CAMPUS_DETAILS
    assert ContextPolicy.action_for(tracker_after(CAMPUSES_SHOWN, "merci à vous", "thank", [])) is None


def test_a_question_read_without_conviction_as_another_topic_keeps_the_conversations_topic():
    in_apprenticeship = [SlotSet("training_mode", "apprenticeship"), *CAMPUSES_SHOWN]
    text = "Et combien serait-elle payée la première année ?"

    def asked(intent, confidence, pay_confidence, entities=()):
        selector = {
            "faq_apprenticeship": {
                "response": {"utter_action": "utter_faq_apprenticeship/pay", "confidence": pay_confidence}
            }
        }
        intent_read = {"name": intent, "confidence": confidence}
        parse = {"intent": intent_read, "entities": list(entities), "text": text, "response_selector": selector}
        user = UserUttered(text, intent_read, list(entities), parse_data=parse)
        return ContextPolicy.action_for(DialogueStateTracker.from_events("u", [*in_apprenticeship, user]))

    assert asked("faq_studies", 0.55, 0.97) == FOLLOW_UP
    # NLU sure of the other topic, the topic's answer unlikely, or a topic named: left to NLU.
    assert asked("faq_studies", 0.9, 0.97) is None
    assert asked("faq_studies", 0.55, 0.4) is None
    assert asked("faq_studies", 0.55, 0.97, [{"entity": "level", "value": "cap", "start": 0, "end": 3}]) is None


def test_after_campuses_the_label_tagged_as_a_feature_is_still_asked_of_them():
    text = "il a le label excellence ?"
    label = entity(text, "excellence", "feature", "excellence")
    assert ContextPolicy.action_for(tracker_after(CAMPUSES_SHOWN, text, "faq_cmq", [label])) == CAMPUS_DETAILS
