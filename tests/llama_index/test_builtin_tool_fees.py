"""DeepSeekAPI counts the service's built-in tool calls in a reply's cost, whole and streamed,
at DeepSeek's per-call fee."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI, DeepSeekWebSearchTool

AFTER_BILLING_BEGAN = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
HITS = [{"type": "web_search_result", "url": "https://news.example/1", "title": "One"}]


def test_a_search_is_in_the_cost(make_llm: Callable[..., DeepSeekAPI], emulator: Emulator) -> None:
    emulator.clock = AFTER_BILLING_BEGAN.timestamp
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = make_llm(model="deepseek-flash", thinking=False)
    response = llm.chat_with_tools([DeepSeekWebSearchTool()], user_msg="Any news?")
    cost = response.additional_kwargs["cost"]
    assert cost["builtin_tool_calls"] == {"deepseek_web_search": 1}
    assert cost["tool_call_cost"] == pytest.approx(0.00075)


def test_a_streamed_search_is_in_the_cost_of_the_last_response(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    emulator.clock = AFTER_BILLING_BEGAN.timestamp
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = make_llm(model="deepseek-flash", thinking=False)
    responses = list(llm.stream_chat_with_tools([DeepSeekWebSearchTool()], user_msg="Any news?"))
    cost = responses[-1].additional_kwargs["cost"]
    assert cost["builtin_tool_calls"] == {"deepseek_web_search": 1}
    assert cost["tool_call_cost"] == pytest.approx(0.00075)
