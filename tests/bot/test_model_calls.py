"""The trained models called through their built graph (bot/patches/model_calls.py) give exactly the
answers Rasa's own call path gives: intents, entities, FAQ answers and the next actions."""

import asyncio
import tempfile
from collections import Counter

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.tensorflow.models import RasaModel

from bot.patches import model_calls

CONVERSATION = [
    "bonjour",
    "je cherche un campus d'informatique près de Brest",
    "c'est quoi la VAE ?",
    "et en Occitanie ?",
    "aéronautique",
    "merci, au revoir",
]


@pytest.fixture(scope="module")
def agent(trained_model):
    # Rasa's own graph runner, which runs TED at every step (bot/patches/policy_calls.py would skip it
    # where rules decide, and another test may have installed the patches in this process).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rasa.core.processor, "DaskGraphRunner", DaskGraphRunner)
        return Agent.load(str(trained_model))


def answers(agent):
    """What the models say at each step of a conversation: the parse, then the next action."""
    loop = asyncio.new_event_loop()
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    said = []
    for text in CONVERSATION:
        parsed = loop.run_until_complete(agent.parse_message(text))
        events.append(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
        tracker = DialogueStateTracker.from_events("model-calls", events, agent.domain.slots)
        action, prediction = agent.processor.predict_next_with_tracker_if_should(tracker)
        said.append((parsed, action.name(), prediction.policy_name, prediction.max_confidence))
        events += [ActionExecuted(action.name()), ActionExecuted("action_listen")]
    loop.close()
    return said


def test_the_built_graph_gives_the_same_answers_as_rasas_call(agent, monkeypatch):
    monkeypatch.setattr(RasaModel, "_rasa_predict", model_calls.rasa_predict)
    expected = answers(agent)
    models = Counter()

    def counted(model, batch_in):
        outputs = model_calls.predict_with_built_graph(model, batch_in)
        if "_concrete_predict_step" in vars(model):  # this call went through the built graph
            models[type(model).__name__] += 1
        return outputs

    monkeypatch.setattr(RasaModel, "_rasa_predict", counted)
    assert answers(agent) == expected
    assert models["TED"] >= len(CONVERSATION)


def test_a_model_loaded_for_prediction_answers_as_rasas_load(trained_model, tmp_path, monkeypatch):
    """bot/patches/model_loading.py: the model built without Rasa's training step answers exactly as
    one loaded Rasa's way (its memory is measured by `python -m devtools.memory_profile`), its first
    prediction waiting for the graph built beside the start; the copy of the weights that build
    reads (Rasa deletes the unpacked model once loaded) is removed afterwards, and the copy a killed
    process left is removed at the next load."""
    from bot.patches import model_loading

    def load(loader):
        monkeypatch.setattr(rasa.core.processor, "DaskGraphRunner", DaskGraphRunner)
        monkeypatch.setattr(RasaModel, "load", classmethod(loader))
        return Agent.load(str(trained_model))

    expected = answers(load(model_loading.rasa_load))
    monkeypatch.setattr(RasaModel, "run_inference", model_loading.run_inference_once_built)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    left_by_a_killed_process = tmp_path / f"{model_loading.WEIGHTS_PREFIX}{2**22 + 1}-x"  # above any Linux pid
    left_by_a_killed_process.mkdir()
    agent = load(model_loading.load_for_prediction)
    builder = vars(ted_model(agent))["_graph_builder"]

    assert answers(agent) == expected
    assert not builder.is_alive()
    assert not list(tmp_path.glob(f"{model_loading.WEIGHTS_PREFIX}*"))


def ted_model(agent) -> RasaModel:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node._component.model for node in nodes if type(node._component).__name__ == "TEDPolicy")
