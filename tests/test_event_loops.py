"""Both adapters across successive event loops, against a real loopback server.

``asyncio.run`` closes its loop; a pooled connection opened in it is dead afterwards. The
in-process transport pools nothing, so only a real socket shows whether an adapter reuses a
dead loop's connection (``RuntimeError: Event loop is closed`` on the second run).
"""

from __future__ import annotations

import asyncio

from llama_index.core.base.llms.types import ChatMessage

from deepseekapi_core.emulator import EmulatorServer
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
