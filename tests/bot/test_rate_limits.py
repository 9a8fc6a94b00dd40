"""How much one conversation or one connection may send before getting a short reply instead."""

import asyncio

from bot.rate_limits import BUSY_REPLY, FLOOD_REPLY, Budget, RateLimitSettings, TrafficLimits


async def refusals(limits: TrafficLimits, count: int, conversation: str = "c1", connection=None) -> list:
    """Sends `count` messages at once, each holding its place until all were admitted or refused."""
    everyone_asked = asyncio.Event()
    replies = []

    async def one() -> None:
        async with limits.turn(conversation, connection) as reply:
            replies.append(reply)
            if len(replies) == count:
                everyone_asked.set()
            if reply is None:
                await everyone_asked.wait()

    await asyncio.gather(*(one() for _ in range(count)))
    return replies


def test_a_conversation_has_at_most_two_messages_in_hand():
    replies = asyncio.run(refusals(TrafficLimits(), 10))
    assert replies.count(None) == 2
    assert replies.count(BUSY_REPLY) == 8


def test_messages_one_after_the_other_pass_until_the_budget_is_spent():
    async def scenario():
        limits = TrafficLimits(RateLimitSettings(per_conversation=Budget(messages=5, seconds=60)))
        replies = []
        for _ in range(7):
            async with limits.turn("c1") as reply:
                replies.append(reply)
        async with limits.turn("c2") as other:
            return replies, other

    replies, other = asyncio.run(scenario())
    assert replies == [None] * 5 + [FLOOD_REPLY] * 2
    assert other is None  # another conversation is not affected


def test_the_budget_comes_back_with_time():
    async def scenario():
        limits = TrafficLimits(RateLimitSettings(per_conversation=Budget(messages=2, seconds=0.2)))
        for _ in range(2):
            async with limits.turn("c1"):
                pass
        async with limits.turn("c1") as spent:
            pass
        await asyncio.sleep(0.15)
        async with limits.turn("c1") as back:
            return spent, back

    assert asyncio.run(scenario()) == (FLOOD_REPLY, None)


def test_one_connection_cannot_spread_a_flood_over_new_conversations():
    async def scenario():
        limits = TrafficLimits(RateLimitSettings(per_connection=Budget(messages=3, seconds=60)))
        replies = []
        for index in range(5):
            async with limits.turn(f"conversation-{index}", connection="sid-1") as reply:
                replies.append(reply)
        return replies

    assert asyncio.run(scenario()) == [None, None, None, FLOOD_REPLY, FLOOD_REPLY]


def test_settings_from_credentials_keep_defaults_for_what_is_not_said():
    settings = RateLimitSettings.from_credentials({"per_conversation": {"messages": 10}, "pending_per_conversation": 1})
    assert settings.per_conversation == Budget(messages=10, seconds=RateLimitSettings().per_conversation.seconds)
    assert settings.pending_per_conversation == 1
    assert settings.per_connection == RateLimitSettings().per_connection
    assert RateLimitSettings.from_credentials(None) == RateLimitSettings()


def test_idle_conversations_are_forgotten():
    async def scenario():
        limits = TrafficLimits(RateLimitSettings(per_conversation=Budget(messages=1, seconds=0.01)))
        limits._conversations.max_keys = 100
        for index in range(150):
            async with limits.turn(f"c{index}"):
                pass
            await asyncio.sleep(0.001)
        return len(limits._conversations)

    assert asyncio.run(scenario()) <= 101
