"""Chat channels of the assistant: REST (integrations, tests) and socket.io (website widget).

Same URLs and message formats as Rasa's own `rest` and `socketio` channels (registered under the
same names in credentials.yml), plus what a public endpoint needs:
- malformed requests (not JSON, not UTF-8, wrong content type, body too large, no sender) get a
  4xx with a short JSON explanation; empty or over-long messages get a polite reply without
  reaching NLU or the conversation store (the length is judged before any other work);
- one conversation, or one socket.io connection, may not flood the assistant (bot.rate_limits):
  a message over its limits gets a short reply at once (REST: 429);
- control characters and HTML tags are dropped, and e-mail addresses and phone numbers are masked
  (bot.privacy) before NLU sees the text and before it is stored;
- a turn that fails or takes too long (action server down or stuck) ends with an apology and a
  useful link: never silence, never a hang. Request metadata is not stored;
- counsellors holding the access token (bot.counsellor) get, with each reply, what was understood
  of the message that led to it; nobody else does.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError as SocketConnectionRefused

from bot.counsellor import (
    AUTH_FIELD,
    REFUSED_MESSAGE,
    TOKEN_HEADER,
    TOO_MANY_TRIES_MESSAGE,
    TokenGuard,
    configured_token,
    token_is_valid,
    understanding,
)
from bot.privacy import mask_personal_data
from bot.rate_limits import RateLimitSettings, TrafficLimits
from orientation.settings import load_settings
from orientation.wording import fill

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
# Longer raw texts are refused before any cleaning: markup and spaces dropped by the cleaning can
# shrink a message, but not a message of more than this to one of MAX_MESSAGE_CHARS that makes sense.
MAX_RAW_CHARS = 4 * MAX_MESSAGE_CHARS
MAX_SENDER_CHARS = 128
# Room for a message of MAX_MESSAGE_CHARS even when every character is JSON-escaped (an emoji is
# 12 bytes: "\ud83d\ude00"), a sender and the JSON around them: 12,000 + 768 + a few bytes.
MAX_BODY_BYTES = 16 * 1024
MAX_SOCKETIO_PACKET_BYTES = 16 * 1024
# Our actions answer in well under a second; past this the user gets an apology instead of waiting
# for Rasa's 5-minute action-server timeout.
DEFAULT_REPLY_TIMEOUT_SECONDS = 15.0

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

# --- text checks (pure) ----------------------------------------------------------------------

# Linear: one run of spaces before the optional "/" and one after it ("<\s*/?\s*" backtracks over
# every way to split a long run of spaces between the two, quadratic on "<" and 60,000 spaces).
HTML_TAG = re.compile(r"<\s*(?:/\s*)?[a-zA-Z!][^<>]*>")
WHITESPACE = re.compile(r"\s+")
# spaCy's tokenizer is quadratic on a long run of symbols with no space ("€" or an emoji 1,000
# times: 0.2 s a message); no question needs more than a few in a row.
MAX_SYMBOL_RUN = 10
SYMBOL_RUN = re.compile(r"[^\w\s]{%d,}" % (MAX_SYMBOL_RUN + 1))


def clean_text(raw: str) -> str:
    """The message as NLU should see it: no markup, no invisible or control characters."""
    text = unicodedata.normalize("NFC", raw)
    # Control characters (NUL breaks PostgreSQL) become spaces; format characters (zero-width,
    # bidi overrides) and lone surrogates (unencodable) are dropped.
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")
        elif category not in ("Cf", "Cs"):
            kept.append(char)
    # Tags have no use in a question, and must not be stored or echoed to a page.
    text = HTML_TAG.sub(" ", "".join(kept))
    text = SYMBOL_RUN.sub(lambda run: run.group()[:MAX_SYMBOL_RUN], text)
    return WHITESPACE.sub(" ", text).strip()


class InvalidRequest(Exception):
    """A request the channel refuses: the HTTP status and a short explanation in French."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class IncomingMessage:
    sender: str
    text: str


def valid_sender(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(400, fill("text_request_no_sender"))
    if len(value) > MAX_SENDER_CHARS or not value.isprintable():
        raise InvalidRequest(400, fill("text_request_bad_sender", max_chars=MAX_SENDER_CHARS))
    return value


def parse_rest_request(content_type: Optional[str], body: bytes) -> IncomingMessage:
    """The sender and raw text of a REST request, or InvalidRequest saying what is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest(413, fill("text_request_too_large"))
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise InvalidRequest(415, fill("text_request_not_json"))
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequest(400, fill("text_request_not_utf8")) from None
    except (ValueError, RecursionError):
        raise InvalidRequest(400, fill("text_request_bad_json")) from None
    if not isinstance(payload, dict):
        raise InvalidRequest(400, fill("text_request_not_object"))
    sender = valid_sender(payload.get("sender"))
    message = payload.get("message")
    if not isinstance(message, str):
        raise InvalidRequest(400, fill("text_request_message_not_text"))
    return IncomingMessage(sender, message)


# --- what the user reads when the assistant itself cannot answer -----------------------------

EMPTY_MESSAGE_REPLY = fill("text_channel_empty")
TOO_LONG_REPLY = fill("text_channel_too_long", max_chars=MAX_MESSAGE_CHARS)
NO_ANSWER_REPLY = fill("text_channel_no_answer")
HELP_BUTTON = {"title": fill("text_channel_help_button"), "payload": "/help"}


def technical_problem_reply() -> str:
    """Apology with somewhere else to get an answer: the national service and the school's contact."""
    settings = load_settings()
    service = settings.national_service
    lines = [
        fill("text_channel_technical_problem"),
        fill("text_channel_technical_service", service=service["name"], url=service["url"]),
    ]
    counsellor = settings.counsellor
    contact = counsellor.email or counsellor.phone or counsellor.booking_url
    if contact:
        name = counsellor.name or fill("text_channel_your_school")
        lines.append(fill("text_channel_technical_counsellor", counsellor=name, contact=contact))
    return "\n".join(lines)


def input_problem_reply(text: str) -> Optional[str]:
    """A polite reply for a message NLU should not see (empty, too long), else None."""
    if not text:
        return EMPTY_MESSAGE_REPLY
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG_REPLY
    return None


def checked_text(raw: str) -> Tuple[str, Optional[str]]:
    """The cleaned text and None, or ("", the reply) for a message NLU should not see. The raw
    length is judged first, so that no work is spent on a text that will be refused anyway."""
    if len(raw) > MAX_RAW_CHARS:
        return "", TOO_LONG_REPLY
    text = clean_text(raw)
    return text, input_problem_reply(text)


def client_address(request: Request) -> str:
    """The client's address: the one a trusted proxy forwards (Sanic's REAL_IP_HEADER or
    PROXIES_COUNT settings, e.g. SANIC_REAL_IP_HEADER=x-real-ip behind nginx), else the peer's."""
    return request.remote_addr or request.ip or "unknown"


# --- running one turn with a bounded time ----------------------------------------------------


@dataclass
class TurnReport:
    failed: bool = False


_current_turn: contextvars.ContextVar[Optional[TurnReport]] = contextvars.ContextVar("current_turn", default=None)


class ActionFailureLog(logging.Handler):
    """Notes on the current turn that Rasa logged an error while running it.

    When a custom action fails (action server down, bad answer), Rasa logs the exception, drops the
    action's events and carries on; the channel would otherwise send partial or empty answers.
    """

    def emit(self, record: logging.LogRecord) -> None:
        report = _current_turn.get()
        if report is not None and record.levelno >= logging.ERROR:
            report.failed = True


def watch_action_failures() -> None:
    processor_logger = logging.getLogger("rasa.core.processor")
    if not any(isinstance(h, ActionFailureLog) for h in processor_logger.handlers):
        processor_logger.addHandler(ActionFailureLog(level=logging.ERROR))


async def run_turn(on_new_message: OnNewMessage, message: UserMessage, timeout: float) -> TurnReport:
    """Hands the message to Rasa; the report says whether the turn failed or timed out."""
    report = TurnReport()
    token = _current_turn.set(report)
    try:
        # wait_for runs the turn in a task that inherits this context, report included.
        await asyncio.wait_for(on_new_message(message), timeout)
    except asyncio.TimeoutError:
        logger.error("No answer within %.0f s for conversation %s.", timeout, message.sender_id)
        report.failed = True
    except Exception:  # noqa: BLE001 - whatever broke, the user still gets an answer
        logger.exception("Message of conversation %s could not be handled.", message.sender_id)
        report.failed = True
    finally:
        _current_turn.reset(token)
    return report


def closing_reply(report: TurnReport, answered: bool) -> Optional[str]:
    """What to add after the assistant's own replies, if anything."""
    if report.failed:
        return technical_problem_reply()
    if not answered:
        return NO_ANSWER_REPLY
    return None


def reply_timeout_from(credentials: Optional[Dict[Text, Any]]) -> float:
    return float((credentials or {}).get("reply_timeout_seconds") or DEFAULT_REPLY_TIMEOUT_SECONDS)


def traffic_limits_from(credentials: Optional[Dict[Text, Any]]) -> TrafficLimits:
    return TrafficLimits(RateLimitSettings.from_credentials((credentials or {}).get("rate_limits")))


async def latest_understanding(app: Any, sender: str) -> Optional[dict]:
    """What was understood of the conversation's latest user message (masked text), if any."""
    try:
        tracker = await app.ctx.agent.tracker_store.retrieve(sender)
    except Exception:  # noqa: BLE001 - the replies matter more than the understanding
        logger.exception("What was understood could not be read for conversation %s.", sender)
        return None
    if tracker is None or not tracker.latest_message or not tracker.latest_message.parse_data:
        return None
    return understanding(tracker.latest_message.parse_data)


def limit_request_size(blueprint: Blueprint) -> None:
    @blueprint.listener("before_server_start")
    async def set_request_max_size(app: Any, _loop: Any) -> None:
        # Sanic's default is 100 MB; a chat message never needs more than this.
        app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES


# --- REST ------------------------------------------------------------------------------------


def rest_message(sender: str, text: str, buttons: Optional[List[dict]] = None) -> Dict[str, Any]:
    message: Dict[str, Any] = {"recipient_id": sender, "text": text}
    if buttons:
        message["buttons"] = buttons
    return message


class RestChannel(RestInput):
    """POST /webhooks/rest/webhook {"sender": "...", "message": "..."} -> list of bot messages."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(reply_timeout_from(credentials), traffic_limits_from(credentials))

    def __init__(
        self, reply_timeout: float = DEFAULT_REPLY_TIMEOUT_SECONDS, limits: Optional[TrafficLimits] = None
    ) -> None:
        self.reply_timeout = reply_timeout
        self.limits = limits or TrafficLimits()
        self.token_guard = TokenGuard()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = Blueprint("rest_channel", __name__)
        limit_request_size(webhook)
        watch_action_failures()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                incoming = parse_rest_request(request.content_type, request.body)
            except InvalidRequest as error:
                return response.json({"error": error.reason}, status=error.status)
            given_token = request.headers.get(TOKEN_HEADER)
            if given_token is not None:
                refused = self.refuse_token(given_token, client_address(request))
                if refused:
                    return refused
            async with self.limits.turn(incoming.sender) as limit_reply:
                if limit_reply:
                    return response.json({"error": limit_reply}, status=429, headers={"Retry-After": "2"})
                replies, reached_nlu = await self.answer(on_new_message, incoming)
            if given_token is None:
                return response.json(replies)
            understood = await latest_understanding(request.app, incoming.sender) if reached_nlu else None
            return response.json([{**reply, "understanding": understood} for reply in replies])

        return webhook

    def refuse_token(self, given_token: str, address: str) -> Optional[HTTPResponse]:
        """The response refusing a counsellor token (wrong, or too many wrong tries), else None."""
        if self.token_guard.paused(address):
            logger.warning("REST request with a counsellor token refused: too many wrong tries from its address.")
            return response.json({"error": TOO_MANY_TRIES_MESSAGE}, status=429, headers={"Retry-After": "600"})
        if not token_is_valid(given_token, configured_token()):
            self.token_guard.record_wrong(address)
            logger.warning("REST request with a wrong counsellor token refused.")
            return response.json({"error": REFUSED_MESSAGE}, status=403)
        return None

    async def answer(self, on_new_message: OnNewMessage, incoming: IncomingMessage) -> Tuple[List[dict], bool]:
        """The replies to one message, and whether it reached NLU (not empty, not too long)."""
        text, problem = checked_text(incoming.text)
        if problem:
            return [rest_message(incoming.sender, problem, [HELP_BUTTON])], False
        collector = CollectingOutputChannel()
        message = UserMessage(mask_personal_data(text), collector, incoming.sender, input_channel=self.name())
        report = await run_turn(on_new_message, message, self.reply_timeout)
        closing = closing_reply(report, answered=bool(collector.messages))
        if closing:
            collector.messages.append(rest_message(incoming.sender, closing))
        return collector.messages, True


# --- socket.io -------------------------------------------------------------------------------


class CountingSocketIOOutput(SocketIOOutput):
    """Socket.io output that remembers whether anything was sent during the turn."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = False

    async def _send_message(self, socket_id: Text, message: Any) -> None:
        self.sent = True
        await super()._send_message(socket_id, message)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        self.sent = True
        # Rasa's own version passes the message as keyword arguments to emit(), which breaks on
        # keys such as "type" or "id" (campus cards): send it as the event's data instead.
        await self.sio.emit(self.bot_message_evt, json_message, room=recipient_id)


class CounsellorSocketIOOutput(CountingSocketIOOutput):
    """Holds the turn's messages back, to send them with what was understood once it is known
    (the tracker is stored at the end of the turn), and only to the counsellor's own socket."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text, counsellor_sid: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.counsellor_sid = counsellor_sid
        self.held: List[Dict[Text, Any]] = []

    async def _send_message(self, socket_id: Text, message: Any) -> None:
        self.sent = True
        self.held.append(dict(message))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        self.sent = True
        self.held.append(dict(json_message))

    async def release(self, understood: Optional[dict]) -> None:
        for message in self.held:
            await self.sio.emit(
                self.bot_message_evt, {**message, "understanding": understood}, room=self.counsellor_sid
            )
        self.held = []


def origin_allowed(origin: Optional[str], allowed: tuple) -> bool:
    """Browsers send Origin; clients that do not (tests, servers) are not subject to CORS."""
    return not origin or "*" in allowed or origin in allowed


class SocketIOChannel(SocketIOInput):
    """Rasa's socket.io protocol (session_request / user_uttered / bot_uttered), hardened."""

    reply_timeout: float = DEFAULT_REPLY_TIMEOUT_SECONDS

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counsellor_sids: set = set()  # sockets opened with a valid counsellor token
        self.app: Any = None
        self.limits = TrafficLimits()
        self.token_guard = TokenGuard()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.reply_timeout = reply_timeout_from(credentials)
        channel.limits = traffic_limits_from(credentials)
        return channel

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        allowed_origins = load_settings().allowed_origins
        # Origins are checked on connect (below): passing them here too would make engine.io add
        # CORS headers that Sanic-CORS already adds.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=MAX_SOCKETIO_PACKET_BYTES)
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_channel", __name__)
        self.sio = sio
        limit_request_size(webhook)
        watch_action_failures()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not origin_allowed(origin, allowed_origins):
                logger.warning("Socket.io connection refused from origin %s.", origin)
                return False
            given_token = auth.get(AUTH_FIELD) if isinstance(auth, dict) else None
            if given_token is None:
                return True
            sanic_request = environ.get("sanic.request")
            address = client_address(sanic_request) if sanic_request is not None else "unknown"
            # The client receives the text of a refusal in its connect_error event.
            if self.token_guard.paused(address):
                logger.warning("Socket.io counsellor connection refused: too many wrong tries from its address.")
                raise SocketConnectionRefused(TOO_MANY_TRIES_MESSAGE)
            if not token_is_valid(given_token, configured_token()):
                self.token_guard.record_wrong(address)
                logger.warning("Socket.io connection with a wrong counsellor token refused.")
                raise SocketConnectionRefused(REFUSED_MESSAGE)
            self.counsellor_sids.add(sid)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            self.counsellor_sids.discard(sid)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if self._valid_session_id(requested) else uuid.uuid4().hex
            if self.session_persistence:
                sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                logger.warning("Socket.io message ignored: not an object.")
                return
            sender: Any  # a session id is checked below before it is used
            if self.session_persistence:
                sender = data.get("session_id")
                if not self._valid_session_id(sender):
                    logger.warning("Socket.io message ignored: no valid session_id.")
                    return
            else:
                sender = sid
            raw = data.get("message")
            text = raw if isinstance(raw, str) else ""
            async with self.limits.turn(sender, connection=sid) as limit_reply:
                if limit_reply:
                    await CountingSocketIOOutput(sio, self.bot_message_evt).send_text_message(sender, limit_reply)
                elif sid in self.counsellor_sids:
                    await self.answer_counsellor(on_new_message, sio, sid, sender, text)
                else:
                    await self.answer(on_new_message, sio, sender, text)

        @webhook.listener("before_server_start")
        async def remember_app(app: Any, _loop: Any) -> None:
            self.app = app  # its agent's tracker store holds what was understood

        return webhook

    @staticmethod
    def _valid_session_id(value: Any) -> bool:
        return isinstance(value, str) and 0 < len(value) <= MAX_SENDER_CHARS and value.isprintable()

    async def answer(
        self,
        on_new_message: OnNewMessage,
        sio: AsyncServer,
        sender: str,
        raw: str,
        output: Optional[CountingSocketIOOutput] = None,
    ) -> bool:
        """Answers one message; False when it never reached NLU (empty, too long)."""
        output = output or CountingSocketIOOutput(sio, self.bot_message_evt)
        text, problem = checked_text(raw)
        if problem:
            await output.send_text_with_buttons(sender, problem, [HELP_BUTTON])
            return False
        message = UserMessage(mask_personal_data(text), output, sender, input_channel=self.name())
        report = await run_turn(on_new_message, message, self.reply_timeout)
        closing = closing_reply(report, answered=output.sent)
        if closing:
            await output.send_text_message(sender, closing)
        return True

    async def answer_counsellor(
        self, on_new_message: OnNewMessage, sio: AsyncServer, sid: str, sender: str, raw: str
    ) -> None:
        output = CounsellorSocketIOOutput(sio, self.bot_message_evt, sid)
        reached_nlu = await self.answer(on_new_message, sio, sender, raw, output)
        understood = await latest_understanding(self.app, sender) if reached_nlu else None
        await output.release(understood)
