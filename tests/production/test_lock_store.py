"""The scale-out lock store, against the real Redis: two processes never hold one conversation at once;
against a private redis-server stopped or frozen: the lock fails within its timeouts, off the event loop."""

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore
from tests.production.dependencies import PrivateRedis

pytestmark = pytest.mark.services("redis")


def lock_store(prefix: str) -> AtomicRedisLockStore:
    """A separate client, as each Rasa process has its own."""
    return AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=6379, db=1, key_prefix=prefix))


def test_tickets_issued_at_the_same_time_by_two_processes_are_all_different():
    prefix, conversation = f"locktest{uuid.uuid4().hex[:8]}", "conversation"
    stores = [lock_store(prefix), lock_store(prefix)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(pool.map(lambda index: stores[index % 2].issue_ticket(conversation), range(200)))
    assert sorted(tickets) == list(range(200))
    stores[0].delete_lock(conversation)


def test_only_one_holder_at_a_time_and_the_lock_is_gone_afterwards():
    prefix, conversation = f"locktest{uuid.uuid4().hex[:8]}", "conversation"
    stores = [lock_store(prefix), lock_store(prefix)]
    holders, most_at_once, order = [0], [0], []

    async def handle(index: int) -> None:
        async with stores[index % 2].lock(conversation, wait_time_in_seconds=0.01):
            holders[0] += 1
            most_at_once[0] = max(most_at_once[0], holders[0])
            await asyncio.sleep(0.005)
            order.append(index)
            holders[0] -= 1

    async def all_at_once() -> None:
        await asyncio.gather(*(handle(index) for index in range(30)))

    asyncio.run(asyncio.wait_for(all_at_once(), 60))
    assert most_at_once[0] == 1
    assert sorted(order) == list(range(30))
    assert stores[0].get_lock(conversation) is None


def test_rasa_reads_the_lock_and_a_ticket_left_by_a_dead_process_expires():
    prefix, conversation = f"locktest{uuid.uuid4().hex[:8]}", "conversation"
    store = lock_store(prefix)
    rasa_store = RedisLockStore(host="127.0.0.1", port=6379, db=1, key_prefix=prefix)
    store.issue_ticket(conversation, lock_lifetime=0.2)  # its process dies without releasing it

    async def take() -> list:
        async with store.lock(conversation, wait_time_in_seconds=0.05) as lock:
            return [ticket.number for ticket in rasa_store.get_lock(conversation).tickets] + [lock.now_serving]

    assert asyncio.run(asyncio.wait_for(take(), 10)) == [1, 1]
    assert rasa_store.get_lock(conversation) is None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def private_lock_store(server: PrivateRedis) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(
        EndpointConfig(url="127.0.0.1", port=server.port, db=1, socket_timeout=1, socket_connect_timeout=1)
    )


async def hold_lock_while_ticking(store: AtomicRedisLockStore) -> tuple:
    """Tries to take a lock while another coroutine ticks every 50 ms: (error, seconds, ticks)."""
    ticks = [0]

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.05)
            ticks[0] += 1

    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    error = None
    try:
        async with store.lock("conversation", wait_time_in_seconds=0.01):
            pass
    except Exception as raised:  # noqa: BLE001 - whatever the client raises
        error = raised
    elapsed = time.monotonic() - started
    ticking.cancel()
    return error, elapsed, ticks[0]


def test_the_timeouts_of_the_endpoints_file_reach_the_redis_client(private_redis):
    store = private_lock_store(private_redis)
    kwargs = store.red.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 1 and kwargs["socket_connect_timeout"] == 1
    defaults = AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=private_redis.port))
    assert defaults.red.connection_pool.connection_kwargs["socket_timeout"] == 2
    assert defaults.red.connection_pool.connection_kwargs["socket_connect_timeout"] == 1


def test_a_frozen_redis_fails_the_lock_within_its_timeout_without_blocking_the_event_loop(private_redis):
    store = private_lock_store(private_redis)
    assert asyncio.run(hold_lock_while_ticking(store))[0] is None  # connected, works
    private_redis.freeze()
    try:
        error, elapsed, ticks = asyncio.run(hold_lock_while_ticking(store))
    finally:
        private_redis.thaw()
    print(f"\nfrozen Redis: lock refused after {elapsed:.2f} s, event loop ticked {ticks} times meanwhile")
    assert isinstance(error, redis.TimeoutError)
    assert elapsed < 1.8
    assert ticks >= elapsed / 0.05 * 0.5  # the loop went on (it would not tick at all if blocked)
    assert asyncio.run(hold_lock_while_ticking(store))[0] is None  # back at once


def test_a_stopped_redis_fails_the_lock_at_once_and_it_works_again_when_redis_is_back(private_redis):
    store = private_lock_store(private_redis)
    assert asyncio.run(hold_lock_while_ticking(store))[0] is None
    private_redis.stop()
    error, elapsed, _ = asyncio.run(hold_lock_while_ticking(store))
    assert isinstance(error, redis.ConnectionError) and elapsed < 0.5
    private_redis.start()
    error, _, _ = asyncio.run(hold_lock_while_ticking(store))
    assert error is None  # the pool's dead connection is replaced, not reported
    assert store.get_lock("conversation") is None
