"""Replies of the action server are still checked, with the validator built once (bot.patches.action_calls)."""

from datetime import datetime

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

# As in the running assistant (bot.patched_rasa): the quick check is installed.
pytestmark = pytest.mark.usefixtures("rasa_patches")

VALID_REPLY = {
    "events": [{"event": "slot", "name": "search_results", "value": ["bzh-numerique"], "timestamp": None}],
    "responses": [{"text": "Voici les campus trouvés.", "buttons": [{"title": "Voir plus", "payload": "/show_more"}]}],
}


def validate(reply):
    return RemoteAction("action_search_campus", None)._validate_action_result(reply)


def test_a_well_formed_reply_is_accepted():
    assert validate(VALID_REPLY) is True
    assert validate({"events": [], "responses": []}) is True


@pytest.mark.parametrize(
    "reply",
    [
        {"events": [{"event": "no_such_event"}], "responses": []},
        {"events": "not a list", "responses": []},
        {"events": [], "responses": ["a bare string instead of a message"]},
        {"events": [{"event": "slot"}], "responses": []},  # a slot event without its name
    ],
)
def test_a_malformed_reply_is_rejected_with_the_usual_hint(reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validate(reply)


def test_the_check_stays_correct_when_repeated():
    for _ in range(3):
        assert validate(VALID_REPLY) is True
        with pytest.raises(ValidationError):
            validate({"events": [{"event": "no_such_event"}], "responses": []})


def every_event_type():
    """One real event of each kind Rasa knows, as the action server would send it."""
    from rasa.shared.core import events

    return [
        events.UserUttered("bonjour", {"name": "greet", "confidence": 0.9}),
        events.BotUttered("Bonjour !", {"buttons": [{"title": "Aide", "payload": "/help"}]}),
        events.SlotSet("sector", "digital_telecommunications"),
        events.SlotSet("search_results", ["bzh-numerique", "occ-aero"]),
        events.ActionExecuted("action_search_campus", policy="TEDPolicy", confidence=0.8),
        events.ActiveLoop("campus_search_form"),
        events.ActiveLoop(None),
        events.FollowupAction("action_listen"),
        events.Restarted(),
        events.AllSlotsReset(),
        events.SessionStarted(),
        events.UserUtteranceReverted(),
        events.ActionReverted(),
        events.ConversationPaused(),
        events.ConversationResumed(),
        events.ActionExecutionRejected("campus_search_form"),
        events.LoopInterrupted(True),
        events.ReminderScheduled("remind", datetime(2026, 1, 1)),
        events.ReminderCancelled(name="remind"),
        events.EntitiesAdded([{"entity": "location", "value": "Brest", "start": 0, "end": 5}]),
        events.DefinePrevUserUtteredFeaturization(False),
        events.AgentUttered("texte"),
    ]


def broken_variants(event):
    """The same event made invalid in the ways a faulty action server could."""
    yield {key: value for key, value in event.items() if key != "event"}
    yield {**event, "event": "no_such_event"}
    yield {**event, "event": 3}
    yield {**event, "timestamp": "yesterday"}
    if event["event"] == "slot":
        yield {key: value for key, value in event.items() if key != "name"}
        yield {**event, "name": 3}
    if event["event"] == "user":
        yield {**event, "text": 3}
        yield {**event, "parse_data": "not an object"}


@pytest.mark.parametrize("event", [event.as_dict() for event in every_event_type()], ids=lambda event: event["event"])
def test_the_quick_check_agrees_with_rasas_complete_schema(event):
    from bot.patches.action_calls import action_response_validator, is_valid_reply

    complete = action_response_validator()
    replies = [{"events": [event], "responses": []}]
    replies += [{"events": [event, broken], "responses": []} for broken in broken_variants(event)]
    replies += [{"events": [event], "responses": [{"text": 3}]}, {"events": [event, "a string"]}]
    for reply in replies:
        assert is_valid_reply(reply) == complete.is_valid(reply), reply
    assert is_valid_reply(replies[0])
