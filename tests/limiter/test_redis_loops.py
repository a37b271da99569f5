"""The Redis limiter and event loops: a slot held when ``asyncio.run`` ends is given back before
it returns, quietly, and each loop's ``redis.asyncio`` client is closed with its loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import redis

from deepseekapi_core import AsyncDeepSeekClient
from deepseekapi_core.accounting._limiter import RedisLimiter, account_id
from deepseekapi_core.testing import Emulator

from .conftest import RedisServer
from .helpers import API_KEY, BASE_URL, HELLO

# A task holding a slot that asyncio.run cancels, and a stream left open that its shutdown
# closes; then another limiter (another process's view, with nothing pending) counts the
# slots still taken in Redis.
_HELD_AS_RUN_ENDS = f"""
import asyncio, sys
from deepseekapi_core import AsyncDeepSeekClient
from deepseekapi_core.accounting._limiter import AccountGate, RedisLimiter
from deepseekapi_core.testing import Emulator

limiter = RedisLimiter(sys.argv[1], max_concurrency=5, lease_seconds=60)
gate = AccountGate(limiter, None, base_url={BASE_URL!r}, api_key={API_KEY!r})

async def holder(ready):
    ticket = gate.ticket("deepseek-chat", asyncio.sleep)
    await ticket.aacquire()
    ready.set()
    try:
        await asyncio.sleep(100)
    finally:
        ticket.release()

async def main():
    ready = asyncio.Event()
    task = asyncio.ensure_future(holder(ready))
    await ready.wait()
    client = AsyncDeepSeekClient(
        api_key={API_KEY!r}, base_url={BASE_URL!r}, transport=Emulator().transport(),
        limiter=limiter,
    )
    stream = client.stream_chat(model="deepseek-chat", messages={HELLO!r})
    await stream.__anext__()
    assert limiter.in_flight(gate.account) == 2

asyncio.run(main())
print("held", RedisLimiter(sys.argv[1]).in_flight(gate.account))
"""

_SHUTDOWN_NOISE = (
    "Task was destroyed",
    "no running event loop",
    "error occurred during closing",
    "Exception ignored",
    "never awaited",
)


def test_slots_held_when_asyncio_run_ends_are_free_at_once_and_quietly(
    redis_server: RedisServer,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _HELD_AS_RUN_ENDS, redis_server.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # Freed before asyncio.run returned, not when the 60 s lease expires.
    assert done.stdout.split() == ["held", "0"]
    assert not [noise for noise in _SHUTDOWN_NOISE if noise in done.stderr], done.stderr


def test_each_loops_redis_client_is_closed_with_its_loop(redis_server: RedisServer) -> None:
    emulator = Emulator()
    limiter = RedisLimiter(redis_server.url, max_concurrency=2, lease_seconds=60)

    async def main() -> None:
        client = AsyncDeepSeekClient(
            api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport(), limiter=limiter
        )
        # Four requests under a cap of two: acquires, waits for wake-ups and releases.
        await asyncio.gather(
            *(client.chat(model="deepseek-chat", messages=HELLO) for _ in range(4))
        )

    runs = 30
    for _ in range(runs):
        asyncio.run(main())
    probe = redis.Redis.from_url(redis_server.url)
    try:
        others = len(probe.client_list()) - 1  # less this probe's own
    finally:
        probe.close()
    # One run's client would leave two or more; before the fix, 30 runs left 60.
    assert others <= 2
    assert limiter.in_flight(account_id(BASE_URL, API_KEY)) == 0
    assert emulator.request_count == 4 * runs
