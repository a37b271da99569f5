"""Chat prefix completion (beta) against cassettes: the core, LangChain and LlamaIndex send the
same request shape to ``/beta/chat/completions`` (the last message an assistant message with
``"prefix": true``; in thinking mode its ``reasoning_content`` as the CoT prefix), and read the
continuation the service returns."""

from __future__ import annotations

from typing import Any

import pytest

from deepseekapi_core.wire._stream import StreamAccumulator

from . import _scenarios as sc
from . import test_core as core_suite
from ._support import emulated, reply, sent
from .conftest import Backend, UseCassette

PREFIX_PROMPT = "Write a Python function quick_sort(xs) that returns a sorted list."
FENCE = "```python\n"
PREFIX_REPLY = "def quick_sort(xs):\n    return sorted(xs)\n"
STOP = ["```"]
COT = "Quick sort: pick a pivot,"
THOUGHT = " split into smaller and larger, recurse on both."


def wire_turn(reasoning: str | None = None) -> list[dict[str, Any]]:
    """The messages every layer must send: system, user, the assistant prefix."""
    continued: dict[str, Any] = {"role": "assistant", "content": FENCE, "prefix": True}
    if reasoning is not None:
        continued["reasoning_content"] = reasoning
    return [*sc.user_turn(PREFIX_PROMPT), continued]


def script(backend: Backend, *, thinking: bool = False) -> None:
    sc.script_chat(backend.emulator, PREFIX_REPLY, THOUGHT if thinking else None)


def check_beta(cass: Any, reasoning: str | None = None) -> dict[str, Any]:
    """The one request went to the beta URL with the prefix exactly; its body."""
    assert len(cass.requests) == 1
    assert cass.requests[0].path.endswith("/beta/chat/completions")
    body = sent(cass, 0)
    assert body["messages"] == wire_turn(reasoning)
    assert "prefix" not in body
    return body


def check_reply(cass: Any, content: str, reasoning: str | None = None) -> None:
    """The continuation is what the cassette holds (exactly the scripted one from the
    emulator), without the prefix."""
    recorded = reply(cass, 0)
    assert content == recorded.content
    sc.assert_scripted(recorded, emulated(cass), PREFIX_REPLY, THOUGHT if reasoning else None)
    if reasoning is not None:
        assert reasoning == recorded.reasoning


# ------------------------------------------------------------------------------------------------
# Core


def test_core_prefix(backend: Backend, cassette: UseCassette) -> None:
    script(backend)
    with cassette("core-prefix") as cass, core_suite.client(backend) as api:
        completion = api.chat(
            model="deepseek-chat", messages=sc.user_turn(PREFIX_PROMPT), prefix=FENCE, stop=STOP
        )
    body = check_beta(cass)
    assert body["stop"] == STOP
    sc.assert_not_streamed(body)
    core_suite.check_completion(completion, cass, 0)
    check_reply(cass, completion.message.content or "")


async def test_core_prefix_async(backend: Backend, cassette: UseCassette) -> None:
    with cassette("core-prefix", shared=True) as cass:
        async with core_suite.async_client(backend) as api:
            completion = await api.chat(model="deepseek-chat", messages=wire_turn(), stop=STOP)
    core_suite.check_completion(completion, cass, 0)


def test_core_prefix_reasoner_stream(backend: Backend, cassette: UseCassette) -> None:
    script(backend, thinking=True)
    with cassette("core-prefix-reasoner-stream") as cass, core_suite.client(backend) as api:
        folded = StreamAccumulator()
        for chunk in api.stream_chat(model="deepseek-reasoner", messages=wire_turn(COT)):
            folded.add(chunk)
    sc.assert_streamed(check_beta(cass, COT))
    core_suite.check_completion(folded.to_completion(), cass, 0)
    check_reply(cass, folded.text, folded.reasoning_text)


# ------------------------------------------------------------------------------------------------
# LangChain


@pytest.fixture
def lc() -> Any:
    pytest.importorskip("langchain_core")
    from . import test_langchain

    return test_langchain


def _lc_messages(reasoning: str | None = None) -> list[Any]:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    extra: dict[str, Any] = {"prefix": True}
    if reasoning is not None:
        extra["reasoning_content"] = reasoning
    return [
        SystemMessage(sc.SYSTEM),
        HumanMessage(PREFIX_PROMPT),
        AIMessage(FENCE, additional_kwargs=extra),
    ]


def test_langchain_prefix(backend: Backend, cassette: UseCassette, lc: Any) -> None:
    script(backend)
    with cassette("langchain-prefix") as cass:
        message = lc.model(backend, stop=STOP).invoke(_lc_messages())
    assert check_beta(cass)["stop"] == STOP
    lc.check_message(message, cass, 0)
    check_reply(cass, message.content)


async def test_langchain_prefix_async(backend: Backend, cassette: UseCassette, lc: Any) -> None:
    with cassette("langchain-prefix", shared=True) as cass:
        message = await lc.model(backend).ainvoke([*_lc_messages()[:2]], prefix=FENCE, stop=STOP)
    lc.check_message(message, cass, 0)


def test_langchain_prefix_reasoner_stream(backend: Backend, cassette: UseCassette, lc: Any) -> None:
    script(backend, thinking=True)
    with cassette("langchain-prefix-reasoner-stream") as cass:
        chunks = list(lc.model(backend, model="deepseek-reasoner").stream(_lc_messages(COT)))
    sc.assert_streamed(check_beta(cass, COT))
    message = lc.merged(chunks)
    check_reply(cass, message.content, message.additional_kwargs.get("reasoning_content"))


# ------------------------------------------------------------------------------------------------
# LlamaIndex


@pytest.fixture
def li() -> Any:
    pytest.importorskip("llama_index.core")
    from . import test_llama_index

    return test_llama_index


def _li_messages(reasoning: str | None = None) -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    extra: dict[str, Any] = {"prefix": True}
    if reasoning is not None:
        extra["reasoning_content"] = reasoning
    continued = ChatMessage(role=MessageRole.ASSISTANT, content=FENCE, additional_kwargs=extra)
    return [*_li_prompt(), continued]


def _li_prompt() -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    return [
        ChatMessage(role=MessageRole.SYSTEM, content=sc.SYSTEM),
        ChatMessage(role=MessageRole.USER, content=PREFIX_PROMPT),
    ]


def test_llama_index_prefix(backend: Backend, cassette: UseCassette, li: Any) -> None:
    script(backend)
    with cassette("llama-index-prefix") as cass:
        response = li.llm(backend).chat(_li_messages(), stop=STOP)
    assert check_beta(cass)["stop"] == STOP
    li.check_response(response, cass, 0)
    check_reply(cass, response.message.content or "")


async def test_llama_index_prefix_async(backend: Backend, cassette: UseCassette, li: Any) -> None:
    with cassette("llama-index-prefix", shared=True) as cass:
        response = await li.llm(backend).achat(_li_prompt(), prefix=FENCE, stop=STOP)
    li.check_response(response, cass, 0)


def test_llama_index_prefix_reasoner_stream(
    backend: Backend, cassette: UseCassette, li: Any
) -> None:
    script(backend, thinking=True)
    with cassette("llama-index-prefix-reasoner-stream") as cass:
        responses = list(li.llm(backend, model="deepseek-reasoner").stream_chat(_li_messages(COT)))
    sc.assert_streamed(check_beta(cass, COT))
    final = li.last(responses)
    li.check_response(final, cass, 0)
    message = final.message
    check_reply(cass, message.content or "", message.additional_kwargs.get("reasoning_content"))
