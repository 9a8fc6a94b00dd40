"""The report and the review file show nothing older than the period asked for, and never older
than the retention period (privacy.retention_days), whatever --since says."""

import asyncio
import time
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from ops.conversations import TIMEZONE, period_start, read_conversations

DAY = 86_400


def not_understood(text: str, age_in_days: float) -> UserUttered:
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45}, {"name": "faq_vae", "confidence": 0.3}],
    }
    return UserUttered(text, intent=parse["intent"], parse_data=parse, timestamp=time.time() - age_in_days * DAY)


def test_only_the_period_and_never_beyond_the_retention_period(tmp_path):
    store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "conversations.db"))
    events = [
        not_understood("message de 40 jours", 40),
        not_understood("message de 10 jours", 10),
        not_understood("message d'hier", 1),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("someone", events)))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'conversations.db'}")
    now = datetime.now(TIMEZONE)

    def texts(since):
        return [message.text for message in read_conversations(engine, since).unsure]

    assert texts(period_start(None, 30, now)) == ["message de 10 jours", "message d'hier"]
    assert texts(period_start(date.today() - timedelta(days=5), 30, now)) == ["message d'hier"]
    assert texts(period_start(date.today() - timedelta(days=60), 30, now)) == ["message de 10 jours", "message d'hier"]
    stats = read_conversations(engine, period_start(None, 30, now))
    assert (stats.messages, stats.fallbacks, stats.conversations) == (2, 2, 1)
    assert stats.unsure[0].intent == "faq_vae"  # the best guess, not "nlu_fallback"
    engine.dispose()
    store.engine.dispose()


def understood(text: str, intent: str, confidence: float) -> UserUttered:
    parse = {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }
    return UserUttered(text, intent=parse["intent"], parse_data=parse, timestamp=time.time() - 60)


def test_a_message_the_dialogue_could_not_follow_counts_as_fallen_back(tmp_path):
    store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "conversations.db"))
    events = [
        understood("je veux un campus", "search_campus", 0.97),
        ActionExecuted("action_default_fallback"),
        not_understood("bourse", 0),
        ActionExecuted("action_two_stage_fallback"),
        understood("/affirm", "affirm", 1.0),
        ActionExecuted("action_two_stage_fallback"),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("someone", events)))
    stats = read_conversations(store.engine, period_start(None, 30, datetime.now(TIMEZONE)))
    assert [(message.text, message.fell_back) for message in stats.unsure] == [
        ("je veux un campus", True),
        ("bourse", True),
    ]
    assert stats.fallbacks == 2 and stats.messages == 3
    store.engine.dispose()
