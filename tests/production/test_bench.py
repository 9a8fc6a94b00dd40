"""The benchmark's load generator, against a stand-in server that records what it receives."""

import asyncio
import contextlib
import os
import sys
from collections import defaultdict

import pytest
from aiohttp import web

from bot.preflight import rasa_cpu
from devtools.bench import CONVERSATIONS, Traffic, closed_loop, fixed_rate, percentile, scale_out_rounds
from devtools.processes import Service, free_port


def test_percentiles_use_the_nearest_rank():
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


async def with_stand_in(scenario, answer_seconds=(0.01, 0.01), one_at_a_time=False):
    """Runs `scenario(urls, received)` against stand-in Rasa processes, one per answer time;
    `received` maps each sender to its messages; `answered_by` lists the port of each answer.
    With `one_at_a_time`, each stand-in answers one message after the other, as a busy Rasa
    process does."""
    received = defaultdict(list)
    answered_by = []
    runners = []

    def webhook(port, seconds):
        turn = asyncio.Lock() if one_at_a_time else contextlib.nullcontext()

        async def answer(request):
            payload = await request.json()
            async with turn:
                received[payload["sender"]].append(payload["message"])
                answered_by.append(port)
                await asyncio.sleep(seconds)
            return web.json_response([{"recipient_id": payload["sender"], "text": "ok"}])

        return answer

    ports = [free_port() for _ in answer_seconds]
    try:
        for port, seconds in zip(ports, answer_seconds):
            app = web.Application()
            app.router.add_post("/webhooks/rest/webhook", webhook(port, seconds))
            runner = web.AppRunner(app)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, "127.0.0.1", port).start()
        return await scenario([f"http://127.0.0.1:{port}" for port in ports], received), answered_by
    finally:
        for runner in runners:
            await runner.cleanup()


def test_fixed_rate_sends_the_planned_number_of_messages_in_conversation_order():
    async def scenario(urls, received):
        return await fixed_rate(Traffic("t", urls), rate=40, duration=2), received

    (result, received), _ = asyncio.run(asyncio.wait_for(with_stand_in(scenario), 60))
    assert len(result.samples) == 80
    assert result.summary()["errors"] == 0
    for messages in received.values():
        script = next(c for c in CONVERSATIONS if c[0] == messages[0])
        assert messages == script[: len(messages)]


def test_closed_loop_keeps_every_user_busy_until_the_end():
    async def scenario(urls, received):
        return await closed_loop(Traffic("t", urls), users=5, duration=1.5), received

    (result, received), answered_by = asyncio.run(asyncio.wait_for(with_stand_in(scenario), 60))
    summary = result.summary()
    assert summary["errors"] == 0 and summary["empty_replies"] == 0
    # 5 users, ~10 ms per answer: far more than one message per user and second.
    assert summary["msg_per_s"] > 20
    assert sum(len(messages) for messages in received.values()) == len(answered_by) == summary["messages"]


def test_each_message_goes_to_the_least_busy_process():
    async def scenario(urls, received):
        result = await closed_loop(Traffic("t", urls), users=6, duration=1.5)
        return result, [int(url.rsplit(":", 1)[1]) for url in urls]

    # The first process answers in 10 ms, the second in 50 ms.
    (result, (fast, slow)), answered_by = asyncio.run(asyncio.wait_for(with_stand_in(scenario, (0.01, 0.05)), 60))
    assert result.summary()["errors"] == 0
    # Round robin would give both the same count; the quick process takes most of the work.
    assert answered_by.count(fast) > 2 * answered_by.count(slow) > 0


def test_scale_out_rounds_compare_one_process_with_all_of_them_round_by_round():
    async def scenario(urls, received):
        return await scale_out_rounds(
            lambda targets: Traffic("t", targets), urls, services=[], users=6, seconds=1.0, rounds=3
        )

    # Two stand-ins answering one message at a time in 20 ms: two serve about twice as many as one.
    report, _ = asyncio.run(asyncio.wait_for(with_stand_in(scenario, (0.02, 0.02), one_at_a_time=True), 60))
    assert report["processes"] == 2 and len(report["rounds"]) == 3
    assert [measured["first"] for measured in report["rounds"]] == ["one", "all", "one"]
    for measured in report["rounds"]:
        assert measured["one"]["errors"] == measured["all"]["errors"] == 0
        assert 30 < measured["one"]["msg_per_s"] <= 50
        assert 1.6 < measured["ratio"] < 2.2
    assert (
        min(r["ratio"] for r in report["rounds"]) <= report["median_ratio"] <= max(r["ratio"] for r in report["rounds"])
    )


def test_every_test_of_a_run_starts_new_conversations():
    first, second = Traffic("run", ["u"]), Traffic("run", ["u"])
    senders = [first.new_conversation().sender for _ in range(3)] + [second.new_conversation().sender for _ in range(3)]
    assert len(set(senders)) == 6
    assert all(sender.startswith("bench-run-") for sender in senders)  # what the clean-up deletes


def test_a_process_given_a_core_runs_there_with_every_thread_it_starts(tmp_path):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: nothing to share out")
    script = (
        "import os, threading; cores = []; "
        "thread = threading.Thread(target=lambda: cores.append(os.sched_getaffinity(0))); "
        "thread.start(); thread.join(); print(sorted(os.sched_getaffinity(0)), sorted(cores[0]))"
    )
    second_core = rasa_cpu(1)
    service = Service(
        "probe", [sys.executable, "-c", script], "http://127.0.0.1:9/", tmp_path / "probe.log", cpu=second_core
    )
    service.start()
    assert service.process.wait(30) == 0
    assert service.log_path.read_text().split() == [f"[{second_core}]", f"[{second_core}]"]
    assert rasa_cpu(0) != second_core
