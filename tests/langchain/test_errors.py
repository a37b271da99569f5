"""The core's errors reach LangChain callers unchanged, in every call style."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from deepseekapi_core import (
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    RateLimitError,
    StreamInterruptedError,
)
from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import ChatDeepSeekAPI

from .conftest import KEY, ModelFactory


class ErrorCounter(BaseCallbackHandler):
    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.errors.append(error)


def test_402_says_top_up(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_error(402)
    counter = ErrorCounter()
    with pytest.raises(InsufficientCreditsError, match=r"(?i)top up") as caught:
        make_llm().invoke("hi", config={"callbacks": [counter]})
    assert caught.value.status_code == 402
    assert counter.errors == [caught.value]


async def test_402_async_and_streaming(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_error(402).reply_error(402)
    with pytest.raises(InsufficientCreditsError):
        await make_llm().ainvoke("hi")
    with pytest.raises(InsufficientCreditsError):
        async for _ in make_llm().astream("hi"):
            pass


def test_wrong_key(emulator: Emulator) -> None:
    llm = ChatDeepSeekAPI(api_key="sk-wrong", transport=emulator.transport())
    with pytest.raises(AuthenticationError) as caught:
        llm.invoke("hi")
    assert "sk-wrong" not in str(caught.value)


def test_rate_limit_after_retries(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.faults.status(429, retry_after=120, times=1)  # longer than the core waits
    with pytest.raises(RateLimitError) as caught:
        make_llm().invoke("hi")
    assert caught.value.retry_after == 120


def test_stream_cut_after_data_is_not_replayed(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_text("one two three four five six seven eight nine ten")
    emulator.faults.cut_stream(after_events=3)
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError) as caught:
        for chunk in make_llm().stream("count"):
            seen.append(str(chunk.content))
    assert seen and caught.value.partial_content == "".join(seen)
    assert emulator.request_count == 1


def test_strict_service_400_surfaces(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_error(400, "Some invalid request")
    with pytest.raises(BadRequestError, match="Some invalid request"):
        make_llm().invoke("hi")


def test_model_the_service_does_not_know(make_llm: ModelFactory) -> None:
    from deepseekapi_core import DeepSeekAPIError

    with pytest.raises(DeepSeekAPIError) as caught:
        make_llm(model="deepseek-imaginary").invoke("hi")
    assert caught.value.status_code in (400, 404, 422)
    assert KEY not in str(caught.value)


def test_retry_waits_go_through_the_injected_sleep(emulator: Emulator) -> None:
    waits: list[float] = []
    llm = ChatDeepSeekAPI(api_key=KEY, transport=emulator.transport())
    llm.clients.sleep = waits.append
    emulator.faults.status(429, retry_after=7, times=1)
    emulator.faults.status(503, retry_after_ms=250, times=1)
    assert llm.invoke("hi").content
    assert waits == [7.0, 0.25]
    assert emulator.request_count == 3


async def test_async_retry_waits_go_through_the_injected_sleep(emulator: Emulator) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    llm = ChatDeepSeekAPI(api_key=KEY, transport=emulator.transport())
    llm.clients.async_sleep = record
    emulator.faults.status(429, retry_after=3, times=1)
    assert (await llm.ainvoke("hi")).content
    assert waits == [3.0]
    assert emulator.request_count == 2
