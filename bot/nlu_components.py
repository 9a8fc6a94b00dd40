"""Custom NLU components of config.yml.

FrenchSpacyNLP: Rasa's SpacyNLP loading spaCy's model once, with only the pipes the features read.
AbbreviationRespeller and JobAndActivityExtractor: the students' own words (further down).
SavedCrfEntityExtractor: Rasa's CRFEntityExtractor, saved trained instead of retrained at each load.
LinearIntentClassifier: the intent, by a logistic regression over the pipeline's features.
FaqAnswerSelector: the answer of an FAQ question, by a linear model per topic (at the end).
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text, Tuple

import joblib
import numpy
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.model import InvalidModelError
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.privacy import masked_spans
from orientation.places import AREA_HINTS, COMMUNE_HINTS
from orientation.text import has_a_word, normalise


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="FrenchSpacyNLP",
)
class FrenchSpacyNLP(SpacyNLP):
    """SpacyNLP loading only the pipes of the spaCy model that the pipeline reads.

    Rasa loads every pipe and runs all but the parser. Our features read the tokens, the word
    vectors and (with `pipes` naming them) the lemmas; the entity recogniser, the parser and the
    part-of-speech tagger cost memory and time per message for nothing.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # pipes: the pipes kept ([] = tokenizer and word vectors only).
        return {**SpacyNLP.get_default_config(), "pipes": []}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FrenchSpacyNLP":
        config = {**cls.get_default_config(), **config}
        model = cls.load_pipes(config["model"], tuple(config["pipes"]))
        cls.ensure_proper_language_model(model.model)
        return cls(model, config)

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def load_pipes(spacy_model_name: Text, pipes: Tuple[Text, ...]) -> SpacyModel:
        """The model, loaded once per process: Rasa creates this component twice (the node that
        provides the model and the node that processes messages), each loading it in full."""
        import spacy

        try:
            info = spacy.info(spacy_model_name)
            names = info.get("pipeline", []) if isinstance(info, dict) else []
            language = spacy.load(spacy_model_name, exclude=[name for name in names if name not in pipes])
        except OSError as error:
            raise InvalidModelError(
                f"The spaCy model {spacy_model_name} is not installed (it is pinned in requirements.lock)."
            ) from error
        return SpacyModel(model=language, model_name=spacy_model_name)


# --- Students' own words -------------------------------------------------------------------------
# Abbreviations typed with dots or spaces ("C.A.P", "B T S"), "bac + 2" and "100 balles" are
# written the way the training data writes them, before spaCy reads the message; the abbreviations
# the assistant knows are the upper-case words of its own training data.

DOTTED_LETTERS = re.compile(r"(?<![\w.])(?:[A-Za-z]\s?\.\s?){1,7}[A-Za-z](?:\s?\.)?(?![\w])")
SPACED_LETTERS = re.compile(r"(?<![\w.])(?:[A-Za-z] ){1,6}[A-Za-z](?![\w])")
BAC_PLUS = re.compile(r"\b([Bb]ac)\s*\+\s*(\d)\b")
# "100 balles", students' word for euros, which the training data writes in euros.
MONEY_SLANG = re.compile(r"\b(\d{1,6}) ?balles\b", re.IGNORECASE)
UPPER_WORD = re.compile(r"\b[A-Z]{2,7}\b")


def respell(text: str, known: frozenset) -> Tuple[str, List[Tuple[int, int, int, int]]]:
    """The text with abbreviations joined, and the (old_start, old_end, new_start, new_end) edits."""
    edits: List[Tuple[int, int, str]] = []
    for match in DOTTED_LETTERS.finditer(text):
        letters = re.sub(r"[\s.]", "", match.group()).upper()
        if len(letters) >= 2:
            edits.append((match.start(), match.end(), letters))
    # The dotted edits are in reading order and apart: the one a spaced match could overlap is the
    # first ending after its start (found by bisection, not by reading every edit for every match).
    dotted_starts, dotted_ends = [start for start, _, _ in edits], [end for _, end, _ in edits]
    for match in SPACED_LETTERS.finditer(text):
        letters = match.group().replace(" ", "").upper()
        after = bisect.bisect_right(dotted_ends, match.start())
        if letters in known and not (after < len(dotted_starts) and dotted_starts[after] < match.end()):
            edits.append((match.start(), match.end(), letters))
    for match in BAC_PLUS.finditer(text):
        if match.group() != f"{match.group(1)}+{match.group(2)}":
            edits.append((match.start(), match.end(), f"{match.group(1)}+{match.group(2)}"))
    for match in MONEY_SLANG.finditer(text):
        edits.append((match.start(), match.end(), f"{match.group(1)} euros"))
    edits.sort()
    pieces, spans, position, shift = [], [], 0, 0
    for start, end, new in edits:
        pieces += [text[position:start], new]
        spans.append((start, end, start + shift, start + shift + len(new)))
        shift += len(new) - (end - start)
        position = end
    pieces.append(text[position:])
    return "".join(pieces), spans


def moved(offset: int, spans: List[Tuple[int, int, int, int]]) -> int:
    """Where a character offset of the old text lands in the respelt text."""
    shift = 0
    for old_start, old_end, new_start, new_end in spans:
        if offset < old_start:
            break
        if offset < old_end or (offset == old_end and offset > old_start):
            return new_end if offset == old_end else new_start
        shift = new_end - old_end
    return offset + shift


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class AbbreviationRespeller(GraphComponent):
    """Writes "C.A.P", "c a p", "bac + 2" and "100 balles" as "CAP", "bac+2" and "100 euros" before
    the message is read."""

    def __init__(self, known: Iterable[str], model_storage: ModelStorage, resource: Resource) -> None:
        self.known = frozenset(known)
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AbbreviationRespeller":
        return cls((), model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "AbbreviationRespeller":
        try:
            with model_storage.read_from(resource) as directory:
                known = json.loads((directory / "abbreviations.json").read_text(encoding="utf-8"))
        except ValueError:  # nothing persisted: trained without examples
            known = []
        return cls(known, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self.known = frozenset(
            word for example in training_data.training_examples for word in UPPER_WORD.findall(example.get(TEXT) or "")
        )
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "abbreviations.json").write_text(json.dumps(sorted(self.known)), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            respelt, spans = respell(text, self.known)
            if spans:
                message.set(TEXT, respelt)
                for entity in message.get(ENTITIES) or []:
                    entity[ENTITY_ATTRIBUTE_START] = moved(entity[ENTITY_ATTRIBUTE_START], spans)
                    entity[ENTITY_ATTRIBUTE_END] = moved(entity[ENTITY_ATTRIBUTE_END], spans)
        return messages


# Jobs and activities are found in the message by the assistant's vocabulary (France Travail's job
# repository ROME and a reviewed list of activities, orientation/jobs.py and orientation/activities.py),
# not learnt: any of 13,000 job titles is known without one training example for each.

# Entities the model may extract, unsure, where a job is named; the job wins below this confidence.
MISREAD_AS_JOBS = ("location", "campus")
# A level inside a job title ("ingénieur" of "ingénieur du son") does not hide the job.
BESIDE_JOBS = ("level", "training_mode")
MISREAD_CONFIDENCE = 0.8


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class JobAndActivityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `job` entities for the jobs named, and `sector` entities for their sector or for the
    activities described, where the trained model found no sector; a sector word the model
    extracted but could not normalise is resolved the same way."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "JobAndActivityExtractor":
        return cls()

    def __init__(self) -> None:
        from orientation.activities import find_activities, resolve_activity
        from orientation.jobs import find_jobs, resolve_job, sought_first
        from orientation.sectors import load_sectors

        self.find_jobs, self.resolve_job, self.sought_first = find_jobs, resolve_job, sought_first
        self.find_activities, self.resolve_activity = find_activities, resolve_activity
        find_jobs("boulanger")  # builds the job index when the model loads, not on a user's message
        self.sector_keys = frozenset(load_sectors())  # the sector values of the contract, one home

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if message.get(TEXT):
                message.set(ENTITIES, self.entities_of(message), add_to_output=True)
        return messages

    def entities_of(self, message: Message) -> List[Dict[Text, Any]]:
        text = message.get(TEXT)
        jobs = self.sought_first(text, self.find_jobs(text))
        masked = masked_spans(text)
        activities = self.find_activities(text)
        entities = [
            self.normalised(self.sector_typed_as_place(entity, text), activities)
            for entity in message.get(ENTITIES) or []
            if not self.is_a_job_misread(entity, jobs)
            and not self.is_part_of_a_job(entity, jobs)
            and not overlaps((entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]), masked)
            # "😅" tagged as a place by the model: an entity of no letter or digit names nothing.
            and has_a_word(text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]])
        ]
        taken = [
            (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END])
            for e in entities
            if e[ENTITY_ATTRIBUTE_TYPE] not in BESIDE_JOBS
        ]
        has_sector = any(
            e[ENTITY_ATTRIBUTE_TYPE] == "sector" and e[ENTITY_ATTRIBUTE_VALUE] in self.sector_keys for e in entities
        )
        found: List[Dict[Text, Any]] = []
        job_named = False
        for match in jobs:
            if overlaps((match.start, match.end), taken):
                continue
            if not job_named:  # one job per message, the one sought: the `job` slot keeps one
                found.append(self.entity("job", match.job.title, match.start, match.end, match.text))
                job_named = True
            if match.job.sectors and not has_sector:
                sector = job_sector(match.job.sectors, [a.sector for a in activities])
                found.append(self.entity("sector", sector, match.start, match.end, match.text))
                has_sector = True
            taken.append((match.start, match.end))
        for activity in activities:
            if not has_sector and not overlaps((activity.start, activity.end), taken):
                found.append(self.entity("sector", activity.sector, activity.start, activity.end, activity.text))
                has_sector = True
        return entities + self.add_extractor_name(found)

    @staticmethod
    def is_a_job_misread(entity: Dict[Text, Any], jobs: List[Any]) -> bool:
        """A job title the model took, unsure, for a place or a campus ("devenir infographiste")."""
        return (
            entity.get(ENTITY_ATTRIBUTE_TYPE) in MISREAD_AS_JOBS
            and (entity.get("confidence_entity") or 0.0) < MISREAD_CONFIDENCE
            and any(
                overlaps((entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END]), [(job.start, job.end)])
                for job in jobs
            )
        )

    def is_part_of_a_job(self, entity: Dict[Text, Any], jobs: List[Any]) -> bool:
        """A word of a job title the model took for a sector it could not name ("industriel" of
        "dessinateur industriel"): the job says more."""
        return (
            entity.get(ENTITY_ATTRIBUTE_TYPE) == "sector"
            and entity.get(ENTITY_ATTRIBUTE_VALUE) not in self.sector_keys
            and any(
                job.start <= entity[ENTITY_ATTRIBUTE_START]
                and entity[ENTITY_ATTRIBUTE_END] <= job.end
                and job.end - job.start > entity[ENTITY_ATTRIBUTE_END] - entity[ENTITY_ATTRIBUTE_START]
                for job in jobs
            )
        )

    def sector_typed_as_place(self, entity: Dict[Text, Any], text: str) -> Dict[Text, Any]:
        """A word the model took for a place though it names a sector ("macon en alternance"),
        unless the words the place resolver reads as a place's come before it ("vers Macon")."""
        if (
            entity.get(ENTITY_ATTRIBUTE_TYPE) != "location"
            or entity.get(ENTITY_ATTRIBUTE_VALUE) not in self.sector_keys
        ):
            return entity
        before = f" {normalise(text[: entity[ENTITY_ATTRIBUTE_START]])}"
        if any(before.endswith(f" {hint}") for hint in COMMUNE_HINTS + AREA_HINTS):
            return {
                **entity,
                ENTITY_ATTRIBUTE_VALUE: text[entity[ENTITY_ATTRIBUTE_START] : entity[ENTITY_ATTRIBUTE_END]],
            }
        return {**entity, ENTITY_ATTRIBUTE_TYPE: "sector"}

    def normalised(self, entity: Dict[Text, Any], activities: Sequence[Any] = ()) -> Dict[Text, Any]:
        """A sector the model extracted as typed ("fleuriste") gets the sector of that job or
        activity, or of the activity named around it ("jeux" of "les jeux vidéo")."""
        if entity.get(ENTITY_ATTRIBUTE_TYPE) != "sector" or entity.get(ENTITY_ATTRIBUTE_VALUE) in self.sector_keys:
            return entity
        typed = str(entity.get(ENTITY_ATTRIBUTE_VALUE) or "")
        job = self.resolve_job(typed)
        sector = job.sectors[0] if job and job.sectors else self.resolve_activity(typed)
        span = (entity[ENTITY_ATTRIBUTE_START], entity[ENTITY_ATTRIBUTE_END])
        around = [a.sector for a in activities if overlaps(span, [(a.start, a.end)])]
        sector = sector or (around[0] if around else None)
        if sector:
            entity = {**entity, ENTITY_ATTRIBUTE_VALUE: sector}
            self.add_processor_name(entity)
        return entity

    @staticmethod
    def entity(kind: str, value: str, start: int, end: int, text: str) -> Dict[Text, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: kind,
            ENTITY_ATTRIBUTE_VALUE: value,
            ENTITY_ATTRIBUTE_START: start,
            ENTITY_ATTRIBUTE_END: end,
            "text": text,
        }


def job_sector(job_sectors: Tuple[str, ...], named_sectors: List[str]) -> str:
    """A job of several sectors takes the one the rest of the message names ("technicien de
    maintenance" of wind turbines is energy, of planes transport); else its most common one."""
    return next((sector for sector in named_sectors if sector in job_sectors), job_sectors[0])


def overlaps(span: Tuple[int, int], taken: List[Tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


# --- Entities --------------------------------------------------------------------------------------
# Rasa 3.6's CRFEntityExtractor saves its training set (130 MB of JSON with the word vectors) and
# trains the CRF again each time the model is loaded: a minute of start-up and 450 MB of peak memory
# here. The trained CRFs are saved instead (joblib, like the answer classifiers below).


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class SavedCrfEntityExtractor(CRFEntityExtractor):
    """Rasa's CRFEntityExtractor, saved trained and loaded without training."""

    MODEL_FILE = "entity_taggers.joblib"

    def persist(self, dataset: List[List[CRFToken]]) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump({"taggers": self.entity_taggers, "order": self.crf_order}, directory / self.MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SavedCrfEntityExtractor":
        try:
            with model_storage.read_from(resource) as directory:
                saved = joblib.load(directory / cls.MODEL_FILE)
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        extractor = cls(config, model_storage, resource, saved["taggers"])
        extractor.crf_order = saved["order"]
        return extractor


# --- Intents ---------------------------------------------------------------------------------------
# A linear model over word counts, character n-grams, patterns and spaCy's sentence vector reads
# students' own words better than DIET did on both independent sets (fewer confident wrong
# answers, higher accuracy) and as well on the held-out set, trains in seconds instead of minutes
# and loads without TensorFlow (figures in docs/CHANGELOG.md). Entities are CRFEntityExtractor's.


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with each featurizer's block of features scaled to unit
    length (sentence_features) and its regularisation set in config.yml."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # C: inverse regularisation, chosen by training without each batch of examples written
        # apart from the rest and reading that batch (30: a quarter fewer confident wrong intents
        # than 100, for 0.4 point of accuracy; 10 too soft: a fallback on one message in six);
        # class_weight None: the frequent intents are the frequent messages.
        # joined_intents: groups of intents whose actions do the same for the message, so that
        # hesitating between two of one group is no reason for NLU's fallback. Questions about what
        # was just said or shown ("c'est où exactement ?" may ask about the campus shown or the VAE
        # just explained): the dialogue tells them apart from the context. A search request and a
        # value given ("numérique en Bretagne"): both start or refine the search.
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 30.0,
            "class_weight": None,
            "max_iter": 3000,
            "joined_intents": [["faq_follow_up", "campus_details"], ["search_campus", "inform"]],
        }

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=self.config["C"], class_weight=self.config["class_weight"])

    def _create_X(self, messages: List[Message]) -> scipy.sparse.csr_matrix:
        return sentence_features(messages)

    # Stored with joblib, as the answer classifiers: importing skops (Rasa's format) alone takes
    # 15 s of every start on this machine, half of the time a restarted Rasa may take.
    MODEL_FILE = "intent_classifier.joblib"

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.clf, directory / self.MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                component.clf = with_fast_scores(joblib.load(directory / cls.MODEL_FILE))
        except (ValueError, FileNotFoundError):
            pass  # not trained: Rasa's own classifier behaves the same way
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        """A message with nothing to read (empty text) gets no intent, so the fallback answers it."""
        readable = [message for message in messages if has_sentence_features(message)]
        if readable:
            super().process(readable)
            for message in readable:
                self.merge_joined_intents(message)
        for message in messages:
            if not has_sentence_features(message):
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        return messages

    def merge_joined_intents(self, message: Message) -> None:
        """When the two likeliest intents are of one joined group, the first takes the second's
        confidence: either way the assistant does the same for this message."""
        ranking = message.get(INTENT_RANKING_KEY) or []
        if len(ranking) < 2:
            return
        likeliest = {ranking[0][INTENT_NAME_KEY], ranking[1][INTENT_NAME_KEY]}
        if not any(likeliest <= set(group) for group in self.config["joined_intents"]):
            return
        merged = {
            **ranking[0],
            PREDICTED_CONFIDENCE_KEY: ranking[0][PREDICTED_CONFIDENCE_KEY] + ranking[1][PREDICTED_CONFIDENCE_KEY],
        }
        message.set(
            INTENT,
            {**message.get(INTENT), PREDICTED_CONFIDENCE_KEY: merged[PREDICTED_CONFIDENCE_KEY]},
            add_to_output=True,
        )
        message.set(INTENT_RANKING_KEY, [merged] + ranking[2:], add_to_output=True)


# --- FAQ answers -----------------------------------------------------------------------------------
# Choosing the answer inside a topic is a small text classification (a few dozen answers per
# topic, a few hundred examples): a linear model over the features the pipeline has already
# computed does it as well as a neural ResponseSelector, in milliseconds of training and a few
# hundred kilobytes, where each neural selector cost a TensorFlow model (memory, load time,
# minutes of training). Its output has the ResponseSelector's shape, so Rasa's retrieval actions,
# `rasa test nlu` and the counsellors' tools read it unchanged.


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class FaqAnswerSelector(GraphComponent):
    """For a message of an FAQ topic (retrieval intent), the answer of that topic it asks for."""

    MODEL_FILE = "answer_classifiers.joblib"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # C: inverse regularisation of the logistic regressions; ranking_length: answers kept in
        # the ranking, as ResponseSelector's default; follow_up_intents: those of questions that
        # may name no topic; uncertain_below: an intent this unsure may be a follow-up too (the
        # fallback's threshold and its ambiguity margin are under it).
        return {
            "C": 100.0,
            "ranking_length": 10,
            "follow_up_intents": ["faq_follow_up", "campus_details", "out_of_scope"],
            "uncertain_below": 0.6,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifiers: Optional[Dict[str, Any]] = None,
        retrieval_intents: Optional[List[str]] = None,
    ) -> None:
        self.config = config
        self.model_storage = model_storage
        self.resource = resource
        self.classifiers = classifiers or {}
        self.retrieval_intents = retrieval_intents or []

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FaqAnswerSelector":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "FaqAnswerSelector":
        try:
            with model_storage.read_from(resource) as directory:
                saved = joblib.load(directory / cls.MODEL_FILE)
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        classifiers = {
            topic: (fragments, with_fast_scores(clf)) for topic, (fragments, clf) in saved["classifiers"].items()
        }
        return cls(config, model_storage, resource, classifiers, saved["retrieval_intents"])

    def train(self, training_data: TrainingData) -> Resource:
        self.retrieval_intents = sorted(training_data.retrieval_intents)
        for topic in self.retrieval_intents:
            examples = [
                e for e in training_data.intent_examples if e.get(INTENT) == topic and e.get(INTENT_RESPONSE_KEY)
            ]
            labels = [e.get(INTENT_RESPONSE_KEY) for e in examples]
            if len(set(labels)) < 2:
                continue
            fragments = answer_fragments()
            fragments.fit([e.get(TEXT) for e in examples])
            classifier = LogisticRegression(C=self.config["C"], max_iter=2000)
            classifier.fit(answer_features(examples, fragments), labels)
            self.classifiers[topic] = (fragments, classifier)
        with self.model_storage.write_to(self.resource) as directory:
            joblib.dump(
                {"classifiers": self.classifiers, "retrieval_intents": self.retrieval_intents},
                directory / self.MODEL_FILE,
            )
        return self.resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            confidence = float((message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            # A question that names no topic may follow an answer up ("et c'est payant ?", "qui le
            # donne ?"): each topic's answer is given, and the dialogue takes the one of the topic
            # being talked about, if any.
            follow_up = intent in self.config["follow_up_intents"] or confidence < self.config["uncertain_below"]
            topics = [intent] if intent in self.classifiers else []
            topics += [topic for topic in self.classifiers if follow_up and topic != intent]
            # The pipeline's features are the same for every topic: built once per message.
            features = sentence_features([message]) if topics else None
            for topic in topics:
                self.select_answer(message, topic, self.config["ranking_length"] if topic == intent else 1, features)
        return messages

    def select_answer(
        self, message: Message, topic: str, ranking_length: int, features: Optional[scipy.sparse.csr_matrix] = None
    ) -> None:
        fragments, classifier = self.classifiers[topic]
        probabilities = classifier.predict_proba(answer_features([message], fragments, features))[0]
        order = probabilities.argsort()[::-1][:ranking_length]
        ranking = [
            {"id": int(i), "confidence": float(probabilities[i]), INTENT_RESPONSE_KEY: str(classifier.classes_[i])}
            for i in order
        ]
        best = ranking[0][INTENT_RESPONSE_KEY]
        selection = message.get(RESPONSE_SELECTOR_PROPERTY_NAME) or {}
        selection[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self.retrieval_intents
        selection[topic] = {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                PREDICTED_CONFIDENCE_KEY: ranking[0]["confidence"],
                INTENT_RESPONSE_KEY: best,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
            },
            RESPONSE_SELECTOR_RANKING_KEY: ranking,
        }
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selection, add_to_output=True)


def answer_fragments() -> TfidfVectorizer:
    """Weighted character n-grams of a topic's questions, fitted on that topic alone: the words that
    tell two answers of a topic apart ("essai", "rompre", "jury") are rare in the whole training
    data, so the pipeline's counts barely weigh them (answer macro F1 in 5-fold cross-validation on
    the training questions: 0.828 -> 0.852). Folded by scikit-learn itself (lower case, no accents),
    so that the saved model names no function of the project's code."""
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, strip_accents="unicode")


def answer_features(
    messages: List[Message], fragments: TfidfVectorizer, features: Optional[scipy.sparse.csr_matrix] = None
) -> scipy.sparse.csr_matrix:
    """The sentence features (given when already built), then the topic's weighted character
    n-grams of the text."""
    texts = [message.get(TEXT) or "" for message in messages]
    common = sentence_features(messages) if features is None else features
    return scipy.sparse.hstack([common, fragments.transform(texts)]).tocsr()


def with_fast_scores(classifier: LogisticRegression) -> LogisticRegression:
    """The same classifier, its weights stored column-major: scikit-learn multiplies the features by
    the transposed weights, which scipy copied whole on every message when they were row-major (3
    ms of each prediction with a hundred thousand features). The numbers are the same."""
    if getattr(classifier, "coef_", None) is not None:
        classifier.coef_ = numpy.asfortranarray(classifier.coef_)
    return classifier


def text_sentence_features(message: Message) -> Tuple[List[Any], List[Any]]:
    """The sparse and the dense sentence features of the text, each featurizer's, in their order."""
    sparse: List[Any] = []
    dense: List[Any] = []
    for features in message.features:
        if features.attribute == TEXT and features.type == FEATURE_TYPE_SENTENCE:
            (sparse if features.is_sparse() else dense).append(features.features)
    return sparse, dense


def has_sentence_features(message: Message) -> bool:
    return any(text_sentence_features(message))


def sentence_features(messages: List[Message]) -> scipy.sparse.csr_matrix:
    """Each message's sentence features: each featurizer's block (the patterns, the word counts, the
    character n-gram counts, spaCy's sentence vector) scaled to unit length, so that none outweighs
    the others: the ten thousand n-gram counts used to drown the words and the patterns (intent
    accuracy on examples written apart from the rest of the training data: 0.898 -> 0.916).

    Built from each featurizer's features directly: Rasa's get_sparse_features copies and stacks
    them through scipy (12 ms of a 68 ms message), for the same numbers."""
    values: List[numpy.ndarray] = []
    columns: List[numpy.ndarray] = []
    indptr, width = [0], 0
    for message in messages:
        sparse, dense = text_sentence_features(message)
        offset = filled = 0
        if sparse:
            blocks = [matrix.tocsr() for matrix in sparse]
            values.extend(_unit(block.data) for block in blocks)
            filled += sum(len(block.data) for block in blocks)
            starts = numpy.cumsum([0] + [block.shape[1] for block in blocks[:-1]])
            columns.append(numpy.concatenate([block.indices + start for block, start in zip(blocks, starts)]))
            offset = sum(block.shape[1] for block in blocks)
        if dense:
            vector = numpy.concatenate([numpy.asarray(matrix, dtype=float).ravel() for matrix in dense])
            values.append(_unit(vector))
            columns.append(numpy.arange(vector.size) + offset)
            offset += vector.size
            filled += vector.size
        indptr.append(indptr[-1] + filled)
        width = max(width, offset)
    return scipy.sparse.csr_matrix(
        (
            numpy.concatenate(values) if values else numpy.zeros(0),
            numpy.concatenate(columns) if columns else numpy.zeros(0, dtype=int),
            indptr,
        ),
        shape=(len(messages), width),
    )


def _unit(vector: numpy.ndarray) -> numpy.ndarray:
    norm = numpy.linalg.norm(vector)
    return vector / norm if norm else vector
