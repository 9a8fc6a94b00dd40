"""Redis lock store of the scale-out profile: Rasa's RedisLockStore with atomic updates.

Rasa's own RedisLockStore (3.6) reads a conversation's lock, changes it and writes it back in
three steps. When two Rasa processes receive a message of the same conversation at the same
moment, both can read the empty lock and both get ticket 0: the two messages are then handled
at once and one of them is lost from the conversation. Here every change of a lock is a Redis
transaction (WATCH / MULTI / EXEC), retried when another process changed the lock meanwhile.

Used by deploy/endpoints.yml: `lock_store: type: deploy.lock_store.AtomicRedisLockStore`.
"""

from __future__ import annotations

import json
from typing import Callable, Optional, Text

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

LockChange = Callable[[Optional[TicketLock]], Optional[TicketLock]]


class AtomicRedisLockStore(RedisLockStore):
    """Same storage format and options as Rasa's `redis` lock store."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        # Rasa builds custom lock stores from their endpoint configuration.
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _change_atomically(self, conversation_id: Text, change: LockChange) -> None:
        """Applies `change` to the stored lock (None: no lock) in one transaction."""
        key = self.key_prefix + conversation_id
        while True:
            with self.red.pipeline() as pipeline:
                try:
                    pipeline.watch(key)
                    stored = pipeline.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else None
                    changed = change(lock)
                    pipeline.multi()
                    if changed is None:
                        pipeline.delete(key)
                    else:
                        pipeline.set(key, changed.dumps())
                    pipeline.execute()
                    return
                except redis.WatchError:
                    continue  # another process changed this lock first: start again from its value

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        issued = []

        def add_ticket(lock: Optional[TicketLock]) -> TicketLock:
            lock = lock or self.create_lock(conversation_id)
            issued.append(lock.issue_ticket(lock_lifetime))
            return lock

        self._change_atomically(conversation_id, add_ticket)
        return issued[-1]  # the attempt that was committed

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock:
                lock.remove_expired_tickets()
            return lock

        self._change_atomically(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def drop_ticket(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return lock

        self._change_atomically(conversation_id, drop_ticket)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Releases the ticket, and deletes the lock when nobody else waits, in one step."""

        def release(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock is None:
                return None
            lock.remove_ticket_for(ticket_number)
            return lock if lock.is_someone_waiting() else None

        self._change_atomically(conversation_id, release)
