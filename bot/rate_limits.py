"""How much one conversation, or one socket.io connection, may ask of the assistant.

A public page must stay responsive whatever one visitor sends: a conversation may have only a
few messages waiting for an answer at once, and each conversation and connection has a budget of
messages (a leaky bucket: a burst, then a steady rate). A message over either limit is answered
at once with a short French reply (REST: 429), without reaching NLU. The numbers come from the
channel's section of credentials.yml (`rate_limits`), with the defaults below; the number of new
conversations per client address is limited by the web server in front (deploy/nginx.conf).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, Iterable, Mapping, Optional, Tuple

from aiolimiter import AsyncLimiter

from orientation.wording import fill

# Beyond this many keys, the budgets of keys idle for a whole period (full again anyway) are dropped.
MAX_TRACKED_KEYS = 50_000

BUSY_REPLY = fill("text_channel_busy")
FLOOD_REPLY = fill("text_channel_flood")


@dataclass(frozen=True)
class Budget:
    """`messages` at once, then one more every `seconds / messages` seconds."""

    messages: int
    seconds: float


@dataclass(frozen=True)
class RateLimitSettings:
    # A person reads each answer; 30 in a burst leaves room for buttons clicked quickly.
    per_conversation: Budget = Budget(messages=30, seconds=30)
    per_connection: Budget = Budget(messages=40, seconds=30)
    # Messages of one conversation (or connection) handled or waiting at once.
    pending_per_conversation: int = 2
    pending_per_connection: int = 3

    @classmethod
    def from_credentials(cls, section: Optional[Mapping[str, Any]]) -> "RateLimitSettings":
        """The `rate_limits` block of a channel's credentials, every key optional."""
        given = dict(section or {})
        default = cls()

        def budget(name: str, fallback: Budget) -> Budget:
            value = given.get(name) or {}
            return Budget(
                messages=max(1, int(value.get("messages", fallback.messages))),
                seconds=max(0.001, float(value.get("seconds", fallback.seconds))),
            )

        return cls(
            per_conversation=budget("per_conversation", default.per_conversation),
            per_connection=budget("per_connection", default.per_connection),
            pending_per_conversation=max(
                1, int(given.get("pending_per_conversation", default.pending_per_conversation))
            ),
            pending_per_connection=max(1, int(given.get("pending_per_connection", default.pending_per_connection))),
        )


class KeyedBudgets:
    """One leaky bucket per key (conversation id, connection id), forgotten once idle."""

    def __init__(self, budget: Budget, max_keys: int = MAX_TRACKED_KEYS) -> None:
        self.budget = budget
        self.max_keys = max_keys
        self._buckets: Dict[str, Tuple[AsyncLimiter, float]] = {}

    async def spend(self, key: str) -> bool:
        """Takes one message from the key's budget; False when it is used up."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        limiter = bucket[0] if bucket else AsyncLimiter(self.budget.messages, self.budget.seconds)
        self._buckets[key] = (limiter, now)
        if len(self._buckets) > self.max_keys:
            self._forget_idle(now)
        if not limiter.has_capacity():
            return False
        await limiter.acquire()  # returns at once: there is capacity
        return True

    def _forget_idle(self, now: float) -> None:
        idle_since = now - self.budget.seconds
        for key in [key for key, (_, used) in self._buckets.items() if used < idle_since]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class TrafficLimits:
    """Admits a message, or says which reply it gets instead."""

    def __init__(self, settings: RateLimitSettings = RateLimitSettings()) -> None:
        self.settings = settings
        self._conversations = KeyedBudgets(settings.per_conversation)
        self._connections = KeyedBudgets(settings.per_connection)
        self._pending: Counter = Counter()

    def _over_pending(self, keys: Iterable[Tuple[str, str]]) -> bool:
        limits = {
            "conversation": self.settings.pending_per_conversation,
            "connection": self.settings.pending_per_connection,
        }
        return any(self._pending[key] >= limits[key[0]] for key in keys)

    @contextlib.asynccontextmanager
    async def turn(self, conversation: str, connection: Optional[str] = None) -> AsyncIterator[Optional[str]]:
        """Yields None when the message may be handled (its place is held until the block ends),
        else the reply to send instead."""
        keys = [("conversation", conversation)] + ([("connection", connection)] if connection else [])
        if self._over_pending(keys):
            yield BUSY_REPLY
            return
        within_budget = await self._conversations.spend(conversation)
        if within_budget and connection:
            within_budget = await self._connections.spend(connection)
        if not within_budget:
            yield FLOOD_REPLY
            return
        for key in keys:
            self._pending[key] += 1
        try:
            yield None
        finally:
            for key in keys:
                self._pending[key] -= 1
                if self._pending[key] <= 0:
                    del self._pending[key]
