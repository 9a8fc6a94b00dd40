"""What one hostile visitor can do to the running assistant: flood a conversation or a socket,
send the largest message allowed, guess the counsellor token. Others must not notice."""

import asyncio
import concurrent.futures
import time
import uuid

import requests
from requests.adapters import HTTPAdapter

from bot.channels import MAX_BODY_BYTES, MAX_RAW_CHARS
from bot.counsellor import TOKEN_HEADER
from bot.rate_limits import BUSY_REPLY, FLOOD_REPLY
from tests.production.test_socketio_channel import ChatClient

QUESTION = "quels campus pour le numérique en Bretagne ?"


class FromAddress(HTTPAdapter):
    """Connections from another loopback address (127.0.0.0/8 is all this machine)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def post(url: str, sender: str, text: str, session=requests, headers=None) -> requests.Response:
    return session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, headers=headers or {}, timeout=30
    )


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_a_burst_on_one_conversation_gets_a_short_reply_and_the_conversation_goes_on(assistant):
    sender = f"burst-{uuid.uuid4().hex[:8]}"
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(lambda _: post(assistant.rasa_url, sender, QUESTION), range(10)))
    refused = [r for r in responses if r.status_code == 429]
    assert refused, [r.status_code for r in responses]
    assert all(r.json()["error"] in (BUSY_REPLY, FLOOD_REPLY) for r in refused)
    assert any(r.status_code == 200 and r.json() for r in responses)
    time.sleep(0.5)
    after = post(assistant.rasa_url, sender, "et en Normandie ?")
    assert after.status_code == 200 and after.json()  # answered as if nothing happened


def test_a_flood_from_one_client_does_not_slow_another_user(assistant):
    flooded = f"flood-{uuid.uuid4().hex[:8]}"
    stop = time.monotonic() + 8
    statuses = []

    def flood() -> None:
        while time.monotonic() < stop:
            statuses.append(post(assistant.rasa_url, flooded, QUESTION).status_code)

    user = f"user-{uuid.uuid4().hex[:8]}"
    post(assistant.rasa_url, user, "bonjour")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        flooders = [pool.submit(flood) for _ in range(15)]
        time.sleep(1)
        waits = []
        for text in (QUESTION, "et en alternance ?", "c'est quoi la VAE ?", "merci"):
            response, seconds = timed(lambda text=text: post(assistant.rasa_url, user, text))
            assert response.status_code == 200 and response.json()
            waits.append(seconds)
        for flooder in flooders:
            flooder.result()
    assert statuses.count(429) > statuses.count(200)
    assert max(waits) < 2.0, waits


def test_the_largest_messages_allowed_do_not_hold_up_other_users(assistant):
    largest = ["<" + " " * (MAX_BODY_BYTES - 64), "<" + " " * (MAX_RAW_CHARS - 1), "a " * 500]
    stop = time.monotonic() + 4

    def send_largest() -> None:
        while time.monotonic() < stop:
            for text in largest:
                response = post(assistant.rasa_url, f"large-{uuid.uuid4().hex[:8]}", text)
                assert response.status_code in (200, 413)

    user = f"user-{uuid.uuid4().hex[:8]}"
    post(assistant.rasa_url, user, "bonjour")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        sender = pool.submit(send_largest)
        time.sleep(0.5)
        health, health_seconds = timed(lambda: requests.get(f"{assistant.rasa_url}/webhooks/rest/", timeout=10))
        answer, answer_seconds = timed(lambda: post(assistant.rasa_url, user, "merci"))
        sender.result()
    assert health.status_code == 200 and health_seconds < 0.5
    assert answer.status_code == 200 and answer_seconds < 0.5


def test_a_socket_flooding_messages_gets_short_replies_then_is_answered_again(assistant):
    async def scenario():
        chat = ChatClient()
        await chat.open(assistant.rasa_url)
        try:
            for _ in range(60):
                await chat.client.emit("user_uttered", {"message": QUESTION, "session_id": chat.session_id})
            replies = []
            while len(replies) < 40:
                replies.append(await asyncio.wait_for(chat.replies.get(), 20))
            await chat.drain()
            await asyncio.sleep(2)
            after = await chat.answer("merci")
            return replies, after
        finally:
            await chat.close()

    replies, after = asyncio.run(scenario())
    texts = [reply.get("text") for reply in replies]
    assert BUSY_REPLY in texts or FLOOD_REPLY in texts
    assert after and not any(reply.get("text") in (BUSY_REPLY, FLOOD_REPLY) for reply in after)


def test_guessing_the_counsellor_token_is_paused_after_five_wrong_tries(assistant, counsellor_token):
    guesser = session_from("127.0.0.3")
    sender = f"guess-{uuid.uuid4().hex[:8]}"
    wrong = [post(assistant.rasa_url, sender, "bonjour", guesser, {TOKEN_HEADER: f"guess-{n}"}) for n in range(5)]
    assert [r.status_code for r in wrong] == [403] * 5
    paused = post(assistant.rasa_url, sender, "bonjour", guesser, {TOKEN_HEADER: counsellor_token})
    assert paused.status_code == 429 and "réessayez" in paused.json()["error"]
    # Other addresses keep their access.
    elsewhere = post(assistant.rasa_url, sender, "bonjour", headers={TOKEN_HEADER: counsellor_token})
    assert elsewhere.status_code == 200
    log = "".join(path.read_text(errors="replace") for path in (assistant.workdir / "logs").glob("rasa-*.log"))
    assert "guess-4" not in log and counsellor_token not in log
