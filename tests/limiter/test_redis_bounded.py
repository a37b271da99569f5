"""A slow or frozen Redis never holds a request past its deadline or for long without one,
and giving a slot back never waits for Redis (issue 23, point 3)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from deepseekapi_core.accounting._limiter import (
    AccountGate,
    LimiterUnavailableError,
    RedisLimiter,
)
from deepseekapi_core.http._errors import DeadlineExceededError

from .conftest import RedisServer
from .helpers import API_KEY, BASE_URL


def freeze(server: RedisServer, seconds: float) -> threading.Thread:
    """Freeze ``server`` for ``seconds`` (DEBUG SLEEP from another connection)."""
    admin = redis.Redis.from_url(server.url, socket_timeout=seconds + 5)
    thread = threading.Thread(target=admin.execute_command, args=("DEBUG", "SLEEP", seconds))
    thread.start()
    time.sleep(0.1)  # the server is asleep once the command reached it
    return thread


@pytest.fixture
def gate(redis_server: RedisServer) -> Iterator[AccountGate]:
    limiter = RedisLimiter(redis_server.url, max_concurrency=2)
    yield AccountGate(limiter, None, base_url=BASE_URL, api_key=API_KEY)


BOUNDED = (DeadlineExceededError, LimiterUnavailableError)


def test_a_frozen_redis_fails_fast_by_default(redis_server: RedisServer, gate: AccountGate) -> None:
    gate.ticket("deepseek-chat", time.sleep).acquire()  # connected before the freeze
    thread = freeze(redis_server, 6)
    started = time.monotonic()
    with pytest.raises(LimiterUnavailableError):
        gate.ticket("deepseek-chat", time.sleep).acquire()
    assert time.monotonic() - started < 3.5
    thread.join()


def test_a_frozen_redis_never_holds_a_request_past_its_deadline(
    redis_server: RedisServer, gate: AccountGate
) -> None:
    gate.ticket("deepseek-chat", time.sleep).acquire()
    thread = freeze(redis_server, 3)
    started = time.monotonic()
    with pytest.raises(BOUNDED):
        gate.ticket("deepseek-chat", time.sleep).acquire(deadline=started + 0.8)
    assert time.monotonic() - started < 1.1
    thread.join()


async def test_an_async_request_is_held_no_longer_than_its_deadline(
    redis_server: RedisServer, gate: AccountGate
) -> None:
    await gate.ticket("deepseek-chat", asyncio.sleep).aacquire()
    thread = await asyncio.to_thread(freeze, redis_server, 3)
    started = time.monotonic()
    with pytest.raises(BOUNDED):
        await gate.ticket("deepseek-chat", asyncio.sleep).aacquire(deadline=started + 0.8)
    assert time.monotonic() - started < 1.1
    await asyncio.to_thread(thread.join)


def test_giving_a_slot_back_never_waits_for_redis(
    redis_server: RedisServer, gate: AccountGate
) -> None:
    ticket = gate.ticket("deepseek-chat", time.sleep)
    ticket.acquire()
    thread = freeze(redis_server, 2)
    started = time.monotonic()
    ticket.release()
    assert time.monotonic() - started < 0.1
    thread.join()
    deadline = time.monotonic() + 3
    while gate.in_flight("deepseek-chat") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gate.in_flight("deepseek-chat") == 0  # given back once Redis woke up


async def test_giving_a_slot_back_in_a_loop_never_waits_for_redis(
    redis_server: RedisServer, gate: AccountGate
) -> None:
    ticket = gate.ticket("deepseek-chat", asyncio.sleep)
    await ticket.aacquire()
    thread = await asyncio.to_thread(freeze, redis_server, 2)
    started = time.monotonic()
    ticket.release()
    assert time.monotonic() - started < 0.1
    await asyncio.to_thread(thread.join)
