"""The counsellor view: what was understood travels with the replies only for a valid token,
over socket.io (the widget) and REST (`cli ask`); `cli ask` uses the running assistant."""

import os
import subprocess
import sys
import time
import uuid

import pytest
import requests
import socketio

from orientation.paths import PROJECT_ROOT
from tests.production.test_socketio_channel import ChatClient, run

FAQ_QUESTION = "c'est quoi la VAE ?"
SEARCH_QUESTION = "je cherche un campus dans le numérique en Bretagne"


async def conversation(url: str, questions, auth: dict = None) -> list:
    chat = ChatClient()
    await chat.open(url, auth=auth)
    try:
        return [await chat.answer(question) for question in questions]
    finally:
        await chat.close()


def test_a_visitor_receives_no_understanding(assistant):
    answers = run(conversation(assistant.rasa_url, [FAQ_QUESTION, SEARCH_QUESTION]))
    messages = [message for answer in answers for message in answer]
    assert messages
    assert not any("understanding" in message for message in messages)


def test_a_wrong_token_is_refused_with_a_clear_message(assistant, counsellor_token):
    async def scenario():
        chat = ChatClient()
        refusals = []
        chat.client.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await chat.open(assistant.rasa_url, auth={"counsellor_token": counsellor_token + "x"}, wait_seconds=5)
        return str(refusals)

    assert "Code d'accès conseiller refusé" in run(scenario())
    log = (assistant.workdir / "logs").glob("rasa-*.log")
    assert not any(counsellor_token in path.read_text(errors="replace") for path in log)


def test_a_counsellor_gets_intent_confidence_entities_and_faq_with_each_reply(assistant, counsellor_token):
    faq, search = run(
        conversation(assistant.rasa_url, [FAQ_QUESTION, SEARCH_QUESTION], auth={"counsellor_token": counsellor_token})
    )
    assert all(message.get("understanding") for message in faq + search)
    understood = faq[0]["understanding"]
    assert understood["intent"] == "faq_vae" and 0 < understood["confidence"] <= 1
    assert understood["faq"]["key"].startswith("faq_vae/") and 0 < understood["faq"]["confidence"] <= 1
    assert understood["text"] == FAQ_QUESTION
    understood = search[0]["understanding"]
    assert understood["faq"] is None
    assert {"entity": "region", "value": "Bretagne"} in understood["entities"]


def test_the_understanding_shows_the_masked_text_only(assistant, counsellor_token):
    [answer] = run(
        conversation(
            assistant.rasa_url, ["écrivez-moi à jeanne.durand@example.org"], auth={"counsellor_token": counsellor_token}
        )
    )
    assert "jeanne.durand" not in str(answer)


def test_rest_gives_the_understanding_only_with_the_right_token(assistant, counsellor_token):
    def post(headers):
        return requests.post(
            f"{assistant.rasa_url}/webhooks/rest/webhook",
            headers=headers,
            timeout=30,
            json={"sender": f"rest-{uuid.uuid4().hex[:8]}", "message": FAQ_QUESTION},
        )

    visitor = post({})
    assert visitor.status_code == 200 and not any("understanding" in r for r in visitor.json())
    wrong = post({"X-Counsellor-Token": "nope"})
    assert wrong.status_code == 403 and "refusé" in wrong.json()["error"]
    counsellor = post({"X-Counsellor-Token": counsellor_token})
    assert counsellor.json()[0]["understanding"]["intent"] == "faq_vae"


def bot_ask(assistant, token: str, *question: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COUNSELLOR_TOKEN": token}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "ask",
            *question,
            "--rasa-url",
            assistant.rasa_url,
            "--action-url",
            assistant.action_url,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bot_ask_uses_the_running_assistant_quickly_and_prints_only_its_answer(assistant, counsellor_token):
    started = time.monotonic()
    asked = bot_ask(assistant, counsellor_token, FAQ_QUESTION)
    seconds = time.monotonic() - started
    print(f"cli ask against the running assistant: {seconds:.1f} s")
    assert asked.returncode == 0, asked.stderr
    assert seconds < 5
    assert "Intention  : faq_vae" in asked.stdout and "Réponse FAQ: faq_vae/" in asked.stdout
    output = asked.stdout + asked.stderr
    assert "DEBUG" not in output and "debug" not in output.lower()
    assert asked.stdout.splitlines()[0] == f"Question   : {FAQ_QUESTION}"


def test_bot_ask_with_a_wrong_token_says_so(assistant):
    asked = bot_ask(assistant, "wrong-token", FAQ_QUESTION)
    assert asked.returncode == 2
    assert "Code d'accès conseiller refusé" in asked.stderr and "COUNSELLOR_TOKEN" in asked.stderr
