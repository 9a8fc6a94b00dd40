"""Every sentence the user reads is a response of domain.yml, and each one is used.

`rasa data validate` only warns about a response no story uses, without failing, and it warns
about the sentences only the actions say (`text_...`): these checks take its place.
"""

from __future__ import annotations

import ast
from typing import Dict, Iterator, Set, Tuple

import pytest
import yaml

from actions.conversation import OFFERED_INTENTS
from orientation.paths import PROJECT_ROOT, TRAINING_DATA_DIR
from orientation.training import summaries
from orientation.wording import responses
from tests.domain_responses import MESSAGE_FIELDS, placeholders

# The code that says or fills in sentences: the actions, the domain library they call, and the
# channels, which answer by themselves when a message cannot reach the assistant.
ACTION_FILES = sorted(
    path for folder in ("actions", "orientation", "bot") for path in (PROJECT_ROOT / folder).glob("*.py")
)
SENTENCE_PREFIX = "text_"


def calls(function: str) -> Iterator[Tuple[str, ast.Call]]:
    """(file name, call) for each call of `function` (a plain name or a method) in actions/."""
    for path in ACTION_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if called == function:
                    yield path.name, node


def constant(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def named_sentences() -> Set[str]:
    """The `text_...` names written in actions/ (the ones an action says or fills in)."""
    names = set()
    for path in ACTION_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # "text_intent_" in f"text_intent_{name}" is the start of a name, not a name.
        pieces = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
        for node in ast.walk(tree):
            if id(node) in pieces:
                continue
            value = constant(node)
            if isinstance(value, str) and value.startswith(SENTENCE_PREFIX):
                names.add(value)
    return names | {f"text_intent_{intent}" for intent in OFFERED_INTENTS} | set(summaries())


def said_with_values() -> Iterator[Tuple[str, str, Set[str]]]:
    """(file, response, names of the values given) for each sentence named in a call."""
    for file, call in calls("utter_message"):
        keywords = {k.arg: k.value for k in call.keywords}
        name = constant(keywords.get("response"))
        if isinstance(name, str):
            yield file, name, set(keywords) - MESSAGE_FIELDS
    for file, call in calls("fill"):
        name = constant(call.args[0]) if call.args else None
        if isinstance(name, str):
            yield file, name, {k.arg for k in call.keywords}


def test_each_sentence_an_action_names_is_in_the_domain():
    missing = sorted(named_sentences() - set(responses()))
    assert not missing, f"not in domain.yml: {missing}"


@pytest.mark.parametrize(
    "file, name, given", list(said_with_values()), ids=lambda value: value if isinstance(value, str) else ""
)
def test_a_sentence_gets_exactly_the_values_it_shows(file, name, given):
    assert name in responses(), f"{file}: {name} is not in domain.yml"
    assert placeholders(name) == given, f"{file}: {name} shows {placeholders(name)}, is given {given}"


def test_a_sentence_chosen_by_name_needs_no_value():
    for name in [
        *summaries(),
        *(f"text_intent_{intent}" for intent in OFFERED_INTENTS),
    ]:
        assert name in responses() and not placeholders(name), name


WRITTEN_IN_CODE = (ast.Constant, ast.JoinedStr, ast.BinOp)


def test_actions_write_no_sentence_themselves():
    """A `text=` holds computed content (cards, details, contact), never a sentence in code."""
    for file, call in calls("utter_message"):
        for keyword in call.keywords:
            if keyword.arg == "text":
                assert not isinstance(keyword.value, WRITTEN_IN_CODE), (
                    f"{file}, line {call.lineno}: a sentence belongs in domain.yml"
                )


def test_button_titles_come_from_the_domain():
    """Titles are either in a response's buttons or filled in from a response (or are data: names)."""
    for path in ACTION_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if constant(key) == "title":
                        assert not isinstance(value, WRITTEN_IN_CODE), f"{path.name}, line {node.lineno}"


def used_in_stories_and_rules() -> Set[str]:
    used = set()
    for path in TRAINING_DATA_DIR.rglob("*.yml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in (content.get("stories") or []) + (content.get("rules") or []):
            used |= {step["action"] for step in block.get("steps") or [] if "action" in step}
    return used


def test_every_response_is_used():
    # utter_faq_vae/steps is said by the action utter_faq_vae.
    utterances: Dict[str, str] = {
        name.split("/")[0]: name for name in responses() if not name.startswith(SENTENCE_PREFIX)
    }
    said_by_actions = {name for _, name, _ in said_with_values()}
    unused = sorted(set(utterances) - used_in_stories_and_rules() - said_by_actions)
    assert not unused, f"responses no story, rule or action uses: {unused}"
    unsaid = sorted({name for name in responses() if name.startswith(SENTENCE_PREFIX)} - named_sentences())
    assert not unsaid, f"sentences no action says: {unsaid}"
