"""FIM completion (beta, ``POST /beta/completions``) against cassettes: the core clients,
LangChain's ``DeepSeekAPIFIM`` and LlamaIndex's ``DeepSeekAPI.complete(suffix=...)``, plain and
streamed. Each asserts the request body sent and the parsed middle against the recording."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient
from langchain_deepseekapi import DeepSeekAPIFIM
from llama_index_deepseekapi import DeepSeekAPI

from ._support import CASSETTE_ERA, body_text, emulated, sent
from .conftest import Backend, UseCassette

PROMPT = "def fib(a):\n"
SUFFIX = "    return fib(a-1) + fib(a-2)\n"
MIDDLE = "    if a < 2:\n        return a\n"
FIM_PATH = "/beta/completions"


@dataclass
class Recorded:
    """A FIM reply as the cassette holds it (a ``text_completion`` body, or its stream)."""

    text: str
    finish_reason: str | None
    usage: dict[str, Any] | None
    model: str
    chunks: int


def recorded(cassette: Any, index: int = 0) -> Recorded:
    text = body_text(cassette.responses[index]["body"]["string"])
    if text.lstrip().startswith("{"):
        body = json.loads(text)
        choice = body["choices"][0]
        return Recorded(choice["text"], choice["finish_reason"], body["usage"], body["model"], 0)
    events = [
        json.loads(line[len("data: ") :])
        for line in text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    pieces = [event["choices"][0]["text"] for event in events if event["choices"]]
    finish = [event["choices"][0]["finish_reason"] for event in events if event["choices"]]
    usage = next((event["usage"] for event in reversed(events) if event.get("usage")), None)
    return Recorded("".join(pieces), finish[-1], usage, events[-1]["model"], len(events))


def script(backend: Backend) -> None:
    if backend.emulator is not None:
        backend.emulator.script.reply_text(MIDDLE)


def check(cass: Any, text: str, *, stream: bool) -> Recorded:
    """The request went to the beta FIM path with the expected body; ``text`` is the middle
    the cassette holds (exactly the scripted one on emulator cassettes)."""
    assert cass.requests[0].path == FIM_PATH
    expected: dict[str, Any] = {
        "model": "deepseek-chat",
        "prompt": PROMPT,
        "suffix": SUFFIX,
        "max_tokens": 64,
        "stream": stream,
    }
    if stream:
        expected["stream_options"] = {"include_usage": True}
    assert sent(cass, 0) == expected
    reply = recorded(cass)
    assert text == reply.text
    assert reply.finish_reason == "stop" and reply.usage is not None
    if emulated(cass):
        assert reply.text == MIDDLE
    return reply


def core(backend: Backend) -> dict[str, Any]:
    return {"api_key": backend.api_key, "base_url": backend.base_url, "era": CASSETTE_ERA}


FIM_CALL: dict[str, Any] = {
    "model": "deepseek-chat",
    "prompt": PROMPT,
    "suffix": SUFFIX,
    "max_tokens": 64,
}


# ------------------------------------------------------------------------------------------------
# Core


def test_core_fim(backend: Backend, cassette: UseCassette) -> None:
    script(backend)
    with cassette("core-fim") as cass, DeepSeekClient(sleep=backend.sleeps, **core(backend)) as c:
        completion = c.fim(**FIM_CALL)
    reply = check(cass, completion.text, stream=False)
    assert completion.object == "text_completion"
    assert completion.model == reply.model and completion.finish_reason == reply.finish_reason
    assert completion.usage is not None and reply.usage is not None
    assert completion.usage.total_tokens == reply.usage["total_tokens"]


def test_core_fim_async(backend: Backend, cassette: UseCassette) -> None:
    async def run() -> str:
        async with AsyncDeepSeekClient(sleep=backend.sleeps.asleep(), **core(backend)) as c:
            return (await c.fim(**FIM_CALL)).text

    with cassette("core-fim", shared=True) as cass:
        text = asyncio.run(run())
    check(cass, text, stream=False)


def test_core_fim_stream(backend: Backend, cassette: UseCassette) -> None:
    script(backend)
    with cassette("core-fim-stream") as cass, DeepSeekClient(**core(backend)) as c:
        chunks = list(c.stream_fim(**FIM_CALL))
    reply = check(cass, "".join(chunk.text for chunk in chunks), stream=True)
    assert len(chunks) == reply.chunks
    assert chunks[-1].usage is not None and reply.usage is not None
    assert chunks[-1].usage.completion_tokens == reply.usage["completion_tokens"]


def test_core_fim_stream_async(backend: Backend, cassette: UseCassette) -> None:
    async def run() -> str:
        async with AsyncDeepSeekClient(**core(backend)) as c:
            return "".join([chunk.text async for chunk in c.stream_fim(**FIM_CALL)])

    with cassette("core-fim-stream", shared=True) as cass:
        text = asyncio.run(run())
    check(cass, text, stream=True)


# ------------------------------------------------------------------------------------------------
# LangChain


def langchain(backend: Backend) -> DeepSeekAPIFIM:
    return DeepSeekAPIFIM(**core(backend), model="deepseek-chat", max_tokens=64)


def test_langchain_fim(backend: Backend, cassette: UseCassette) -> None:
    script(backend)
    with cassette("langchain-fim") as cass:
        result = langchain(backend).generate([PROMPT], suffix=SUFFIX)
    reply = check(cass, result.generations[0][0].text, stream=False)
    assert result.llm_output is not None and reply.usage is not None
    assert result.llm_output["token_usage"]["total_tokens"] == reply.usage["total_tokens"]


def test_langchain_fim_ainvoke(backend: Backend, cassette: UseCassette) -> None:
    with cassette("langchain-fim", shared=True) as cass:
        text = asyncio.run(langchain(backend).ainvoke(PROMPT, suffix=SUFFIX))
    check(cass, text, stream=False)


def test_langchain_fim_stream(backend: Backend, cassette: UseCassette) -> None:
    script(backend)
    with cassette("langchain-fim-stream") as cass:
        pieces = list(langchain(backend).stream(PROMPT, suffix=SUFFIX))
    check(cass, "".join(pieces), stream=True)


# ------------------------------------------------------------------------------------------------
# LlamaIndex


def llama_index(backend: Backend) -> DeepSeekAPI:
    return DeepSeekAPI(**core(backend), model="deepseek-chat")


def test_llama_index_fim(backend: Backend, cassette: UseCassette) -> None:
    script(backend)
    with cassette("llama-index-fim") as cass:
        response = llama_index(backend).complete(PROMPT, suffix=SUFFIX, max_tokens=64)
    reply = check(cass, response.text, stream=False)
    assert reply.usage is not None
    assert response.additional_kwargs["total_tokens"] == reply.usage["total_tokens"]


def test_llama_index_fim_acomplete(backend: Backend, cassette: UseCassette) -> None:
    llm = llama_index(backend)
    with cassette("llama-index-fim", shared=True) as cass:
        response = asyncio.run(llm.acomplete(PROMPT, suffix=SUFFIX, max_tokens=64))
    check(cass, response.text, stream=False)


def test_llama_index_fim_stream(backend: Backend, cassette: UseCassette) -> None:
    script(backend)
    with cassette("llama-index-fim-stream") as cass:
        responses = list(llama_index(backend).stream_complete(PROMPT, suffix=SUFFIX, max_tokens=64))
    check(cass, responses[-1].text, stream=True)
