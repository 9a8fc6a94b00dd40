"""The website's socket.io channel: same protections as REST, and only the school's origins."""

import asyncio
import uuid

import pytest
import socketio

from orientation.settings import load_settings

WAIT_SECONDS = 20


class ChatClient:
    """A socket.io client speaking the widget's protocol (session_request, user_uttered)."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.session_id = f"sio-{uuid.uuid4().hex[:10]}"
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed = asyncio.Event()
        self.client.on("bot_uttered", self.replies.put_nowait)
        self.client.on("session_confirm", lambda _: self.confirmed.set())

    async def open(self, url: str, origin: str = None, wait_seconds: float = WAIT_SECONDS, auth: dict = None) -> None:
        headers = {"Origin": origin} if origin else {}
        await self.client.connect(
            url, headers=headers, socketio_path="/socket.io", wait_timeout=wait_seconds, auth=auth
        )
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self.confirmed.wait(), WAIT_SECONDS)

    async def say(self, data) -> dict:
        await self.client.emit("user_uttered", data)
        return await asyncio.wait_for(self.replies.get(), WAIT_SECONDS)

    async def silence(self, seconds: float = 2.0) -> bool:
        """True when nothing arrives for `seconds`."""
        try:
            await asyncio.wait_for(self.replies.get(), seconds)
            return False
        except asyncio.TimeoutError:
            return True

    async def drain(self) -> None:
        while not await self.silence():
            pass

    async def answer(self, text: str) -> list:
        """Every message of the reply to `text`."""
        messages = [await self.say({"message": text, "session_id": self.session_id})]
        while True:
            try:
                messages.append(await asyncio.wait_for(self.replies.get(), 2.0))
            except asyncio.TimeoutError:
                return messages

    async def close(self) -> None:
        await self.client.disconnect()


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))


def test_odd_messages_get_a_polite_reply_and_normal_ones_an_answer(assistant):
    async def scenario():
        chat = ChatClient()
        await chat.open(assistant.rasa_url)
        try:
            answers = {}
            for name, message in [
                ("empty", ""),
                ("spaces", "   "),
                ("long", "x" * 10_000),
                ("not text", 42),
                ("none", None),
                ("script", "<script>alert(1)</script>"),
                ("hello", "Bonjour"),
            ]:
                answers[name] = await chat.say({"message": message, "session_id": chat.session_id})
                await chat.drain()  # an answer may come in several messages
            return answers
        finally:
            await chat.close()

    answers = run(scenario())
    assert "aucun texte" in answers["empty"]["text"]
    assert "aucun texte" in answers["spaces"]["text"]
    assert "trop long" in answers["long"]["text"]
    assert "aucun texte" in answers["not text"]["text"]
    assert all("<script" not in (answer.get("text") or "") for answer in answers.values())
    assert answers["hello"].get("text")


def test_malformed_events_are_ignored_and_the_socket_keeps_working(assistant):
    async def scenario():
        chat = ChatClient()
        await chat.open(assistant.rasa_url)
        try:
            await chat.client.emit("user_uttered", "not an object")
            await chat.client.emit("user_uttered", {"message": "sans session"})
            await chat.client.emit("user_uttered", {"message": "x", "session_id": "a" * 500})
            ignored = await chat.silence(3)
            answer = await chat.say({"message": "Bonjour", "session_id": chat.session_id})
            return ignored, answer
        finally:
            await chat.close()

    ignored, answer = run(scenario())
    assert ignored
    assert answer.get("text")


def test_a_page_of_another_site_cannot_connect(assistant):
    async def scenario():
        chat = ChatClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await chat.open(assistant.rasa_url, origin="https://another-site.example", wait_seconds=5)

    run(scenario())


def test_the_school_page_can_connect(assistant):
    origin = load_settings().allowed_origins[0]

    async def scenario():
        chat = ChatClient()
        await chat.open(assistant.rasa_url, origin=origin)
        try:
            return await chat.say({"message": "Bonjour", "session_id": chat.session_id})
        finally:
            await chat.close()

    assert run(scenario()).get("text")
