"""NLU components of config.yml that are Rasa's own with a cost removed.

Rasa runs every pipeline component on every message. Two of ours did work nothing reads:
- spaCy's French model also runs its named-entity recogniser (about 40 % of spaCy's time per
  message), but our entities come from DIET and the lookup tables, never from doc.ents;
- with one ResponseSelector per FAQ topic, each message paid for six neural selections (about
  20 ms of CPU), although the dialogue only reads the selection of the intent DIET predicted
  (utter_faq_vae reads the faq_vae selection).
Training and predictions that are read stay exactly Rasa's.
"""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message

# Pipes of the spaCy model whose output nothing in the pipeline reads.
UNUSED_SPACY_PIPES = ("ner",)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="FrenchSpacyNLP",
)
class FrenchSpacyNLP(SpacyNLP):
    """SpacyNLP (tokens, lemmas, part-of-speech, word vectors) without the entity recogniser."""

    @staticmethod
    def load_model(spacy_model_name: Text) -> SpacyModel:
        model = SpacyNLP.load_model(spacy_model_name)
        for pipe in UNUSED_SPACY_PIPES:
            if pipe in model.model.pipe_names:
                model.model.disable_pipe(pipe)
        return model


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TopicResponseSelector(ResponseSelector):
    """A ResponseSelector for one retrieval intent, run only on messages of that intent."""

    def process(self, messages: List[Message]) -> List[Message]:
        asked = [message for message in messages if self._is_about_my_topic(message)]
        if asked:
            super().process(asked)
        return messages

    def _is_about_my_topic(self, message: Message) -> bool:
        intent = message.get(INTENT) or {}
        return bool(self.retrieval_intent) and intent.get(INTENT_NAME_KEY) == self.retrieval_intent
