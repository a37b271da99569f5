"""Every real recording (tests/data/realwire) replayed through ChatDeepSeekAPI.

Expected values come from a naive reading of the recorded JSON/SSE (tests/realwire_loader.py),
independent of the core's parsing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from deepseekapi_core import DeepSeekAPIError
from langchain_deepseekapi import ChatDeepSeekAPI
from tests.realwire_loader import (
    Interaction,
    all_interactions,
    expected_stream_result,
    replay_transport,
)

from .conftest import KEY

ALL = all_interactions()
OK_PLAIN = [i for i in ALL if i.response.status == 200 and not i.response.is_event_stream]
OK_STREAM = [i for i in ALL if i.response.status == 200 and i.response.is_event_stream]
ERRORS = [i for i in ALL if i.response.status >= 400]


def model_for(interaction: Interaction, **options: Any) -> ChatDeepSeekAPI:
    return ChatDeepSeekAPI(
        model=interaction.request.body.get("model", "deepseek-chat"),
        api_key=KEY,
        transport=replay_transport([interaction], piece_size=7),
        max_retries=0,
        **options,
    )


def check_usage(message: AIMessage, usage: dict[str, Any] | None) -> None:
    if usage is None:
        assert message.usage_metadata is None
        return
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == usage["prompt_tokens"]
    assert message.usage_metadata["output_tokens"] == usage["completion_tokens"]
    assert message.usage_metadata["total_tokens"] == usage["total_tokens"]
    details = message.usage_metadata.get("output_token_details") or {}
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    assert details.get("reasoning") == reasoning
    cache = message.usage_metadata.get("input_token_details") or {}
    assert cache.get("cache_read") == usage.get("prompt_cache_hit_tokens", 0)


def check_tool_calls(message: AIMessage, calls: list[dict[str, str]]) -> None:
    assert [(c["id"], c["name"], c["args"]) for c in message.tool_calls] == [
        (c["id"], c["name"], json.loads(c["arguments"] or "{}")) for c in calls
    ]


@pytest.mark.parametrize("interaction", OK_PLAIN, ids=lambda i: i.id)
def test_plain_replies(interaction: Interaction) -> None:
    body = interaction.response.json()
    recorded = body["choices"][0]["message"]
    message = model_for(interaction).invoke([HumanMessage("replayed")])
    assert isinstance(message, AIMessage)
    assert message.content == (recorded.get("content") or "")
    if recorded.get("reasoning_content") is not None:
        assert message.additional_kwargs["reasoning_content"] == recorded["reasoning_content"]
        if recorded["reasoning_content"]:
            assert message.content_blocks[0] == {
                "type": "reasoning",
                "reasoning": recorded["reasoning_content"],
            }
    else:
        assert "reasoning_content" not in message.additional_kwargs
    check_tool_calls(
        message,
        [
            {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in recorded.get("tool_calls") or []
        ],
    )
    check_usage(message, body.get("usage"))
    assert message.response_metadata["model_name"] == body["model"]
    assert message.response_metadata["finish_reason"] == body["choices"][0]["finish_reason"]
    assert message.response_metadata["system_fingerprint"] == body.get("system_fingerprint")


@pytest.mark.parametrize("interaction", OK_STREAM, ids=lambda i: i.id)
def test_streamed_replies(interaction: Interaction) -> None:
    expected = expected_stream_result(interaction.response.body)
    chunks = list(model_for(interaction).stream([HumanMessage("replayed")]))
    assert chunks[-1].chunk_position == "last"
    full: BaseMessage = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk  # type: ignore[operator]
    assert isinstance(full, AIMessageChunk)
    assert full.content == expected["content"]
    assert full.additional_kwargs.get("reasoning_content", "") == expected["reasoning_content"]
    check_tool_calls(full, expected["tool_calls"])
    check_usage(full, expected["usage"])
    assert full.response_metadata["finish_reason"] == expected["finish_reason"]
    assert full.response_metadata["model_name"] == expected["model"]


@pytest.mark.parametrize("interaction", ERRORS, ids=lambda i: i.id)
def test_errors(interaction: Interaction) -> None:
    with pytest.raises(DeepSeekAPIError) as caught:
        model_for(interaction).invoke([HumanMessage("replayed")])
    assert caught.value.status_code == interaction.response.status
    assert KEY not in str(caught.value)
