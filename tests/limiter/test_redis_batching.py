"""Slot takes of one process are batched: 40 requests at once behind a 50 ms Redis round trip
take a few round trips, not 40 (issue 23, point 9)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
import redis

from deepseekapi_core.accounting._limiter import AccountGate, RedisLimiter, Ticket

from .conftest import RedisServer
from .helpers import API_KEY, BASE_URL
from .slow_link import SlowLink

ROUND_TRIP = 0.05
REQUESTS = 40


def _script_runs(server: RedisServer) -> int:
    stats = redis.Redis.from_url(server.url).info("commandstats")
    calls = (stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))
    return sum(int(count) for count in calls)


async def test_concurrent_async_takes_share_round_trips(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with SlowLink(("127.0.0.1", redis_server.port), ROUND_TRIP) as link:
        limiter = RedisLimiter(f"redis://127.0.0.1:{link.port}/0", max_concurrency=100)
        gate = AccountGate(limiter, None, base_url=BASE_URL, api_key=API_KEY)
        warm = gate.ticket("deepseek-chat", asyncio.sleep)
        await warm.aacquire()  # connections and scripts ready
        warm.release()
        await asyncio.sleep(0.3)
        before = _script_runs(redis_server)
        tickets = [gate.ticket("deepseek-chat", asyncio.sleep) for _ in range(REQUESTS)]
        started = time.monotonic()
        await asyncio.gather(*(ticket.aacquire() for ticket in tickets))
        seconds = time.monotonic() - started
        runs = _script_runs(redis_server) - before
        assert gate.in_flight("deepseek-chat") == REQUESTS
        for ticket in tickets:
            ticket.release()
        await asyncio.sleep(0.5)
    with capsys.disabled():
        print(f"\n[limiter batching] {REQUESTS} async takes: {seconds:.2f} s, {runs} script runs")
    assert runs <= 4
    assert seconds < 6 * ROUND_TRIP


def test_concurrent_thread_takes_share_round_trips(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with SlowLink(("127.0.0.1", redis_server.port), ROUND_TRIP) as link:
        limiter = RedisLimiter(f"redis://127.0.0.1:{link.port}/0", max_concurrency=100)
        gate = AccountGate(limiter, None, base_url=BASE_URL, api_key=API_KEY)
        tickets: list[Ticket] = [gate.ticket("deepseek-chat", time.sleep) for _ in range(REQUESTS)]
        tickets[0].acquire()
        tickets[0].release()
        gate.in_flight("deepseek-chat")
        before = _script_runs(redis_server)
        threads = [threading.Thread(target=ticket.acquire) for ticket in tickets]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        runs = _script_runs(redis_server) - before
        assert gate.in_flight("deepseek-chat") == REQUESTS
        for ticket in tickets:
            ticket.release()
        gate.in_flight("deepseek-chat")
    with capsys.disabled():
        print(f"\n[limiter batching] {REQUESTS} thread takes: {seconds:.2f} s, {runs} script runs")
    assert runs <= 6
    assert seconds < 8 * ROUND_TRIP
