"""Replies of the action server are still checked, with the validator built once (bot.action_calls)."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.channels  # noqa: F401  (Rasa imports it at start; that is what installs the check)

VALID_REPLY = {
    "events": [{"event": "slot", "name": "search_results", "value": ["bzh-numerique"], "timestamp": None}],
    "responses": [{"text": "Voici les campus trouvés.", "buttons": [{"title": "Voir plus", "payload": "/show_more"}]}],
}


def validate(reply):
    return RemoteAction("action_search_campus", None)._validate_action_result(reply)


def test_a_well_formed_reply_is_accepted():
    assert validate(VALID_REPLY) is True
    assert validate({"events": [], "responses": []}) is True


@pytest.mark.parametrize("reply", [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["a bare string instead of a message"]},
    {"events": [{"event": "slot"}], "responses": []},  # a slot event without its name
])
def test_a_malformed_reply_is_rejected_with_the_usual_hint(reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validate(reply)


def test_the_check_stays_correct_when_repeated():
    for _ in range(3):
        assert validate(VALID_REPLY) is True
        with pytest.raises(ValidationError):
            validate({"events": [{"event": "no_such_event"}], "responses": []})
