"""The conversations every layer plays (same prompts, same scripted emulator replies), and the
checks they share: reply vs cassette, usage vs cassette, error vs cassette."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from deepseekapi_core import (
    ChatCompletion,
    DeepSeekAPIError,
    InsufficientCreditsError,
    InternalServerError,
    UnprocessableEntityError,
)
from deepseekapi_core.testing import Emulator

from ._support import Reply, error_body, header, status

SYSTEM = "You are a concise assistant."
CHAT_PROMPT = "What is the capital of France? Answer in one sentence."
CHAT_REPLY = "The capital of France is Paris."

STREAM_PROMPT = "Count from one to five in words."
STREAM_REPLY = "One, two, three, four, five."

REASONER_PROMPT = "What is 17 times 23? Answer with the number."
REASONER_THOUGHT = "17 × 23 = 17 × 20 + 17 × 3 = 340 + 51 = 391."
REASONER_REPLY = "391"
FOLLOW_UP_PROMPT = "And 17 times 24?"
FOLLOW_UP_THOUGHT = "One more 17: 391 + 17 = 408."
FOLLOW_UP_REPLY = "408"

WEATHER_PROMPT = "What is the weather in Paris right now? Use the get_weather tool."
WEATHER_ARGS = {"city": "Paris"}
WEATHER_RESULT = '{"city": "Paris", "temperature_c": 18, "sky": "sunny"}'
WEATHER_REPLY = "It is 18 °C and sunny in Paris."
WEATHER_THOUGHT = "The user wants live weather; I should call get_weather for Paris."
WEATHER_FINAL_THOUGHT = "The tool says 18 °C and sunny; report that."
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city's name."}},
            "required": ["city"],
        },
    },
}

PERSON_PROMPT = "Ada Lovelace died in 1852 at the age of 36. Extract the person."
PERSON = {"name": "Ada Lovelace", "age": 36}
PERSON_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "Person",
        "description": "A person.",
        "parameters": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"],
        },
    },
}

JSON_PROMPT = 'Give the capital of France as a JSON object with the keys "city" and "country".'
JSON_VALUE = {"city": "Paris", "country": "France"}


def script_chat(emulator: Emulator | None, text: str, reasoning: str | None = None) -> None:
    if emulator is not None:
        emulator.script.reply_text(text, reasoning=reasoning)


def script_weather(emulator: Emulator | None, *, thinking: bool = False) -> None:
    """A ``get_weather`` call, then the answer (with reasoning in thinking mode)."""
    if emulator is not None:
        emulator.script.reply_tool_call(
            "get_weather", WEATHER_ARGS, reasoning=WEATHER_THOUGHT if thinking else None
        ).reply_text(WEATHER_REPLY, reasoning=WEATHER_FINAL_THOUGHT if thinking else None)


# ------------------------------------------------------------------------------------------------
# Request bodies


def user_turn(text: str, system: bool = True) -> list[dict[str, Any]]:
    turns = [{"role": "system", "content": SYSTEM}] if system else []
    return [*turns, {"role": "user", "content": text}]


def assert_streamed(body: dict[str, Any]) -> None:
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def assert_not_streamed(body: dict[str, Any]) -> None:
    assert "stream" not in body or body["stream"] is False
    assert "stream_options" not in body


def assert_no_reasoning_sent(body: dict[str, Any]) -> None:
    """Nothing in the history carries reasoning (the older reasoner answered 400 to it)."""
    assert all("reasoning_content" not in message for message in body["messages"]), body


def assistant_tool_turn(body: dict[str, Any]) -> dict[str, Any]:
    """The one assistant turn with tool calls in a request's history."""
    turns = [m for m in body["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    assert len(turns) == 1, body["messages"]
    turn: dict[str, Any] = turns[0]
    return turn


def assert_tool_round_trip(
    first: dict[str, Any],
    second: dict[str, Any],
    call: dict[str, str],
    result: str,
    *,
    exact_arguments: bool = True,
) -> None:
    """The second request repeats the first's history and the call (id, name, the argument
    string as received, or, for frameworks that keep arguments parsed, the same JSON), and
    answers it with a tool message carrying the result."""
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert second["tools"] == first["tools"]
    assert second["messages"][: len(first["messages"])] == first["messages"]
    turn = assistant_tool_turn(second)
    assert len(turn["tool_calls"]) == 1
    sent_call = turn["tool_calls"][0]
    assert sent_call["id"] == call["id"]
    assert sent_call["type"] == "function"
    assert sent_call["function"]["name"] == call["name"]
    arguments = sent_call["function"]["arguments"]
    if exact_arguments:
        assert arguments == call["arguments"]
    else:
        assert json.loads(arguments) == json.loads(call["arguments"])
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool"
    assert tool_message["tool_call_id"] == call["id"]
    assert json.loads(tool_message["content"]) == json.loads(result)


# ------------------------------------------------------------------------------------------------
# Replies


def assert_usage(usage: dict[str, Any] | None, recorded: dict[str, Any] | None) -> None:
    """A framework-neutral usage summary (``usage_summary``) against the recorded usage."""
    assert recorded is not None and usage is not None
    assert usage["prompt_tokens"] == recorded["prompt_tokens"]
    assert usage["completion_tokens"] == recorded["completion_tokens"]
    assert usage["total_tokens"] == recorded["total_tokens"]
    if "prompt_cache_hit_tokens" in recorded:
        assert usage["prompt_cache_hit_tokens"] == recorded["prompt_cache_hit_tokens"]
        assert usage["prompt_cache_miss_tokens"] == recorded["prompt_cache_miss_tokens"]
    details = recorded.get("completion_tokens_details") or {}
    assert usage.get("reasoning_tokens", 0) == (details.get("reasoning_tokens") or 0)


def assert_scripted(
    recorded: Reply, is_emulated: bool, content: str, reasoning: str | None = None
) -> None:
    """On emulator cassettes, the reply is exactly the scripted one; on real ones, not empty."""
    if is_emulated:
        assert recorded.content == content
        if reasoning is not None:
            assert recorded.reasoning == reasoning
    else:
        assert recorded.content or recorded.tool_calls
        if reasoning is not None:
            assert recorded.reasoning


# ------------------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class StatusCase:
    """An error status the emulator injects; ``attempts`` is how many requests go out."""

    status: int
    error: type[DeepSeekAPIError]
    attempts: int
    max_retries: int
    hint: str | None = None


STATUS_CASES = [
    pytest.param(StatusCase(402, InsufficientCreditsError, 1, 2, "top up"), id="402"),
    pytest.param(StatusCase(422, UnprocessableEntityError, 1, 2), id="422"),
    # 500 is retried: with one retry allowed, two 500s go out before the error is raised.
    pytest.param(StatusCase(500, InternalServerError, 2, 1), id="500"),
]


def inject_status(emulator: Emulator | None, case: StatusCase) -> None:
    if emulator is not None:
        emulator.faults.status(case.status, times=case.attempts)


def assert_error(
    error: BaseException, cassette: Any, index: int, cls: type[DeepSeekAPIError], code: int
) -> None:
    """``error`` is ``cls`` and says what the response at ``index`` said."""
    assert type(error) is cls, repr(error)
    assert isinstance(error, DeepSeekAPIError)
    assert status(cassette, index) == code
    assert error.status_code == code
    recorded = error_body(cassette, index)
    assert error.message.startswith(f"Error code: {code} - {recorded['message']}")
    assert error.type == recorded.get("type")
    trace = header(cassette, index, "x-ds-trace-id")
    if trace:
        assert error.request_id == trace
        assert error.message.endswith(f"[request id {trace}]")
    retry_after = header(cassette, index, "retry-after")
    assert error.retry_after == (float(retry_after) if retry_after else None)


@dataclass(frozen=True)
class RetryCase:
    """A retried status, then success; ``retry_after`` is the header the fault sends."""

    status: int
    retry_after: float | None


RETRY_CASES = [
    pytest.param(RetryCase(429, 1), id="429"),
    pytest.param(RetryCase(503, None), id="503"),
]


def inject_retry(emulator: Emulator | None, case: RetryCase, text: str) -> None:
    if emulator is not None:
        emulator.faults.status(case.status, retry_after=case.retry_after)
        emulator.script.reply_text(text)


def assert_retried(cassette: Any, case: RetryCase, waits: list[float]) -> None:
    """One failed attempt, one identical successful one, and the wait in between: the
    server's ``Retry-After`` when given, else the backoff's first step (0.5 s less jitter)."""
    assert len(cassette.requests) == 2
    assert cassette.requests[0].body == cassette.requests[1].body
    assert [status(cassette, 0), status(cassette, 1)] == [case.status, 200]
    retry_after = header(cassette, 0, "retry-after")
    if case.retry_after is not None:
        assert retry_after is not None and float(retry_after) == case.retry_after
        assert waits == [case.retry_after]
    else:
        assert retry_after is None
        assert len(waits) == 1 and 0.375 <= waits[0] <= 0.5


def history_turn(completion: ChatCompletion) -> dict[str, Any]:
    """The assistant's reply as a history message, reasoning and tool calls included."""
    message = completion.message
    turn: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
    if message.reasoning_content is not None:
        turn["reasoning_content"] = message.reasoning_content
    if message.tool_calls:
        turn["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in message.tool_calls
        ]
    return turn
