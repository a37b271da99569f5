"""The core clients against real DeepSeek traffic (``cassettes/realwire/``), every field checked.

What the service said is read from the recording itself (``tests/realwire_loader.py``: the JSON
body, or a naive reading of the SSE stream) and, for the values that matter most, copied by hand;
the requests are matched the way the service reads them (``_realwire.service_body``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deepseekapi_core import (
    AsyncDeepSeekClient,
    AuthenticationError,
    ChatCompletion,
    ChatCompletionChunk,
    DeepSeekClient,
    InvalidRequestError,
    UnprocessableEntityError,
)
from deepseekapi_core.wire._convert import usage_summary
from deepseekapi_core.wire._stream import StreamAccumulator
from tests.realwire_loader import Interaction, expected_stream_result, sse_payloads

from ._realwire import (
    REALWIRE_BASE_URL,
    REALWIRE_BETA_BASE_URL,
    REPLAY_KEY,
    cassette_path,
    era_of,
    realwire_vcr,
    recorded,
    replay,
)
from ._scenarios import assert_usage, history_turn
from .conftest import Sleeps


def client(name: str, sleeps: Sleeps | None = None) -> DeepSeekClient:
    """A client following the wire rules of the era ``name`` was recorded in."""
    return DeepSeekClient(
        api_key=REPLAY_KEY,
        base_url=REALWIRE_BASE_URL,
        beta_base_url=REALWIRE_BETA_BASE_URL,
        sleep=sleeps or Sleeps(),
        era=era_of(name),
    )


def async_client(name: str) -> AsyncDeepSeekClient:
    return AsyncDeepSeekClient(
        api_key=REPLAY_KEY,
        base_url=REALWIRE_BASE_URL,
        beta_base_url=REALWIRE_BETA_BASE_URL,
        sleep=Sleeps().asleep(),
        era=era_of(name),
    )


def request_params(
    interaction: Interaction, *, messages: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The recorded request as our parameters (what the recorder's user asked for)."""
    body = dict(interaction.request.body)
    for transport_only in ("stream", "stream_options", "n"):
        body.pop(transport_only, None)
    if messages is not None:
        body["messages"] = messages
    return body


def as_recorded(completion: ChatCompletion) -> dict[str, Any]:
    """Everything the core parsed, as JSON: it must equal the recorded body field for field."""
    dumped: dict[str, Any] = completion.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return dumped


def check_completion(completion: ChatCompletion, interaction: Interaction) -> None:
    body = interaction.response.json()
    assert as_recorded(completion) == body
    choice, message = body["choices"][0], body["choices"][0]["message"]
    assert completion.id == body["id"] and completion.created == body["created"]
    assert completion.model == body["model"]
    assert completion.system_fingerprint == body.get("system_fingerprint")
    assert completion.finish_reason == choice["finish_reason"]
    assert completion.message.content == message["content"]
    assert completion.message.reasoning_content == message.get("reasoning_content")
    assert [
        (call.id, call.type, call.function.name, call.function.arguments)
        for call in completion.message.tool_calls or []
    ] == [
        (call["id"], call["type"], call["function"]["name"], call["function"]["arguments"])
        for call in message.get("tool_calls") or []
    ]
    assert_usage(usage_summary(completion.usage), body["usage"])


def check_stream(chunks: list[ChatCompletionChunk], interaction: Interaction) -> ChatCompletion:
    """Every chunk equals its recorded event; the folded reply equals a naive reading."""
    payloads = [p for p in sse_payloads(interaction.response.body) if p != "[DONE]"]
    assert [
        c.model_dump(mode="json", exclude_unset=True, by_alias=True) for c in chunks
    ] == payloads
    accumulator = StreamAccumulator()
    for chunk in chunks:
        accumulator.add(chunk)
    completion = accumulator.to_completion()
    expected = expected_stream_result(interaction.response.body)
    assert completion.id == expected["id"] and completion.model == expected["model"]
    assert completion.created == expected["created"]
    assert completion.system_fingerprint == expected["system_fingerprint"]
    assert (completion.message.content or "") == expected["content"]
    assert (completion.message.reasoning_content or "") == expected["reasoning_content"]
    assert [
        {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
        for c in completion.message.tool_calls or []
    ] == expected["tool_calls"]
    assert completion.finish_reason == expected["finish_reason"]
    assert completion.usage is not None
    assert completion.usage.model_dump(mode="json", exclude_unset=True) == expected["usage"]
    return completion


def recorded_messages(interaction: Interaction) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = interaction.request.body["messages"]
    return messages


# ------------------------------------------------------------------------------------------------
# Plain replies


def test_r1_reasoner_every_field() -> None:
    (interaction,) = recorded("r1-reasoner")
    with replay("r1-reasoner"), client("r1-reasoner") as api:
        completion = api.chat(**request_params(interaction))
    check_completion(completion, interaction)
    assert completion.model == "deepseek-reasoner"
    assert completion.system_fingerprint == "fp_5417b77867_prod0225"
    assert completion.message.content.startswith("Crossing the street safely")
    assert completion.message.reasoning_content
    assert completion.usage is not None and completion.usage.reasoning_tokens > 0


async def test_r1_reasoner_async() -> None:
    (interaction,) = recorded("r1-reasoner")
    with replay("r1-reasoner"):
        async with async_client("r1-reasoner") as api:
            completion = await api.chat(**request_params(interaction))
    check_completion(completion, interaction)


def test_json_mode_every_field() -> None:
    (interaction,) = recorded("json-mode")
    with replay("json-mode"), client("json-mode") as api:
        completion = api.chat(**request_params(interaction))
    check_completion(completion, interaction)
    assert json.loads(completion.message.content or "") == {"result": 8}
    assert completion.model == "deepseek-v4-flash"  # deepseek-chat answered by the V4 model


def test_thinking_tools_three_turns_every_field() -> None:
    """deepseek-reasoner with tools (V4 era): the tool-call turns go back with their reasoning,
    two parallel tool calls come back in turn two, and every reply parses field for field."""
    first, second, third = recorded("v4-thinking-tools")
    with replay("v4-thinking-tools"), client("v4-thinking-tools") as api:
        reply1 = api.chat(**request_params(first))
        check_completion(reply1, first)
        # Turn two: our parsed turn, then the recorder's tool result and its own synthetic
        # search_tools turn (content null, reasoning ""), exactly as it sent them.
        history = [*recorded_messages(first), history_turn(reply1)]
        history += recorded_messages(second)[len(history) :]
        reply2 = api.chat(**request_params(second, messages=history))
        check_completion(reply2, second)
        history += [history_turn(reply2)]
        history += recorded_messages(third)[len(history) :]
        reply3 = api.chat(**request_params(third, messages=history))
        check_completion(reply3, third)
    sent_turns = recorded_messages(third)
    assert sent_turns[3]["reasoning_content"] == reply1.message.reasoning_content
    assert [call.id for call in reply2.message.tool_calls or []] == [
        "call_00_6edlnw3Z1MgeMfey687g8451",
        "call_01_km02sac7sHxNDPATKLZy7705",
    ]
    assert reply3.finish_reason == "stop" and "Anne" in (reply3.message.content or "")
    assert {reply.model for reply in (reply1, reply2, reply3)} == {"deepseek-v4-flash"}


# ------------------------------------------------------------------------------------------------
# Streams


def test_chat_stream_every_chunk() -> None:
    (interaction,) = recorded("chat-stream")
    with replay("chat-stream"), client("chat-stream") as api:
        chunks = list(api.stream_chat(**request_params(interaction)))
    completion = check_stream(chunks, interaction)
    assert completion.message.content == "1, 2, 3."
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].usage is not None and chunks[-1].choices[0].finish_reason == "stop"


async def test_chat_stream_async() -> None:
    (interaction,) = recorded("chat-stream")
    with replay("chat-stream"):
        async with async_client("chat-stream") as api:
            chunks = [chunk async for chunk in api.stream_chat(**request_params(interaction))]
    check_stream(chunks, interaction)


def test_streamed_tools_four_turns_every_chunk() -> None:
    """Streamed tool calls over four requests: call, result, answer, second question, call,
    result, answer; each turn's history rebuilt from what we parsed out of the stream."""
    turns = recorded("stream-tools")
    history = recorded_messages(turns[0])
    replies = []
    with replay("stream-tools"), client("stream-tools") as api:
        for number, interaction in enumerate(turns):
            if number:
                history = [*history, history_turn(replies[-1])]
                history += recorded_messages(interaction)[len(history) :]
            chunks = list(api.stream_chat(**request_params(interaction, messages=history)))
            replies.append(check_stream(chunks, interaction))
    assert [reply.finish_reason for reply in replies] == ["tool_calls", "stop"] * 2
    assert [
        (call.function.name, json.loads(call.function.arguments))
        for reply in replies
        for call in reply.message.tool_calls or []
    ] == [
        ("weather", {"latitude": "52.5200", "longitude": "13.4050"}),
        ("weather", {"latitude": "48.8575", "longitude": "2.3514"}),
    ]
    assert "15°C" in (replies[1].message.content or "")


# ------------------------------------------------------------------------------------------------
# Errors


def test_recorded_401() -> None:
    (interaction,) = recorded("error-401")
    sleeps = Sleeps()
    with (
        replay("error-401"),
        client("error-401", sleeps) as api,
        pytest.raises(AuthenticationError) as caught,
    ):
        api.chat(**request_params(interaction))
    error = caught.value
    body = interaction.response.json()["error"]
    assert error.status_code == 401 and sleeps.waits == []  # never retried
    assert error.message.startswith(
        "Error code: 401 - Authentication Fails, Your api key: ****-key is invalid"
    )
    assert (error.type, error.code) == (body["type"], body["code"])
    assert error.body == body
    assert error.request_id == interaction.response.trace_id == "4594b6332801e2c2b26d054c3aba58b2"
    assert REPLAY_KEY not in str(error) and REPLAY_KEY not in repr(error)


def test_recorded_422_request_is_refused_before_sending() -> None:
    """The recorded request (an object as a message's content) never leaves our client."""
    (interaction,) = recorded("error-422-plain-text")
    with realwire_vcr().use_cassette(cassette_path("error-422-plain-text").name) as cass:
        with client("error-422-plain-text") as api, pytest.raises(InvalidRequestError) as caught:
            api.chat(**request_params(interaction))
        assert cass.play_count == 0
    assert caught.value.param == "messages.0.content"


def test_recorded_422_plain_text_body() -> None:
    """The recorded 422 (a text/plain body, not JSON), served to a request we can send: the
    recorded one is refused before sending (above), so this replay matches on method and path
    only (the service rejected the body while deserializing it, before reading anything else)."""
    (interaction,) = recorded("error-422-plain-text")
    sleeps = Sleeps()
    valid = [{"role": "user", "content": "hi"}]
    with (
        replay("error-422-plain-text", match_on=("method", "path")),
        client("error-422-plain-text", sleeps) as api,
        pytest.raises(UnprocessableEntityError) as caught,
    ):
        api.chat(**request_params(interaction, messages=valid))
    error = caught.value
    assert error.status_code == 422 and sleeps.waits == []  # never retried
    assert error.body == interaction.response.text
    assert error.message.startswith(
        "Error code: 422 - Failed to deserialize the JSON body into the target type: "
        "messages[0]: data did not match any variant of untagged enum "
        "ChatCompletionRequestContent at line 1 column 96"
    )
    assert error.type is None and error.code is None
    assert error.request_id == "5f2c28742187027daf7409e5a61e6c71"
