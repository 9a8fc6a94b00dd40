"""SQL tracker store of the scale-out profile: Rasa's SQLTrackerStore, off the event loop.

Rasa 3.6 reads and writes conversations with a synchronous database driver inside its asyncio
event loop: while PostgreSQL answers (one query to read a conversation, a count, the inserts and
a commit to save it, about 9 ms per message), the process serves nobody else. Here the same
queries run in a worker thread, so the process goes on with other conversations meanwhile. The
tables, queries and options are Rasa's own; a conversation's reads and writes stay in order
because Rasa holds that conversation's lock until the save has finished.

Used by deploy/endpoints.yml: `tracker_store: type: deploy.tracker_store.ThreadedSQLTrackerStore`.
"""
from __future__ import annotations

import asyncio
import json
from typing import Optional, Text

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY


class ThreadedSQLTrackerStore(SQLTrackerStore):
    """Same storage and options as Rasa's `SQL` tracker store."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        await asyncio.to_thread(self._store_new_events, tracker)

    async def _retrieve(self, sender_id: Text,
                        fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        return await asyncio.to_thread(self._load_tracker, sender_id, fetch_events_from_all_sessions)

    # The two methods below are the bodies of SQLTrackerStore.save and ._retrieve (Rasa 3.6),
    # which contain no await, run in a thread.

    def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()

    def _load_tracker(self, sender_id: Text,
                      fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            events = [json.loads(row.data) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None
