"""Faults: the action server down or stuck, Rasa restarted in the middle of a conversation.

These tests stop and restart servers of the shared assistant; each leaves them running again."""

import contextlib
import socket
import time
import uuid

import yaml

from bot.channels import reply_timeout_from
from orientation.paths import CREDENTIALS_PATH
from orientation.settings import load_settings

REPLY_TIMEOUT = reply_timeout_from(
    yaml.safe_load(CREDENTIALS_PATH.read_text(encoding="utf-8"))["bot.channels.RestChannel"]
)
# Plus slack for a loaded 2-core machine.
BOUND_SECONDS = REPLY_TIMEOUT + 10


def new_sender() -> str:
    return f"fault-{uuid.uuid4().hex[:10]}"


def text_of(replies) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def timed_say(assistant, sender, text):
    started = time.monotonic()
    replies = assistant.say(sender, text, timeout=BOUND_SECONDS + 30)
    return replies, time.monotonic() - started


@contextlib.contextmanager
def action_server_replaced_by(assistant, stand_in=None):
    """Stops the action server (optionally putting something else on its port), then restores it."""
    actions = assistant.action_service
    actions.stop()
    try:
        yield int(assistant.action_url.rsplit(":", 1)[1])
    finally:
        if stand_in:
            stand_in.close()
        actions.start()
        actions.wait_until_up()


def assert_apology_with_link(replies):
    text = text_of(replies)
    assert "Désolé" in text
    assert load_settings().national_service["url"] in text


def test_action_server_down_gives_a_quick_apology_with_a_link_then_recovers(assistant):
    sender = new_sender()
    with action_server_replaced_by(assistant):
        for message in ("Bonjour", "je cherche un campus du numérique à Rennes"):
            replies, elapsed = timed_say(assistant, sender, message)
            assert_apology_with_link(replies)
            assert elapsed < BOUND_SECONDS
    # Back to normal as soon as the action server is.
    replies = assistant.say(sender, "Bonjour")
    assert text_of(replies) and "Désolé" not in text_of(replies)


def test_stuck_action_server_gives_an_apology_within_the_timeout(assistant):
    """Something accepts connections on the action port but never answers."""
    black_hole = socket.socket()
    black_hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    with action_server_replaced_by(assistant, stand_in=black_hole) as port:
        black_hole.bind(("127.0.0.1", port))
        black_hole.listen(16)
        replies, elapsed = timed_say(assistant, new_sender(), "je cherche un campus du numérique à Rennes")
    assert_apology_with_link(replies)
    assert REPLY_TIMEOUT - 1 < elapsed < BOUND_SECONDS


def test_a_conversation_continues_after_a_rasa_restart(assistant):
    sender = new_sender()
    asked = assistant.say(sender, "je cherche un campus")
    assert "Quel secteur" in text_of(asked)

    rasa = assistant.rasa_services[0]
    rasa.stop()
    rasa.start()
    rasa.wait_until_up()

    # The form resumes where it was: the sector answers its question, then it asks where.
    after = assistant.say(sender, "le numérique")
    assert "Où cherchez-vous" in text_of(after)
    results = assistant.say(sender, "en Bretagne")
    assert "campus" in text_of(results).lower()
