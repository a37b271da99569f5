"""Chat prefix completion (beta) through ``ChatDeepSeekAPI``: a final ``AIMessage`` with
``additional_kwargs={"prefix": True}`` (ChatMistralAI's spelling), or ``prefix=`` as a call
option; invoke, ainvoke, stream and astream; thinking mode with a CoT prefix."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate

from deepseekapi_core import InvalidRequestError
from deepseekapi_core.testing import Emulator

from .conftest import ModelFactory

ASK = HumanMessage("Please write quick sort code")
FENCE = "```python\n"
CONTINUE = AIMessage(FENCE, additional_kwargs={"prefix": True})
WIRE_ASK = {"role": "user", "content": "Please write quick sort code"}
WIRE_CONTINUE = {"role": "assistant", "content": FENCE, "prefix": True}
CODE = "# [emulated deepseek-flash] code for: Please write quick sort code\n"


def call(llm: Any, how: str, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
    """One reply through invoke, ainvoke, stream or astream (chunks added up)."""
    if how == "invoke":
        return llm.invoke(messages, **kwargs)  # type: ignore[no-any-return]
    if how == "ainvoke":
        return asyncio.run(llm.ainvoke(messages, **kwargs))  # type: ignore[no-any-return]
    if how == "stream":
        chunks = list(llm.stream(messages, **kwargs))
    else:

        async def collect() -> list[AIMessageChunk]:
            return [chunk async for chunk in llm.astream(messages, **kwargs)]

        chunks = asyncio.run(collect())
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return AIMessage(content=total.content, additional_kwargs=total.additional_kwargs)


def sent(emulator: Emulator) -> tuple[str, dict[str, Any]]:
    request = emulator.last_request
    assert request is not None
    return request.path, request.json


HOW = ["invoke", "ainvoke", "stream", "astream"]


@pytest.mark.parametrize("how", HOW)
def test_a_final_ai_message_marked_prefix_is_continued(
    make_llm: ModelFactory, emulator: Emulator, how: str
) -> None:
    llm = make_llm(model="deepseek-chat", stop=["```"])
    reply = call(llm, how, [ASK, CONTINUE])
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"] == [WIRE_ASK, WIRE_CONTINUE]
    # The continuation only, as the service returns it (the prefix is not prepended).
    assert reply.content == CODE


@pytest.mark.parametrize("how", HOW)
def test_the_prefix_call_option_appends_or_marks_the_assistant_message(
    make_llm: ModelFactory, emulator: Emulator, how: str
) -> None:
    llm = make_llm(model="deepseek-chat")
    call(llm, how, [ASK], prefix=FENCE, stop=["```"])
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"] == [WIRE_ASK, WIRE_CONTINUE]
    assert "prefix" not in body  # applied to the messages, never sent as a field
    call(llm, how, [ASK, AIMessage("Argentina")], prefix=True)
    assert sent(emulator)[1]["messages"][-1] == {
        "role": "assistant",
        "content": "Argentina",
        "prefix": True,
    }


def test_a_prompt_template_ending_with_ai_text_is_continued_with_bind(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    prompt = ChatPromptTemplate.from_messages([("human", "{question}"), ("ai", "Sure: ")])
    chain = prompt | make_llm(model="deepseek-chat").bind(prefix=True)
    reply = chain.invoke({"question": "Name a sorting algorithm"})
    assert sent(emulator)[1]["messages"][-1] == {
        "role": "assistant",
        "content": "Sure: ",
        "prefix": True,
    }
    assert isinstance(reply.content, str) and "...continuing 'Sure:'" in reply.content


@pytest.mark.parametrize("how", HOW)
def test_thinking_mode_sends_the_cot_prefix_and_returns_the_continued_reasoning(
    make_llm: ModelFactory, emulator: Emulator, how: str
) -> None:
    cot = "The pivot goes first, then"
    prefix = AIMessage(FENCE, additional_kwargs={"prefix": True, "reasoning_content": cot})
    llm = make_llm(model="deepseek-flash", thinking=True)
    reply = call(llm, how, [ASK, prefix])
    path, body = sent(emulator)
    assert path == "/beta/chat/completions"
    assert body["messages"][-1] == {**WIRE_CONTINUE, "reasoning_content": cot}
    assert body["thinking"] == {"type": "enabled"}
    assert (
        "...continuing 'The pivot goes first, then'" in reply.additional_kwargs["reasoning_content"]
    )


@pytest.mark.parametrize(
    ("messages", "kwargs", "words"),
    [
        ([CONTINUE, ASK], {}, "messages[0] has prefix=True but is not the last message"),
        ([ASK], {"prefix": True}, "messages[0] is a user message"),
    ],
)
def test_a_prefix_that_cannot_be_continued_fails_before_sending(
    make_llm: ModelFactory,
    emulator: Emulator,
    messages: list[BaseMessage],
    kwargs: dict[str, Any],
    words: str,
) -> None:
    with pytest.raises(InvalidRequestError, match=words.replace("[", r"\[").replace("]", r"\]")):
        make_llm(model="deepseek-chat").invoke(messages, **kwargs)
    assert emulator.request_count == 0
