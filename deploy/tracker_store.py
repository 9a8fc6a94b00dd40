"""SQL tracker store of the scale-out profile: Rasa's SQLTrackerStore, off the event loop.

Rasa 3.6 reads and writes conversations with a synchronous database driver inside its asyncio
event loop: while PostgreSQL answers (one query to read a conversation, a count, the inserts and
a commit to save it, about 9 ms per message), the process serves nobody else. Here the same
queries run in a worker thread, so the process goes on with other conversations meanwhile. The
tables, queries and options are Rasa's own; a conversation's reads and writes stay in order
because Rasa holds that conversation's lock until the save has finished.

Two costs of Rasa's version are left out: the new events of a turn are written with one
multi-row INSERT instead of one ORM object and one round trip each, and reading a conversation
fetches only the column it needs (the event JSON) instead of whole ORM objects.

Used by deploy/endpoints.yml: `tracker_store: type: deploy.tracker_store.ThreadedSQLTrackerStore`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY


class ThreadedSQLTrackerStore(SQLTrackerStore):
    """Same storage and options as Rasa's `SQL` tracker store."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await asyncio.to_thread(self._store_new_events, tracker)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await asyncio.to_thread(self._load_tracker, sender_id, fetch_events_from_all_sessions)

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
