"""Both adapters take ``max_concurrency=`` and ``limiter=``; LangChain's ``rate_limiter=`` keeps
working beside them; model instances of one account share one limit."""

from __future__ import annotations

import asyncio
import copy
import pickle

import pytest
from langchain_core.rate_limiters import InMemoryRateLimiter
from llama_index.core.llms import ChatMessage

from deepseekapi_core import InvalidRequestError
from deepseekapi_core.accounting._limiter import InProcessLimiter, RedisLimiter
from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import ChatDeepSeekAPI
from llama_index_deepseekapi import DeepSeekAPI

from .conftest import RedisServer
from .helpers import API_KEY, BASE_URL, CountingTransport, settle


class CountingRateLimiter(InMemoryRateLimiter):
    """LangChain's rate limiter, counting the calls it let through."""

    def __init__(self) -> None:
        super().__init__(requests_per_second=1000, check_every_n_seconds=0.001, max_bucket_size=50)
        self.granted = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.granted += 1
        return super().acquire(blocking=blocking)

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.granted += 1
        return await super().aacquire(blocking=blocking)


def chat_model(transport: object, **options: object) -> ChatDeepSeekAPI:
    return ChatDeepSeekAPI(
        model="deepseek-chat",
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=transport,
        **options,  # type: ignore[arg-type]
    )


def llama_llm(transport: object, **options: object) -> DeepSeekAPI:
    return DeepSeekAPI(
        model="deepseek-chat",
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=transport,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def test_langchain_batch_stays_under_max_concurrency_beside_rate_limiter() -> None:
    transport = CountingTransport(Emulator(), hold=0.02)
    rate_limiter = CountingRateLimiter()
    model = chat_model(transport, max_concurrency=2, rate_limiter=rate_limiter)
    replies = model.batch([f"question {i}" for i in range(12)], config={"max_concurrency": 8})
    assert all("question" in str(reply.content) for reply in replies)
    assert 1 <= transport.peak <= 2  # the limiter held LangChain's 8 threads to 2 in flight
    assert rate_limiter.granted == 12  # LangChain's own rate limiter still saw every call
    assert model.client.limits.in_flight() == 0


async def test_langchain_instances_of_one_account_share_the_limit() -> None:
    emulator = Emulator()
    emulator.faults.latency(0.0, per_event=0.05)
    first = chat_model(emulator.transport(), max_concurrency=1)
    second = chat_model(emulator.transport(), max_concurrency=1)
    stream = first.astream("a long answer")
    await stream.__anext__()  # the first model's stream holds the account's only slot
    waiting = asyncio.create_task(second.ainvoke("hello"))
    await settle()
    assert not waiting.done()
    await stream.aclose()
    reply = await asyncio.wait_for(waiting, 5)
    assert "hello" in str(reply.content)


def test_langchain_limiter_off_and_validation() -> None:
    transport = CountingTransport(Emulator(), hold=0.02)
    model = chat_model(transport, limiter="off", max_concurrency=1)
    replies = model.batch([f"q{i}" for i in range(6)], config={"max_concurrency": 6})
    assert len(replies) == 6 and transport.peak > 1  # off: nothing held the threads back
    with pytest.raises(ValueError, match="max_concurrency"):
        chat_model(transport, max_concurrency=0).invoke("hi")
    shared = InProcessLimiter(max_concurrency=3)
    assert chat_model(transport, limiter=shared).client.limits.limiter is shared
    assert "limiter" not in chat_model(transport, limiter=shared).model_dump()


async def test_llama_index_max_concurrency_holds_async_calls() -> None:
    transport = CountingTransport(Emulator(), hold=0.02)
    llm = llama_llm(transport, max_concurrency=3)
    replies = await asyncio.gather(
        *(llm.achat([ChatMessage(role="user", content=f"doc {i}")]) for i in range(12))
    )
    assert all(f"doc {i}" in str(reply.message.content) for i, reply in enumerate(replies))
    assert 1 <= transport.peak <= 3


def test_llama_index_stream_holds_its_slot_on_redis(redis_server: RedisServer) -> None:
    limiter = RedisLimiter(redis_server.url, max_concurrency=4)
    llm = llama_llm(Emulator().transport(), limiter=limiter)
    stream = llm.stream_chat([ChatMessage(role="user", content="Hello")])
    next(stream)
    assert llm.client.limits.in_flight() == 1
    for _ in stream:
        pass
    assert llm.client.limits.in_flight() == 0
    # Pickled into a worker (IngestionPipeline's num_workers), it keeps the Redis limit.
    copy = pickle.loads(pickle.dumps(llm))
    assert isinstance(copy.client.limits.limiter, RedisLimiter)
    assert copy.client.limits.limiter.max_concurrency == 4
    assert copy.client.limits.account == llm.client.limits.account


def test_copies_share_the_limiter_and_bad_settings_are_named() -> None:
    shared = InProcessLimiter(max_concurrency=3)
    model = chat_model(Emulator().transport(), limiter=shared)
    assert copy.deepcopy(model).limiter is shared
    assert copy.deepcopy(model).client.limits.limiter is shared
    with pytest.raises(InvalidRequestError, match="max_concurrency"):
        llama_llm(Emulator().transport(), max_concurrency=-2)
    with pytest.raises(InvalidRequestError, match="limiter must be"):
        llama_llm(Emulator().transport(), limiter="redis://localhost:6379")
