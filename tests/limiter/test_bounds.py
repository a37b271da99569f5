"""Every wait of the limiter is bounded: a ticket's ``deadline`` bounds the wait for a slot and
for a shared pause, and a shared pause longer than ``max_pause`` fails at once with
``RateLimitError`` instead of freezing the account (in-process and on Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from deepseekapi_core import DeepSeekClient, RateLimitError
from deepseekapi_core.accounting._limiter import (
    AccountGate,
    ConcurrencyLimiter,
    InProcessLimiter,
    RedisLimiter,
)
from deepseekapi_core.http._errors import DeadlineExceededError
from deepseekapi_core.testing import Emulator
from tests.core.helpers import SleepRecorder

from .conftest import RedisServer
from .helpers import API_KEY, BASE_URL, HELLO


@pytest.fixture(params=["in-process", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[ConcurrencyLimiter]:
    if request.param == "in-process":
        yield InProcessLimiter(max_concurrency=1)
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    yield RedisLimiter(server.url, max_concurrency=1)


def _gate(limiter: ConcurrencyLimiter) -> AccountGate:
    return AccountGate(limiter, None, base_url=BASE_URL, api_key=API_KEY)


def test_a_deadline_bounds_the_wait_for_a_slot(limiter: ConcurrencyLimiter) -> None:
    gate = _gate(limiter)
    holder = gate.ticket("deepseek-chat", time.sleep)
    holder.acquire()
    try:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="concurrency slot"):
            gate.ticket("deepseek-chat", time.sleep).acquire(deadline=started + 1.0)
        assert 0.9 < time.monotonic() - started < 1.5
        assert gate.in_flight("deepseek-chat") == 1  # the one that gave up took nothing
    finally:
        holder.release()
    # A deadline already passed is refused at once, even with a slot free.
    with pytest.raises(DeadlineExceededError):
        gate.ticket("deepseek-chat", time.sleep).acquire(deadline=time.monotonic() - 1)


async def test_a_deadline_bounds_an_async_wait_for_a_slot(limiter: ConcurrencyLimiter) -> None:
    gate = _gate(limiter)
    holder = gate.ticket("deepseek-chat", asyncio.sleep)
    await holder.aacquire()
    try:
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="concurrency slot"):
            await gate.ticket("deepseek-chat", asyncio.sleep).aacquire(deadline=started + 1.0)
        assert 0.9 < time.monotonic() - started < 1.5
    finally:
        holder.release()
    await asyncio.sleep(0.2)  # a release inside a loop may run as a task of the loop
    assert gate.in_flight("deepseek-chat") == 0
    later = gate.ticket("deepseek-chat", asyncio.sleep)
    await later.aacquire(deadline=time.monotonic() + 1.0)
    later.release()


def test_a_pause_past_the_deadline_or_max_pause_fails_at_once(
    limiter: ConcurrencyLimiter,
) -> None:
    gate = _gate(limiter)
    limiter.pause(gate.account, 30)
    waits = SleepRecorder()
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="429 pause"):
        gate.ticket("deepseek-chat", waits).acquire(deadline=started + 1.0)
    with pytest.raises(RateLimitError) as caught:
        gate.ticket("deepseek-chat", waits).acquire(max_pause=5)
    assert caught.value.retry_after is not None and 25 < caught.value.retry_after <= 30
    assert API_KEY not in str(caught.value)
    assert waits.waits == [] and time.monotonic() - started < 0.5
    # A pause within both bounds is waited out.
    gate.ticket("deepseek-chat", waits).acquire(deadline=started + 60, max_pause=40)
    assert len(waits.waits) == 1 and 25 < waits.waits[0] <= 30


async def test_an_async_pause_beyond_max_pause_fails_at_once(
    limiter: ConcurrencyLimiter,
) -> None:
    gate = _gate(limiter)
    limiter.pause(gate.account, 30)
    with pytest.raises(RateLimitError):
        await gate.ticket("deepseek-chat", asyncio.sleep).aacquire(max_pause=5)
    with pytest.raises(DeadlineExceededError, match="429 pause"):
        await gate.ticket("deepseek-chat", asyncio.sleep).aacquire(deadline=time.monotonic() + 1)


def test_an_absurd_retry_after_fails_later_requests_at_once(
    limiter: ConcurrencyLimiter,
) -> None:
    """Retry-After: 99999 (27 hours) must not freeze the account: later requests of the key
    raise RateLimitError with retry_after set, without waiting and without being sent."""
    emulator = Emulator()
    emulator.faults.status(429, retry_after=99999, times=1)
    waits = SleepRecorder()

    def client() -> DeepSeekClient:
        return DeepSeekClient(
            api_key=API_KEY,
            base_url=BASE_URL,
            transport=emulator.transport(),
            limiter=limiter,
            sleep=waits,
        )

    with pytest.raises(RateLimitError):
        client().chat(model="deepseek-chat", messages=HELLO)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        client().chat(model="deepseek-chat", messages=HELLO)
    assert time.monotonic() - started < 0.5 and waits.waits == []
    assert caught.value.retry_after is not None and caught.value.retry_after > 99000
    assert emulator.request_count == 1
