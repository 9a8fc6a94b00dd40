"""Rules first: the learned dialogue policies run only when their prediction can matter.

Rasa 3.6 runs every policy for every prediction, then its ensemble keeps the most confident one,
ties going to the higher priority (rules 4, memoization 3, TED 1). When the RulePolicy predicts an
action with confidence 1.0, no other policy can win: its prediction is "no user" or based on the
intent, the memoization and TED predictions (TED trained without end-to-end stories) are based on
the intent too, and nothing beats 1.0 at a higher priority. Most of this assistant's steps are
decided by rules (listen after an answer, the search form, FAQ answers), so TED, the costliest
step of a turn, can be left out for them.

This runner runs the rules and every other input of the ensemble first, then the skippable
policies only if the rules did not decide. Skipped policies count as "no prediction" (all zeros,
what a policy says when it has nothing to say), and the ensemble combines as usual: the chosen
action, its policy, confidence and events are those of a full run (tests/bot/test_policy_calls.py).
Any other graph run, or a configuration where this argument does not hold, runs unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text, Tuple

import rasa.core.processor
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.policies.unexpected_intent_policy import UnexpecTEDIntentPolicy
from rasa.engine.constants import PLACEHOLDER_TRACKER
from rasa.engine.graph import GraphNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

CORE_TARGET = "select_prediction"
DOMAIN_NODE = "domain_provider"


@dataclass(frozen=True)
class RulesFirstPlan:
    rule_node: Text
    skippable: Tuple[Text, ...]
    ensemble_needs: Dict[Text, Text]  # ensemble parameter -> node (or graph input) giving it
    first_targets: List[Text]  # the nodes to run before deciding whether the others are needed


def _component(node: GraphNode) -> Any:
    return node._component  # predict nodes are loaded eagerly


def _never_beats_a_sure_rule(policy: Any, rule_priority: int) -> bool:
    """True for policies whose predictions are intent-based and rank below the rules."""
    if policy.priority >= rule_priority:
        return False
    if isinstance(policy, MemoizationPolicy):
        return True
    if isinstance(policy, TEDPolicy) and not isinstance(policy, UnexpecTEDIntentPolicy):
        # Only a TED trained on end-to-end stories (user text) can make an end-to-end
        # prediction, which would outrank intent-based rules.
        return TEXT not in (getattr(policy, "fake_features", None) or {})
    return False


def rules_first_plan(runner: DaskGraphRunner) -> Optional[RulesFirstPlan]:
    """Which policies may wait for the rules, or None when the graph is not the usual one."""
    schema_nodes = runner._graph_schema.nodes
    ensemble = schema_nodes.get(CORE_TARGET)
    if ensemble is None or DOMAIN_NODE not in schema_nodes:
        return None
    components = {
        name: _component(runner._instantiated_nodes[name])
        for name in ensemble.needs.values()
        if name in runner._instantiated_nodes
    }
    policies = {name: component for name, component in components.items() if isinstance(component, Policy)}
    rules = [name for name, policy in policies.items() if isinstance(policy, RulePolicy)]
    if len(rules) != 1:
        return None
    rule_priority = policies[rules[0]].priority
    skippable = tuple(name for name, policy in policies.items() if _never_beats_a_sure_rule(policy, rule_priority))
    if not skippable:
        return None
    first = set(ensemble.needs.values()) - set(skippable) - {PLACEHOLDER_TRACKER}
    return RulesFirstPlan(rules[0], skippable, dict(ensemble.needs), sorted(first | {DOMAIN_NODE}))


def rules_decide(rule_prediction: PolicyPrediction, tracker: DialogueStateTracker) -> bool:
    """The rules' prediction wins whatever the skippable policies say."""
    if rule_prediction.max_confidence < 1.0:
        return False
    # After a rejected action the ensemble sets that action's confidence to zero everywhere,
    # which can take the rules' 1.0 away: let every policy speak then.
    last_action = next(
        (event for event in reversed(tracker.events) if isinstance(event, (ActionExecuted, ActionExecutionRejected))),
        None,
    )
    return not isinstance(last_action, ActionExecutionRejected)


class RulesFirstGraphRunner(DaskGraphRunner):
    """Rasa's graph runner, with the learned policies skipped when the rules decide."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan = rules_first_plan(self)

    def run(self, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        plan = self._plan
        if plan is None or targets != [CORE_TARGET] or not inputs or PLACEHOLDER_TRACKER not in inputs:
            return super().run(inputs, targets)
        outputs = {**inputs, **super().run(inputs, plan.first_targets)}
        if rules_decide(outputs[plan.rule_node], inputs[PLACEHOLDER_TRACKER]):
            domain = outputs[DOMAIN_NODE]
            for name in plan.skippable:
                policy = _component(self._instantiated_nodes[name])
                outputs[name] = policy._prediction(policy._default_predictions(domain))
        else:
            outputs.update(super().run(inputs, list(plan.skippable)))
        ensemble = self._instantiated_nodes[CORE_TARGET]
        _, prediction = ensemble(*((node, outputs[node]) for node in plan.ensemble_needs.values()))
        return {CORE_TARGET: prediction}


def install() -> None:
    """Rasa's message processor builds its graph runner from this name when it loads a model."""
    rasa.core.processor.DaskGraphRunner = RulesFirstGraphRunner
