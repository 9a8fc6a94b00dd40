"""Messages of the actions as the user reads them: a `response` name is filled in from domain.yml.

Rasa fills it in on the server; this does the same with Rasa's own generator, and refuses a
response whose variables differ from the values the action gave.
"""

from __future__ import annotations

import string
from typing import Any, Dict, List, Set

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

from orientation.wording import responses

# The keys of a message from CollectingDispatcher.utter_message; any other key is a variable.
MESSAGE_FIELDS = {"text", "buttons", "elements", "custom", "template", "response", "image", "attachment"}


def placeholders(name: str) -> Set[str]:
    """The {variables} of a response, in its texts and button titles, all variants."""
    found: Set[str] = set()
    for variant in responses()[name]:
        pieces = [variant.get("text") or ""] + [button.get("title", "") for button in variant.get("buttons") or []]
        for piece in pieces:
            found |= {field for _, field, _, _ in string.Formatter().parse(piece) if field}
    return found


def render(message: Dict[str, Any]) -> Dict[str, Any]:
    name = message.get("response")
    if not name:
        return message
    assert name in responses(), f"{name} is not a response of domain.yml"
    values = {key: value for key, value in message.items() if key not in MESSAGE_FIELDS}
    assert placeholders(name) == set(values), f"{name} takes {placeholders(name)}, was given {set(values)}"
    # No slot values: every variable of an action's sentence comes from the action itself.
    draft = TemplatedNaturalLanguageGenerator(responses()).generate_from_slots(name, {}, "rest", **values)
    # As Rasa does: the response's buttons, then those the action computed.
    buttons = list(draft.get("buttons") or []) + list(message.get("buttons") or [])
    return {**message, "text": draft.get("text"), "buttons": buttons}


def render_all(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [render(message) for message in messages]
