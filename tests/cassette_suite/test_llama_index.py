"""The LlamaIndex adapter (``DeepSeekAPI``) against cassettes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deepseekapi_core import AuthenticationError, BadRequestError, ChatCompletion

from . import _scenarios as sc
from ._support import CASSETTE_ERA, WRONG_KEY, body_text, emulated, reply, sent
from .conftest import Backend, UseCassette

pytest.importorskip("llama_index.core")
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    ThinkingBlock,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_deepseekapi import DeepSeekAPI


def llm(backend: Backend, **options: Any) -> DeepSeekAPI:
    params: dict[str, Any] = {
        "model": "deepseek-chat",
        "api_key": backend.api_key,
        "base_url": backend.base_url,
        "era": CASSETTE_ERA.value,
    }
    params.update(options)
    model = DeepSeekAPI(**params)
    model.clients.sleep = backend.sleeps
    model.clients.async_sleep = backend.sleeps.asleep()
    return model


def prompt(text: str) -> list[ChatMessage]:
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=sc.SYSTEM),
        ChatMessage(role=MessageRole.USER, content=text),
    ]


def check_response(response: ChatResponse, cass: Any, index: int) -> None:
    """The ``ChatResponse`` says exactly what the cassette's response says."""
    recorded = reply(cass, index)
    message = response.message
    assert (message.content or "") == recorded.content
    assert message.additional_kwargs.get("reasoning_content") == recorded.reasoning
    thinking = [b.content for b in message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking == ([recorded.reasoning] if recorded.reasoning else [])
    calls = message.additional_kwargs.get("tool_calls") or []
    assert [
        (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls
    ] == [(c["id"], c["name"], json.loads(c["arguments"])) for c in recorded.tool_calls]
    assert response.additional_kwargs.get("finish_reason") == recorded.finish_reason
    sc.assert_usage(response.additional_kwargs, recorded.usage)


def last(responses: list[ChatResponse]) -> ChatResponse:
    assert len(responses) > 1
    return responses[-1]


# ------------------------------------------------------------------------------------------------
# Replies


def test_chat(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.CHAT_REPLY)
    with cassette("llama-index-chat") as cass:
        response = llm(backend).chat(prompt(sc.CHAT_PROMPT))
    assert sent(cass, 0) == {"model": "deepseek-chat", "messages": sc.user_turn(sc.CHAT_PROMPT)}
    check_response(response, cass, 0)
    assert isinstance(response.raw, ChatCompletion)
    assert response.raw.model == reply(cass, 0).model
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.CHAT_REPLY)


async def test_chat_async(backend: Backend, cassette: UseCassette) -> None:
    with cassette("llama-index-chat", shared=True) as cass:
        response = await llm(backend).achat(prompt(sc.CHAT_PROMPT))
    check_response(response, cass, 0)


def test_chat_stream(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.STREAM_REPLY)
    with cassette("llama-index-chat-stream") as cass:
        responses = list(llm(backend).stream_chat(prompt(sc.STREAM_PROMPT)))
    body = sent(cass, 0)
    sc.assert_streamed(body)
    assert body["messages"] == sc.user_turn(sc.STREAM_PROMPT)
    check_response(last(responses), cass, 0)
    assert "".join(r.delta or "" for r in responses) == reply(cass, 0).content
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.STREAM_REPLY)


def test_reasoner(backend: Backend, cassette: UseCassette) -> None:
    """Reasoning as a thinking block and in ``additional_kwargs``; not sent back next turn."""
    sc.script_chat(backend.emulator, sc.REASONER_REPLY, sc.REASONER_THOUGHT)
    sc.script_chat(backend.emulator, sc.FOLLOW_UP_REPLY, sc.FOLLOW_UP_THOUGHT)
    model = llm(backend, model="deepseek-reasoner")
    history = prompt(sc.REASONER_PROMPT)
    with cassette("llama-index-reasoner") as cass:
        first = model.chat(history)
        follow_up = [*history, first.message, ChatMessage(role="user", content=sc.FOLLOW_UP_PROMPT)]
        second = model.chat(follow_up)
    assert sent(cass, 0) == {
        "model": "deepseek-reasoner",
        "messages": sc.user_turn(sc.REASONER_PROMPT),
    }
    check_response(first, cass, 0)
    check_response(second, cass, 1)
    assert first.message.additional_kwargs["reasoning_content"]
    body = sent(cass, 1)
    sc.assert_no_reasoning_sent(body)
    assert body["messages"][2] == {"role": "assistant", "content": first.message.content}
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.REASONER_REPLY, sc.REASONER_THOUGHT)


def test_reasoner_stream(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.REASONER_REPLY, sc.REASONER_THOUGHT)
    with cassette("llama-index-reasoner-stream") as cass:
        responses = list(
            llm(backend, model="deepseek-reasoner").stream_chat(prompt(sc.REASONER_PROMPT))
        )
    body = sent(cass, 0)
    sc.assert_streamed(body)
    assert body["model"] == "deepseek-reasoner"
    check_response(last(responses), cass, 0)
    thoughts = "".join(r.additional_kwargs.get("thinking_delta") or "" for r in responses)
    assert thoughts == reply(cass, 0).reasoning
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.REASONER_REPLY, sc.REASONER_THOUGHT)


async def test_reasoner_stream_async(backend: Backend, cassette: UseCassette) -> None:
    with cassette("llama-index-reasoner-stream", shared=True) as cass:
        stream = await llm(backend, model="deepseek-reasoner").astream_chat(
            prompt(sc.REASONER_PROMPT)
        )
        responses = [response async for response in stream]
    check_response(last(responses), cass, 0)


# ------------------------------------------------------------------------------------------------
# Tools, structured output, JSON mode, models


def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return sc.WEATHER_RESULT


@pytest.mark.parametrize(
    ("model_id", "name"),
    [("deepseek-chat", "llama-index-tools"), ("deepseek-reasoner", "llama-index-reasoner-tools")],
)
def test_tool_round_trip(backend: Backend, cassette: UseCassette, model_id: str, name: str) -> None:
    """``chat_with_tools``, the call, a tool message, the answer; in thinking mode the
    tool-call turn goes back with its reasoning."""
    thinking = model_id == "deepseek-reasoner"
    sc.script_weather(backend.emulator, thinking=thinking)
    model = llm(backend, model=model_id)
    tool = FunctionTool.from_defaults(fn=get_weather)
    system = [ChatMessage(role=MessageRole.SYSTEM, content=sc.SYSTEM)]
    with cassette(name) as cass:
        first = model.chat_with_tools([tool], user_msg=sc.WEATHER_PROMPT, chat_history=system)
        selections = model.get_tool_calls_from_response(first)
        assert len(selections) == 1
        selection = selections[0]
        assert selection.tool_name == "get_weather" and selection.tool_kwargs["city"] == "Paris"
        output = tool.call(**selection.tool_kwargs)
        history = [
            *system,
            ChatMessage(role=MessageRole.USER, content=sc.WEATHER_PROMPT),
            first.message,
            ChatMessage(
                role=MessageRole.TOOL,
                content=str(output),
                additional_kwargs={"tool_call_id": selection.tool_id, "name": "get_weather"},
            ),
        ]
        second = model.chat_with_tools([tool], chat_history=history)
    check_response(first, cass, 0)
    check_response(second, cass, 1)
    one, two = sent(cass, 0), sent(cass, 1)
    assert one["model"] == model_id
    assert one["messages"] == sc.user_turn(sc.WEATHER_PROMPT)
    function = one["tools"][0]["function"]
    assert function["parameters"]["required"] == ["city"]
    assert one.get("tool_choice", "auto") == "auto"
    sc.assert_tool_round_trip(one, two, reply(cass, 0).tool_calls[0], sc.WEATHER_RESULT)
    turn = sc.assistant_tool_turn(two)
    if thinking:
        assert turn["reasoning_content"] == first.message.additional_kwargs["reasoning_content"]
    else:
        sc.assert_no_reasoning_sent(two)
    if emulated(cass):
        assert second.message.content == sc.WEATHER_REPLY


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def test_structured_output(backend: Backend, cassette: UseCassette) -> None:
    if backend.emulator is not None:
        backend.emulator.script.reply_tool_call("Person", sc.PERSON)
    template = PromptTemplate("{text}")
    with cassette("llama-index-structured-output") as cass:
        person = llm(backend).structured_predict(Person, template, text=sc.PERSON_PROMPT)
    body = sent(cass, 0)
    assert body["messages"][-1] == {"role": "user", "content": sc.PERSON_PROMPT}
    assert [tool["function"]["name"] for tool in body["tools"]] == ["Person"]
    parameters = body["tools"][0]["function"]["parameters"]
    assert set(parameters["properties"]) == {"name", "age"}
    assert body["tool_choice"] in ("required", {"type": "function", "function": {"name": "Person"}})
    assert isinstance(person, Person)
    assert person.model_dump() == json.loads(reply(cass, 0).tool_calls[0]["arguments"])
    if emulated(cass):
        assert person.model_dump() == sc.PERSON


def test_json_mode(backend: Backend, cassette: UseCassette) -> None:
    if backend.emulator is not None:
        backend.emulator.script.reply_json(sc.JSON_VALUE)
    with cassette("llama-index-json-mode") as cass:
        response = llm(backend).chat(
            prompt(sc.JSON_PROMPT), response_format={"type": "json_object"}
        )
    assert sent(cass, 0) == {
        "model": "deepseek-chat",
        "messages": sc.user_turn(sc.JSON_PROMPT),
        "response_format": {"type": "json_object"},
    }
    check_response(response, cass, 0)
    value = json.loads(response.message.content or "")
    assert value == sc.JSON_VALUE if emulated(cass) else set(value) >= {"city", "country"}


def test_list_models(backend: Backend, cassette: UseCassette) -> None:
    """The adapter's own client (its key and base URL) lists the models."""
    with cassette("llama-index-models") as cass:
        models = llm(backend).client.list_models()
    request = cass.requests[0]
    assert (request.method, request.path, request.body or None) == ("GET", "/v1/models", None)
    data = json.loads(body_text(cass.responses[0]["body"]["string"]))["data"]
    assert [m.id for m in models] == [m["id"] for m in data]


# ------------------------------------------------------------------------------------------------
# Errors


def test_400_reasoning_missing(backend: Backend, cassette: UseCassette) -> None:
    """``reasoning_replay="never"`` drops the thinking-mode tool-call turn's reasoning: 400."""
    call = {
        "id": "call_00_weather",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    history = [
        *prompt(sc.WEATHER_PROMPT),
        ChatMessage(
            role=MessageRole.ASSISTANT,
            content="",
            additional_kwargs={"reasoning_content": sc.WEATHER_THOUGHT, "tool_calls": [call]},
        ),
        ChatMessage(
            role=MessageRole.TOOL,
            content=sc.WEATHER_RESULT,
            additional_kwargs={"tool_call_id": "call_00_weather"},
        ),
    ]
    model = llm(backend, model="deepseek-reasoner", reasoning_replay="never")
    tool = FunctionTool.from_defaults(fn=get_weather)
    with cassette("llama-index-error-400") as cass, pytest.raises(BadRequestError) as caught:
        model.chat_with_tools([tool], chat_history=history)
    sc.assert_no_reasoning_sent(sent(cass, 0))
    sc.assert_error(caught.value, cass, 0, BadRequestError, 400)
    assert "reasoning_content" in caught.value.message


def test_401_wrong_key(backend: Backend, cassette: UseCassette) -> None:
    with cassette("llama-index-error-401") as cass, pytest.raises(AuthenticationError) as caught:
        llm(backend, api_key=WRONG_KEY).chat(prompt(sc.CHAT_PROMPT))
    sc.assert_error(caught.value, cass, 0, AuthenticationError, 401)
    assert WRONG_KEY not in str(caught.value)


@pytest.mark.parametrize("case", sc.STATUS_CASES)
def test_status_error(backend: Backend, cassette: UseCassette, case: sc.StatusCase) -> None:
    backend.need_emulator(f"a {case.status}")
    sc.inject_status(backend.emulator, case)
    model = llm(backend, max_retries=case.max_retries)
    with cassette(f"llama-index-error-{case.status}") as cass, pytest.raises(case.error) as caught:
        model.chat(prompt(sc.CHAT_PROMPT))
    assert len(cass.requests) == case.attempts
    sc.assert_error(caught.value, cass, case.attempts - 1, case.error, case.status)
    if case.hint:
        assert case.hint in caught.value.message
    assert len(backend.sleeps.waits) == case.attempts - 1


@pytest.mark.parametrize("case", sc.RETRY_CASES)
def test_retry_then_success(backend: Backend, cassette: UseCassette, case: sc.RetryCase) -> None:
    backend.need_emulator(f"a {case.status}")
    sc.inject_retry(backend.emulator, case, sc.CHAT_REPLY)
    with cassette(f"llama-index-error-{case.status}-then-ok") as cass:
        response = llm(backend).chat(prompt(sc.CHAT_PROMPT))
    sc.assert_retried(cass, case, backend.sleeps.waits)
    check_response(response, cass, 1)


async def test_retry_after_async(backend: Backend, cassette: UseCassette) -> None:
    case = sc.RetryCase(429, 1)
    with cassette("llama-index-error-429-then-ok", shared=True) as cass:
        response = await llm(backend).achat(prompt(sc.CHAT_PROMPT))
    sc.assert_retried(cass, case, backend.sleeps.waits)
    check_response(response, cass, 1)
