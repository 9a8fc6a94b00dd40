"""Bad input on the REST channel gets a 4xx or a polite reply, and the server keeps serving."""

import json
import sqlite3
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TIMEOUT = 30


def new_sender() -> str:
    return f"rest-{uuid.uuid4().hex[:10]}"


def post(assistant, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": content_type},
        timeout=TIMEOUT,
    )


def post_json(assistant, payload) -> requests.Response:
    return post(assistant, json.dumps(payload).encode())


def assert_well_formed_replies(response: requests.Response, sender: str) -> list:
    """200 with a non-empty list of bot messages for this sender, each with something to show."""
    assert response.status_code == 200, response.text
    replies = response.json()
    assert isinstance(replies, list) and replies
    for reply in replies:
        assert reply["recipient_id"] == sender
        assert any(reply.get(key) for key in ("text", "image", "buttons", "custom", "attachment"))
        assert "<script" not in (reply.get("text") or "").lower()
    return replies


def assert_refused(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.json().get("error") or response.json().get("message")


def assert_still_serving(assistant) -> None:
    sender = new_sender()
    assert_well_formed_replies(post_json(assistant, {"sender": sender, "message": "Bonjour"}), sender)


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty", ""),
        ("whitespace only", " \n\t  "),
        ("10,000 characters", "campus " * 1430),
        ("emoji only", "😀🎓🤖"),
        ("HTML and script", "<script>alert('x')</script><b>bonjour</b>"),
        ("control characters", "bon\x00jour\x07\x1b[31m"),
        ("zero-width and bidi", "\u202e\u200bcampus\u200d"),
        ("lone surrogate", "\ud800 informatique"),
        ("only tags", "<div></div><br/>"),
    ],
)
def test_odd_messages_get_a_polite_reply(assistant, name, message):
    sender = new_sender()
    replies = assert_well_formed_replies(post_json(assistant, {"sender": sender, "message": message}), sender)
    assert all(reply.get("text") is None or reply["text"].strip() for reply in replies)
    assert_still_serving(assistant)


def test_empty_and_over_long_messages_are_explained(assistant):
    sender = new_sender()
    empty = assert_well_formed_replies(post_json(assistant, {"sender": sender, "message": "   "}), sender)
    assert "aucun texte" in empty[0]["text"]
    long = assert_well_formed_replies(post_json(assistant, {"sender": sender, "message": "a" * 10_000}), sender)
    assert "trop long" in long[0]["text"]


@pytest.mark.parametrize(
    "name, body, content_type, status",
    [
        ("malformed JSON", b'{"sender": "a", "message": ', "application/json", 400),
        ("invalid UTF-8", b'{"sender": "a", "message": "\xc3\x28 \xff"}', "application/json", 400),
        ("JSON array", b'["Bonjour"]', "application/json", 400),
        ("missing sender", b'{"message": "Bonjour"}', "application/json", 400),
        ("null sender", b'{"sender": null, "message": "Bonjour"}', "application/json", 400),
        ("missing message", b'{"sender": "a"}', "application/json", 400),
        ("message not text", b'{"sender": "a", "message": {"text": "Bonjour"}}', "application/json", 400),
        ("wrong content type", b'{"sender": "a", "message": "Bonjour"}', "text/plain", 415),
        ("form encoded", b"sender=a&message=Bonjour", "application/x-www-form-urlencoded", 415),
        ("oversized body", b'{"sender": "a", "message": "' + b"a" * 2_000_000 + b'"}', "application/json", 413),
    ],
)
def test_malformed_requests_get_a_4xx(assistant, name, body, content_type, status):
    assert_refused(post(assistant, body, content_type), status)
    assert_still_serving(assistant)


def test_an_endless_body_is_cut_off(assistant):
    """A client that streams more than the limit without announcing a length."""

    def chunks():
        yield b'{"sender": "a", "message": "'
        for _ in range(64):
            yield b"a" * 65_536

    response = requests.post(
        f"{assistant.rasa_url}/webhooks/rest/webhook",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 413
    assert_still_serving(assistant)


def test_rasa_http_api_is_off(assistant):
    for path in ("/status", "/conversations/x/tracker", "/model/parse", "/version"):
        assert requests.get(f"{assistant.rasa_url}{path}", timeout=TIMEOUT).status_code in (401, 403, 404, 405)
    parse = requests.post(f"{assistant.rasa_url}/model/parse", json={"text": "Bonjour"}, timeout=TIMEOUT)
    assert parse.status_code in (401, 403, 404, 405)


def test_personal_data_is_masked_before_nlu_and_storage(assistant):
    sender = new_sender()
    message = "Je suis Léa, lea.martin@example.com, 06 12 34 56 78 : un campus du numérique à Rennes ?"
    assert_well_formed_replies(post_json(assistant, {"sender": sender, "message": message}), sender)
    with sqlite3.connect(assistant.workdir / "conversations.db") as database:
        rows = [
            json.loads(data)
            for (data,) in database.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))
        ]
    user_events = [event for event in rows if event["event"] == "user"]
    assert user_events, "the message was not stored"
    stored = json.dumps(rows, ensure_ascii=False)
    assert "lea.martin@example.com" not in stored and "06 12 34 56 78" not in stored
    assert "[e-mail masqué]" in user_events[0]["text"]
    assert "[téléphone masqué]" in user_events[0]["parse_data"]["text"]
    assert "Rennes" in user_events[0]["text"]


def test_request_metadata_is_not_stored(assistant):
    sender = new_sender()
    payload = {"sender": sender, "message": "Bonjour", "metadata": {"email": "x@example.com"}}
    assert_well_formed_replies(post_json(assistant, payload), sender)
    with sqlite3.connect(assistant.workdir / "conversations.db") as database:
        stored = " ".join(
            data for (data,) in database.execute("SELECT data FROM events WHERE sender_id = ?", (sender,))
        )
    assert "x@example.com" not in stored


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(message=st.text(max_size=1_200) | json_values, sender=st.text(min_size=1, max_size=40) | json_values)
def test_any_generated_request_gets_a_well_formed_response(assistant, message, sender):
    response = post_json(assistant, {"sender": sender, "message": message})
    assert response.status_code in (200, 400)
    body = response.json()
    if response.status_code == 400:
        assert isinstance(body, dict) and body["error"]
    else:
        assert_well_formed_replies(response, str(sender))


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2_000))
def test_any_byte_string_body_is_refused_cleanly(assistant, body):
    response = post(assistant, body)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.json()["error"]


def test_the_server_survived_everything(assistant):
    assert_still_serving(assistant)
    assert assistant.rasa_services[0].process.poll() is None
