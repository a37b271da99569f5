"""A cancelled wait for a Redis slot ends even when the Redis client loses the cancellation.

redis-py sends every command under ``asyncio.wait_for``; before Python 3.12 that returns the
command's result and drops a cancellation which lands just after the command was written
(python/cpython#86296). A request cancelled at that moment of its wait for a wake-up then kept
waiting, and a caller that released its own slots only after the cancelled request ended waited
for ever (the hang of ``test_async_clients_share_the_redis_cap_and_a_cancelled_wait_leaks_nothing``
on the py3.10 leg).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from deepseekapi_core import AsyncDeepSeekClient
from deepseekapi_core.accounting._limiter import RedisLimiter
from deepseekapi_core.testing import Emulator

from .conftest import RedisServer
from .helpers import API_KEY, BASE_URL, HELLO


async def test_a_cancellation_the_redis_client_drops_still_ends_the_wait_for_a_slot(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = Emulator()
    limiter = RedisLimiter(redis_server.url, max_concurrency=1)
    client = AsyncDeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport(), limiter=limiter
    )
    holder = client.limits.ticket("deepseek-chat", asyncio.sleep)
    await holder.aacquire()
    redis_client = limiter._async_side().client
    blpop = redis_client.blpop
    waiting = asyncio.Event()

    async def blpop_dropping_a_cancellation(keys: list[str], timeout: float) -> Any:
        # What wait_for does before 3.12: the command is out, so its reply is returned and
        # the cancellation that came meanwhile is lost.
        sent = asyncio.ensure_future(blpop(keys, timeout=timeout))
        waiting.set()
        try:
            return await asyncio.shield(sent)
        except asyncio.CancelledError:
            return await sent

    monkeypatch.setattr(redis_client, "blpop", blpop_dropping_a_cancellation)
    queued = asyncio.create_task(client.chat(model="deepseek-chat", messages=HELLO))
    await asyncio.wait_for(waiting.wait(), 5)
    queued.cancel()
    await asyncio.wait((queued,), timeout=3)
    ended = queued.done()
    holder.release()  # lets a request that missed its cancellation finish, so nothing leaks
    if not ended:
        await asyncio.wait_for(asyncio.gather(queued, return_exceptions=True), 10)
    assert ended, "the cancelled request was still waiting for a slot 3 s after its cancel"
    assert queued.cancelled()
    await asyncio.sleep(0.2)  # releases in a loop run as tasks of the loop
    assert client.limits.in_flight() == 0
    assert emulator.request_count == 0
