"""Conversation actions: greeting, sectors, human counsellor, fallback, new search."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.campus_actions import about_campus_in_context, points_at_a_campus
from actions.context import (
    CAMPUSES,
    CRITERIA_ENTITIES,
    UNPLACED_INTENTS,
    answer_within,
    asked_field,
    latest_context,
    latest_faq_answer,
    topic_of_search,
)
from actions.forms import ANY_SECTOR, bounded, entity_texts, explain_job, written_place
from orientation.formations import NO_SECTOR, find_specialty
from orientation.jobs import resolve_job
from orientation.pay import age_in, apprentice_pay_at
from orientation.sectors import load_sectors
from orientation.settings import load_settings
from orientation.text import fold_word, normalise
from orientation.training import training_mode_asked
from orientation.wording import fill

# The meanings offered when a message is not understood ("Vouliez-vous :"), each button titled
# by its response text_intent_<intent>.
OFFERED_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "bot_challenge",
    "help",
    "request_counsellor",
    "search_campus",
    "campus_details",
    "list_sectors",
    "ask_sector",
    "faq_cmq",
    "faq_apprenticeship",
    "faq_vae",
    "faq_continuing_education",
    "faq_mobility",
    "faq_studies",
)
# Retrieval intents need words, not a "/intent" payload, to reach the response selector.
INTENT_PAYLOADS = {
    "faq_cmq": "C'est quoi un campus des métiers et des qualifications ?",
    "faq_apprenticeship": "C'est quoi l'apprentissage ?",
    "faq_vae": "C'est quoi la VAE ?",
    "faq_continuing_education": "C'est quoi la formation continue ?",
    "faq_mobility": "Comment partir avec Erasmus+ ?",
    "faq_studies": "Quels diplômes après la 3e ?",
}
SEARCH_SLOTS = (
    "specialty",
    "sector",
    "area",
    "region",
    "location",
    "place",
    "feature",
    "training_mode",
    "level",
    "job",
    "search_results",
    "search_shown",
)
SLOT_ENTITIES = {
    "sector": "sector",
    "area": None,
    "region": "region",
    "location": "location",
    "feature": "feature",
    "training_mode": "training_mode",
    "level": "level",
    "job": "job",
}


def counsellor_message() -> str:
    settings = load_settings()
    counsellor = settings.counsellor
    national = settings.national_service
    if not counsellor.is_reachable:
        return fill("text_counsellor_national", service=national["name"], url=national["url"])
    lines = [
        fill(
            "text_counsellor_intro",
            counsellor=counsellor.name or fill("text_counsellor_default_name"),
            school=settings.school_name,
        )
    ]
    if counsellor.email:
        lines.append(fill("text_counsellor_email", email=counsellor.email))
    if counsellor.phone and counsellor.hours:
        lines.append(fill("text_counsellor_phone_hours", phone=counsellor.phone, hours=counsellor.hours))
    elif counsellor.phone:
        lines.append(fill("text_counsellor_phone", phone=counsellor.phone))
    if counsellor.booking_url:
        lines.append(fill("text_counsellor_booking", url=counsellor.booking_url))
    lines.append(fill("text_counsellor_national_too", service=national["name"], url=national["url"]))
    return "\n".join(lines)


class ActionGreet(Action):
    def name(self) -> Text:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="text_greet", school=load_settings().school_name)
        dispatcher.utter_message(response="utter_help")
        return []


class ActionContactCounsellor(Action):
    def name(self) -> Text:
        return "action_contact_counsellor"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=counsellor_message())
        return []


class ActionListSectors(Action):
    def name(self) -> Text:
        return "action_list_sectors"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        sectors = load_sectors()
        dispatcher.utter_message(
            response="text_sectors_list",
            count=len(sectors),
            buttons=[{"title": s.label, "payload": f'/ask_sector{{"sector":"{key}"}}'} for key, s in sectors.items()],
        )
        return []


class ActionDescribeSector(Action):
    def name(self) -> Text:
        return "action_describe_sector"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        key = next(iter(tracker.get_latest_entity_values("sector")), None) or tracker.get_slot("sector")
        if isinstance(key, list):
            key = key[0] if key else None
        key = bounded(key)
        sector = load_sectors().get(key) if isinstance(key, str) else None
        job_name = bounded(next(iter(tracker.get_latest_entity_values("job")), None))
        job = resolve_job(job_name) if job_name else None
        if job is not None:
            explain_job(dispatcher, job, key)
        if sector is None:
            if job is not None:
                return []
            return await ActionListSectors().run(dispatcher, tracker, domain)
        lines = [fill("text_sector_summary", sector=sector.label, summary=sector.summary)]
        if sector.jobs:
            lines.append(fill("text_sector_jobs", jobs=", ".join(sector.jobs)))
        if sector.diplomas:
            lines.append(fill("text_sector_diplomas", diplomas=", ".join(sector.diplomas)))
        lines.append(fill("text_sector_more", url=sector.url))
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[{"title": fill("text_button_sector_search"), "payload": f'/search_campus{{"sector":"{key}"}}'}],
        )
        return [SlotSet("sector", key)]


# The criteria that replace each other: a new place replaces the whole place, a new trade the
# sector, the specialty and the job. A refinement ("et plus près de Quimper ?") keeps the groups
# it does not name.
CRITERIA_GROUPS = (
    frozenset({"area", "region", "location", "place"}),
    frozenset({"sector", "specialty", "job"}),
    frozenset({"feature"}),
    frozenset({"training_mode"}),
    frozenset({"level"}),
)
# How a message opens when it changes one criterion of the search just shown.
REFINEMENT_OPENINGS = (
    "et ",
    "y en a",
    "y a t il",
    "plus pres",
    "plutot ",
    "non plutot",
    "sinon ",
    "pareil ",
    "meme chose",
)


def refines_the_shown_search(tracker: Tracker) -> bool:
    text = normalise(tracker.latest_message.get("text") or "")
    return latest_context(tracker) == CAMPUSES and text.startswith(REFINEMENT_OPENINGS)


class ActionResetSearch(Action):
    """A new search forgets the previous criteria, except those given in this message; a
    refinement of the search just shown forgets only those it replaces."""

    def name(self) -> Text:
        return "action_reset_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        return search_criteria_events(tracker, refining=refines_the_shown_search(tracker))


class ActionRefineSearch(Action):
    """A message that only changes criteria of the campuses just shown ("et en alternance ?",
    "non plutôt Lyon"), whatever intent NLU gave it (bot/policies.py): the same search with the
    criteria it names replaced."""

    def name(self) -> Text:
        return "action_refine_search"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # An interest NLU could not place ("il adore démonter des moteurs") names a sector, not
        # a specialty to look up word by word.
        as_interest = (tracker.latest_message.get("intent") or {}).get("name") in UNPLACED_INTENTS
        # then the form (rules/campus_search.yml)
        return search_criteria_events(tracker, refining=True, read_specialty=not as_interest)


def search_criteria_events(tracker: Tracker, refining: bool, read_specialty: bool = True) -> List[Dict[Text, Any]]:
    given = {entity["entity"] for entity in tracker.latest_message.get("entities", [])}
    keep = {slot for slot, entity in SLOT_ENTITIES.items() if entity in given}
    if given & {"region", "location"}:
        keep |= {"area"}
    # No place read by NLU: the words after "à", "vers"... are checked by the form.
    written = written_place(tracker) if not given & {"region", "location"} else None
    if refining:
        named = given | keep | ({"area"} if written else set())
        keep |= {slot for group in CRITERIA_GROUPS if not group & named for slot in group}
    events = [SlotSet(slot, None) for slot in SEARCH_SLOTS if slot not in keep]
    if read_specialty:
        events += specialty_events(tracker, sector_given="sector" in given)
    events += training_mode_events(tracker)
    if written:
        events.append(SlotSet("area", written))
    return events


def training_mode_events(tracker: Tracker) -> List[Dict[Text, Any]]:
    """ "pas en alternance" tagged as apprenticeship, or two modes tagged: the one meant."""
    tagged = [str(value) for value in tracker.get_latest_entity_values("training_mode")]
    asked = training_mode_asked(tracker.latest_message.get("text") or "", tagged)
    return [SlotSet("training_mode", asked)] if asked and (len(tagged) != 1 or asked != tagged[0]) else []


def specialty_events(tracker: Tracker, sector_given: bool) -> List[Dict[Text, Any]]:
    """The specialty this message names ("BTS SIO", "CAP cuisine"), and its sector when NLU found none."""
    text = bounded(tracker.latest_message.get("text") or "")
    if text.startswith("/"):  # a button's payload ("/search_campus{...}") names its criteria itself
        return []
    level = next(iter(tracker.get_latest_entity_values("level")), None)
    places = list(tracker.get_latest_entity_values("location")) + list(tracker.get_latest_entity_values("region"))
    written = written_place(tracker)  # "je suis a toulouse": a place NLU did not tag
    if written:
        places.append(written)
    # "je veux être cuisinier": a job named without a diploma leads to its sector, not to a
    # specialty that happens to hold the word ("Cuisinier en desserts de restaurant").
    jobs = entity_texts(tracker, ("job",)) if level is None else []
    match = find_specialty(text, level, exclude=places + jobs)
    if match.status not in ("found", "unknown") or (level is None and only_sector_words(tracker, match.words)):
        return []
    # An unknown one ("BTS astronaute") is kept too: the search says it is unknown.
    events = [SlotSet("specialty", " ".join(match.words))]
    if match.level:  # none typed: a refinement keeps the level of the search shown
        events.append(SlotSet("level", match.level))
    sectors = [s.sector for s in match.specialties if s.sector != NO_SECTOR]
    if not sector_given:
        events.append(SlotSet("sector", max(set(sectors), key=sectors.count) if sectors else ANY_SECTOR))
    return events


def only_sector_words(tracker: Tracker, words: Sequence[str]) -> bool:
    """ "travailler dans l'énergie": with no diploma named, the sector's own word is the sector
    searched, not a specialty ("BTS énergie" still is one)."""
    sector_words = {fold_word(w) for phrase in entity_texts(tracker, ("sector",)) for w in normalise(phrase).split()}
    return bool(words) and all(fold_word(normalise(word)) in sector_words for word in words)  # "matériaux"


class ActionDefaultAskAffirmation(Action):
    """First stage of the fallback: offers the likeliest meanings as buttons."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # "c'est où précisément ?" right after a campus is clear enough in its context.
        answered = answered_in_context(dispatcher, tracker)
        if answered is not None:
            return answered
        ask_affirmation(dispatcher, tracker)
        return []


def ask_affirmation(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    ranking = tracker.latest_message.get("intent_ranking") or []
    candidates = [item["name"] for item in ranking if item.get("name") in OFFERED_INTENTS][:3]
    buttons = [
        {"title": fill(f"text_intent_{name}"), "payload": INTENT_PAYLOADS.get(name, f"/{name}")} for name in candidates
    ]
    buttons.append({"title": fill("text_button_something_else"), "payload": "/out_of_scope"})
    dispatcher.utter_message(response="text_ask_affirmation", buttons=buttons)


class ActionDefaultAskRephrase(Action):
    """Second stage of the fallback: asks for other words, with examples."""

    def name(self) -> Text:
        return "action_default_ask_rephrase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # The previous unclear message was answered in its context ("ils proposent quels
        # diplômes ?" about a campus): so may this one ("c'est loin de chez moi ?").
        answered = answered_in_context(dispatcher, tracker)
        if answered is not None:
            return answered
        dispatcher.utter_message(response="text_ask_rephrase")
        return []


class ActionDefaultFallback(Action):
    """Last stage of the fallback: no guess, a human counsellor instead."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # The message is reverted in every case, as Rasa's own fallback does, which ends its loop.
        answered = answered_in_context(dispatcher, tracker)
        if answered is not None:
            return answered + [UserUtteranceReverted()]
        # Two unclear messages in a row, the first answered in its context: this one is the first
        # the assistant cannot place, so it asks what was meant instead of giving up.
        unclear = (tracker.latest_message.get("intent") or {}).get("name") == "nlu_fallback"
        if unclear and previous_unclear_answered(tracker):
            ask_affirmation(dispatcher, tracker)
            return [UserUtteranceReverted()]
        dispatcher.utter_message(response="text_fallback")
        dispatcher.utter_message(
            text=counsellor_message(), buttons=[{"title": fill("text_button_help"), "payload": "/help"}]
        )
        return [UserUtteranceReverted()]


CLARIFYING_RESPONSES = ("text_ask_affirmation", "text_ask_rephrase")


def previous_unclear_answered(tracker: Tracker) -> bool:
    """The message before this one got an answer, not a question about what was meant."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return False
        elif event.get("event") == "bot" and users == 1:
            if (event.get("metadata") or {}).get("utter_action") not in CLARIFYING_RESPONSES:
                return True
    return False


def topic_buttons() -> List[Dict[str, str]]:
    return [{"title": fill(f"text_intent_{topic}"), "payload": question} for topic, question in INTENT_PAYLOADS.items()]


class ActionAnswerFollowUp(Action):
    """A question that names no topic ("et c'est payant ?", "c'est où ?"): answered within the FAQ
    topic just talked about, or about the campuses just shown, or the user says which topic."""

    def name(self) -> Text:
        return "action_answer_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        context = latest_context(tracker)
        if context == CAMPUSES:
            given = {entity["entity"] for entity in tracker.latest_message.get("entities", [])}
            if given & CRITERIA_ENTITIES:  # "et dans le 35 ?": the search again, with the new criterion
                return [FollowupAction("campus_search_form")]
            if not asks_about_a_campus(tracker):  # "et c'est payé combien ?" after campuses in apprenticeship
                topic = topic_of_search(tracker)
                answer = answer_within(tracker, topic, FOLLOW_UP_MIN_CONFIDENCE) if topic else None
                if answer:
                    dispatcher.utter_message(response=answer)
                    return []
            return about_campus_in_context(dispatcher, tracker)
        if context and says_pay_at_age(dispatcher, tracker):
            return []
        answer = answer_within(tracker, context) if context else None
        if answer:
            dispatcher.utter_message(response=answer)
        else:
            dispatcher.utter_message(response="text_follow_up_which_topic", buttons=topic_buttons())
        return []


def asks_about_a_campus(tracker: Tracker) -> bool:
    """ "il a un site ?", "le deuxième": a field of a campus asked, or a campus pointed at."""
    return asked_field(tracker.latest_message.get("text") or "") is not None or points_at_a_campus(tracker)


PAY_ANSWER = "utter_faq_apprenticeship/pay"


def says_pay_at_age(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """ "et à 21 ans ?" right after the apprentice pay answer: the row for that age."""
    age = age_in(tracker.latest_message.get("text") or "")
    shares = apprentice_pay_at(age) if age is not None else None
    if shares is None or latest_faq_answer(tracker) != PAY_ANSWER or latest_context(tracker) != "faq_apprenticeship":
        return False
    if shares[0] == shares[-1]:
        dispatcher.utter_message(response="text_faq_apprenticeship__pay_at_age_full", age=age)
    else:
        first, second, third = shares
        dispatcher.utter_message(
            response="text_faq_apprenticeship__pay_at_age", age=age, first=first, second=second, third=third
        )
    return True


# A question NLU finds out of scope, right after an FAQ answer, is taken as a follow-up of it when
# it is short and that topic's answer is this likely ("qui le donne ?" after the label).
FOLLOW_UP_MAX_WORDS = 12
FOLLOW_UP_MIN_CONFIDENCE = 0.5
# Out of scope this surely ("tu connais une blague ?"), a message is no follow-up.
SURELY_OUT_OF_SCOPE = 0.9


def answered_in_context(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
    """A short question NLU could not place, taken within the conversation: about a campus shown
    when it asks for one of its fields or points at one ("il a un site ?", "c'est où
    précisément ?"), within the FAQ topic just answered when that topic's answer is likely enough
    ("il dure longtemps l'entretien ?" after the VAE jury), or within the topic of the search
    shown ("comment se déroule la démarche ?" after campuses for a VAE). None when the context
    says nothing."""
    text = tracker.latest_message.get("text") or ""
    intent = tracker.latest_message.get("intent") or {}
    context = latest_context(tracker)
    if context is None or len(text.split()) > FOLLOW_UP_MAX_WORDS:
        return None
    if intent.get("name") == "out_of_scope" and float(intent.get("confidence") or 0.0) >= SURELY_OUT_OF_SCOPE:
        return None
    if context == CAMPUSES:
        if asks_about_a_campus(tracker):
            return about_campus_in_context(dispatcher, tracker)
        context = topic_of_search(tracker)
        if context is None:
            return None
    if says_pay_at_age(dispatcher, tracker):
        return []
    answer = answer_within(tracker, context, FOLLOW_UP_MIN_CONFIDENCE)
    if not answer:
        return None
    dispatcher.utter_message(response=answer)
    return []


class ActionOutOfScope(Action):
    """Says what the assistant covers, unless the question follows up what was just said."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        answered = answered_in_context(dispatcher, tracker)
        if answered is not None:
            return answered
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
