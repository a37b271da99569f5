"""Chat prefix completion (beta) through ``DeepSeekAPI``: a final assistant ``ChatMessage`` with
``additional_kwargs={"prefix": True}``, or ``prefix=`` as a call option (``chat``,
``stream_chat``, ``achat``, ``astream_chat``, ``complete``); thinking mode with a CoT prefix
given as ``reasoning_content`` or as a ``ThinkingBlock``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)

from deepseekapi_core import InvalidRequestError
from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

ASK = ChatMessage(role=MessageRole.USER, content="Please write quick sort code")
FENCE = "```python\n"
CONTINUE = ChatMessage(
    role=MessageRole.ASSISTANT, content=FENCE, additional_kwargs={"prefix": True}
)
WIRE_ASK = {"role": "user", "content": "Please write quick sort code"}
WIRE_CONTINUE = {"role": "assistant", "content": FENCE, "prefix": True}
CODE = "# [emulated deepseek-flash] code for: Please write quick sort code\n"

Factory = Callable[..., DeepSeekAPI]
HOW = ["chat", "stream_chat", "achat", "astream_chat"]


def call(llm: DeepSeekAPI, how: str, messages: list[ChatMessage], **kwargs: Any) -> ChatResponse:
    """The final response of one call (a stream's last response holds the whole reply)."""
    if how == "chat":
        return llm.chat(messages, **kwargs)
    if how == "stream_chat":
        return list(llm.stream_chat(messages, **kwargs))[-1]
    if how == "achat":
        return asyncio.run(llm.achat(messages, **kwargs))

    async def last() -> ChatResponse:
        responses = [r async for r in await llm.astream_chat(messages, **kwargs)]
        return responses[-1]

    return asyncio.run(last())


def sent(emulator: Emulator) -> tuple[str, dict[str, Any]]:
    request = emulator.last_request
    assert request is not None
    return request.path, request.json


@pytest.mark.parametrize("how", HOW)
def test_a_final_assistant_message_marked_prefix_is_continued(
    make_llm: Factory, emulator: Emulator, how: str
) -> None:
    llm = make_llm(model="deepseek-chat", additional_kwargs={"stop": ["```"]})
    response = call(llm, how, [ASK, CONTINUE])
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"] == [WIRE_ASK, WIRE_CONTINUE]
    # The continuation only, as the service returns it (the prefix is not prepended).
    assert response.message.content == CODE


@pytest.mark.parametrize("how", HOW)
def test_the_prefix_call_option_appends_or_marks_the_assistant_message(
    make_llm: Factory, emulator: Emulator, how: str
) -> None:
    llm = make_llm(model="deepseek-chat")
    call(llm, how, [ASK], prefix=FENCE, stop=["```"])
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"] == [WIRE_ASK, WIRE_CONTINUE]
    assert "prefix" not in body
    answer = ChatMessage(role=MessageRole.ASSISTANT, content="Argentina")
    call(llm, how, [ASK, answer], prefix=True)
    assert sent(emulator)[1]["messages"][-1] == {
        "role": "assistant",
        "content": "Argentina",
        "prefix": True,
    }


def test_complete_takes_the_prefix_text(make_llm: Factory, emulator: Emulator) -> None:
    response = make_llm(model="deepseek-chat").complete(
        "Please write quick sort code", prefix=FENCE, stop=["```"]
    )
    assert sent(emulator)[1]["messages"] == [WIRE_ASK, WIRE_CONTINUE]
    assert response.text == CODE


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("as_block", [False, True], ids=["reasoning_content", "ThinkingBlock"])
def test_thinking_mode_sends_the_cot_prefix_and_returns_the_continued_reasoning(
    make_llm: Factory, emulator: Emulator, how: str, as_block: bool
) -> None:
    cot = "The pivot goes first, then"
    if as_block:
        prefix = ChatMessage(
            role=MessageRole.ASSISTANT,
            blocks=[ThinkingBlock(content=cot), TextBlock(text=FENCE)],
            additional_kwargs={"prefix": True},
        )
    else:
        prefix = ChatMessage(
            role=MessageRole.ASSISTANT,
            content=FENCE,
            additional_kwargs={"prefix": True, "reasoning_content": cot},
        )
    response = call(make_llm(model="deepseek-flash", thinking=True), how, [ASK, prefix])
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"][-1] == {**WIRE_CONTINUE, "reasoning_content": cot}
    reasoning = response.message.additional_kwargs["reasoning_content"]
    assert "...continuing 'The pivot goes first, then'" in reasoning


@pytest.mark.parametrize(
    ("messages", "kwargs", "words"),
    [
        ([CONTINUE, ASK], {}, r"messages\[0\] has prefix=True but is not the last message"),
        ([ASK], {"prefix": True}, r"messages\[0\] is a user message"),
    ],
)
def test_a_prefix_that_cannot_be_continued_fails_before_sending(
    make_llm: Factory,
    emulator: Emulator,
    messages: list[ChatMessage],
    kwargs: dict[str, Any],
    words: str,
) -> None:
    with pytest.raises(InvalidRequestError, match=words):
        make_llm(model="deepseek-chat").chat(messages, **kwargs)
    assert emulator.request_count == 0
