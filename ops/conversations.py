"""What students really asked, read from the SQL tracker store (Rasa's `events` table).

One pass over the events of the period, ordered by conversation, with only the current
conversation in memory: the store can hold hundreds of thousands of messages. Texts are those
stored, already masked by the chat channels (bot/privacy.py); sender ids never leave this module.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.endpoints import tracker_store_engine

# The schools are in France: days are counted in Paris time, not in the server's.
TIMEZONE = ZoneInfo("Europe/Paris")
# Above the FallbackClassifier threshold (0.45, config.yml) the assistant answers, but below this
# it is unsure enough that a counsellor should check the answer.
LOW_CONFIDENCE = 0.6
FALLBACK_INTENT = "nlu_fallback"
# The dialogue's own fallback (no next action predicted with confidence). Not the two-stage
# fallback: it follows nlu_fallback, and it also runs on the user's reply to "did you mean...?".
FALLBACK_ACTION = "action_default_fallback"
FEEDBACK_INTENT = "feedback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
# The sentence of the campus search saying that the place typed matches no known place.
PLACE_UNKNOWN_RESPONSE = "text_place_unknown"
# Entities that carry a place the user typed (the search form's `area` comes from them).
PLACE_ENTITIES = ("location", "area", "region")
ROWS_PER_FETCH = 2_000
GUESSES_KEPT = 3


@dataclass
class UnsureMessage:
    """A message that fell back or was understood with a low confidence."""

    when: datetime
    text: str
    guesses: List[Tuple[str, float]]  # best intents first, nlu_fallback left out
    faq_answer: Optional[str] = None
    faq_confidence: Optional[float] = None
    fell_back: bool = False

    @property
    def intent(self) -> str:
        return self.guesses[0][0] if self.guesses else "?"

    @property
    def confidence(self) -> float:
        return self.guesses[0][1] if self.guesses else 0.0


@dataclass
class RatedAnswer:
    """A thumbs down: the answer rated and the message that led to it."""

    when: datetime
    answer: str  # the response or action that produced it (e.g. faq_vae/steps)
    answer_text: str
    question: str


def folded(text: str) -> str:
    """What groups the same question or place typed differently: lower case, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(char for char in decomposed if not unicodedata.combining(char)).split())


@dataclass
class Missing:
    """One question the assistant had no answer for, or one place it could not find, with how often
    it came (the same words folded: case, accents and spacing ignored)."""

    key: str
    text: str  # as stored (masked), the most frequent spelling
    count: int
    last_seen: datetime
    message: str  # the latest message that led to it (for an unknown place, the whole message)
    guesses: List[Tuple[str, float]] = field(default_factory=list)  # of that latest message


@dataclass
class MissingCounter:
    """Groups what is missing by its folded text, keeping each group's spellings and latest message."""

    spellings: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    latest: Dict[str, Tuple[datetime, str, List[Tuple[str, float]]]] = field(default_factory=dict)
    last_spelling: Dict[Tuple[str, str], datetime] = field(default_factory=dict)

    def add(self, text: str, when: datetime, message: str, guesses: List[Tuple[str, float]]) -> None:
        text = " ".join(text.split())
        key = folded(text)
        if not key:
            return
        self.spellings[key][text] += 1
        self.last_spelling[(key, text)] = max(when, self.last_spelling.get((key, text), when))
        if key not in self.latest or when >= self.latest[key][0]:
            self.latest[key] = (when, message, guesses)

    def groups(self) -> List[Missing]:
        """The most frequent first, then the most recent."""
        groups = []
        for key, spellings in self.spellings.items():
            text = max(spellings, key=lambda spelling: (spellings[spelling], self.last_spelling[(key, spelling)]))
            when, message, guesses = self.latest[key]
            groups.append(Missing(key, text, sum(spellings.values()), when, message, guesses))
        return sorted(groups, key=lambda group: (-group.count, -group.last_seen.timestamp(), group.key))


def place_of(parse: dict, text: str, said_place: str = "") -> str:
    """The place the user typed in a message: its place entity as written, else the place the
    assistant's sentence named, else the whole message."""
    for name in PLACE_ENTITIES:
        for entity in parse.get("entities") or []:
            if entity.get("entity") != name:
                continue
            start, end = entity.get("start"), entity.get("end")
            typed = not text.startswith("/")  # a button payload's entities point into its JSON
            if typed and isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                return text[start:end]  # as typed, not the value a synonym mapped it to
            if entity.get("value"):
                return str(entity["value"])
    return said_place.strip() or text


@dataclass
class ConversationStats:
    since: datetime
    threshold: float
    messages_per_day: Counter = field(default_factory=Counter)
    conversations_per_day: Counter = field(default_factory=Counter)
    fallbacks_per_day: Counter = field(default_factory=Counter)
    intents: Counter = field(default_factory=Counter)
    feedback: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    unsure: List[UnsureMessage] = field(default_factory=list)
    thumbs_down: List[RatedAnswer] = field(default_factory=list)
    out_of_scope_counter: MissingCounter = field(default_factory=MissingCounter)
    unknown_places_counter: MissingCounter = field(default_factory=MissingCounter)
    conversations: int = 0

    @property
    def out_of_scope(self) -> List[Missing]:
        """Questions answered as out of scope: the answers to add, the most asked first."""
        return self.out_of_scope_counter.groups()

    @property
    def unknown_places(self) -> List[Missing]:
        """Places the campus search could not find: the places or spellings to add."""
        return self.unknown_places_counter.groups()

    @property
    def messages(self) -> int:
        return sum(self.messages_per_day.values())

    @property
    def fallbacks(self) -> int:
        return sum(self.fallbacks_per_day.values())

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.messages if self.messages else 0.0


def local_time(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, TIMEZONE)


def answer_name(action: str) -> str:
    """`utter_faq_vae/steps` reads as `faq_vae/steps`, the name used in data and reports."""
    return action[len("utter_") :] if action.startswith("utter_") else action


def guesses_of(parse: dict) -> List[Tuple[str, float]]:
    ranking = parse.get("intent_ranking") or [parse.get("intent") or {}]
    return [
        (item["name"], float(item.get("confidence") or 0.0))
        for item in ranking
        if item.get("name") and item["name"] != FALLBACK_INTENT
    ][:GUESSES_KEPT]


def faq_answer_of(parse: dict, intent: str) -> Tuple[Optional[str], Optional[float]]:
    selected = (parse.get("response_selector") or {}).get(intent) or {}
    response = selected.get("response") or {}
    return response.get("intent_response_key"), response.get("confidence")


def feedback_value(parse: dict) -> Optional[str]:
    for entity in parse.get("entities") or []:
        if entity.get("entity") == "feedback_value":
            return entity.get("value")
    return None


class ConversationReader:
    """Follows one conversation's events in order and adds what matters to the statistics."""

    def __init__(self, stats: ConversationStats) -> None:
        self.stats = stats
        self.days: set = set()
        self.last_message: Optional[UnsureMessage] = None
        self.last_message_listed = False
        self.last_question = ""
        self.last_action = ""
        self.answer: Optional[Tuple[str, str, str]] = None  # (answer, text, question) of the last turn
        self.turn_answered = True
        self.rating_turn = False
        self.last_parse: dict = {}
        self.place_reported = False

    def on_user(self, timestamp: float, intent: Optional[str], data: dict) -> None:
        parse = data.get("parse_data") or {}
        intent = intent or (parse.get("intent") or {}).get("name") or "?"
        when = local_time(timestamp)
        self.rating_turn = intent == FEEDBACK_INTENT
        if self.rating_turn:
            self.on_feedback(when, feedback_value(parse))
            return
        day = when.date()
        if not self.days:  # a conversation counts from its first message (not a bare session start)
            self.stats.conversations += 1
        self.stats.messages_per_day[day] += 1
        self.stats.intents[intent] += 1
        if day not in self.days:
            self.days.add(day)
            self.stats.conversations_per_day[day] += 1
        text = data.get("text") or ""
        guesses = guesses_of(parse)
        faq_answer, faq_confidence = faq_answer_of(parse, guesses[0][0] if guesses else intent)
        self.last_message = UnsureMessage(when, text, guesses, faq_answer, faq_confidence)
        self.last_message_listed = False
        self.last_question, self.turn_answered = text, False
        self.last_parse, self.place_reported = parse, False
        if intent == OUT_OF_SCOPE_INTENT and not text.startswith("/"):  # a button payload is no question
            self.stats.out_of_scope_counter.add(text, when, text, guesses)
        if intent == FALLBACK_INTENT:
            self.mark_fallback()
        elif self.last_message.confidence < self.stats.threshold:
            self.list_last_message()

    def list_last_message(self) -> None:
        if self.last_message is not None and not self.last_message_listed:
            self.stats.unsure.append(self.last_message)
            self.last_message_listed = True

    def mark_fallback(self) -> None:
        message = self.last_message
        if message is None or message.fell_back:
            return
        message.fell_back = True
        self.stats.fallbacks_per_day[message.when.date()] += 1
        self.list_last_message()

    def on_action(self, name: str) -> None:
        if name == FALLBACK_ACTION:
            self.mark_fallback()
        if name != "action_listen":
            self.last_action = name

    def on_bot(self, data: dict) -> None:
        metadata = data.get("metadata") or {}
        said = metadata.get("utter_action") or ""
        if said == PLACE_UNKNOWN_RESPONSE:
            self.on_place_unknown(metadata.get("place"))
        # The first message of a turn is the answer a thumb rates; the thanks for a rating are not.
        if self.turn_answered or self.rating_turn:
            return
        # An action's own sentences (text_* responses) are rated as that action's answer.
        action = said if said.startswith("utter_") else self.last_action
        self.answer = (answer_name(action), data.get("text") or "", self.last_question)
        self.turn_answered = True

    def on_place_unknown(self, said_place: object) -> None:
        """The campus search said it could not find the place of the user's last message (once a turn).
        `said_place` is the place the sentence named (kept in the event's metadata)."""
        message = self.last_message
        if message is None or self.place_reported:
            return
        self.place_reported = True
        place = place_of(self.last_parse, message.text, str(said_place or ""))
        if place and not place.startswith("/"):  # a payload without a place is no place typed
            self.stats.unknown_places_counter.add(place, message.when, message.text, message.guesses)

    def on_feedback(self, when: datetime, value: Optional[str]) -> None:
        if self.answer is None or value not in ("up", "down"):
            return
        answer, text, question = self.answer
        self.stats.feedback[answer][value] += 1
        if value == "down":
            self.stats.thumbs_down.append(RatedAnswer(when, answer, text, question))


def events_table() -> sa.Table:
    """The columns read, with Rasa's table name and types (rasa.core.tracker_store.SQLTrackerStore)."""
    return sa.Table(
        "events",
        sa.MetaData(),
        sa.Column("id", sa.Integer),
        sa.Column("sender_id", sa.String(255)),
        sa.Column("type_name", sa.String(255)),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )


def stream_events(engine: sa.engine.Engine, since: float) -> Iterator[sa.engine.Row]:
    """The period's user, bot and action events, conversation by conversation, fetched in batches
    (a server-side cursor on PostgreSQL) so that memory does not grow with the store."""
    events = events_table()
    query = (
        sa.select(
            events.c.sender_id,
            events.c.type_name,
            events.c.timestamp,
            events.c.intent_name,
            events.c.action_name,
            events.c.data,
        )
        .where(events.c.timestamp >= since, events.c.type_name.in_(("user", "bot", "action")))
        .order_by(events.c.sender_id, events.c.id)
    )
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=ROWS_PER_FETCH).execute(query)
        yield from result


def read_conversations(
    engine: Optional[sa.engine.Engine], since: datetime, threshold: float = LOW_CONFIDENCE
) -> ConversationStats:
    """Statistics of every conversation event stamped at or after `since`."""
    stats = ConversationStats(since=since, threshold=threshold)
    if engine is None or not sa.inspect(engine).has_table("events"):
        return stats
    sender, reader = None, None
    for row in stream_events(engine, since.timestamp()):
        if row.sender_id != sender:
            sender, reader = row.sender_id, ConversationReader(stats)
        assert reader is not None  # made at the first row of each sender
        if row.type_name == "action":
            reader.on_action(row.action_name or "")
        elif row.type_name == "user":
            reader.on_user(row.timestamp, row.intent_name, json.loads(row.data))
        else:
            reader.on_bot(json.loads(row.data))
    stats.unsure.sort(key=lambda message: message.when)
    stats.thumbs_down.sort(key=lambda rated: rated.when)
    return stats


def store_engine(endpoints: Path) -> Optional[sa.engine.Engine]:
    """Engine of the SQL tracker store configured in `endpoints`; None when nothing is stored yet."""
    return tracker_store_engine(
        endpoints,
        not_sql="seul un tracker_store de type SQL peut être lu.",
        missing="aucun tracker_store configuré (les conversations ne sont pas conservées).",
    )


def days_between(first: date, last: date) -> List[date]:
    return [date.fromordinal(day) for day in range(first.toordinal(), last.toordinal() + 1)]


def period_start(since: Optional[date], retention_days: int, now: datetime) -> datetime:
    """Start of the period shown: `since` (midnight, Paris time), never before the retention period."""
    oldest = now - timedelta(days=retention_days)
    if since is None:
        return oldest
    return max(datetime.combine(since, time.min, TIMEZONE), oldest)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())
