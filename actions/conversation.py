"""Conversation actions: greeting, sectors, human counsellor, fallback, new search."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms import explain_job
from actions.jobs import resolve_job
from actions.sectors import load_sectors
from actions.settings import load_settings

# What each intent means, in the words a user would click on ("Vouliez-vous dire...").
INTENT_LABELS = {
    "greet": "Dire bonjour",
    "goodbye": "Terminer la conversation",
    "thank": "Remercier",
    "bot_challenge": "Savoir si je suis un robot",
    "help": "Savoir ce que je peux faire",
    "request_counsellor": "Parler à un conseiller",
    "search_campus": "Trouver un campus",
    "campus_details": "Des infos sur un campus",
    "list_sectors": "Voir la liste des secteurs",
    "ask_sector": "En savoir plus sur un secteur",
    "faq_cmq": "Ce qu'est un Campus des métiers",
    "faq_apprenticeship": "L'apprentissage et l'alternance",
    "faq_vae": "La VAE",
    "faq_continuing_education": "La formation continue",
    "faq_mobility": "Partir à l'étranger (Erasmus+)",
    "faq_studies": "Les diplômes et les études",
}
# Retrieval intents need words, not a "/intent" payload, to reach the response selector.
INTENT_PAYLOADS = {
    "faq_cmq": "C'est quoi un campus des métiers et des qualifications ?",
    "faq_apprenticeship": "C'est quoi l'apprentissage ?",
    "faq_vae": "C'est quoi la VAE ?",
    "faq_continuing_education": "C'est quoi la formation continue ?",
    "faq_mobility": "Comment partir avec Erasmus+ ?",
    "faq_studies": "Quels diplômes après la 3e ?",
}
SEARCH_SLOTS = ("sector", "area", "region", "location", "place", "feature",
                "training_mode", "level", "job", "search_results", "search_shown")
SLOT_ENTITIES = {"sector": "sector", "area": None, "region": "region", "location": "location",
                 "feature": "feature", "training_mode": "training_mode", "level": "level",
                 "job": "job"}


def counsellor_message() -> str:
    settings = load_settings()
    counsellor = settings.counsellor
    national = settings.national_service
    lines = []
    if counsellor.is_reachable:
        lines.append(f"Vous pouvez contacter {counsellor.name or 'le service orientation'} de {settings.school_name} :")
        if counsellor.email:
            lines.append(f"- courriel : {counsellor.email}")
        if counsellor.phone:
            lines.append(f"- téléphone : {counsellor.phone}" + (f" ({counsellor.hours})" if counsellor.hours else ""))
        if counsellor.booking_url:
            lines.append(f"- rendez-vous : {counsellor.booking_url}")
        lines.append(f"Vous pouvez aussi joindre le service national {national['name']} : {national['url']}")
    else:
        lines.append(
            f"Des conseillers répondent gratuitement au service national {national['name']} "
            f"(tchat, courriel, téléphone) : {national['url']}"
        )
    return "\n".join(lines)


class ActionGreet(Action):
    def name(self) -> Text:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        school = load_settings().school_name
        dispatcher.utter_message(
            text=f"Bonjour ! Je suis l'assistant orientation de {school}. "
                 "Je réponds à vos questions sur les Campus des métiers et des qualifications et les formations."
        )
        dispatcher.utter_message(response="utter_help")
        return []


class ActionContactCounsellor(Action):
    def name(self) -> Text:
        return "action_contact_counsellor"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=counsellor_message())
        return []


class ActionListSectors(Action):
    def name(self) -> Text:
        return "action_list_sectors"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        sectors = load_sectors()
        dispatcher.utter_message(
            text=f"Les campus sont répartis en {len(sectors)} secteurs. Lequel vous intéresse ?",
            buttons=[{"title": s.label, "payload": f'/ask_sector{{"sector":"{key}"}}'}
                     for key, s in sectors.items()],
        )
        return []


class ActionDescribeSector(Action):
    def name(self) -> Text:
        return "action_describe_sector"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        key = next(iter(tracker.get_latest_entity_values("sector")), None) or tracker.get_slot("sector")
        if isinstance(key, list):
            key = key[0] if key else None
        sector = load_sectors().get(key or "")
        job_name = next(iter(tracker.get_latest_entity_values("job")), None)
        job = resolve_job(job_name) if job_name else None
        if job is not None:
            explain_job(dispatcher, job, key)
        if sector is None:
            if job is not None:
                return []
            return await ActionListSectors().run(dispatcher, tracker, domain)
        lines = [f"{sector.label} : {sector.summary}"]
        if sector.jobs:
            lines.append("Exemples de métiers : " + ", ".join(sector.jobs) + ".")
        if sector.diplomas:
            lines.append("Exemples de diplômes : " + ", ".join(sector.diplomas) + ".")
        lines.append(f"En savoir plus : {sector.url}")
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[{"title": "Trouver un campus de ce secteur",
                      "payload": f'/search_campus{{"sector":"{key}"}}'}],
        )
        return [SlotSet("sector", key)]


class ActionResetSearch(Action):
    """A new search forgets the previous criteria, except those given in this message."""

    def name(self) -> Text:
        return "action_reset_search"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        given = {entity["entity"] for entity in tracker.latest_message.get("entities", [])}
        keep = {slot for slot, entity in SLOT_ENTITIES.items() if entity in given}
        if given & {"region", "location"}:
            keep |= {"area"}
        return [SlotSet(slot, None) for slot in SEARCH_SLOTS if slot not in keep]


class ActionDefaultAskAffirmation(Action):
    """First stage of the fallback: offers the likeliest meanings as buttons."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [item["name"] for item in ranking
                      if item.get("name") in INTENT_LABELS][:3]
        buttons = [
            {"title": INTENT_LABELS[name], "payload": INTENT_PAYLOADS.get(name, f"/{name}")}
            for name in candidates
        ]
        buttons.append({"title": "Autre chose", "payload": "/out_of_scope"})
        dispatcher.utter_message(text="Je ne suis pas sûr d'avoir compris. Vouliez-vous :", buttons=buttons)
        return []


class ActionDefaultAskRephrase(Action):
    """Second stage of the fallback: asks for other words, with examples."""

    def name(self) -> Text:
        return "action_default_ask_rephrase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text="Je n'ai pas bien compris. Pouvez-vous reformuler avec d'autres mots ? "
                 "Par exemple : « un campus d'informatique près de Brest » ou « c'est quoi la VAE ? »."
        )
        return []


class ActionDefaultFallback(Action):
    """Last stage of the fallback: no guess, a human counsellor instead."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text="Je n'arrive pas à vous répondre. Un conseiller ou une conseillère peut vous aider."
        )
        dispatcher.utter_message(text=counsellor_message(),
                                 buttons=[{"title": "Ce que je sais faire", "payload": "/help"}])
        return [UserUtteranceReverted()]
