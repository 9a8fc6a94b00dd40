"""FAQ answers' wording kept out of the NLU training inputs: rewording an answer retrains nothing.

Rasa 3.6 copies the answers of its retrieval intents (the `utter_faq_…/…` responses of domain.yml)
into the NLU training data, as `TrainingData.responses` and as the `response` of every FAQ example.
Both are part of the data's fingerprint, so a counsellor who rewords one answer changes the cache
key of every NLU component, and `make train` trains them all again (about 3 minutes on 2 cores),
although no component of this pipeline reads the wording: FaqAnswerSelector learns the answers'
keys (`faq_vae/eligibility`), kept here, and the assistant says the answer from the domain, which
the trained model carries. The training data leaves Rasa's provider without the wording; the
trained components are the same. (Rasa's own ResponseSelector does read the wording: this project
does not use it, and tests/bot/test_patches.py fails if config.yml brings it back.)

Installed by bot.patches.install(): `make train` trains through `python -m bot.patched_rasa`.
"""

from __future__ import annotations

import functools

from rasa.graph_components.providers.nlu_training_data_provider import NLUTrainingDataProvider
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import RESPONSE
from rasa.shared.nlu.training_data.training_data import TrainingData


def without_answer_wording(training_data: TrainingData) -> TrainingData:
    """The same examples, with no answer text in them nor beside them."""
    for example in training_data.training_examples:
        if RESPONSE in example.data:
            del example.data[RESPONSE]
            example._cached_fingerprint = None  # computed from the data it had
    training_data.responses = {}
    return training_data


_rasa_provide = NLUTrainingDataProvider.provide


@functools.wraps(_rasa_provide)
def provide_without_answer_wording(self: NLUTrainingDataProvider, importer: TrainingDataImporter) -> TrainingData:
    return without_answer_wording(_rasa_provide(self, importer))


def install() -> None:
    NLUTrainingDataProvider.provide = provide_without_answer_wording
