"""The core clients (``DeepSeekClient``, ``AsyncDeepSeekClient``) against cassettes."""

from __future__ import annotations

from typing import Any

import pytest

from deepseekapi_core import (
    AsyncDeepSeekClient,
    AuthenticationError,
    BadRequestError,
    ChatCompletion,
    DeepSeekClient,
)
from deepseekapi_core.tools._calls import parse_tool_arguments
from deepseekapi_core.wire._convert import usage_summary
from deepseekapi_core.wire._stream import StreamAccumulator

from . import _scenarios as sc
from ._support import CASSETTE_ERA, WRONG_KEY, emulated, reply, sent
from .conftest import Backend, UseCassette


def client(backend: Backend, **options: Any) -> DeepSeekClient:
    params: dict[str, Any] = {
        "api_key": backend.api_key,
        "base_url": backend.base_url,
        "sleep": backend.sleeps,
        "era": CASSETTE_ERA,
    }
    params.update(options)
    return DeepSeekClient(**params)


def async_client(backend: Backend, **options: Any) -> AsyncDeepSeekClient:
    params: dict[str, Any] = {
        "api_key": backend.api_key,
        "base_url": backend.base_url,
        "sleep": backend.sleeps.asleep(),
        "era": CASSETTE_ERA,
    }
    params.update(options)
    return AsyncDeepSeekClient(**params)


def check_completion(completion: ChatCompletion, cass: Any, index: int) -> None:
    """Everything the core parsed equals what the cassette's response says."""
    recorded = reply(cass, index)
    assert (completion.message.content or "") == recorded.content
    assert completion.message.reasoning_content == recorded.reasoning
    calls = completion.message.tool_calls or []
    assert [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments} for c in calls
    ] == recorded.tool_calls
    assert completion.finish_reason == recorded.finish_reason
    assert completion.model == recorded.model
    sc.assert_usage(usage_summary(completion.usage), recorded.usage)


# ------------------------------------------------------------------------------------------------
# Replies


def test_chat(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.CHAT_REPLY)
    with cassette("core-chat") as cass, client(backend) as api:
        completion = api.chat(model="deepseek-chat", messages=sc.user_turn(sc.CHAT_PROMPT))
    assert sent(cass, 0) == {"model": "deepseek-chat", "messages": sc.user_turn(sc.CHAT_PROMPT)}
    check_completion(completion, cass, 0)
    assert completion.message.reasoning_content is None
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.CHAT_REPLY)


async def test_chat_async(backend: Backend, cassette: UseCassette) -> None:
    with cassette("core-chat", shared=True) as cass:
        async with async_client(backend) as api:
            completion = await api.chat(
                model="deepseek-chat", messages=sc.user_turn(sc.CHAT_PROMPT)
            )
    check_completion(completion, cass, 0)


def test_chat_stream(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.STREAM_REPLY)
    accumulator = StreamAccumulator()
    received = 0
    with cassette("core-chat-stream") as cass, client(backend) as api:
        for chunk in api.stream_chat(
            model="deepseek-chat", messages=sc.user_turn(sc.STREAM_PROMPT)
        ):
            accumulator.add(chunk)
            received += 1
    body = sent(cass, 0)
    sc.assert_streamed(body)
    assert body["model"] == "deepseek-chat"
    assert body["messages"] == sc.user_turn(sc.STREAM_PROMPT)
    recorded = reply(cass, 0)
    assert recorded.chunks > 2  # really streamed, in pieces
    assert received == recorded.chunks
    check_completion(accumulator.to_completion(), cass, 0)
    sc.assert_scripted(recorded, emulated(cass), sc.STREAM_REPLY)


def test_reasoner(backend: Backend, cassette: UseCassette) -> None:
    """The reasoner's reasoning comes apart from the answer; a follow-up turn does not send it
    back (no tools: the older reasoner answered 400 to reasoning in the history)."""
    sc.script_chat(backend.emulator, sc.REASONER_REPLY, sc.REASONER_THOUGHT)
    sc.script_chat(backend.emulator, sc.FOLLOW_UP_REPLY, sc.FOLLOW_UP_THOUGHT)
    messages = sc.user_turn(sc.REASONER_PROMPT)
    with cassette("core-reasoner") as cass, client(backend) as api:
        first = api.chat(model="deepseek-reasoner", messages=messages)
        follow_up = [
            *messages,
            sc.history_turn(first),
            {"role": "user", "content": sc.FOLLOW_UP_PROMPT},
        ]
        assert "reasoning_content" in follow_up[-2]
        second = api.chat(model="deepseek-reasoner", messages=follow_up)
    assert sent(cass, 0) == {"model": "deepseek-reasoner", "messages": messages}
    check_completion(first, cass, 0)
    check_completion(second, cass, 1)
    assert first.message.reasoning_content
    assert first.usage is not None and first.usage.reasoning_tokens > 0
    body = sent(cass, 1)
    sc.assert_no_reasoning_sent(body)
    assert body["messages"][2] == {"role": "assistant", "content": first.message.content}
    sc.assert_scripted(reply(cass, 0), emulated(cass), sc.REASONER_REPLY, sc.REASONER_THOUGHT)
    sc.assert_scripted(reply(cass, 1), emulated(cass), sc.FOLLOW_UP_REPLY, sc.FOLLOW_UP_THOUGHT)


def test_reasoner_stream(backend: Backend, cassette: UseCassette) -> None:
    sc.script_chat(backend.emulator, sc.REASONER_REPLY, sc.REASONER_THOUGHT)
    accumulator = StreamAccumulator()
    with cassette("core-reasoner-stream") as cass, client(backend) as api:
        for chunk in api.stream_chat(
            model="deepseek-reasoner", messages=sc.user_turn(sc.REASONER_PROMPT)
        ):
            accumulator.add(chunk)
    body = sent(cass, 0)
    sc.assert_streamed(body)
    assert body["model"] == "deepseek-reasoner"
    recorded = reply(cass, 0)
    assert accumulator.reasoning_text == recorded.reasoning
    assert accumulator.text == recorded.content
    check_completion(accumulator.to_completion(), cass, 0)
    sc.assert_scripted(recorded, emulated(cass), sc.REASONER_REPLY, sc.REASONER_THOUGHT)


async def test_reasoner_stream_async(backend: Backend, cassette: UseCassette) -> None:
    accumulator = StreamAccumulator()
    with cassette("core-reasoner-stream", shared=True) as cass:
        async with async_client(backend) as api:
            async for chunk in api.stream_chat(
                model="deepseek-reasoner", messages=sc.user_turn(sc.REASONER_PROMPT)
            ):
                accumulator.add(chunk)
    check_completion(accumulator.to_completion(), cass, 0)


# ------------------------------------------------------------------------------------------------
# Tools, structured output, JSON mode, models


@pytest.mark.parametrize(
    ("model", "name"),
    [("deepseek-chat", "core-tools"), ("deepseek-reasoner", "core-reasoner-tools")],
)
def test_tool_round_trip(backend: Backend, cassette: UseCassette, model: str, name: str) -> None:
    """Call, result, answer. In thinking mode the assistant's tool-call turn goes back with
    its ``reasoning_content`` (the service answers 400 without it); otherwise without."""
    thinking = model == "deepseek-reasoner"
    sc.script_weather(backend.emulator, thinking=thinking)
    messages = sc.user_turn(sc.WEATHER_PROMPT)
    with cassette(name) as cass, client(backend) as api:
        first = api.chat(
            model=model, messages=messages, tools=[sc.WEATHER_TOOL], tool_choice="auto"
        )
        calls = first.message.tool_calls or []
        assert len(calls) == 1 and calls[0].function.name == "get_weather"
        history = [
            *messages,
            sc.history_turn(first),
            {"role": "tool", "tool_call_id": calls[0].id, "content": sc.WEATHER_RESULT},
        ]
        second = api.chat(
            model=model, messages=history, tools=[sc.WEATHER_TOOL], tool_choice="auto"
        )
    check_completion(first, cass, 0)
    check_completion(second, cass, 1)
    assert first.finish_reason == "tool_calls"
    assert parse_tool_arguments(calls[0].function.arguments)["city"] == "Paris"
    one, two = sent(cass, 0), sent(cass, 1)
    assert one == {
        "model": model,
        "messages": messages,
        "tools": [sc.WEATHER_TOOL],
        "tool_choice": "auto",
    }
    sc.assert_tool_round_trip(one, two, reply(cass, 0).tool_calls[0], sc.WEATHER_RESULT)
    turn = sc.assistant_tool_turn(two)
    if thinking:
        assert first.message.reasoning_content
        assert turn["reasoning_content"] == first.message.reasoning_content
    else:
        sc.assert_no_reasoning_sent(two)
    if emulated(cass):
        assert reply(cass, 1).content == sc.WEATHER_REPLY
        assert calls[0].function.arguments == '{"city": "Paris"}'


def test_structured_output(backend: Backend, cassette: UseCassette) -> None:
    """Structured output as the service offers it: a forced call of a schema-shaped tool."""
    if backend.emulator is not None:
        backend.emulator.script.reply_tool_call("Person", sc.PERSON)
    choice = {"type": "function", "function": {"name": "Person"}}
    with cassette("core-structured-output") as cass, client(backend) as api:
        completion = api.chat(
            model="deepseek-chat",
            messages=sc.user_turn(sc.PERSON_PROMPT),
            tools=[sc.PERSON_TOOL],
            tool_choice=choice,
        )
    assert sent(cass, 0) == {
        "model": "deepseek-chat",
        "messages": sc.user_turn(sc.PERSON_PROMPT),
        "tools": [sc.PERSON_TOOL],
        "tool_choice": choice,
    }
    check_completion(completion, cass, 0)
    calls = completion.message.tool_calls or []
    person = parse_tool_arguments(calls[0].function.arguments)
    assert person == sc.PERSON if emulated(cass) else set(person) >= {"name", "age"}


def test_json_mode(backend: Backend, cassette: UseCassette) -> None:
    if backend.emulator is not None:
        backend.emulator.script.reply_json(sc.JSON_VALUE)
    with cassette("core-json-mode") as cass, client(backend) as api:
        completion = api.chat(
            model="deepseek-chat",
            messages=sc.user_turn(sc.JSON_PROMPT),
            response_format={"type": "json_object"},
        )
    assert sent(cass, 0) == {
        "model": "deepseek-chat",
        "messages": sc.user_turn(sc.JSON_PROMPT),
        "response_format": {"type": "json_object"},
    }
    check_completion(completion, cass, 0)
    value = parse_tool_arguments(completion.message.content)  # a JSON object, parsed
    assert value == sc.JSON_VALUE if emulated(cass) else set(value) >= {"city", "country"}


def test_list_models(backend: Backend, cassette: UseCassette) -> None:
    with cassette("core-models") as cass, client(backend) as api:
        models = api.list_models()
    request = cass.requests[0]
    assert (request.method, request.path, request.body or None) == ("GET", "/v1/models", None)
    recorded = [m["id"] for m in reply_models(cass)]
    assert [model.id for model in models] == recorded
    assert {"deepseek-chat", "deepseek-reasoner"} <= set(recorded)


def reply_models(cass: Any) -> list[dict[str, Any]]:
    import json

    from ._support import body_text

    data: list[dict[str, Any]] = json.loads(body_text(cass.responses[0]["body"]["string"]))["data"]
    return data


# ------------------------------------------------------------------------------------------------
# Errors


def test_400_reasoning_missing(backend: Backend, cassette: UseCassette) -> None:
    """With the reasoning replay turned off, a thinking-mode tool-call turn goes back without
    its ``reasoning_content``: the service's own 400, mapped to ``BadRequestError``."""
    history = [
        *sc.user_turn(sc.WEATHER_PROMPT),
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": sc.WEATHER_THOUGHT,
            "tool_calls": [
                {
                    "id": "call_00_weather",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_00_weather", "content": sc.WEATHER_RESULT},
    ]
    with (
        cassette("core-error-400") as cass,
        client(backend, reasoning_replay="never") as api,
        pytest.raises(BadRequestError) as caught,
    ):
        api.chat(model="deepseek-reasoner", messages=history, tools=[sc.WEATHER_TOOL])
    sc.assert_no_reasoning_sent(sent(cass, 0))
    sc.assert_error(caught.value, cass, 0, BadRequestError, 400)
    assert "reasoning_content" in caught.value.message


def test_401_wrong_key(backend: Backend, cassette: UseCassette) -> None:
    with (
        cassette("core-error-401") as cass,
        client(backend, api_key=WRONG_KEY) as api,
        pytest.raises(AuthenticationError) as caught,
    ):
        api.chat(model="deepseek-chat", messages=sc.user_turn(sc.CHAT_PROMPT))
    sc.assert_error(caught.value, cass, 0, AuthenticationError, 401)
    assert WRONG_KEY not in str(caught.value)
    assert cass.requests[0].headers["Authorization"] == "Bearer <REDACTED>"


@pytest.mark.parametrize("case", sc.STATUS_CASES)
def test_status_error(backend: Backend, cassette: UseCassette, case: sc.StatusCase) -> None:
    backend.need_emulator(f"a {case.status}")
    sc.inject_status(backend.emulator, case)
    name = f"core-error-{case.status}"
    with (
        cassette(name) as cass,
        client(backend, max_retries=case.max_retries) as api,
        pytest.raises(case.error) as caught,
    ):
        api.chat(model="deepseek-chat", messages=sc.user_turn(sc.CHAT_PROMPT))
    assert len(cass.requests) == case.attempts
    assert all(sent(cass, i) == sent(cass, 0) for i in range(case.attempts))
    sc.assert_error(caught.value, cass, case.attempts - 1, case.error, case.status)
    if case.hint:
        assert case.hint in caught.value.message
    assert len(backend.sleeps.waits) == case.attempts - 1


@pytest.mark.parametrize("case", sc.RETRY_CASES)
def test_retry_then_success(backend: Backend, cassette: UseCassette, case: sc.RetryCase) -> None:
    backend.need_emulator(f"a {case.status}")
    sc.inject_retry(backend.emulator, case, sc.CHAT_REPLY)
    with cassette(f"core-error-{case.status}-then-ok") as cass, client(backend) as api:
        completion = api.chat(model="deepseek-chat", messages=sc.user_turn(sc.CHAT_PROMPT))
    sc.assert_retried(cass, case, backend.sleeps.waits)
    check_completion(completion, cass, 1)


async def test_retry_after_async(backend: Backend, cassette: UseCassette) -> None:
    """The async client honours ``Retry-After`` too, through its (non-blocking) sleep."""
    case = sc.RetryCase(429, 1)
    with cassette("core-error-429-then-ok", shared=True) as cass:
        async with async_client(backend) as api:
            completion = await api.chat(
                model="deepseek-chat", messages=sc.user_turn(sc.CHAT_PROMPT)
            )
    sc.assert_retried(cass, case, backend.sleeps.waits)
    check_completion(completion, cass, 1)
