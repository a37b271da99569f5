"""One rule decides whether a request runs in thinking mode: the request as it will be sent."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from deepseekapi_core import ChatRequest, IgnoredParameterWarning
from deepseekapi_core.wire import build_request_body
from deepseekapi_core.wire._prepare import request_thinks, sent_thinking_switch

TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
TOOL_TURN: list[dict[str, Any]] = [
    {"role": "user", "content": "go"},
    {
        "role": "assistant",
        "content": None,
        "reasoning_content": "thought",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "ok"},
]


def request(**fields: Any) -> ChatRequest:
    return ChatRequest.model_validate({"messages": TOOL_TURN, "tools": [TOOL], **fields})


@pytest.mark.parametrize(
    ("thinking", "effort", "extra", "expected"),
    [
        (None, None, None, None),
        (True, None, {"thinking": {"type": "disabled"}}, False),
        (None, None, {"thinking": {"type": "enabled"}}, True),
        (None, None, {"thinking": False}, False),
        (None, None, {"reasoning_effort": "none"}, False),
        ({"type": "enabled"}, None, {"other": 1}, True),
        (None, "none", None, False),
    ],
)
def test_sent_thinking_switch(thinking: Any, effort: Any, extra: Any, expected: Any) -> None:
    assert sent_thinking_switch(thinking, effort, extra) is expected


def test_extra_body_disabled_keeps_a_forced_tool_and_strips_reasoning() -> None:
    sent = request(
        model="deepseek-flash",
        tool_choice="required",
        extra_body={"thinking": {"type": "disabled"}},
    )
    assert not request_thinks(sent)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredParameterWarning)
        body = build_request_body(sent)
    assert body["tool_choice"] == "required"
    assert "reasoning_content" not in body["messages"][1]


def test_extra_body_enabled_replays_reasoning() -> None:
    sent = request(model="deepseek-chat", extra_body={"thinking": {"type": "enabled"}})
    assert request_thinks(sent)
    body = build_request_body(sent)
    assert body["messages"][1]["reasoning_content"] == "thought"
    assert body["thinking"] == {"type": "enabled"}


def test_extra_body_model_is_the_model_sent() -> None:
    sent = request(model="deepseek-chat", extra_body={"model": "deepseek-reasoner"})
    assert request_thinks(sent)
