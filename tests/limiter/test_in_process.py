"""The in-process limiter: one cap per account across clients, threads and event loops; slots
held by streams until they end or are abandoned; a 429's pause shared by the account."""

from __future__ import annotations

import asyncio
import gc
import pickle
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from deepseekapi_core import (
    AsyncDeepSeekClient,
    DeepSeekClient,
    RateLimitError,
    RetryPolicy,
    StreamInterruptedError,
)
from deepseekapi_core.accounting._limiter import (
    AccountGate,
    InProcessLimiter,
    account_id,
    concurrency_cap,
    default_limiter,
)
from deepseekapi_core.testing import Emulator
from deepseekapi_core.wire._registry import get_model_profile, known_model_ids
from tests.core.helpers import AsyncSleepRecorder, SleepRecorder

from .helpers import API_KEY, BASE_URL, HELLO, CountingTransport, settle

NO_JITTER = RetryPolicy(max_retries=3, jitter=lambda: 0.0)


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


def sync_client(emulator: Emulator, **options: object) -> DeepSeekClient:
    options.setdefault("transport", emulator.transport())
    return DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, **options)  # type: ignore[arg-type]


def async_client(emulator: Emulator, **options: object) -> AsyncDeepSeekClient:
    options.setdefault("transport", emulator.transport())
    return AsyncDeepSeekClient(api_key=API_KEY, base_url=BASE_URL, **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Accounts and caps


def test_documented_caps_by_model() -> None:
    assert concurrency_cap("deepseek-v4-pro") == 500
    assert concurrency_cap("deepseek-flash") == 2_500
    # The service answers these with deepseek-flash, so they count against its cap.
    for alias in ("deepseek-chat", "deepseek-reasoner", "deepseek-v4-flash"):
        assert concurrency_cap(alias) == 2_500
    assert concurrency_cap("some-proxy-model") is None


def test_caps_and_pools_are_the_registrys() -> None:
    """An id counts in the pool of the model the registry says answers it, under that model's
    documented cap: a new alias or cap is written in the registry alone."""
    for model in known_model_ids():
        profile = get_model_profile(model)
        served = get_model_profile(profile.reply_model)
        assert concurrency_cap(model) == served.concurrency_cap == profile.concurrency_cap
        gate = AccountGate(InProcessLimiter(), None, base_url=BASE_URL, api_key=API_KEY)
        ticket = gate.ticket(model, lambda seconds: None)
        ticket.acquire()
        try:
            assert gate.in_flight(served.id) == 1
            assert gate.in_flight(model) == 1
        finally:
            ticket.release()
    assert {get_model_profile(m).reply_model for m in known_model_ids()} == {
        "deepseek-flash",
        "deepseek-v4-pro",
    }


def test_account_is_base_url_and_key_digest_never_the_key() -> None:
    account = account_id(BASE_URL + "/", SecretStr(API_KEY))
    assert account.startswith(BASE_URL + "#")
    assert API_KEY not in account and API_KEY[3:] not in account
    assert account == account_id(BASE_URL, API_KEY)
    assert account != account_id(BASE_URL, API_KEY + "x")
    assert account != account_id("https://other.invalid/v1", API_KEY)
    gate = AccountGate(InProcessLimiter(), 3, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    assert API_KEY not in repr(gate) and API_KEY not in repr(sync_client(Emulator()))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_bad_caps_are_refused_by_name(bad: object) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        DeepSeekClient(api_key=API_KEY, max_concurrency=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_concurrency"):
        InProcessLimiter(max_concurrency=bad)  # type: ignore[arg-type]


def test_a_limiter_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limiter must be"):
        DeepSeekClient(api_key=API_KEY, limiter="redis://localhost")  # type: ignore[arg-type]


async def test_the_documented_cap_applies_by_default() -> None:
    gate = AccountGate(None, None, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    tickets = [gate.ticket("deepseek-v4-pro", asyncio.sleep) for _ in range(500)]
    for ticket in tickets:
        await ticket.aacquire()
    assert gate.in_flight("deepseek-v4-pro") == 500
    waiting = gate.ticket("deepseek-v4-pro", asyncio.sleep)
    task = asyncio.create_task(waiting.aacquire())
    await settle()
    assert not task.done()  # the 501st waits
    # Another model's cap is another pool: deepseek-chat is served by deepseek-flash.
    chat = gate.ticket("deepseek-chat", asyncio.sleep)
    await asyncio.wait_for(chat.aacquire(), 5)
    assert gate.in_flight("deepseek-flash") == 1
    tickets[0].release()
    await asyncio.wait_for(task, 5)
    assert gate.in_flight("deepseek-v4-pro") == 500
    for ticket in [*tickets, waiting, chat]:
        ticket.release()
    assert gate.in_flight("deepseek-v4-pro") == 0 == gate.in_flight("deepseek-flash")


def test_clients_of_one_account_share_one_cap(emulator: Emulator) -> None:
    transport = CountingTransport(emulator, hold=0.02)
    clients = [sync_client(emulator, transport=transport, max_concurrency=3) for _ in range(4)]
    replies: list[str] = []

    def work(client: DeepSeekClient) -> None:
        for _ in range(5):
            reply = client.chat(model="deepseek-chat", messages=HELLO)
            replies.append(reply.message.content or "")

    threads = [threading.Thread(target=work, args=(c,)) for c in clients for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 40 and all("emulated" in text for text in replies)
    assert 1 <= transport.peak <= 3
    assert clients[0].limits.in_flight() == 0


def test_other_accounts_and_off_are_not_held_back(emulator: Emulator) -> None:
    held = default_limiter()
    mine = sync_client(emulator, max_concurrency=1)
    ticket = mine.limits.ticket("deepseek-chat", lambda _: None)
    ticket.acquire()  # the account's only slot is taken
    other_key = DeepSeekClient(
        api_key=API_KEY + "-other",
        base_url=BASE_URL,
        transport=emulator.transport(),
        max_concurrency=1,
    )
    assert other_key.chat(model="deepseek-chat", messages=HELLO).message.content
    off = sync_client(emulator, limiter="off")
    assert off.chat(model="deepseek-chat", messages=HELLO).message.content
    assert held.in_flight(mine.limits.account) == 1
    ticket.release()
    assert mine.chat(model="deepseek-chat", messages=HELLO).message.content


def test_threads_and_event_loops_share_one_cap(emulator: Emulator) -> None:
    transport = CountingTransport(emulator, hold=0.02)
    limiter = InProcessLimiter(max_concurrency=3)
    done: list[str] = []

    def sync_worker() -> None:
        client = sync_client(emulator, transport=transport, limiter=limiter)
        for _ in range(4):
            done.append(client.chat(model="deepseek-chat", messages=HELLO).id)

    def loop_worker() -> None:
        async def run() -> None:
            client = async_client(emulator, transport=transport, limiter=limiter)
            replies = await asyncio.gather(
                *(client.chat(model="deepseek-chat", messages=HELLO) for _ in range(6))
            )
            done.extend(reply.id for reply in replies)

        asyncio.run(run())

    threads = [threading.Thread(target=sync_worker) for _ in range(2)]
    threads += [threading.Thread(target=loop_worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(done) == 26 and len(set(done)) == 26
    assert 1 <= transport.peak <= 3
    assert limiter.in_flight(account_id(BASE_URL, API_KEY)) == 0


# --------------------------------------------------------------------------------------------
# Streams hold their slot until they end, however they end


@pytest.fixture
def stream_client(emulator: Emulator) -> Iterator[DeepSeekClient]:
    client = sync_client(emulator, max_concurrency=2)
    yield client
    client.close()


def test_a_stream_holds_its_slot_until_it_ends(stream_client: DeepSeekClient) -> None:
    stream = stream_client.stream_chat(model="deepseek-chat", messages=HELLO)
    assert stream_client.limits.in_flight() == 0  # nothing sent before iteration
    next(stream)
    assert stream_client.limits.in_flight() == 1
    rest = list(stream)
    assert rest and stream_client.limits.in_flight() == 0


def test_break_out_of_a_stream_gives_the_slot_back(stream_client: DeepSeekClient) -> None:
    for _chunk in stream_client.stream_chat(model="deepseek-chat", messages=HELLO):
        assert stream_client.limits.in_flight() == 1
        break
    assert stream_client.limits.in_flight() == 0


def test_a_collected_stream_gives_the_slot_back(stream_client: DeepSeekClient) -> None:
    streams = [stream_client.stream_chat(model="deepseek-chat", messages=HELLO) for _ in range(2)]
    for started in streams:
        next(started)
    assert stream_client.limits.in_flight() == 2
    del started
    streams.clear()
    gc.collect()
    assert stream_client.limits.in_flight() == 0


def test_a_broken_stream_gives_the_slot_back(emulator: Emulator) -> None:
    emulator.faults.cut_stream(after_events=4)
    client = sync_client(emulator, max_concurrency=2)
    with pytest.raises(StreamInterruptedError):
        for _chunk in client.stream_chat(model="deepseek-chat", messages=HELLO):
            pass
    assert client.limits.in_flight() == 0


async def test_async_stream_break_and_collection_give_the_slot_back(emulator: Emulator) -> None:
    client = async_client(emulator, max_concurrency=2)
    async for _chunk in client.stream_chat(model="deepseek-chat", messages=HELLO):
        assert client.limits.in_flight() == 1
        break
    gc.collect()
    await settle()  # asyncio closes an abandoned async generator in a task of its own
    assert client.limits.in_flight() == 0
    stream = client.stream_chat(model="deepseek-chat", messages=HELLO)
    await stream.__anext__()
    assert client.limits.in_flight() == 1
    del stream
    gc.collect()
    await settle()
    assert client.limits.in_flight() == 0


async def test_a_cancelled_streaming_task_gives_the_slot_back(emulator: Emulator) -> None:
    emulator.faults.latency(0.0, per_event=0.5)
    client = async_client(emulator, max_concurrency=2)
    first = asyncio.Event()

    async def consume() -> None:
        async for _chunk in client.stream_chat(model="deepseek-chat", messages=HELLO):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    assert client.limits.in_flight() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert client.limits.in_flight() == 0


async def test_a_task_cancelled_while_queued_takes_no_slot(emulator: Emulator) -> None:
    client = async_client(emulator, max_concurrency=1)
    holder = client.limits.ticket("deepseek-chat", asyncio.sleep)
    await holder.aacquire()
    queued = asyncio.create_task(client.chat(model="deepseek-chat", messages=HELLO))
    await settle()
    assert not queued.done()
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    holder.release()
    assert client.limits.in_flight() == 0
    reply = await asyncio.wait_for(client.chat(model="deepseek-chat", messages=HELLO), 5)
    assert reply.message.content and client.limits.in_flight() == 0
    assert emulator.request_count == 1  # the cancelled request was never sent


async def test_a_slot_granted_to_a_cancelled_waiter_is_passed_on(emulator: Emulator) -> None:
    gate = AccountGate(InProcessLimiter(), 1, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    holder, doomed, next_in_line = (gate.ticket(None, asyncio.sleep) for _ in range(3))
    await holder.aacquire()
    doomed_task = asyncio.create_task(doomed.aacquire())
    next_task = asyncio.create_task(next_in_line.aacquire())
    await settle()
    holder.release()  # granted to the doomed waiter, whose wake-up is still pending...
    doomed_task.cancel()  # ...when it is cancelled
    with pytest.raises(asyncio.CancelledError):
        await doomed_task
    await asyncio.wait_for(next_task, 5)
    assert gate.in_flight() == 1
    next_in_line.release()
    assert gate.in_flight() == 0


# --------------------------------------------------------------------------------------------
# A 429's Retry-After pauses the whole account


def test_a_429_pauses_every_client_of_the_account(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=2, times=1)
    first_sleep, second_sleep, other_sleep = SleepRecorder(), SleepRecorder(), SleepRecorder()
    first = sync_client(emulator, sleep=first_sleep, retry_policy=NO_JITTER)
    second = sync_client(emulator, sleep=second_sleep, retry_policy=NO_JITTER)
    other_account = DeepSeekClient(
        api_key=API_KEY + "-other",
        base_url=BASE_URL,
        transport=emulator.transport(),
        sleep=other_sleep,
    )
    assert first.chat(model="deepseek-chat", messages=HELLO).message.content
    assert first_sleep.waits == [2.0]  # its own retry wait only, not the pause a second time
    assert second.chat(model="deepseek-chat", messages=HELLO).message.content
    assert len(second_sleep.waits) == 1 and 1.0 < second_sleep.waits[0] <= 2.0
    assert other_account.chat(model="deepseek-chat", messages=HELLO).message.content
    assert other_sleep.waits == []
    assert emulator.request_count == 4  # the second client was never refused


async def test_a_429_pauses_async_clients_too(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=3, times=1)
    first_sleep, second_sleep = AsyncSleepRecorder(), AsyncSleepRecorder()
    first = async_client(emulator, sleep=first_sleep, retry_policy=NO_JITTER)
    second = async_client(emulator, sleep=second_sleep, retry_policy=NO_JITTER)
    await first.chat(model="deepseek-chat", messages=HELLO)
    await second.chat(model="deepseek-chat", messages=HELLO)
    assert first_sleep.waits == [3.0]
    assert len(second_sleep.waits) == 1 and 2.0 < second_sleep.waits[0] <= 3.0


def test_the_pause_is_shared_even_when_the_429_is_not_retried(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=2, times=1)
    quitter = sync_client(emulator, max_retries=0)
    waiting = SleepRecorder()
    patient = sync_client(emulator, sleep=waiting)
    with pytest.raises(Exception, match="Rate Limit"):
        quitter.chat(model="deepseek-chat", messages=HELLO)
    patient.chat(model="deepseek-chat", messages=HELLO)
    assert len(waiting.waits) == 1 and waiting.waits[0] > 1.0


def test_no_pause_without_limiter_or_beyond_the_longest_wait(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=2, times=1)
    sync_client(emulator, limiter="off", sleep=SleepRecorder()).chat(
        model="deepseek-chat", messages=HELLO
    )
    waiting = SleepRecorder()
    sync_client(emulator, sleep=waiting).chat(model="deepseek-chat", messages=HELLO)
    assert waiting.waits == []  # a client without the limiter shares nothing
    # A Retry-After longer than a client's max_retry_after: that client fails at once (nothing
    # sent, no wait); one that may wait that long waits it out.
    emulator.faults.status(429, retry_after=600, times=1)
    capped = sync_client(
        emulator, sleep=SleepRecorder(), retry_policy=RetryPolicy(max_retry_after=5)
    )
    with pytest.raises(Exception, match="Rate Limit"):
        capped.chat(model="deepseek-chat", messages=HELLO)
    with pytest.raises(RateLimitError, match="paused for another"):
        sync_client(emulator, sleep=waiting).chat(model="deepseek-chat", messages=HELLO)
    assert waiting.waits == [] and emulator.request_count == 4
    patient = sync_client(emulator, sleep=waiting, retry_policy=RetryPolicy(max_retry_after=900))
    patient.chat(model="deepseek-chat", messages=HELLO)
    assert len(waiting.waits) == 1 and 599.0 < waiting.waits[0] <= 600.0


def test_a_stream_waits_out_the_pause_and_shares_its_own_429(emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=2, times=1)
    streaming_sleep, plain_sleep = SleepRecorder(), SleepRecorder()
    streaming = sync_client(emulator, sleep=streaming_sleep, retry_policy=NO_JITTER)
    chunks = list(streaming.stream_chat(model="deepseek-chat", messages=HELLO))
    assert chunks and streaming_sleep.waits == [2.0]
    sync_client(emulator, sleep=plain_sleep).chat(model="deepseek-chat", messages=HELLO)
    assert len(plain_sleep.waits) == 1 and plain_sleep.waits[0] > 1.0
    assert streaming.limits.in_flight("deepseek-chat") == 0


def test_an_in_process_limiter_pickles_to_an_empty_one_with_its_cap() -> None:
    limiter = InProcessLimiter(max_concurrency=7)
    gate = AccountGate(limiter, None, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    held = gate.ticket(None, lambda _: None)
    held.acquire()
    copy = pickle.loads(pickle.dumps(limiter))
    assert isinstance(copy, InProcessLimiter) and copy.max_concurrency == 7
    assert copy.in_flight(gate.account) == 0 and limiter.in_flight(gate.account) == 1
    held.release()


def test_a_dropped_ticket_gives_its_slot_back() -> None:
    limiter = InProcessLimiter(max_concurrency=1)
    gate = AccountGate(limiter, None, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    gate.ticket(None, lambda _: None).acquire()  # never released: the frame drops it
    gc.collect()
    assert limiter.in_flight(gate.account) == 0


def test_a_pause_that_begins_while_a_request_queues_is_waited_out() -> None:
    """A 429 arriving while a request waits for a slot: once granted, it waits the pause too."""
    limiter = InProcessLimiter()
    gate = AccountGate(limiter, 1, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    holder = gate.ticket(None, lambda _: None)
    holder.acquire()
    waits = SleepRecorder()
    queued = gate.ticket(None, waits)
    waiter = threading.Thread(target=queued.acquire)
    waiter.start()
    _until(lambda: bool(limiter._slots[(gate.account, "*")].waiters))
    limiter.pause(gate.account, 30)
    holder.release()  # the slot goes to the queued request, inside the pause
    waiter.join(5)
    assert not waiter.is_alive()
    assert len(waits.waits) == 1 and 29 < waits.waits[0] <= 30
    assert gate.in_flight() == 1
    queued.release()


async def test_a_pause_that_begins_while_an_async_request_queues_is_waited_out() -> None:
    limiter = InProcessLimiter()
    gate = AccountGate(limiter, 1, base_url=BASE_URL, api_key=SecretStr(API_KEY))
    holder = gate.ticket(None, asyncio.sleep)
    await holder.aacquire()
    waits = AsyncSleepRecorder()
    queued = gate.ticket(None, waits)
    waiting = asyncio.create_task(queued.aacquire())
    await settle()
    limiter.pause(gate.account, 30)
    holder.release()
    await asyncio.wait_for(waiting, 5)
    assert len(waits.waits) == 1 and 29 < waits.waits[0] <= 30
    queued.release()


def test_a_503_with_retry_after_pauses_only_its_own_request(emulator: Emulator) -> None:
    """Only a 429 speaks for the account; a 503 is one overloaded reply, retried by itself."""
    emulator.faults.status(503, retry_after=2, times=1)
    first_sleep, other_sleep = SleepRecorder(), SleepRecorder()
    first = sync_client(emulator, sleep=first_sleep, retry_policy=NO_JITTER)
    assert first.chat(model="deepseek-chat", messages=HELLO).message.content
    assert first_sleep.waits == [2.0]  # its own retry honoured the Retry-After
    sync_client(emulator, sleep=other_sleep).chat(model="deepseek-chat", messages=HELLO)
    assert other_sleep.waits == []
    assert emulator.request_count == 3


def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def test_a_gate_keeps_a_bounded_number_of_pools() -> None:
    """Pools are built once per model and reused, and a gate serving ever new ids stays small."""
    gate = AccountGate(InProcessLimiter(), None, base_url=BASE_URL, api_key=API_KEY)
    assert gate._pool("deepseek-chat") is gate._pool("deepseek-chat")
    for index in range(500):
        ticket = gate.ticket(f"proxy-model-{index}", lambda _: None)
        ticket.acquire()
        ticket.release()
    assert len(gate._pools) <= 64
    assert gate._pool("deepseek-chat").capacity == 2_500
