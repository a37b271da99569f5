"""Both adapters across successive event loops, against a real loopback server.

``asyncio.run`` closes its loop; a pooled connection opened in it is dead afterwards. The
in-process transport pools nothing, so only a real socket shows whether an adapter reuses a
dead loop's connection (``RuntimeError: Event loop is closed`` on the second run).
"""

from __future__ import annotations

import asyncio

from llama_index.core.base.llms.types import ChatMessage

from deepseekapi_core.testing import EmulatorServer
from langchain_deepseekapi import ChatDeepSeekAPI
from llama_index_deepseekapi import DeepSeekAPI

KEY = "sk-test-event-loops"


def test_langchain_async_calls_in_successive_asyncio_runs(
    deepseek_emulator_server: EmulatorServer,
) -> None:
    llm = ChatDeepSeekAPI(api_key=KEY, base_url=deepseek_emulator_server.base_url)

    async def ask() -> tuple[str, str]:
        streamed = "".join([str(chunk.content) async for chunk in llm.astream("Say hello")])
        # Last, so that its kept-alive connection is in the pool when the loop closes.
        reply = await llm.ainvoke("Say hello")
        return str(reply.content), streamed

    first = asyncio.run(ask())
    second = asyncio.run(ask())
    assert all(first) and all(second)
    assert deepseek_emulator_server.emulator.request_count == 4


def test_llama_index_async_calls_in_successive_asyncio_runs(
    deepseek_emulator_server: EmulatorServer,
) -> None:
    llm = DeepSeekAPI(api_key=KEY, base_url=deepseek_emulator_server.base_url)
    messages = [ChatMessage(role="user", content="Say hello")]

    async def ask() -> tuple[str, str]:
        last = ""
        async for response in await llm.astream_chat(messages):
            last = response.message.content or ""
        # Last, so that its kept-alive connection is in the pool when the loop closes.
        reply = await llm.achat(messages)
        return reply.message.content or "", last

    first = asyncio.run(ask())
    second = asyncio.run(ask())
    assert all(first) and all(second)
    assert deepseek_emulator_server.emulator.request_count == 4


def _run_and_keep_client(llm: ChatDeepSeekAPI | DeepSeekAPI, ask: object) -> object:
    """Run ``ask`` in a fresh loop and return the async client that loop used."""

    async def run() -> object:
        await ask()  # type: ignore[operator]
        return llm.async_client

    return asyncio.run(run())


def test_an_async_client_is_closed_when_its_loop_ends(
    deepseek_emulator_server: EmulatorServer,
) -> None:
    # asyncio.run (like asyncio.Runner and pytest-asyncio) shuts its loop down: the client
    # built for it must close its pool then, not leave sockets for the garbage collector.
    chat = ChatDeepSeekAPI(api_key=KEY, base_url=deepseek_emulator_server.base_url)
    index = DeepSeekAPI(api_key=KEY, base_url=deepseek_emulator_server.base_url)
    messages = [ChatMessage(role="user", content="Say hello")]
    for llm, ask in (
        (chat, lambda: chat.ainvoke("Say hello")),
        (index, lambda: index.achat(messages)),
    ):
        first = _run_and_keep_client(llm, ask)
        assert first._http.is_closed  # type: ignore[attr-defined]
        second = _run_and_keep_client(llm, ask)
        assert second is not first
        assert second._http.is_closed  # type: ignore[attr-defined]


def test_no_socket_is_left_open_across_asyncio_runs(
    deepseek_emulator_server: EmulatorServer,
) -> None:
    import gc
    import warnings

    llm = ChatDeepSeekAPI(api_key=KEY, base_url=deepseek_emulator_server.base_url)
    gc.collect()  # what earlier tests left behind is not this test's to judge
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            asyncio.run(llm.ainvoke("Say hello"))
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


def test_core_async_client_follows_the_loop_across_asyncio_runs(
    deepseek_emulator_server: EmulatorServer,
) -> None:
    # Before: the second run raised a bare "RuntimeError: Event loop is closed".
    from deepseekapi_core import AsyncDeepSeekClient

    client = AsyncDeepSeekClient(api_key=KEY, base_url=deepseek_emulator_server.base_url)

    async def ask() -> str:
        text = ""
        async for chunk in client.stream_chat(
            model="deepseek-chat", messages=[{"role": "user", "content": "Say hello"}]
        ):
            text += chunk.choices[0].delta.content or "" if chunk.choices else ""
        reply = await client.chat(
            model="deepseek-chat", messages=[{"role": "user", "content": "Say hello"}]
        )
        return (reply.choices[0].message.content or "") + text

    assert all(asyncio.run(ask()) for _ in range(3))
    assert deepseek_emulator_server.emulator.request_count == 6

    async def close() -> None:
        await client.aclose()

    asyncio.run(close())
