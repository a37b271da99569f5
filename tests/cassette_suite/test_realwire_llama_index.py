"""``DeepSeekAPI`` (LlamaIndex) against real DeepSeek traffic (``cassettes/realwire/``).

The same cassettes the core replays (``test_realwire_core.py``), through LlamaIndex: the requests
must be the ones the service received (matched as the service reads them,
``_realwire.service_body``), and everything the service said must surface.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deepseekapi_core import (
    AuthenticationError,
    ChatCompletion,
    InvalidRequestError,
    UnprocessableEntityError,
)
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
from ._scenarios import assert_usage
from .conftest import Sleeps

pytest.importorskip("llama_index.core")
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
)

from llama_index_deepseekapi import DeepSeekAPI


def llm(model: str, era: Any, sleeps: Sleeps | None = None) -> DeepSeekAPI:
    """The LLM as a user of the recorded era would have it (that era's wire rules)."""
    sleeps = sleeps or Sleeps()
    instance = DeepSeekAPI(
        model=model,
        api_key=REPLAY_KEY,
        base_url=REALWIRE_BASE_URL,
        beta_base_url=REALWIRE_BETA_BASE_URL,
        era=era.value,
    )
    instance.clients.sleep = sleeps  # retry waits recorded, never slept
    instance.clients.async_sleep = sleeps.asleep()
    return instance


def to_llama_index(message: dict[str, Any]) -> ChatMessage:
    """A recorded wire message as the ChatMessage a LlamaIndex user's history would hold."""
    role, content = message["role"], message.get("content")
    extra: dict[str, Any] = {}
    if role == "tool":
        extra["tool_call_id"] = message["tool_call_id"]
    if "reasoning_content" in message:
        extra["reasoning_content"] = message["reasoning_content"]
    if message.get("tool_calls"):
        extra["tool_calls"] = message["tool_calls"]
    return ChatMessage(role=MessageRole(role), content=content, additional_kwargs=extra)


def history_of(interaction: Interaction) -> list[ChatMessage]:
    return [to_llama_index(m) for m in interaction.request.body["messages"]]


def options_of(interaction: Interaction) -> dict[str, Any]:
    """The recorded request's options, passed per call as a LlamaIndex user passes them."""
    body = interaction.request.body
    names = ("tools", "tool_choice", "response_format", "temperature")
    return {name: body[name] for name in names if name in body}


def check_reply(
    response: ChatResponse,
    *,
    content: str,
    reasoning: str | None,
    tool_calls: list[dict[str, str]],
    finish_reason: str | None,
    usage: dict[str, Any],
) -> None:
    message = response.message
    assert (message.content or "") == content
    assert message.additional_kwargs.get("reasoning_content") == (reasoning or None)
    thinking = [b.content for b in message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking == ([reasoning] if reasoning else [])
    assert "".join(b.text for b in message.blocks if isinstance(b, TextBlock)) == content
    calls = message.additional_kwargs.get("tool_calls") or []
    assert [(c["id"], c["function"]["name"], c["function"]["arguments"]) for c in calls] == [
        (c["id"], c["name"], c["arguments"]) for c in tool_calls
    ]
    assert response.additional_kwargs.get("finish_reason") == finish_reason
    assert_usage(response.additional_kwargs, usage)


def check_completion(response: ChatResponse, interaction: Interaction) -> None:
    body = interaction.response.json()
    check_reply(
        response,
        **recorded_reply(interaction),
    )
    # Every field of the recorded body, as the core parsed it, is in ``raw``.
    assert isinstance(response.raw, ChatCompletion)
    assert response.raw.model_dump(mode="json", exclude_unset=True, by_alias=True) == body


def check_streamed(responses: list[ChatResponse], interaction: Interaction) -> ChatResponse:
    expected = expected_stream_result(interaction.response.body)
    assert len(responses) > 1
    final = responses[-1]
    check_reply(
        final,
        **streamed_reply(interaction),
    )
    assert "".join(r.delta or "" for r in responses) == expected["content"]
    return final


def assistant_turn(response: ChatResponse) -> ChatMessage:
    """Our reply, as LlamaIndex hands it back into the history (agents do exactly this)."""
    return response.message


# ------------------------------------------------------------------------------------------------


def test_r1_reasoner() -> None:
    (interaction,) = recorded("r1-reasoner")
    with replay("r1-reasoner"):
        response = llm("deepseek-reasoner", era_of("r1-reasoner")).chat(history_of(interaction))
    check_completion(response, interaction)


async def test_r1_reasoner_async() -> None:
    (interaction,) = recorded("r1-reasoner")
    with replay("r1-reasoner"):
        response = await llm("deepseek-reasoner", era_of("r1-reasoner")).achat(
            history_of(interaction)
        )
    check_completion(response, interaction)


def test_json_mode() -> None:
    (interaction,) = recorded("json-mode")
    with replay("json-mode"):
        response = llm("deepseek-chat", era_of("json-mode")).chat(
            history_of(interaction), **options_of(interaction)
        )
    check_completion(response, interaction)
    assert json.loads(response.message.content or "") == {"result": 8}


def test_thinking_tools_three_turns() -> None:
    first, second, third = recorded("v4-thinking-tools")
    model = llm("deepseek-reasoner", era_of("v4-thinking-tools"))
    history = history_of(first)
    with replay("v4-thinking-tools"):
        reply1 = model.chat(history, **options_of(first))
        check_completion(reply1, first)
        history += [assistant_turn(reply1), *history_of(second)[len(history) + 1 :]]
        reply2 = model.chat(history, **options_of(second))
        check_completion(reply2, second)
        history += [assistant_turn(reply2), *history_of(third)[len(history) + 1 :]]
        reply3 = model.chat(history, **options_of(third))
    check_completion(reply3, third)
    assert len(reply2.message.additional_kwargs["tool_calls"]) == 2


def test_chat_stream() -> None:
    (interaction,) = recorded("chat-stream")
    with replay("chat-stream"):
        responses = list(
            llm("deepseek-chat", era_of("chat-stream")).stream_chat(history_of(interaction))
        )
    assert check_streamed(responses, interaction).message.content == "1, 2, 3."


async def test_chat_stream_async() -> None:
    (interaction,) = recorded("chat-stream")
    with replay("chat-stream"):
        stream = await llm("deepseek-chat", era_of("chat-stream")).astream_chat(
            history_of(interaction)
        )
        responses = [response async for response in stream]
    check_streamed(responses, interaction)


def test_streamed_tools_four_turns() -> None:
    turns = recorded("stream-tools")
    model = llm("deepseek-chat", era_of("stream-tools"))
    history = history_of(turns[0])
    replies: list[ChatResponse] = []
    with replay("stream-tools"):
        for number, interaction in enumerate(turns):
            if number:
                history += [
                    assistant_turn(replies[-1]),
                    *history_of(interaction)[len(history) + 1 :],
                ]
            stream = model.stream_chat(history, **options_of(interaction))
            replies.append(check_streamed(list(stream), interaction))
    assert [r.additional_kwargs["finish_reason"] for r in replies] == ["tool_calls", "stop"] * 2


def test_recorded_401() -> None:
    (interaction,) = recorded("error-401")
    sleeps = Sleeps()
    with replay("error-401"), pytest.raises(AuthenticationError) as caught:
        llm("deepseek-chat", era_of("error-401"), sleeps).chat(history_of(interaction))
    assert sleeps.waits == []
    assert_recorded_401(caught.value, interaction)


def test_recorded_422_request_is_refused_before_sending() -> None:
    (interaction,) = recorded("error-422-plain-text")
    bad = interaction.request.body["messages"][0]["content"]
    with realwire_vcr().use_cassette(cassette_path("error-422-plain-text").name) as cass:
        message = ChatMessage(role=MessageRole.USER, blocks=[TextBlock(text="")])
        # LlamaIndex's own blocks cannot hold the recorded shape; a raw dict part can.
        message.blocks = [bad]  # type: ignore[list-item]
        with pytest.raises(InvalidRequestError, match=r"messages\[0\] part 0"):
            llm("deepseek-chat", era_of("error-422-plain-text")).chat([message])
        assert cass.play_count == 0


def test_recorded_422_plain_text_body() -> None:
    """Replayed on method and path only (see ``test_realwire_core``)."""
    (interaction,) = recorded("error-422-plain-text")
    sleeps = Sleeps()
    with (
        replay("error-422-plain-text", match_on=("method", "path")),
        pytest.raises(UnprocessableEntityError) as caught,
    ):
        llm("deepseek-chat", era_of("error-422-plain-text"), sleeps).chat(
            [ChatMessage(role=MessageRole.USER, content="hi")], temperature=0.7
        )
    error = caught.value
    assert error.status_code == 422 and sleeps.waits == []
    assert error.body == interaction.response.text
    assert error.message.startswith(f"Error code: 422 - {interaction.response.text}")
    assert error.request_id == "5f2c28742187027daf7409e5a61e6c71"
