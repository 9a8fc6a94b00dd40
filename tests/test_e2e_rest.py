"""Both servers started for real; a short conversation over the REST channel."""
from __future__ import annotations

import uuid

import pytest

from bot.processes import MODEL_PATH, running_assistant


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    if not MODEL_PATH.exists():
        pytest.fail("No trained model: run `make train` first.")
    with running_assistant(tmp_path_factory.mktemp("e2e")) as running:
        yield running


def joined(replies) -> str:
    return "\n".join((r.get("text") or "") for r in replies)


def test_a_short_conversation_over_rest(assistant):
    user = f"e2e-{uuid.uuid4().hex[:8]}"
    greeting = assistant.say(user, "Bonjour")
    assert "Bonjour" in joined(greeting)
    assert any(r.get("buttons") for r in greeting)

    asked = assistant.say(user, "je cherche un campus dans le numérique")
    assert "Où cherchez-vous" in joined(asked)

    results = assistant.say(user, "en Bretagne")
    assert "campus" in joined(results).lower()
    assert "photonique" in joined(results).lower()

    refined = assistant.say(user, "et en Occitanie ?")
    assert "Occitanie" in joined(refined)

    faq = assistant.say(user, "c'est quoi la VAE ?")
    assert "http" in joined(faq)

    bye = assistant.say(user, "merci, au revoir")
    assert bye


def test_an_faq_button_that_starts_a_search_keeps_its_payload(assistant):
    """Rasa fills {placeholders} in responses: the JSON of this payload must reach the user intact."""
    user = f"e2e-{uuid.uuid4().hex[:8]}"
    replies = assistant.say(user, "Comment partir avec Erasmus+ ?")
    payloads = [button["payload"] for reply in replies for button in reply.get("buttons") or []]
    assert '/search_campus{"feature": "mobility"}' in payloads

    # The search starts with mobility as a criterion and asks for what is missing.
    asked = assistant.say(user, '/search_campus{"feature": "mobility"}')
    assert "Quel secteur" in joined(asked)
