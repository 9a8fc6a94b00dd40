"""Redis lock store of the scale-out profile: Rasa's RedisLockStore with atomic updates, short
timeouts, and its Redis calls run off the event loop.

Rasa's own RedisLockStore (3.6) reads a conversation's lock, changes it and writes it back in
three steps. When two Rasa processes receive a message of the same conversation at the same
moment, both can read the empty lock and both get ticket 0: the two messages are then handled
at once and one of them is lost from the conversation. Here every change of a lock is a Redis
transaction (WATCH / MULTI / EXEC), retried when another process changed the lock meanwhile.

Rasa also calls Redis with its synchronous client from the event loop, with a 10 s socket timeout
and no connect timeout: a Redis that does not answer stopped the whole process (every
conversation) for 10 s per call. Here each call waits at most `socket_timeout` (2 s by default)
for an answer and `socket_connect_timeout` (1 s) for a connection, and runs in a worker thread:
while Redis is slow or gone, the process goes on serving the others, and the message that needed
the lock fails at once, so its user gets the channel's apology (bot/channels.py).

Used by deploy/endpoints.yml: `lock_store: type: bot.lock_store.AtomicRedisLockStore`, where
both timeouts are set.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Callable, Optional, Text

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

LockChange = Callable[[Optional[TicketLock]], Optional[TicketLock]]

# Seconds. A lock operation takes well under a millisecond on a healthy Redis.
SOCKET_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 1.0


class AtomicRedisLockStore(RedisLockStore):
    """Same storage format and options as Rasa's `redis` lock store, plus `socket_connect_timeout`."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        # Rasa builds custom lock stores from their endpoint configuration.
        options: dict[str, Any] = dict(endpoint_config.kwargs)
        connect_timeout = float(options.pop("socket_connect_timeout", CONNECT_TIMEOUT_SECONDS))
        options["socket_timeout"] = float(options.get("socket_timeout", SOCKET_TIMEOUT_SECONDS))
        super().__init__(host=endpoint_config.url or "localhost", **options)
        # Rasa's constructor has no connect timeout: without one, an unreachable host waits for
        # the system's TCP timeout (minutes). Every connection of the pool is made with these.
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = connect_timeout
        self.socket_timeout = options["socket_timeout"]
        self.connect_timeout = connect_timeout

    # Rasa's `lock` and `_acquire_lock` (3.6) with each Redis call in a worker thread.

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        ticket = await asyncio.to_thread(self.issue_ticket, conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            # The thread releases the ticket even if this task is cancelled meanwhile.
            await asyncio.to_thread(self.cleanup, conversation_id, ticket)

    async def _acquire_lock(self, conversation_id: Text, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = await asyncio.to_thread(self.get_lock, conversation_id)
            if not lock:
                break  # expired
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            await asyncio.to_thread(self.update_lock, conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

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
