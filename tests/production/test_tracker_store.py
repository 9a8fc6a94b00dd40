"""The scale-out conversation store (bot/tracker_store.py) on PostgreSQL: same data as Rasa's,
every event kept once and in order, and other conversations served while the database works; short
timeouts, and a PostgreSQL that goes down (behind a relay) fails the call at once, then works again."""

import asyncio
import time
import uuid

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import ThreadedSQLTrackerStore
from tests.production.dependencies import PostgresProxy

pytestmark = pytest.mark.services("postgresql")

DOMAIN = Domain.from_dict({"slots": {"sector": {"type": "text", "mappings": [{"type": "custom"}]}}})
OPTIONS = dict(
    dialect="postgresql", host="127.0.0.1", port=5432, username="postgres", db="cmq_tracker_test", login_db="test"
)


@pytest.fixture(scope="module")
def stores():
    threaded = ThreadedSQLTrackerStore(domain=DOMAIN, **OPTIONS)
    plain = SQLTrackerStore(domain=DOMAIN, **OPTIONS)
    yield threaded, plain
    threaded.engine.dispose()
    plain.engine.dispose()


def turn(tracker, number):
    tracker.update(UserUttered(f"message {number}"))
    tracker.update(SlotSet("sector", f"secteur {number}"))
    tracker.update(BotUttered(f"réponse {number}"))
    tracker.update(ActionExecuted("action_listen"))


def texts(tracker):
    return [event.text for event in tracker.events if isinstance(event, (UserUttered, BotUttered))]


def test_each_save_adds_only_the_new_events_and_rasa_reads_them_back(stores):
    threaded, plain = stores
    sender = f"store-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for number in range(3):
        turn(tracker, number)
        asyncio.run(threaded.save(tracker))
    expected = ["message 0", "réponse 0", "message 1", "réponse 1", "message 2", "réponse 2"]
    for store in (threaded, plain):  # what we write is what Rasa's own store reads
        stored = asyncio.run(store.retrieve(sender))
        assert texts(stored) == expected
        assert stored.get_slot("sector") == "secteur 2"
        assert len(stored.events) == len(tracker.events)


def test_an_unknown_conversation_is_none(stores):
    threaded, _ = stores
    assert asyncio.run(threaded.retrieve(f"nobody-{uuid.uuid4().hex}")) is None


def test_many_conversations_saved_at_once_keep_their_own_events(stores):
    threaded, _ = stores
    senders = [f"store-{uuid.uuid4().hex[:8]}" for _ in range(20)]

    async def chat(sender):
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        for number in range(3):
            turn(tracker, f"{sender} {number}")
            await threaded.save(tracker)
            tracker = await threaded.retrieve(sender)
        return tracker

    async def everyone():
        return await asyncio.gather(*(chat(sender) for sender in senders))

    for sender, tracker in zip(senders, asyncio.run(everyone())):
        assert texts(tracker) == [text for n in range(3) for text in (f"message {sender} {n}", f"réponse {sender} {n}")]


@pytest.fixture
def proxy():
    relay = PostgresProxy()
    relay.open()
    yield relay
    relay.close()


@pytest.fixture
def proxied_store(proxy):
    store = ThreadedSQLTrackerStore(domain=DOMAIN, **{**OPTIONS, "port": proxy.port})
    yield store
    store.engine.dispose()


def test_each_connection_has_the_statement_timeout(stores):
    threaded, _ = stores
    with threaded.engine.connect() as connection:
        assert connection.execute(sa.text("SHOW statement_timeout")).scalar_one() == "2s"
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
            connection.execute(sa.text("SELECT pg_sleep(5)"))
    assert time.monotonic() - started < 3


def test_postgresql_down_fails_at_once_and_the_first_call_after_it_is_back_works(proxy, proxied_store):
    sender = f"store-{uuid.uuid4().hex[:8]}"
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    turn(tracker, 0)
    asyncio.run(proxied_store.save(tracker))  # the pool now holds connections through the relay

    proxy.close()
    started = time.monotonic()
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(proxied_store.retrieve(sender))
    assert time.monotonic() - started < 1

    proxy.open()
    stored = asyncio.run(proxied_store.retrieve(sender))  # the dead connections are replaced
    assert texts(stored) == ["message 0", "réponse 0"]
    turn(stored, 1)
    asyncio.run(proxied_store.save(stored))
    assert texts(asyncio.run(proxied_store.retrieve(sender))) == ["message 0", "réponse 0", "message 1", "réponse 1"]


def test_rasas_fail_safe_wrapper_lets_the_errors_of_this_store_through(proxy, proxied_store):
    from rasa.core.agent import Agent

    wrapped = Agent._create_tracker_store(proxied_store, DOMAIN)
    assert isinstance(wrapped, FailSafeTrackerStore)
    sender = f"store-{uuid.uuid4().hex[:8]}"
    assert asyncio.run(wrapped.retrieve(sender)) is None
    proxy.close()
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(wrapped.retrieve(sender))
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(wrapped.save(DialogueStateTracker(sender, DOMAIN.slots)))
    # Rasa's own stores keep Rasa's behaviour.
    plain = Agent._create_tracker_store(SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=":memory:"), DOMAIN)
    assert plain._on_tracker_store_error is None
