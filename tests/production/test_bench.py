"""The benchmark's load generator, against a stand-in server that records what it receives."""
import asyncio
from collections import defaultdict

from aiohttp import web

from bot.bench import CONVERSATIONS, Traffic, closed_loop, fixed_rate, percentile
from bot.processes import free_port


def test_percentiles_use_the_nearest_rank():
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


async def with_stand_in(scenario):
    """Runs `scenario(urls, received)` against two stand-in Rasa processes."""
    received = defaultdict(list)

    async def webhook(request):
        payload = await request.json()
        received[payload["sender"]].append(payload["message"])
        await asyncio.sleep(0.01)
        return web.json_response([{"recipient_id": payload["sender"], "text": "ok"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    ports = [free_port(), free_port()]
    for port in ports:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await scenario([f"http://127.0.0.1:{port}" for port in ports], received)
    finally:
        await runner.cleanup()


def test_fixed_rate_sends_the_planned_number_of_messages_in_conversation_order():
    async def scenario(urls, received):
        return await fixed_rate(Traffic("t", urls), rate=40, duration=2), received

    result, received = asyncio.run(asyncio.wait_for(with_stand_in(scenario), 60))
    assert len(result.samples) == 80
    assert result.summary()["errors"] == 0
    for messages in received.values():
        script = next(c for c in CONVERSATIONS if c[0] == messages[0])
        assert messages == script[:len(messages)]


def test_closed_loop_keeps_every_user_busy_until_the_end():
    async def scenario(urls, received):
        return await closed_loop(Traffic("t", urls), users=5, duration=1.5), received

    result, received = asyncio.run(asyncio.wait_for(with_stand_in(scenario), 60))
    summary = result.summary()
    assert summary["errors"] == 0 and summary["empty_replies"] == 0
    # 5 users, ~10 ms per answer: far more than one message per user and second.
    assert summary["msg_per_s"] > 20
    assert sum(len(messages) for messages in received.values()) == summary["messages"]
