"""Rules first (bot/patches/policy_calls.py): over every step of the conversation tests, the next-action
prediction is exactly the one of Rasa's own graph run, while TED is left out where rules decide."""

import asyncio

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.test import _collect_story_predictions, _create_data_generator
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker

from bot.patches import policy_calls
from orientation.paths import TESTS_DIR

CONVERSATION_TESTS = str(TESTS_DIR)


@pytest.fixture(scope="module")
def agent(trained_model):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rasa.core.processor, "DaskGraphRunner", rasa.core.processor.DaskGraphRunner)
        policy_calls.install()
        loaded = Agent.load(str(trained_model))
    assert isinstance(loaded.processor.graph_runner, policy_calls.RulesFirstGraphRunner)
    return loaded


def summary(prediction):
    events = [
        {key: value for key, value in event.as_dict().items() if key != "timestamp"} for event in prediction.events
    ]
    return (
        list(prediction.probabilities),
        prediction.policy_name,
        prediction.policy_priority,
        events,
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.hide_rule_turn,
        prediction.action_metadata,
    )


@pytest.fixture(scope="module")
def conversation_tests(agent):
    return _create_data_generator(CONVERSATION_TESTS, agent).generate_story_trackers()


def predictions_over_conversation_tests(agent, trackers, monkeypatch, run):
    """Every next-action prediction made while replaying the conversation tests, and TED's calls."""
    predictions, ted_calls = [], []

    def recording_run(runner, inputs=None, targets=None):
        results = run(runner, inputs, targets)
        if targets == [policy_calls.CORE_TARGET]:
            predictions.append(summary(results[policy_calls.CORE_TARGET]))
        return results

    # The graph node keeps TED's method from when the model was loaded: count the calls there.
    ted_node = next(
        node
        for node in agent.processor.graph_runner._instantiated_nodes.values()
        if isinstance(node._component, TEDPolicy)
    )
    ted_predict = ted_node._fn

    def counted_ted(policy, **kwargs):
        ted_calls.append(1)
        return ted_predict(policy, **kwargs)

    monkeypatch.setattr(policy_calls.RulesFirstGraphRunner, "run", recording_run)
    monkeypatch.setattr(ted_node, "_fn", counted_ted)
    asyncio.run(_collect_story_predictions(trackers, agent))
    monkeypatch.undo()
    return predictions, len(ted_calls)


def test_rules_first_predicts_exactly_what_the_full_graph_predicts(agent, conversation_tests, monkeypatch):
    expected, ted_calls_full = predictions_over_conversation_tests(
        agent, conversation_tests, monkeypatch, DaskGraphRunner.run
    )
    actual, ted_calls_rules_first = predictions_over_conversation_tests(
        agent, conversation_tests, monkeypatch, policy_calls.RulesFirstGraphRunner.run
    )

    assert len(expected) > 400 and ted_calls_full == len(expected)
    assert actual == expected
    # Both paths were taken: rules decided some steps, TED was needed for others.
    assert 0 < ted_calls_rules_first < ted_calls_full


def test_rules_do_not_decide_when_unsure_or_after_a_rejected_action():
    sure = PolicyPrediction([0.0, 1.0], "RulePolicy", 6)
    unsure = PolicyPrediction([0.3, 0.0], "RulePolicy", 6)
    listening = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")])
    rejected = DialogueStateTracker.from_events(
        "t", [ActionExecuted("action_listen"), ActionExecutionRejected("campus_search_form")]
    )

    assert policy_calls.rules_decide(sure, listening)
    assert not policy_calls.rules_decide(unsure, listening)
    assert not policy_calls.rules_decide(sure, rejected)
