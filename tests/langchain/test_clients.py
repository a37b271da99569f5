"""The model's clients: the core holder's calls, close/aclose, options changed after first use."""

from __future__ import annotations

import asyncio

import httpx

from deepseekapi_core.testing import Emulator

from .conftest import ModelFactory


def test_close_and_aclose_close_the_models_clients(make_llm: ModelFactory) -> None:
    llm = make_llm()
    llm.invoke("hi")
    client = llm.client
    llm.close()
    assert client._http.is_closed
    assert llm.client is not client  # a new one on next use

    async def run() -> None:
        await llm.ainvoke("hi")
        async_client = llm.async_client
        await llm.aclose()
        assert async_client._http.is_closed

    asyncio.run(run())


def test_stream_chunk_timeout_set_after_first_use_takes_effect(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    served = emulator.transport()
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return served.handle_request(request)

    llm = make_llm(timeout=(2, 40), transport=httpx.MockTransport(handler))
    list(llm.stream("hi"))
    llm.stream_chunk_timeout = 7
    list(llm.stream("hi"))
    before, after = (request.extensions["timeout"]["read"] for request in seen)
    assert (before, after) == (40, 7)
