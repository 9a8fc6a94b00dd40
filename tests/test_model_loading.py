"""A model loaded for prediction only (bot/patches/model_loading.py) answers exactly as one loaded Rasa's
way: same intents and confidences, entities, FAQ answers and next actions (its memory is measured
by `python -m devtools.memory_profile`)."""

import asyncio

import rasa.core.processor
from rasa.core.agent import Agent
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.tensorflow.models import RasaModel

from bot.patches import model_loading

CONVERSATION = [
    "bonjour",
    "je cherche un campus d'informatique près de Brest",
    "c'est quoi la VAE ?",
    "et en Occitanie ?",
    "aéronautique",
    "je veux devenir fleuriste",
    "merci, au revoir",
]


def load(monkeypatch, model, rasa_load: bool) -> Agent:
    # Rasa's own graph runner, so that TED runs at every step.
    monkeypatch.setattr(rasa.core.processor, "DaskGraphRunner", DaskGraphRunner)
    loader = model_loading.rasa_load if rasa_load else model_loading.load_for_prediction
    monkeypatch.setattr(RasaModel, "load", classmethod(loader))
    return Agent.load(str(model))


def answers(agent: Agent) -> list:
    loop = asyncio.new_event_loop()
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    said = []
    for text in CONVERSATION:
        parsed = loop.run_until_complete(agent.parse_message(text))
        events.append(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
        tracker = DialogueStateTracker.from_events("model-loading", events, agent.domain.slots)
        action, prediction = agent.processor.predict_next_with_tracker_if_should(tracker)
        said.append((parsed, action.name(), prediction.policy_name, prediction.max_confidence))
        events += [ActionExecuted(action.name()), ActionExecuted("action_listen")]
    loop.close()
    return said


def test_a_model_loaded_for_prediction_answers_as_rasas_load(monkeypatch, trained_model):
    expected = answers(load(monkeypatch, trained_model, rasa_load=True))
    assert answers(load(monkeypatch, trained_model, rasa_load=False)) == expected
