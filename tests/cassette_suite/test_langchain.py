"""The LangChain adapter (``ChatDeepSeekAPI``) against cassettes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import reduce
from operator import add
from typing import Any

import pytest

from deepseekapi_core import (
    AuthenticationError,
    BadRequestError,
    DeepSeekAPIError,
    RetryPolicy,
)

from . import _scenarios as sc
from ._support import CASSETTE_ERA, WRONG_KEY, body_text, emulated, reply, sent
from .conftest import Backend, UseCassette

pytest.importorskip("langchain_core")
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import BaseModel

from langchain_deepseekapi import ChatDeepSeekAPI


@dataclass(frozen=True)
class NoWaitPolicy(RetryPolicy):
    """The core's retry policy, but the wait it decides is recorded instead of slept.

    ``ChatDeepSeekAPI`` takes no ``sleep`` (unlike the core clients and the LlamaIndex
    adapter), so replays of retried cassettes avoid the real wait through its ``retry_policy``.
    """

    waits: list[float] = field(default_factory=list, compare=False)

    def wait_before_retry(self, error: DeepSeekAPIError, retries_taken: int) -> float | None:
        wait = super().wait_before_retry(error, retries_taken)
        if wait is None:
            return None
        self.waits.append(wait)
        return 0.0


def model(backend: Backend, **options: Any) -> ChatDeepSeekAPI:
    max_retries = options.pop("max_retries", 2)
    params: dict[str, Any] = {
        "model": "deepseek-chat",
        "api_key": backend.api_key,
        "base_url": backend.base_url,
        "retry_policy": NoWaitPolicy(max_retries=max_retries, waits=backend.sleeps.waits),
        "era": CASSETTE_ERA,
    }
    params.update(options)
    return ChatDeepSeekAPI(**params)


def prompt(text: str) -> list[BaseMessage]:
    return [SystemMessage(sc.SYSTEM), HumanMessage(text)]


def check_message(message: AIMessage, cass: Any, index: int) -> None:
    """The ``AIMessage`` says exactly what the cassette's response says."""
    recorded = reply(cass, index)
    assert message.content == recorded.content
    assert message.additional_kwargs.get("reasoning_content") == recorded.reasoning
    assert [(c["id"], c["name"], c["args"]) for c in message.tool_calls] == [
        (c["id"], c["name"], json.loads(c["arguments"])) for c in recorded.tool_calls
    ]
    assert message.response_metadata["finish_reason"] == recorded.finish_reason
    assert message.response_metadata["model_name"] == recorded.model
    usage = message.usage_metadata
    assert usage is not None and recorded.usage is not None
    summary = {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
        "prompt_cache_hit_tokens": usage.get("input_token_details", {}).get("cache_read", 0),
        "prompt_cache_miss_tokens": usage["input_tokens"]
        - usage.get("input_token_details", {}).get("cache_read", 0),
        "reasoning_tokens": usage.get("output_token_details", {}).get("reasoning", 0),
    }
    sc.assert_usage(summary, recorded.usage)
    if recorded.reasoning:
        blocks = [b for b in message.content_blocks if b["type"] == "reasoning"]
        assert [b.get("reasoning") for b in blocks] == [recorded.reasoning]


def merged(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    assert len(chunks) > 1
    result: AIMessageChunk = reduce(add, chunks)
    return result


# ------------------------------------------------------------------------------------------------
# Replies


def test_chat(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.CHAT_REPLY)
    with cassette("langchain-chat") as cass:
        message = model(backend).invoke(prompt(sc.CHAT_PROMPT))
    assert sent(cass, 0) == {"model": "deepseek-chat", "messages": sc.user_turn(sc.CHAT_PROMPT)}
    assert isinstance(message, AIMessage)
    check_message(message, cass, 0)
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.CHAT_REPLY)


async def test_chat_async(backend: Backend, cassette: UseCassette) -> None:
    with cassette("langchain-chat", shared=True) as cass:
        message = await model(backend).ainvoke(prompt(sc.CHAT_PROMPT))
    assert isinstance(message, AIMessage)
    check_message(message, cass, 0)


def test_chat_stream(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.STREAM_REPLY)
    with cassette("langchain-chat-stream") as cass:
        chunks = list(model(backend).stream(prompt(sc.STREAM_PROMPT)))
    body = sent(cass, 0)
    sc.assert_streamed(body)
    assert body["messages"] == sc.user_turn(sc.STREAM_PROMPT)
    check_message(merged(chunks), cass, 0)
    assert chunks[-1].usage_metadata is not None  # usage arrives with the last chunk
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.STREAM_REPLY)


def test_reasoner(backend: Backend, cassette: UseCassette) -> None:
    """Reasoning in ``additional_kwargs`` and a reasoning block; not sent back next turn."""
    sc.script_chat(backend.emulator, sc.REASONER_REPLY, sc.REASONER_THOUGHT)
    sc.script_chat(backend.emulator, sc.FOLLOW_UP_REPLY, sc.FOLLOW_UP_THOUGHT)
    llm = model(backend, model="deepseek-reasoner")
    history = prompt(sc.REASONER_PROMPT)
    with cassette("langchain-reasoner") as cass:
        first = llm.invoke(history)
        assert first.additional_kwargs["reasoning_content"]
        second = llm.invoke([*history, first, HumanMessage(sc.FOLLOW_UP_PROMPT)])
    assert sent(cass, 0) == {
        "model": "deepseek-reasoner",
        "messages": sc.user_turn(sc.REASONER_PROMPT),
    }
    assert isinstance(first, AIMessage) and isinstance(second, AIMessage)
    check_message(first, cass, 0)
    check_message(second, cass, 1)
    body = sent(cass, 1)
    sc.assert_no_reasoning_sent(body)
    assert body["messages"][2] == {"role": "assistant", "content": first.content}
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.REASONER_REPLY, sc.REASONER_THOUGHT)


def test_reasoner_stream(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.REASONER_REPLY, sc.REASONER_THOUGHT)
    with cassette("langchain-reasoner-stream") as cass:
        chunks = list(model(backend, model="deepseek-reasoner").stream(prompt(sc.REASONER_PROMPT)))
    body = sent(cass, 0)
    sc.assert_streamed(body)
    assert body["model"] == "deepseek-reasoner"
    check_message(merged(chunks), cass, 0)
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.REASONER_REPLY, sc.REASONER_THOUGHT)


async def test_reasoner_stream_async(backend: Backend, cassette: UseCassette) -> None:
    with cassette("langchain-reasoner-stream", shared=True) as cass:
        llm = model(backend, model="deepseek-reasoner")
        chunks = [chunk async for chunk in llm.astream(prompt(sc.REASONER_PROMPT))]
    check_message(merged(chunks), cass, 0)


# ------------------------------------------------------------------------------------------------
# Tools, structured output, JSON mode, models


@pytest.mark.parametrize(
    ("model_id", "name"),
    [("deepseek-chat", "langchain-tools"), ("deepseek-reasoner", "langchain-reasoner-tools")],
)
def test_tool_round_trip(backend: Backend, cassette: UseCassette, model_id: str, name: str) -> None:
    """``bind_tools``, the call, a ``ToolMessage``, the answer; in thinking mode the tool-call
    turn goes back with its reasoning."""
    thinking = model_id == "deepseek-reasoner"
    sc.script_weather(backend.emulator, thinking=thinking)
    llm = model(backend, model=model_id).bind_tools([sc.WEATHER_TOOL], tool_choice="auto")
    history = prompt(sc.WEATHER_PROMPT)
    with cassette(name) as cass:
        first = llm.invoke(history)
        assert isinstance(first, AIMessage)
        assert len(first.tool_calls) == 1
        call = first.tool_calls[0]
        assert call["name"] == "get_weather" and call["args"]["city"] == "Paris"
        result = ToolMessage(sc.WEATHER_RESULT, tool_call_id=call["id"] or "")
        second = llm.invoke([*history, first, result])
    assert isinstance(second, AIMessage)
    check_message(first, cass, 0)
    check_message(second, cass, 1)
    one, two = sent(cass, 0), sent(cass, 1)
    assert one == {
        "model": model_id,
        "messages": sc.user_turn(sc.WEATHER_PROMPT),
        "tools": [sc.WEATHER_TOOL],
        "tool_choice": "auto",
    }
    sc.assert_tool_round_trip(
        one, two, reply(cass, 0).tool_calls[0], sc.WEATHER_RESULT, exact_arguments=False
    )
    turn = sc.assistant_tool_turn(two)
    if thinking:
        assert turn["reasoning_content"] == first.additional_kwargs["reasoning_content"]
    else:
        sc.assert_no_reasoning_sent(two)
    if emulated(cass):
        assert second.content == sc.WEATHER_REPLY


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def test_structured_output(backend: Backend, cassette: UseCassette) -> None:
    if backend.emulator is not None:
        backend.emulator.script.reply_tool_call("Person", sc.PERSON)
    with cassette("langchain-structured-output") as cass:
        person = model(backend).with_structured_output(Person).invoke(prompt(sc.PERSON_PROMPT))
    body = sent(cass, 0)
    assert body["messages"] == sc.user_turn(sc.PERSON_PROMPT)
    assert [tool["function"]["name"] for tool in body["tools"]] == ["Person"]
    parameters = body["tools"][0]["function"]["parameters"]
    assert set(parameters["properties"]) == {"name", "age"}
    assert sorted(parameters["required"]) == ["age", "name"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    assert isinstance(person, Person)
    recorded = json.loads(reply(cass, 0).tool_calls[0]["arguments"])
    assert person.model_dump() == recorded
    if emulated(cass):
        assert person.model_dump() == sc.PERSON


def test_json_mode(backend: Backend, cassette: UseCassette) -> None:
    if backend.emulator is not None:
        backend.emulator.script.reply_json(sc.JSON_VALUE)
    with cassette("langchain-json-mode") as cass:
        value = (
            model(backend).with_structured_output(method="json_mode").invoke(prompt(sc.JSON_PROMPT))
        )
    assert sent(cass, 0) == {
        "model": "deepseek-chat",
        "messages": sc.user_turn(sc.JSON_PROMPT),
        "response_format": {"type": "json_object"},
    }
    assert value == json.loads(reply(cass, 0).content)
    if emulated(cass):
        assert value == sc.JSON_VALUE


def test_list_models(backend: Backend, cassette: UseCassette) -> None:
    """The adapter's own client (its key and base URL) lists the models."""
    with cassette("langchain-models") as cass:
        models = model(backend).client.list_models()
    request = cass.requests[0]
    assert (request.method, request.path, request.body or None) == ("GET", "/v1/models", None)
    data = json.loads(body_text(cass.responses[0]["body"]["string"]))["data"]
    assert [m.id for m in models] == [m["id"] for m in data]


# ------------------------------------------------------------------------------------------------
# Errors


def test_400_reasoning_missing(backend: Backend, cassette: UseCassette) -> None:
    """``reasoning_replay="never"`` drops the thinking-mode tool-call turn's reasoning: 400."""
    history: list[BaseMessage] = [
        *prompt(sc.WEATHER_PROMPT),
        AIMessage(
            "",
            additional_kwargs={"reasoning_content": sc.WEATHER_THOUGHT},
            tool_calls=[{"name": "get_weather", "args": sc.WEATHER_ARGS, "id": "call_00_weather"}],
        ),
        ToolMessage(sc.WEATHER_RESULT, tool_call_id="call_00_weather"),
    ]
    llm = model(backend, model="deepseek-reasoner", reasoning_replay="never")
    with cassette("langchain-error-400") as cass, pytest.raises(BadRequestError) as caught:
        llm.bind_tools([sc.WEATHER_TOOL]).invoke(history)
    sc.assert_no_reasoning_sent(sent(cass, 0))
    sc.assert_error(caught.value, cass, 0, BadRequestError, 400)
    assert "reasoning_content" in caught.value.message


def test_401_wrong_key(backend: Backend, cassette: UseCassette) -> None:
    with cassette("langchain-error-401") as cass, pytest.raises(AuthenticationError) as caught:
        model(backend, api_key=WRONG_KEY).invoke(prompt(sc.CHAT_PROMPT))
    sc.assert_error(caught.value, cass, 0, AuthenticationError, 401)
    assert WRONG_KEY not in str(caught.value)


@pytest.mark.parametrize("case", sc.STATUS_CASES)
def test_status_error(backend: Backend, cassette: UseCassette, case: sc.StatusCase) -> None:
    backend.need_emulator(f"a {case.status}")
    sc.inject_status(backend.emulator, case)
    llm = model(backend, max_retries=case.max_retries)
    with cassette(f"langchain-error-{case.status}") as cass, pytest.raises(case.error) as caught:
        llm.invoke(prompt(sc.CHAT_PROMPT))
    assert len(cass.requests) == case.attempts
    sc.assert_error(caught.value, cass, case.attempts - 1, case.error, case.status)
    if case.hint:
        assert case.hint in caught.value.message


@pytest.mark.parametrize("case", sc.RETRY_CASES)
def test_retry_then_success(backend: Backend, cassette: UseCassette, case: sc.RetryCase) -> None:
    backend.need_emulator(f"a {case.status}")
    sc.inject_retry(backend.emulator, case, sc.CHAT_REPLY)
    with cassette(f"langchain-error-{case.status}-then-ok") as cass:
        message = model(backend).invoke(prompt(sc.CHAT_PROMPT))
    sc.assert_retried(cass, case, backend.sleeps.waits)
    assert isinstance(message, AIMessage)
    check_message(message, cass, 1)


async def test_retry_after_async(backend: Backend, cassette: UseCassette) -> None:
    case = sc.RetryCase(429, 1)
    with cassette("langchain-error-429-then-ok", shared=True) as cass:
        message = await model(backend).ainvoke(prompt(sc.CHAT_PROMPT))
    sc.assert_retried(cass, case, backend.sleeps.waits)
    assert isinstance(message, AIMessage)
    check_message(message, cass, 1)
