"""SQL tracker store of the scale-out profile: Rasa's SQLTrackerStore, off the event loop, with
short timeouts, and a failure that fails the turn.

Rasa 3.6 reads and writes conversations with a synchronous database driver inside its asyncio
event loop: while PostgreSQL answers (one query to read a conversation, a count, the inserts and
a commit to save it, about 9 ms per message), the process serves nobody else. Here the same
queries run in a worker thread, so the process goes on with other conversations meanwhile. The
tables, queries and options are Rasa's own; a conversation's reads and writes stay in order
because Rasa holds that conversation's lock until the save has finished.

Two costs of Rasa's version are left out: the new events of a turn are written with one
multi-row INSERT instead of one ORM object and one round trip each, and reading a conversation
fetches only the column it needs (the event JSON) instead of whole ORM objects.

When PostgreSQL is down or stuck:
- a connection is given up after `connect_timeout` seconds and a query after
  `statement_timeout` seconds (PostgreSQL cancels it), both 2 s by default (deploy/endpoints.yml);
  a connection whose server stopped acknowledging what is sent to it is given up after as long
  (libpq's tcp_user_timeout), instead of the system's TCP timeout of several minutes;
- the turn fails, so its user gets the channel's apology (bot/channels.py) and nothing of it is
  written. Rasa wraps every tracker store in a FailSafeTrackerStore that swallows these errors: it
  would answer from an empty conversation (a form in progress forgotten), keep the turn in the
  process's memory only, and could write that empty conversation's events after the stored ones
  if PostgreSQL came back within the turn. `install_strict_errors` makes that wrapper let the
  errors of this store through;
- once PostgreSQL is back, the pool's connections to the old server fail once each: the first
  query that meets one is run again on a new connection (`_with_one_retry`), so the first message
  after the outage is answered. Saving again is safe: the new events are counted in the database
  before they are written.

Used by deploy/endpoints.yml: `tracker_store: type: bot.tracker_store.ThreadedSQLTrackerStore`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable, Dict, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

# Seconds. A turn's queries take a few milliseconds on a healthy server.
CONNECT_TIMEOUT_SECONDS = 2.0
STATEMENT_TIMEOUT_SECONDS = 2.0

Result = TypeVar("Result")


def postgresql_connect_options(connect_timeout: float) -> Dict[Text, Text]:
    """libpq options of each new connection (URL query parameters, kept by Rasa's engines)."""
    return {
        "connect_timeout": str(max(1, round(connect_timeout))),  # libpq counts whole seconds
        "tcp_user_timeout": str(round(connect_timeout * 1000)),  # ms without acknowledgement
        "keepalives": "1",
        "keepalives_idle": "10",
        "keepalives_interval": "2",
        "keepalives_count": "3",
    }


class ThreadedSQLTrackerStore(SQLTrackerStore):
    """Same storage and options as Rasa's `SQL` store, plus `connect_timeout` and
    `statement_timeout` (seconds, PostgreSQL only)."""

    def __init__(
        self,
        *args: Any,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        statement_timeout: float = STATEMENT_TIMEOUT_SECONDS,
        **kwargs: Any,
    ) -> None:
        self.connect_timeout = float(connect_timeout)
        self.statement_timeout = float(statement_timeout)
        if kwargs.get("dialect") == "postgresql":
            kwargs["query"] = {**postgresql_connect_options(self.connect_timeout), **(kwargs.get("query") or {})}
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "postgresql":
            sa.event.listen(self.engine, "connect", self._set_statement_timeout)
            self.engine.dispose()  # the connections made while starting, without it
        install_strict_errors()

    def _set_statement_timeout(self, dbapi_connection: Any, _record: Any) -> None:
        # Outside a transaction, or SQLAlchemy's rollback when the connection returns to the pool
        # would undo it.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", (round(self.statement_timeout * 1000),))
        dbapi_connection.autocommit = autocommit

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await asyncio.to_thread(self._with_one_retry, self._store_new_events, tracker)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await asyncio.to_thread(
            self._with_one_retry, self._load_tracker, sender_id, fetch_events_from_all_sessions
        )

    @staticmethod
    def _with_one_retry(work: Callable[..., Result], *args: Any) -> Result:
        """Runs `work` again once when it met a connection the server had dropped (SQLAlchemy
        then discards every connection of the pool older than that one)."""
        try:
            return work(*args)
        except sa.exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
            logger.warning("Connection to the conversation store lost; trying again on a new one.")
            return work(*args)

    # The two methods below do what SQLTrackerStore.save and ._retrieve do (Rasa 3.6), in a thread.

    def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            rows = [self._row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    @staticmethod
    def _row(sender_id: Text, event: Event) -> Dict[Text, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _load_tracker(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            events = [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None


def _raise(error: Exception) -> None:
    raise error


def install_strict_errors() -> None:
    """Makes the FailSafeTrackerStore that Rasa's Agent puts around this store re-raise its errors
    instead of answering from an empty conversation kept in memory. Other stores keep Rasa's
    behaviour. Idempotent."""
    from rasa.core.agent import Agent

    rasa_create = getattr(Agent, "_create_tracker_store", None)
    if getattr(rasa_create, "strict_errors", False):
        return
    if rasa_create is None:
        logger.warning("Rasa's Agent has no _create_tracker_store: tracker store errors stay swallowed.")
        return

    def create(store: Optional[TrackerStore], domain: Any) -> TrackerStore:
        created = rasa_create(store, domain)
        if isinstance(store, ThreadedSQLTrackerStore) and isinstance(created, FailSafeTrackerStore):
            created._on_tracker_store_error = _raise
        return created

    create.strict_errors = True  # type: ignore[attr-defined]
    Agent._create_tracker_store = staticmethod(create)
