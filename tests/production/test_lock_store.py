"""The scale-out lock store, against the real Redis: two processes never hold one conversation at once."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from deploy.lock_store import AtomicRedisLockStore

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
