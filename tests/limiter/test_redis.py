"""The Redis limiter on a real redis-server: a fleet of processes under one cap with no 429,
leases that come back from a killed worker, and a clear error when Redis goes away."""

from __future__ import annotations

import asyncio
import pickle
import signal
import threading
import time

import pytest
from pydantic import SecretStr

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient, RetryPolicy
from deepseekapi_core.accounting._limiter import (
    AccountGate,
    LimiterUnavailableError,
    RedisLimiter,
    account_id,
)
from deepseekapi_core.testing import Emulator
from tests.core.helpers import SleepRecorder

from .capped_server import CappedServer
from .conftest import RedisServer
from .fleet import Fleet, start_holder
from .helpers import API_KEY, BASE_URL, HELLO, CountingTransport

FLEET_CAP = 20


def test_a_fleet_of_processes_stays_under_the_cap(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """8 worker processes x 200 requests at once, cap 20: with the Redis limiter no request is
    refused; without it, the service refuses some. Timings are printed, never asserted."""
    with (
        CappedServer(cap=FLEET_CAP, latency=0.02, retry_after=0.2) as server,
        Fleet(
            server, workers=8, requests_each=200, cap=FLEET_CAP, redis_url=redis_server.url
        ) as fleet,
    ):
        limited = fleet.run(limited=True)
        unlimited = fleet.run(limited=False)
    assert limited.errors == []
    assert limited.ok == 1600 and limited.admitted == 1600
    assert limited.refused == 0
    assert 1 <= limited.peak <= FLEET_CAP
    # Reported, not asserted: how many the service refuses depends on how fast the machine is.
    assert unlimited.ok + unlimited.refused == 1600 and unlimited.admitted == unlimited.ok
    with capsys.disabled():
        print(
            f"\n[limiter fleet] Redis limiter: {limited.refused} x 429, "
            f"{limited.seconds:.2f} s for an ideal {limited.ideal_seconds:.2f} s "
            f"({limited.ratio:.2f}x); without: {unlimited.refused} of 1600 answered 429"
        )


def test_threads_share_the_redis_cap(redis_server: RedisServer) -> None:
    emulator = Emulator()
    transport = CountingTransport(emulator, hold=0.02)
    limiter = RedisLimiter(redis_server.url, max_concurrency=3)
    replies: list[str] = []

    def work() -> None:
        client = DeepSeekClient(
            api_key=API_KEY, base_url=BASE_URL, transport=transport, limiter=limiter
        )
        for _ in range(4):
            replies.append(client.chat(model="deepseek-chat", messages=HELLO).id)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(replies)) == 20
    assert 1 <= transport.peak <= 3
    assert limiter.in_flight(account_id(BASE_URL, API_KEY)) == 0


async def test_async_clients_share_the_redis_cap_and_a_cancelled_wait_leaks_nothing(
    redis_server: RedisServer,
) -> None:
    emulator = Emulator()
    transport = CountingTransport(emulator, hold=0.02)
    limiter = RedisLimiter(redis_server.url, max_concurrency=2)
    client = AsyncDeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, transport=transport, limiter=limiter
    )
    replies = await asyncio.gather(
        *(client.chat(model="deepseek-chat", messages=HELLO) for _ in range(12))
    )
    assert len({reply.id for reply in replies}) == 12 and transport.peak <= 2
    holders = [client.limits.ticket("deepseek-chat", asyncio.sleep) for _ in range(2)]
    for holder in holders:
        await holder.aacquire()
    queued = asyncio.create_task(client.chat(model="deepseek-chat", messages=HELLO))
    await asyncio.sleep(0.1)
    assert not queued.done()
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    for holder in holders:
        holder.release()
    await asyncio.sleep(0.2)  # releases in a loop run as tasks of the loop
    assert client.limits.in_flight() == 0
    assert emulator.request_count == 12


def test_a_429_pauses_the_fleet_through_redis(redis_server: RedisServer) -> None:
    """Two limiters on one Redis stand for two processes: one's 429 holds the other back."""
    emulator = Emulator()
    emulator.faults.status(429, retry_after=2, times=1)
    first_sleep, second_sleep = SleepRecorder(), SleepRecorder()
    policy = RetryPolicy(jitter=lambda: 0.0)
    first = DeepSeekClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=emulator.transport(),
        limiter=RedisLimiter(redis_server.url),
        sleep=first_sleep,
        retry_policy=policy,
    )
    second = DeepSeekClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=emulator.transport(),
        limiter=RedisLimiter(redis_server.url),
        sleep=second_sleep,
        retry_policy=policy,
    )
    first.chat(model="deepseek-chat", messages=HELLO)
    second.chat(model="deepseek-chat", messages=HELLO)
    assert first_sleep.waits == [2.0]
    assert len(second_sleep.waits) == 1 and 1.0 < second_sleep.waits[0] <= 2.0
    assert emulator.request_count == 3


def test_a_killed_worker_gives_its_slots_back_within_the_lease(
    redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lease = 0.5
    worker = start_holder(BASE_URL, redis_server.url, slots=3, cap=5, lease=lease)
    try:
        limiter = RedisLimiter(redis_server.url, lease_seconds=lease)
        account = account_id(BASE_URL, None)
        time.sleep(lease * 3)
        assert limiter.in_flight(account) == 3  # renewed while the worker lives
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        killed = time.monotonic()
        assert limiter.in_flight(account) == 3  # the leases outlive the process...
        while limiter.in_flight(account) and time.monotonic() - killed < 30:
            time.sleep(0.01)
        reclaimed = time.monotonic() - killed
        assert limiter.in_flight(account) == 0  # ...and expire on their own
        gate = AccountGate(limiter, 5, base_url=BASE_URL, api_key=None)
        tickets = [gate.ticket("deepseek-chat", time.sleep) for _ in range(5)]
        for ticket in tickets:
            ticket.acquire()  # every slot is usable again
        for ticket in tickets:
            ticket.release()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    with capsys.disabled():
        print(
            f"\n[limiter fleet] slots of a SIGKILLed worker back {reclaimed:.2f} s after the kill "
            f"(lease {lease} s)"
        )


def test_redis_stopped_mid_run_is_a_clear_error_and_nothing_is_sent(
    redis_server: RedisServer,
) -> None:
    emulator = Emulator()
    password_url = redis_server.url.replace("redis://", "redis://:hunter2-secret@")
    # redis-server runs without a password; AUTH with one fails, so use the plain URL to send
    # and the password URL only to check the error text.
    limiter = RedisLimiter(redis_server.url, max_concurrency=4)
    client = DeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport(), limiter=limiter
    )
    assert client.chat(model="deepseek-chat", messages=HELLO).message.content
    in_flight = client.limits.ticket("deepseek-chat", time.sleep)
    in_flight.acquire()
    redis_server.stop()
    in_flight.release()  # a request that was running ends normally
    with pytest.raises(LimiterUnavailableError) as caught:
        client.chat(model="deepseek-chat", messages=HELLO)
    message = str(caught.value)
    assert f"127.0.0.1:{redis_server.port}" in message and "not sent" in message
    assert emulator.request_count == 1
    stream = client.stream_chat(model="deepseek-chat", messages=HELLO)
    with pytest.raises(LimiterUnavailableError):
        next(stream)
    assert emulator.request_count == 1
    with pytest.raises(LimiterUnavailableError) as hidden:
        DeepSeekClient(
            api_key=API_KEY,
            base_url=BASE_URL,
            transport=emulator.transport(),
            limiter=RedisLimiter(password_url),
        ).chat(model="deepseek-chat", messages=HELLO)
    assert "hunter2" not in str(hidden.value) and API_KEY not in str(hidden.value)
    # Redis back: the same limiter works again, no restart of the workers needed.
    redis_server.start()
    assert client.chat(model="deepseek-chat", messages=HELLO).message.content
    assert emulator.request_count == 2


def test_no_key_reaches_redis(redis_server: RedisServer) -> None:
    limiter = RedisLimiter(redis_server.url, max_concurrency=2)
    gate = AccountGate(limiter, None, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    ticket = gate.ticket("deepseek-chat", time.sleep)
    ticket.acquire()
    limiter.pause(gate.account, 0.5)
    keys = [key.decode() for key in limiter._client.keys("*")]
    assert keys and all(API_KEY not in key and API_KEY[3:] not in key for key in keys)
    ticket.release()


def test_no_slot_outlives_asyncio_run(redis_server: RedisServer) -> None:
    """The last requests' releases are tasks of the loop; asyncio.run's end must not drop them."""
    emulator = Emulator()
    limiter = RedisLimiter(redis_server.url, max_concurrency=5, lease_seconds=60)

    async def main() -> None:
        client = AsyncDeepSeekClient(
            api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport(), limiter=limiter
        )
        await asyncio.gather(
            *(client.chat(model="deepseek-chat", messages=HELLO) for _ in range(5))
        )

    asyncio.run(main())
    assert limiter.in_flight(account_id(BASE_URL, API_KEY)) == 0


def test_async_clients_get_the_clear_error_too(redis_server: RedisServer) -> None:
    emulator = Emulator()
    limiter = RedisLimiter(redis_server.url, max_concurrency=2)
    redis_server.stop()

    async def main() -> None:
        client = AsyncDeepSeekClient(
            api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport(), limiter=limiter
        )
        with pytest.raises(LimiterUnavailableError, match="not sent"):
            await client.chat(model="deepseek-chat", messages=HELLO)

    asyncio.run(main())
    assert emulator.request_count == 0


def test_a_stream_abandoned_as_asyncio_run_ends_gives_its_slot_back(
    redis_server: RedisServer,
) -> None:
    emulator = Emulator()
    limiter = RedisLimiter(redis_server.url, max_concurrency=1, lease_seconds=60)

    async def main() -> None:
        client = AsyncDeepSeekClient(
            api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport(), limiter=limiter
        )
        stream = client.stream_chat(model="deepseek-chat", messages=HELLO)
        await stream.__anext__()
        # main returns with the stream open: asyncio.run's shutdown closes it.

    asyncio.run(main())
    assert limiter.in_flight(account_id(BASE_URL, API_KEY)) == 0


def test_a_limiter_pickled_into_a_worker_shares_the_same_redis_slots(
    redis_server: RedisServer,
) -> None:
    """LlamaIndex's num_workers and multiprocessing pickle the model, and its limiter with it."""
    limiter = RedisLimiter(redis_server.url, max_concurrency=2, lease_seconds=5)
    copy = pickle.loads(pickle.dumps(limiter))
    assert isinstance(copy, RedisLimiter) and copy is not limiter
    assert (copy.max_concurrency, copy.lease_seconds) == (2, 5)
    gate = AccountGate(limiter, None, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    ticket = gate.ticket("deepseek-chat", time.sleep)
    ticket.acquire()
    assert copy.in_flight(gate.account) == 1
    ticket.release()  # given back in the background: another process sees it a moment later
    limiter.in_flight(gate.account)  # waits for this limiter's releases to reach Redis
    assert copy.in_flight(gate.account) == 0
