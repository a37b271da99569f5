"""Lease renewal re-asserts the slots of requests in flight after Redis lost them (a restart
without persistence), within the cap (issue 23, point 6)."""

from __future__ import annotations

import time

import redis

from deepseekapi_core.accounting._limiter import AccountGate, RedisLimiter, Ticket

from .conftest import RedisServer
from .helpers import API_KEY, BASE_URL

LEASE = 1.5  # renewed every 0.5 s


def _gate(server: RedisServer, cap: int) -> AccountGate:
    limiter = RedisLimiter(server.url, max_concurrency=cap, lease_seconds=LEASE)
    return AccountGate(limiter, None, base_url=BASE_URL, api_key=API_KEY)


def _take(gate: AccountGate, count: int) -> list[Ticket]:
    tickets = [gate.ticket("deepseek-chat", time.sleep) for _ in range(count)]
    for ticket in tickets:
        ticket.acquire()
    return tickets


def _flush(server: RedisServer) -> None:
    redis.Redis.from_url(server.url).flushall()


def test_renewal_puts_lost_slots_back(redis_server: RedisServer) -> None:
    gate = _gate(redis_server, 5)
    held = _take(gate, 3)
    _flush(redis_server)
    assert gate.in_flight("deepseek-chat") == 0
    time.sleep(LEASE / 3 * 2 + 0.2)
    assert gate.in_flight("deepseek-chat") == 3
    # A newcomer sees 3 of 5 taken, not 0: it gets 2 slots, and waits for a third.
    newcomer = _gate(redis_server, 5)
    more = _take(newcomer, 2)
    assert newcomer.in_flight("deepseek-chat") == 5
    for ticket in held + more:
        ticket.release()
    gate.in_flight("deepseek-chat")  # waits for this limiter's releases to reach Redis
    assert newcomer.in_flight("deepseek-chat") == 0


def test_renewal_respects_the_cap_and_forgets_released_slots(redis_server: RedisServer) -> None:
    first = _gate(redis_server, 5)
    held = _take(first, 5)
    _flush(redis_server)
    second = _gate(redis_server, 5)
    taken = _take(second, 3)  # free for a moment: Redis forgot the first five
    held.pop().release()  # given back while lost: must not come back with the renewal
    time.sleep(LEASE / 3 * 2 + 0.2)
    assert first.in_flight("deepseek-chat") == 5  # 3 + 2 re-asserted, never 3 + 4
    for ticket in held + taken:
        ticket.release()
