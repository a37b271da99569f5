"""Requests refused before sending, the reasoner's parameter rules, thinking switches per model
id, and the reasoning_content history rules of every era."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from deepseekapi_core import (
    AsyncDeepSeekClient,
    ChatMessage,
    ChatRequest,
    DeepSeekClient,
    Era,
    IgnoredParameterWarning,
    InvalidRequestError,
    get_model_profile,
)
from deepseekapi_core.http import UnsupportedParameterError
from deepseekapi_core.tools._specs import forced_tool_choice_allowed
from deepseekapi_core.wire import ThinkingSupport, build_request_body
from deepseekapi_core.wire._prepare import prepare_messages

from .helpers import API_KEY, BASE_URL, HELLO, Script, completion, ok

TOOL = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}

TOOL_HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": "Weather in Berlin?"},
    {
        "role": "assistant",
        "content": "",
        "reasoning_content": "I should call the weather tool.",
        "tool_calls": [
            {
                "id": "call_00_a",
                "type": "function",
                "function": {"name": "weather", "arguments": "{}"},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_00_a", "content": "15°C"},
    {"role": "assistant", "content": "It is 15°C.", "reasoning_content": "Easy."},
    {"role": "user", "content": "And tomorrow?"},
]

PLAIN_HISTORY: list[dict[str, Any]] = [
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!", "reasoning_content": "Greet back."},
    {"role": "user", "content": "How are you?"},
]


def body_for(era: Era = Era.V4, replay: str = "auto", **params: Any) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredParameterWarning)
        return build_request_body(
            ChatRequest(**params),
            era=era,
            reasoning_replay=replay,  # type: ignore[arg-type]
        )


def assistant_reasoning(body: dict[str, Any]) -> list[str | None]:
    """Each assistant message's reasoning_content, or None when the key is absent."""
    return [m.get("reasoning_content") for m in body["messages"] if m["role"] == "assistant"]


# --------------------------------------------------------------------------------------------
# Refused before sending


INVALID: list[tuple[dict[str, Any], str, str]] = [
    # params, the field named in .param, a phrase of the message
    (
        {"model": "deepseek-chat", "messages": HELLO, "temperature": 2.5},
        "temperature",
        "less than or equal to 2",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "temperature": -0.1},
        "temperature",
        "greater than or equal to 0",
    ),
    ({"model": "deepseek-chat", "messages": HELLO, "top_p": 1.5}, "top_p", "top_p"),
    ({"model": "deepseek-chat", "messages": HELLO, "top_p": 0}, "top_p", "greater than 0"),
    ({"model": "deepseek-chat", "messages": HELLO, "max_tokens": 0}, "max_tokens", "max_tokens"),
    (
        {"model": "deepseek-chat", "messages": HELLO, "presence_penalty": 3},
        "presence_penalty",
        "presence_penalty",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "top_logprobs": 30, "logprobs": True},
        "top_logprobs",
        "20",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "stop": ["x"] * 17},
        "stop",
        "stop: List should have at most 16 items",
    ),
    ({"model": "deepseek-chat", "messages": []}, "messages", "at least 1 item"),
    ({"model": "", "messages": HELLO}, "model", "model"),
    (
        {"model": "deepseek-chat", "messages": [{"role": "robot", "content": "hi"}]},
        "messages.0.role",
        "'system', 'user', 'assistant' or 'tool'",
    ),
    ({"model": "deepseek-chat", "messages": [{"role": "user"}]}, "messages.0", "needs content"),
    (
        {"model": "deepseek-chat", "messages": [{"role": "user", "content": {"type": "text"}}]},
        "messages.0.content",
        "valid string",
    ),
    (
        {"model": "deepseek-chat", "messages": [{"role": "assistant"}]},
        "messages.0",
        "content or tool_calls",
    ),
    (
        {"model": "deepseek-chat", "messages": [{"role": "tool", "content": "x"}]},
        "messages.0",
        "tool_call_id",
    ),
    (
        {
            "model": "deepseek-chat",
            "messages": [{"role": "user", "content": "x", "tool_call_id": "c"}],
        },
        "messages.0",
        "only allowed on tool messages",
    ),
    (
        {
            "model": "deepseek-chat",
            "messages": [{"role": "user", "content": "x", "reasoning_content": "r"}],
        },
        "messages.0",
        "only allowed on assistant",
    ),
    (
        {
            "model": "deepseek-chat",
            "messages": [*HELLO, {"role": "tool", "tool_call_id": "call_9", "content": "42"}],
        },
        "request",
        "messages[1] is a tool result for 'call_9', but no earlier assistant message made a call",
    ),
    (
        {
            "model": "deepseek-chat",
            "messages": [TOOL_HISTORY[0], TOOL_HISTORY[1], TOOL_HISTORY[2], TOOL_HISTORY[2]],
        },
        "request",
        "answers tool call 'call_00_a' a second time",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "tools": [TOOL, TOOL]},
        "request",
        "two tools are named 'weather'",
    ),
    (
        {
            "model": "deepseek-chat",
            "messages": HELLO,
            "tools": [TOOL],
            "tool_choice": {"type": "function", "function": {"name": "nope"}},
        },
        "request",
        "tool_choice names 'nope', which is not among the tools",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "tool_choice": "required"},
        "request",
        "tool_choice needs tools",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "tool_choice": "sometimes"},
        "tool_choice",
        "tool_choice: Input should be 'none', 'auto' or 'required'",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "thinking": "maybe"},
        "thinking",
        "thinking: Input should be a valid boolean",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "top_logprobs": 5},
        "request",
        "top_logprobs needs logprobs=True",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "temprature": 0.5},
        "temprature",
        "Extra inputs are not permitted",
    ),
    (
        {"model": "deepseek-chat", "messages": [{"role": "user", "content": "x", "contnet": "y"}]},
        "messages.0.contnet",
        "Extra inputs",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "response_format": {"type": "json_schema"}},
        "response_format",
        "needs json_schema=",
    ),
    (
        {
            "model": "deepseek-chat",
            "messages": HELLO,
            "tools": [{"type": "function", "function": {"name": "bad name!"}}],
        },
        "tools.0.function.name",
        "1-64 characters",
    ),
    (
        {
            "model": "deepseek-chat",
            "messages": HELLO,
            "tools": [
                {"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}
            ],
        },
        "tools.0.function.parameters",
        "type 'object'",
    ),
    (
        {"model": "deepseek-chat", "messages": HELLO, "reasoning_effort": "extreme"},
        "reasoning_effort",
        "reasoning_effort",
    ),
    ({"model": "deepseek-chat", "messages": HELLO, "user_id": "has spaces"}, "user_id", "user_id"),
]


@pytest.mark.parametrize(
    ("params", "param", "phrase"), INVALID, ids=[f"{i}-{p[1]}" for i, p in enumerate(INVALID)]
)
def test_invalid_request_refused_before_sending(
    params: dict[str, Any], param: str, phrase: str
) -> None:
    script = Script([ok()])
    client = DeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, transport=httpx.MockTransport(script)
    )
    with pytest.raises(InvalidRequestError) as caught:
        client.chat(**params)
    assert script.requests == []
    assert caught.value.param == param
    assert phrase in str(caught.value)
    assert str(caught.value).startswith("Invalid request: ")
    # The same request is refused by stream_chat at call time, before iteration.
    with pytest.raises(InvalidRequestError):
        client.stream_chat(**params)
    assert script.requests == []


def test_invalid_request_refused_by_async_client() -> None:
    import asyncio

    script = Script([ok()])
    client = AsyncDeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(script))
    with pytest.raises(InvalidRequestError, match="temprature"):
        asyncio.run(client.chat(model="deepseek-chat", messages=HELLO, temprature=1))
    with pytest.raises(InvalidRequestError, match="temperature"):
        client.stream_chat(model="deepseek-chat", messages=HELLO, temperature=9)
    assert script.requests == []


def test_every_problem_is_listed() -> None:
    client = DeepSeekClient(api_key=API_KEY)
    with pytest.raises(InvalidRequestError) as caught:
        client.chat(model="deepseek-chat", messages=HELLO, temperature=5, top_p=2)
    assert "temperature:" in str(caught.value) and "top_p:" in str(caught.value)
    assert caught.value.param == "temperature"


def test_request_object_or_keywords_not_both() -> None:
    client = DeepSeekClient(api_key=API_KEY)
    request = ChatRequest(model="deepseek-chat", messages=HELLO)
    with pytest.raises(InvalidRequestError, match="not both"):
        client.chat(request, temperature=1)


def test_a_dict_in_place_of_the_request_object_is_a_clear_error() -> None:
    """``client.chat({...})`` (the openai habit of one dict) names the problem, before sending,
    instead of an AttributeError from deep inside the body builder."""
    script = Script([ok()])
    client = DeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(script))
    params = {"model": "deepseek-chat", "messages": HELLO}
    for call in (client.chat, client.stream_chat):
        with pytest.raises(InvalidRequestError, match=r"not dict.*\*\*"):
            call(params)  # type: ignore[arg-type]
    assert script.requests == []


def test_request_object_is_accepted(mode: str) -> None:
    from .helpers import Driver

    script = Script([ok()])
    reply = Driver(mode, script, era=Era.V4_1).chat(
        ChatRequest(model="deepseek-chat", messages=HELLO, temperature=0.3)
    )
    assert reply.message.content == "Hi there"
    # V4.1 answers deepseek-chat as deepseek-flash (thinking by default): the switch is sent.
    assert script.bodies[0] == {
        "model": "deepseek-chat",
        "messages": HELLO,
        "temperature": 0.3,
        "thinking": {"type": "disabled"},
    }


def test_full_parameter_set_reaches_the_wire() -> None:
    body = body_for(
        model="deepseek-chat",
        messages=HELLO,
        temperature=0.0,
        top_p=0.9,
        max_tokens=100,
        stop=["END"],
        logprobs=True,
        top_logprobs=3,
        response_format={"type": "json_object"},
        tools=[TOOL],
        tool_choice={"type": "function", "function": {"name": "weather"}},
        user_id="user_1",
        extra_body={"custom_field": 1},
        era=Era.V3_2,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
    )
    assert body == {
        "model": "deepseek-chat",
        "messages": HELLO,
        "temperature": 0.0,
        "top_p": 0.9,
        "max_tokens": 100,
        "stop": ["END"],
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
        "logprobs": True,
        "top_logprobs": 3,
        "user_id": "user_1",
        "response_format": {"type": "json_object"},
        "tools": [TOOL],
        "tool_choice": {"type": "function", "function": {"name": "weather"}},
        "custom_field": 1,
    }


# --------------------------------------------------------------------------------------------
# The reasoner's parameters


@pytest.mark.parametrize("model", ["deepseek-reasoner", "deepseek-v4-flash", "deepseek-v4-pro"])
@pytest.mark.parametrize("param", [{"logprobs": True}, {"logprobs": True, "top_logprobs": 2}])
def test_thinking_rejects_logprobs(model: str, param: dict[str, Any]) -> None:
    script = Script([ok()])
    client = DeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(script))
    with pytest.raises(UnsupportedParameterError) as caught:
        client.chat(model=model, messages=HELLO, **param)
    assert caught.value.param == "logprobs"
    assert "rejects" in str(caught.value)
    assert isinstance(caught.value, InvalidRequestError)
    assert script.requests == []


def test_logprobs_fine_without_thinking() -> None:
    body = body_for(model="deepseek-v4-flash", messages=HELLO, thinking=False, logprobs=True)
    assert body["logprobs"] is True and body["thinking"] == {"type": "disabled"}


@pytest.mark.parametrize(
    ("era", "model"),
    [
        (Era.R1, "deepseek-reasoner"),
        (Era.V3_2, "deepseek-reasoner"),
        (Era.V4, "deepseek-reasoner"),
        (Era.V4, "deepseek-v4-pro"),
    ],
)
def test_thinking_drops_sampling_parameters_with_warning(era: Era, model: str) -> None:
    request = ChatRequest(model=model, messages=HELLO, temperature=0.7, top_p=0.5, max_tokens=50)
    with pytest.warns(IgnoredParameterWarning, match=r"ignores temperature, top_p; not sent"):
        body = build_request_body(request, era=era)
    assert "temperature" not in body and "top_p" not in body
    assert body["max_tokens"] == 50


def test_ignored_parameter_warning_points_at_the_caller() -> None:
    """Whatever the call path, the warning names the caller's file, not the library's."""
    import asyncio

    script = Script([ok(), ok()])
    client = DeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(script))
    aclient = AsyncDeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(script))
    request = ChatRequest(model="deepseek-reasoner", messages=HELLO, temperature=0.2)

    async def caller() -> None:
        await aclient.chat(request)

    with pytest.warns(IgnoredParameterWarning) as record:
        client.chat(request)
        client.stream_chat(request)
        asyncio.run(caller())
        aclient.stream_chat(request)
        build_request_body(request)
        build_request_body(
            ChatRequest(
                model="deepseek-chat", messages=HELLO, thinking=True, reasoning_effort="high"
            ),
            era=Era.V3_2,
        )
    assert "temperature" not in script.bodies[0]
    assert len(record) == 6
    assert [r.filename for r in record] == [__file__] * 6


def test_v4_penalties_ignored_in_every_mode() -> None:
    with pytest.warns(IgnoredParameterWarning, match="frequency_penalty, presence_penalty"):
        body = build_request_body(
            ChatRequest(
                model="deepseek-chat", messages=HELLO, presence_penalty=1, frequency_penalty=1
            )
        )
    assert "presence_penalty" not in body and "frequency_penalty" not in body
    older = body_for(
        era=Era.V3_2, model="deepseek-chat", messages=HELLO, presence_penalty=1, frequency_penalty=1
    )
    assert older["presence_penalty"] == 1 and older["frequency_penalty"] == 1


def test_non_thinking_keeps_sampling_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        body = build_request_body(
            ChatRequest(model="deepseek-chat", messages=HELLO, temperature=1.3)
        )
    assert body["temperature"] == 1.3


# --------------------------------------------------------------------------------------------
# thinking / reasoning_effort per model id


@pytest.mark.parametrize("model", ["deepseek-v4-pro", "deepseek-v4-flash", "deepseek-flash"])
def test_v4_switchable_models(model: str) -> None:
    profile = get_model_profile(model)
    assert profile.thinking is ThinkingSupport.SWITCHABLE and profile.thinking_by_default
    assert profile.context_window == 1_048_576
    default = body_for(model=model, messages=HELLO)
    assert "thinking" not in default  # the service's default (enabled) applies
    on = body_for(model=model, messages=HELLO, thinking=True, reasoning_effort="max")
    assert on["thinking"] == {"type": "enabled"} and on["reasoning_effort"] == "max"
    off = body_for(model=model, messages=HELLO, thinking=False, temperature=0.5)
    assert off["thinking"] == {"type": "disabled"} and off["temperature"] == 0.5
    wire_object = body_for(model=model, messages=HELLO, thinking={"type": "disabled"})
    assert wire_object["thinking"] == {"type": "disabled"}
    effort_only = body_for(model=model, messages=HELLO, reasoning_effort="high")
    assert effort_only["reasoning_effort"] == "high"  # thinking by default


def test_v4_thinking_by_default_drops_temperature() -> None:
    with pytest.warns(IgnoredParameterWarning):
        body = build_request_body(
            ChatRequest(model="deepseek-v4-pro", messages=HELLO, temperature=1)
        )
    assert "temperature" not in body


def test_reasoning_effort_without_thinking_is_refused() -> None:
    with pytest.raises(UnsupportedParameterError) as caught:
        body_for(model="deepseek-flash", messages=HELLO, thinking=False, reasoning_effort="high")
    assert caught.value.param == "reasoning_effort"
    with pytest.raises(UnsupportedParameterError):
        body_for(model="deepseek-chat", messages=HELLO, reasoning_effort="high")


def test_deepseek_chat_with_thinking_true() -> None:
    body = body_for(model="deepseek-chat", messages=HELLO, thinking=True, reasoning_effort="high")
    assert body["thinking"] == {"type": "enabled"}
    assert body["reasoning_effort"] == "high"
    with pytest.raises(UnsupportedParameterError):  # and thinking rules now apply
        body_for(model="deepseek-chat", messages=HELLO, thinking=True, logprobs=True)
    v32 = body_for(era=Era.V3_2, model="deepseek-chat", messages=HELLO, thinking=True)
    assert v32["thinking"] == {"type": "enabled"}
    assert "reasoning_effort" not in body_for(
        era=Era.V3_2, model="deepseek-chat", messages=HELLO, thinking=True, reasoning_effort="high"
    )


@pytest.mark.parametrize("era", [Era.R1, Era.V3_1])
def test_deepseek_chat_cannot_think_in_old_eras(era: Era) -> None:
    with pytest.raises(UnsupportedParameterError, match="no thinking mode") as caught:
        body_for(era=era, model="deepseek-chat", messages=HELLO, thinking=True)
    assert caught.value.param == "thinking"


@pytest.mark.parametrize("era", list(Era))
def test_deepseek_reasoner_thinking_false_is_an_error(era: Era) -> None:
    with pytest.raises(UnsupportedParameterError, match="always thinks") as caught:
        body_for(era=era, model="deepseek-reasoner", messages=HELLO, thinking=False)
    assert caught.value.param == "thinking"
    sent = body_for(era=era, model="deepseek-reasoner", messages=HELLO, thinking=True)
    if era is Era.V4_1:
        # Answered as deepseek-flash, so the promised thinking is asked for explicitly.
        assert sent["thinking"] == {"type": "enabled"}
    else:
        # thinking=True is redundant and not sent (the legacy id takes no switch).
        assert "thinking" not in sent


@pytest.mark.parametrize("era", [Era.R1, Era.V3_1])
def test_old_reasoner_with_tools_is_refused(era: Era) -> None:
    with pytest.raises(UnsupportedParameterError) as caught:
        body_for(era=era, model="deepseek-reasoner", messages=HELLO, tools=[TOOL])
    assert caught.value.param == "tools"


def test_unknown_model_ids_are_allowed() -> None:
    script = Script([ok(completion(model="deepseek-v5-ultra"))])
    client = DeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(script))
    reply = client.chat(model="deepseek-v5-ultra", messages=HELLO, temperature=0.5)
    assert reply.model == "deepseek-v5-ultra"
    assert script.bodies[0] == {"model": "deepseek-v5-ultra", "messages": HELLO, "temperature": 0.5}
    profile = get_model_profile("deepseek-v5-ultra")
    assert not profile.known and profile.thinking is ThinkingSupport.NEVER
    # thinking is forwarded as asked, and then the thinking rules apply.
    thinking = body_for(
        model="deepseek-v5-ultra", messages=HELLO, thinking=True, reasoning_effort="high"
    )
    assert thinking["thinking"] == {"type": "enabled"} and thinking["reasoning_effort"] == "high"
    assert get_model_profile("my-proxy-reasoner").thinking is ThinkingSupport.ALWAYS


def test_v4_only_ids_under_older_eras() -> None:
    assert get_model_profile("deepseek-v4-pro", Era.R1).accepts_thinking_parameter


# --------------------------------------------------------------------------------------------
# reasoning_content in the history, era by era


@pytest.mark.parametrize("era", [Era.R1, Era.V3_1])
@pytest.mark.parametrize("history", [TOOL_HISTORY, PLAIN_HISTORY], ids=["tools", "plain"])
def test_old_eras_always_strip_reasoning(era: Era, history: list[dict[str, Any]]) -> None:
    model = "deepseek-chat" if history is TOOL_HISTORY else "deepseek-reasoner"
    body = body_for(era=era, model=model, messages=history)
    assert all(r is None for r in assistant_reasoning(body))
    assert all("reasoning_content" not in m for m in body["messages"])


@pytest.mark.parametrize("era", [Era.V3_2, Era.V4])
def test_new_eras_keep_reasoning_with_thinking_and_tools(era: Era) -> None:
    body = body_for(era=era, model="deepseek-reasoner", messages=TOOL_HISTORY, tools=[TOOL])
    assert assistant_reasoning(body) == ["I should call the weather tool.", "Easy."]
    # Tools in the history alone count as a tool conversation.
    history_only = body_for(era=era, model="deepseek-reasoner", messages=TOOL_HISTORY)
    assert assistant_reasoning(history_only) == ["I should call the weather tool.", "Easy."]


@pytest.mark.parametrize("era", [Era.V3_2, Era.V4])
def test_new_eras_fill_missing_reasoning_with_empty_string(era: Era) -> None:
    lost = [{k: v for k, v in m.items() if k != "reasoning_content"} for m in TOOL_HISTORY]
    body = body_for(era=era, model="deepseek-reasoner", messages=lost, tools=[TOOL])
    assert assistant_reasoning(body) == ["", ""]


@pytest.mark.parametrize("era", [Era.V3_2, Era.V4])
def test_new_eras_strip_reasoning_without_tools(era: Era) -> None:
    body = body_for(era=era, model="deepseek-reasoner", messages=PLAIN_HISTORY)
    assert all("reasoning_content" not in m for m in body["messages"])


def test_non_thinking_request_strips_reasoning_even_with_tools() -> None:
    body = body_for(model="deepseek-chat", messages=TOOL_HISTORY, tools=[TOOL])
    assert all("reasoning_content" not in m for m in body["messages"])
    thinking = body_for(model="deepseek-chat", messages=TOOL_HISTORY, tools=[TOOL], thinking=True)
    assert assistant_reasoning(thinking) == ["I should call the weather tool.", "Easy."]


@pytest.mark.parametrize("era", list(Era))
def test_replay_always_sends_what_is_there(era: Era) -> None:
    body = body_for(era=era, replay="always", model="deepseek-chat", messages=PLAIN_HISTORY)
    assert assistant_reasoning(body) == ["Greet back."]
    lost = [{k: v for k, v in m.items() if k != "reasoning_content"} for m in PLAIN_HISTORY]
    body = body_for(era=era, replay="always", model="deepseek-chat", messages=lost)
    assert assistant_reasoning(body) == [None]  # "always" does not invent reasoning


@pytest.mark.parametrize("era", list(Era))
def test_replay_never_strips(era: Era) -> None:
    model = "deepseek-chat" if era in (Era.R1, Era.V3_1) else "deepseek-reasoner"
    body = body_for(era=era, replay="never", model=model, messages=TOOL_HISTORY, tools=[TOOL])
    assert all("reasoning_content" not in m for m in body["messages"])


def test_client_setting_overrides_era_rules() -> None:
    script = Script([ok(), ok()])
    transport = httpx.MockTransport(script)
    DeepSeekClient(api_key=API_KEY, transport=transport, reasoning_replay="never").chat(
        model="deepseek-reasoner", messages=TOOL_HISTORY, tools=[TOOL]
    )
    DeepSeekClient(
        api_key=API_KEY, transport=transport, era=Era.R1, reasoning_replay="always"
    ).chat(model="deepseek-chat", messages=PLAIN_HISTORY)
    never, always = script.bodies
    assert all("reasoning_content" not in m for m in never["messages"])
    assert always["messages"][1]["reasoning_content"] == "Greet back."


def test_prepare_messages_directly() -> None:
    messages = [ChatMessage(**m) for m in TOOL_HISTORY]
    kept = prepare_messages(messages, thinking=True, with_tools=True, era=Era.V4)
    assert kept[1]["reasoning_content"] == "I should call the weather tool."
    assert kept[2] == {"role": "tool", "content": "15°C", "tool_call_id": "call_00_a"}
    stripped = prepare_messages(messages, thinking=True, with_tools=False, era=Era.V4)
    assert "reasoning_content" not in stripped[1]
    # The inputs are never modified.
    assert messages[1].reasoning_content == "I should call the weather tool."


FORCED = ["required", {"type": "function", "function": {"name": "weather"}}]


@pytest.mark.parametrize("choice", FORCED)
@pytest.mark.parametrize(
    ("model", "thinking"),
    [("deepseek-reasoner", None), ("deepseek-v4-flash", None), ("deepseek-chat", True)],
)
def test_forced_tool_choice_sent_as_auto_in_thinking_mode(
    choice: Any, model: str, thinking: bool | None
) -> None:
    request = ChatRequest.model_validate(
        {
            "model": model,
            "messages": HELLO,
            "tools": [TOOL],
            "tool_choice": choice,
            "thinking": thinking,
        }
    )
    with pytest.warns(IgnoredParameterWarning, match="cannot force a tool") as caught:
        body = build_request_body(request)
    assert body["tool_choice"] == "auto"
    assert body["tools"][0]["function"]["name"] == "weather"
    assert caught[0].filename == __file__
    assert not forced_tool_choice_allowed(model, thinking=thinking)


@pytest.mark.parametrize("choice", FORCED)
def test_forced_tool_choice_sent_without_thinking(choice: Any) -> None:
    for model, thinking in [("deepseek-chat", None), ("deepseek-v4-flash", False)]:
        request = ChatRequest.model_validate(
            {
                "model": model,
                "messages": HELLO,
                "tools": [TOOL],
                "tool_choice": choice,
                "thinking": thinking,
            }
        )
        assert build_request_body(request)["tool_choice"] == choice
        assert forced_tool_choice_allowed(model, thinking=thinking)


def test_auto_tool_choice_kept_in_thinking_mode() -> None:
    request = ChatRequest.model_validate(
        {"model": "deepseek-reasoner", "messages": HELLO, "tools": [TOOL], "tool_choice": "auto"}
    )
    assert build_request_body(request)["tool_choice"] == "auto"
