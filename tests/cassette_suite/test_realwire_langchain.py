"""``ChatDeepSeekAPI`` against real DeepSeek traffic (``cassettes/realwire/``).

The same cassettes the core replays (``test_realwire_core.py``), now through LangChain: the
requests a LangChain user's code makes must be the ones the service received (matched as the
service reads them, ``_realwire.service_body``), and everything the service said must surface.
"""

from __future__ import annotations

import json
from functools import reduce
from operator import add
from typing import Any

import pytest

from deepseekapi_core import AuthenticationError, InvalidRequestError, UnprocessableEntityError
from tests.realwire_loader import Interaction, expected_stream_result

from ._realwire import (
    REALWIRE_BASE_URL,
    REALWIRE_BETA_BASE_URL,
    REPLAY_KEY,
    assert_recorded_401,
    cassette_path,
    era_of,
    realwire_vcr,
    recorded,
    recorded_reply,
    replay,
    streamed_reply,
)
from .test_langchain import NoWaitPolicy

pytest.importorskip("langchain_core")
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_deepseekapi import ChatDeepSeekAPI


def chat_model(model: str, era: Any, policy: NoWaitPolicy | None = None) -> ChatDeepSeekAPI:
    """The model as a user of the recorded era would have it (that era's wire rules)."""
    return ChatDeepSeekAPI(
        model=model,
        era=era,
        api_key=REPLAY_KEY,
        base_url=REALWIRE_BASE_URL,
        beta_base_url=REALWIRE_BETA_BASE_URL,
        retry_policy=policy or NoWaitPolicy(max_retries=2),
    )


def to_langchain(message: dict[str, Any]) -> BaseMessage:
    """A recorded wire message as the LangChain message a user's history would hold."""
    role, content = message["role"], message.get("content")
    if role == "system":
        return SystemMessage(content)
    if role == "user":
        return HumanMessage(content)
    if role == "tool":
        return ToolMessage(content, tool_call_id=message["tool_call_id"])
    extra = {}
    if "reasoning_content" in message:
        extra["reasoning_content"] = message["reasoning_content"]
    return AIMessage(
        content or "",
        additional_kwargs=extra,
        tool_calls=[
            {
                "id": call["id"],
                "name": call["function"]["name"],
                "args": json.loads(call["function"]["arguments"]),
                "type": "tool_call",
            }
            for call in message.get("tool_calls") or []
        ],
    )


def check_reply(
    message: AIMessage,
    *,
    content: str,
    reasoning: str | None,
    tool_calls: list[dict[str, str]],
    finish_reason: str | None,
    usage: dict[str, Any],
    model: str,
    response_id: str,
    fingerprint: str | None,
) -> None:
    """The message says everything the recorded reply says."""
    assert message.content == content
    assert message.additional_kwargs.get("reasoning_content") == reasoning
    assert [(c["id"], c["name"], c["args"]) for c in message.tool_calls] == [
        (c["id"], c["name"], json.loads(c["arguments"])) for c in tool_calls
    ]
    assert message.invalid_tool_calls == []
    metadata = message.response_metadata
    assert metadata["finish_reason"] == finish_reason
    assert metadata["model_name"] == model
    assert metadata["system_fingerprint"] == fingerprint
    assert message.id == response_id or metadata.get("id") == response_id
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == usage["prompt_tokens"]
    assert message.usage_metadata["output_tokens"] == usage["completion_tokens"]
    assert message.usage_metadata["total_tokens"] == usage["total_tokens"]
    assert (
        message.usage_metadata.get("input_token_details", {}).get("cache_read", 0)
        == usage["prompt_cache_hit_tokens"]
    )
    reasoning_tokens = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens", 0)
    assert (
        message.usage_metadata.get("output_token_details", {}).get("reasoning", 0)
        == reasoning_tokens
    )


def check_completion(message: AIMessage, interaction: Interaction) -> None:
    body = interaction.response.json()
    check_reply(
        message,
        **recorded_reply(interaction),
        model=body["model"],
        response_id=body["id"],
        fingerprint=body.get("system_fingerprint"),
    )


def check_streamed(chunks: list[AIMessageChunk], interaction: Interaction) -> AIMessageChunk:
    expected = expected_stream_result(interaction.response.body)
    assert len(chunks) > 2
    message = reduce(add, chunks)
    check_reply(
        message,
        **streamed_reply(interaction),
        model=expected["model"],
        response_id=expected["id"],
        fingerprint=expected["system_fingerprint"],
    )
    return message


def history_of(interaction: Interaction) -> list[BaseMessage]:
    return [to_langchain(m) for m in interaction.request.body["messages"]]


# ------------------------------------------------------------------------------------------------


def test_r1_reasoner() -> None:
    (interaction,) = recorded("r1-reasoner")
    with replay("r1-reasoner"):
        message = chat_model("deepseek-reasoner", era_of("r1-reasoner")).invoke(
            history_of(interaction)
        )
    check_completion(message, interaction)
    assert message.additional_kwargs["reasoning_content"]


async def test_r1_reasoner_async() -> None:
    (interaction,) = recorded("r1-reasoner")
    with replay("r1-reasoner"):
        message = await chat_model("deepseek-reasoner", era_of("r1-reasoner")).ainvoke(
            history_of(interaction)
        )
    check_completion(message, interaction)


def test_json_mode() -> None:
    (interaction,) = recorded("json-mode")
    model = chat_model("deepseek-chat", era_of("json-mode")).bind(
        response_format={"type": "json_object"}
    )
    with replay("json-mode"):
        message = model.invoke(history_of(interaction))
    check_completion(message, interaction)
    assert json.loads(str(message.content)) == {"result": 8}


def test_thinking_tools_three_turns() -> None:
    """An agent-style loop on the reasoner: our AIMessages go back with their reasoning."""
    first, second, third = recorded("v4-thinking-tools")

    def model(turn: Interaction) -> Any:
        # pydantic-ai loads tools as the game goes: each turn offers the tools it recorded.
        tools = turn.request.body["tools"]
        return chat_model("deepseek-reasoner", era_of("v4-thinking-tools")).bind_tools(
            tools, tool_choice="auto"
        )

    history = history_of(first)
    with replay("v4-thinking-tools"):
        reply1 = model(first).invoke(history)
        check_completion(reply1, first)
        history += [reply1, *history_of(second)[len(history) + 1 :]]
        reply2 = model(second).invoke(history)
        check_completion(reply2, second)
        history += [reply2, *history_of(third)[len(history) + 1 :]]
        reply3 = model(third).invoke(history)
    check_completion(reply3, third)
    assert [call["name"] for call in reply2.tool_calls] == ["get_player_name", "roll_dice"]


def test_chat_stream() -> None:
    (interaction,) = recorded("chat-stream")
    with replay("chat-stream"):
        chunks = list(
            chat_model("deepseek-chat", era_of("chat-stream")).stream(history_of(interaction))
        )
    message = check_streamed(chunks, interaction)
    assert message.content == "1, 2, 3."


async def test_chat_stream_async() -> None:
    (interaction,) = recorded("chat-stream")
    with replay("chat-stream"):
        chunks = [
            c
            async for c in chat_model("deepseek-chat", era_of("chat-stream")).astream(
                history_of(interaction)
            )
        ]
    check_streamed(chunks, interaction)


def test_streamed_tools_four_turns() -> None:
    turns = recorded("stream-tools")
    model = chat_model("deepseek-chat", era_of("stream-tools")).bind_tools(
        turns[0].request.body["tools"]
    )
    history = history_of(turns[0])
    replies: list[AIMessageChunk] = []
    with replay("stream-tools"):
        for number, interaction in enumerate(turns):
            if number:
                history += [replies[-1], *history_of(interaction)[len(history) + 1 :]]
            replies.append(check_streamed(list(model.stream(history)), interaction))
    assert [reply.response_metadata["finish_reason"] for reply in replies] == [
        "tool_calls",
        "stop",
    ] * 2
    assert [call["args"] for reply in replies for call in reply.tool_calls] == [
        {"latitude": "52.5200", "longitude": "13.4050"},
        {"latitude": "48.8575", "longitude": "2.3514"},
    ]


def test_recorded_401() -> None:
    (interaction,) = recorded("error-401")
    policy = NoWaitPolicy(max_retries=2)
    with replay("error-401"), pytest.raises(AuthenticationError) as caught:
        chat_model("deepseek-chat", era_of("error-401"), policy).invoke(history_of(interaction))
    assert policy.waits == []
    assert_recorded_401(caught.value, interaction)


def test_recorded_422_request_is_refused_before_sending() -> None:
    (interaction,) = recorded("error-422-plain-text")
    message = interaction.request.body["messages"][0]
    assert isinstance(message["content"], dict)  # what earned the 422
    with realwire_vcr().use_cassette(cassette_path("error-422-plain-text").name) as cass:
        with pytest.raises(InvalidRequestError, match="without a string 'text'"):
            chat_model("deepseek-chat", era_of("error-422-plain-text")).invoke(
                [HumanMessage(content=[message["content"]])]
            )
        assert cass.play_count == 0


def test_recorded_422_plain_text_body() -> None:
    """Replayed on method and path only (see ``test_realwire_core``)."""
    (interaction,) = recorded("error-422-plain-text")
    policy = NoWaitPolicy(max_retries=2)
    with (
        replay("error-422-plain-text", match_on=("method", "path")),
        pytest.raises(UnprocessableEntityError) as caught,
    ):
        chat_model("deepseek-chat", era_of("error-422-plain-text"), policy).invoke(
            "hi", temperature=0.7
        )
    error = caught.value
    assert error.status_code == 422 and policy.waits == []
    assert error.body == interaction.response.text
    assert error.message.startswith(f"Error code: 422 - {interaction.response.text}")
    assert error.request_id == "5f2c28742187027daf7409e5a61e6c71"
