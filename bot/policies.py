"""Dialogue policies of config.yml beside Rasa's own.

ContextPolicy: messages whose meaning depends on what came before, which rules (by intent alone)
read wrongly. It outranks the rules for these messages only, and says nothing otherwise:

- After campuses are shown, a message that only names new criteria ("et en alternance ?", "et plus
  près de Lyon ?", "non plutôt Lyon", "ah non pardon je voulais dire Nantes") refines that search,
  whatever intent NLU read in it. Out of context these are ambiguous: "et en BTS ?" may ask what a
  BTS is, "non plutôt Lyon" sounds like a refusal, "et plus près de Lyon ?" like a request for
  more results.
- A message NLU could not place but that names a trade or an interest ("il adore démonter des
  moteurs", "j'adore dessiner") is a search in that sector: the form says which one and asks where.
- "jsais pas", "aucune idée" as the opening of a conversation, when nothing was asked, is a
  student who does not know what to do: the guided start, not "D'accord".
- An FAQ question asked while the search form waits for its answer is answered, then the form
  resumes: a trade or a mode named in the question ("un maçon peut-il faire une VAE ?") would
  otherwise fill the form, which would go on without answering.
- After campuses are shown, "le 2e" alone, "celui à côté de Roissy", or "il a le label excellence ?"
  is about one of them: NLU reads a search again, or the general question of what the label is.
- A message of emoji or symbols alone gets what the assistant can do: NLU reads some intent in
  anything, and the search form would take it for a trade or a place (in the form, the form asks
  its question again: actions/forms.py).
- After an FAQ answer, a question NLU read as a search without conviction ("qui paie le voyage ?"
  after Erasmus+: "voyage" names tourism) is a follow-up of that answer; so is a question read
  without conviction as another topic, when the conversation's topic answers it ("Et combien
  serait-elle payée ?" after campuses in apprenticeship).
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from actions.context import (
    CAMPUSES,
    CRITERIA_ENTITIES,
    RANKS,
    UNPLACED_INTENTS,
    asked_field,
    context_of,
    says_one_of_them,
    topic_of_search_slots,
)
from orientation.places import place_in_request
from orientation.text import has_a_word, normalise

REFINE_ACTION = "action_refine_search"
GUIDED_START = "utter_guide_start"
INTEREST_ENTITIES = frozenset({"sector", "job"})
# Intents whose own rules already search again with the criteria of the message.
SEARCHING_INTENTS = frozenset({"search_campus", "inform", "no_preference", "faq_follow_up"})
RELUCTANT_INTENTS = frozenset({"deny", "no_preference"})
# The words that may surround new criteria in a refinement or a correction. A message with any
# other word ("et en alternance c'est payé combien ?") asks something else and keeps its intent.
LINKING_WORDS = frozenset(
    """
    et ou en a au aux dans le la les l de du des d un une pour par avec sur vers cote autour pres
    plus proche proches non pas plutot ah oh euh bah ben bon ok alors sinon aussi mais enfin
    fait finalement pardon je j voulais veux voudrais dire cherche prefere mieux que qu seulement
    uniquement juste y t il ils ya yen existe ca stp svp merci niveau secteur domaine region
    departement ville nous on sommes suis habite habitons vis vivons chez moi general globalement
    """.split()
)
WORD = re.compile(r"[a-z0-9]+")


def only_names_criteria(text: str, entities: List[Dict[Text, Any]]) -> bool:
    """The message names at least one search criterion and, around them, only linking words."""
    spans = [e for e in entities if e.get("entity") in CRITERIA_ENTITIES and "start" in e and "end" in e]
    if not spans:
        return False
    rest, position = [], 0
    for entity in sorted(spans, key=lambda e: e["start"]):
        rest.append(text[position : entity["start"]])
        position = max(position, entity["end"])
    rest.append(text[position:])
    words = WORD.findall(normalise(" ".join(rest)))
    return all(word in LINKING_WORDS for word in words)


def _newest_first(tracker: DialogueStateTracker) -> Iterable[Dict[Text, Any]]:
    return (event.as_dict() for event in reversed(tracker.events))


def _user_turn(tracker: DialogueStateTracker) -> Optional[UserUttered]:
    """The message just received, when nothing has answered it yet and no form is running."""
    if tracker.latest_action_name != ACTION_LISTEN_NAME or tracker.active_loop_name:
        return None
    return tracker.latest_message


def _intent(message: UserUttered) -> Optional[Text]:
    return (message.intent or {}).get("name")


def only_names_a_written_place(text: str) -> bool:
    """ "et dans le 13 en général ?": words after "à", "dans", "vers"... that NLU did not tag, around
    them only linking words. The form resolves them (an unknown town is said so): resolving here
    would load the geography into every Rasa process."""
    place = place_in_request(text)
    if not place:
        return False
    return all(word in LINKING_WORDS for word in WORD.findall(normalise(text)) if word not in place.split())


def refines_shown_campuses(tracker: DialogueStateTracker) -> bool:
    message = _user_turn(tracker)
    if message is None or _intent(message) in SEARCHING_INTENTS:
        return False
    if context_of(_newest_first(tracker)) != CAMPUSES:
        return False
    text = message.text or ""
    if only_names_criteria(text, message.entities or []):
        return True
    return _intent(message) in UNPLACED_INTENTS and not message.entities and only_names_a_written_place(text)


def names_an_interest(tracker: DialogueStateTracker) -> bool:
    message = _user_turn(tracker)
    if message is None or _intent(message) not in UNPLACED_INTENTS:
        return False
    return any(entity.get("entity") in INTEREST_ENTITIES for entity in message.entities or [])


def opens_undecided(tracker: DialogueStateTracker) -> bool:
    """A reluctant message ("jsais pas 😅"), with no entity, when the assistant has said nothing but
    hello in this session."""
    message = _user_turn(tracker)
    if message is None or _intent(message) not in RELUCTANT_INTENTS or message.entities:
        return False
    for event in _newest_first(tracker):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind == "action" and event.get("name") not in SILENT_OR_GREETING:
            return False
    return True


SILENT_OR_GREETING = ("action_listen", "action_session_start", "action_greet", "utter_greet")
SEARCH_FORM = "campus_search_form"
FAQ_INTENT_PREFIX = "faq_"
# The entities that answer each question of the search form.
ANSWERING_ENTITIES = {"sector": frozenset({"sector", "job"}), "area": frozenset({"location", "region"})}


def side_question_in_search(tracker: DialogueStateTracker) -> Optional[Text]:
    """The answer to an FAQ question asked while the search form waits ("un maçon peut-il faire une
    VAE ?" when it asked where): a trade or a mode in the question would otherwise fill the form,
    which then goes on without answering. The rules of search_interruptions.yml resume the form."""
    if tracker.latest_action_name != ACTION_LISTEN_NAME or tracker.active_loop_name != SEARCH_FORM:
        return None
    message = tracker.latest_message
    intent = _intent(message) if message else None
    if not intent or not intent.startswith(FAQ_INTENT_PREFIX) or intent == "faq_follow_up":
        return None
    answering = ANSWERING_ENTITIES.get(tracker.get_slot("requested_slot"), frozenset())
    if any(entity.get("entity") in answering for entity in message.entities or []):
        return None  # the message answers the form's question: the form takes it
    return f"utter_{intent}"


CAMPUS_DETAILS = "action_campus_details"
FOLLOW_UP = "action_answer_follow_up"
RANK_WORDS = frozenset(RANKS) | {"ok", "alors", "voir", "montre", "moi", "lui"}
# Words that make a question about one campus shown ("il", "c'est") and those that make it the
# general question ("c'est quoi un campus d'excellence ?").
REFERRING_WORDS = (
    "il",
    "ils",
    "elle",
    "elles",
    "lui",
    "celui",
    "celle",
    "ce campus",
    "c est",
    "le premier",
    "le dernier",
)
DEFINING_WORDS = (
    "quoi",
    "qu est ce",
    "signifie",
    "veut dire",
    "definition",
    "comment",
    "pourquoi",
    "obtenir",
    "il faut",
)
# "celui de Lannion", "le campus Nautisme", "il a le label excellence ?", "ils font Erasmus ?"
POINTING_ENTITIES = frozenset({"location", "campus", "feature"})


def _says(text: str, phrases: Sequence[str]) -> bool:
    folded = f" {normalise(text)} "
    return any(f" {phrase} " in folded for phrase in phrases)


def asks_about_shown_campus(tracker: DialogueStateTracker) -> bool:
    """ "le 2e" alone, "celui à côté de Roissy", or a question on one of them ("il a le label
    excellence ?", "c'est quel niveau ?"), right after campuses are shown."""
    message = _user_turn(tracker)
    if message is None or _intent(message) == "campus_details":
        return False
    if context_of(_newest_first(tracker)) != CAMPUSES:
        return False
    text = message.text or ""
    words = WORD.findall(normalise(text))
    if words and any(word in RANKS for word in words) and all(w in RANK_WORDS | LINKING_WORDS for w in words):
        return True
    if any(entity.get("entity") not in POINTING_ENTITIES for entity in message.entities or []):
        return False  # "c'est quel niveau un BTS ?" asks about the BTS
    if says_one_of_them(text):
        return True
    asks_a_field = asked_field(text) is not None and _says(text, REFERRING_WORDS)
    return asks_a_field and not _says(text, DEFINING_WORDS)


QUESTION_OPENINGS = ("qui", "combien", "comment", "quand", "pourquoi", "quel", "quelle", "quels", "quelles", "est ce")
UNSURE_SEARCH = 0.7  # below this, a search read in a question after an FAQ answer is a follow-up


def follows_up_faq_answer(tracker: DialogueStateTracker) -> bool:
    """ "qui paie le voyage ?" right after the Erasmus+ answer, read as a search in tourism."""
    message = _user_turn(tracker)
    if message is None or _intent(message) not in ("inform", "search_campus"):
        return False
    if float((message.intent or {}).get("confidence") or 0.0) >= UNSURE_SEARCH:
        return False
    context = context_of(_newest_first(tracker))
    if context is None or context == CAMPUSES:
        return False
    words = WORD.findall(normalise(message.text or ""))
    opening = " ".join(words[1:3] if words[:1] == ["et"] else words[:2])
    return any(f"{opening} ".startswith(f"{word} ") for word in QUESTION_OPENINGS)


HELP = "utter_help"
# Emoji that say something themselves: 👍 to a question is a yes, 👋 a hello.
SAYING_INTENTS = frozenset({"greet", "goodbye", "thank", "affirm", "deny"})


def only_symbols(tracker: DialogueStateTracker) -> bool:
    """ "🙂🙂", "???": no word to read, so what the assistant can do, never a search or a place."""
    message = _user_turn(tracker)
    text = (message.text or "").strip() if message else ""
    if not text or text.startswith("/") or _intent(message) in SAYING_INTENTS:
        return False
    return not has_a_word(text)


UNSURE_TOPIC = 0.6  # below this, an FAQ intent of another topic than the conversation's may be wrong
LIKELY_ANSWER = 0.8  # and the conversation's topic has this likely an answer to the question
NAMING_A_TOPIC = frozenset({"training_mode", "level", "feature"})  # "et en BTS ?" names its topic


def conversation_topic(tracker: DialogueStateTracker) -> Optional[Text]:
    """The FAQ topic just answered, or the one of the search just shown ("en apprentissage")."""
    context = context_of(_newest_first(tracker))
    return context if context != CAMPUSES else topic_of_search_slots(tracker.get_slot)


def keeps_the_topic(tracker: DialogueStateTracker) -> bool:
    """ "Et combien serait-elle payée ?" after campuses in apprenticeship, read without conviction
    as a question on studies: the pay answer of the conversation's topic is the one meant."""
    message = _user_turn(tracker)
    if message is None:
        return False
    intent = _intent(message)
    if not intent or not intent.startswith(FAQ_INTENT_PREFIX) or intent == "faq_follow_up":
        return False
    if float((message.intent or {}).get("confidence") or 0.0) >= UNSURE_TOPIC:
        return False
    if any(entity.get("entity") in NAMING_A_TOPIC for entity in message.entities or []):
        return False
    topic = conversation_topic(tracker)
    if topic is None or topic == intent:
        return False
    selection = (message.parse_data.get("response_selector") or {}).get(topic) or {}
    return float((selection.get("response") or {}).get("confidence") or 0.0) >= LIKELY_ANSWER


# Actions that answer the message whole: no rule follows them when another intent was read, so
# this policy waits for the user after them.
ANSWERING_ACTIONS = frozenset({CAMPUS_DETAILS, FOLLOW_UP, HELP})


def answered_by_this_policy(tracker: DialogueStateTracker) -> bool:
    latest = next((e for e in reversed(tracker.events) if isinstance(e, ActionExecuted)), None)
    return latest is not None and latest.action_name in ANSWERING_ACTIONS and latest.policy == ContextPolicy.__name__


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class ContextPolicy(Policy):
    """Predicts the action the context gives a message (see the module's docstring); nothing otherwise."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above the RulePolicy (4): a rule predicts with confidence 1.0 too, and ties go to priority.
        return {"priority": 6}

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        with self._model_storage.write_to(self._resource):
            pass  # nothing to learn: the policy reads the context and the message
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.action_for(tracker)
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def action_for(tracker: DialogueStateTracker) -> Optional[Text]:
        if answered_by_this_policy(tracker):
            return ACTION_LISTEN_NAME
        if only_symbols(tracker):
            return HELP
        if refines_shown_campuses(tracker) or names_an_interest(tracker):
            return REFINE_ACTION
        if opens_undecided(tracker):
            return GUIDED_START
        if asks_about_shown_campus(tracker):
            return CAMPUS_DETAILS
        if follows_up_faq_answer(tracker) or keeps_the_topic(tracker):
            return FOLLOW_UP
        return side_question_in_search(tracker)
