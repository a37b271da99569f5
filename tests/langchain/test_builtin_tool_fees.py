"""ChatDeepSeekAPI counts the service's built-in tool calls in a reply's cost, whole and
streamed, at DeepSeek's per-call fee."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from deepseekapi_core.testing import Emulator
from deepseekapi_core.tools import web_search

from .conftest import ModelFactory

AFTER_BILLING_BEGAN = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
HITS = [{"type": "web_search_result", "url": "https://news.example/1", "title": "One"}]


def test_an_invoked_search_is_in_the_cost(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.clock = AFTER_BILLING_BEGAN.timestamp
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = make_llm(model="deepseek-flash", thinking=False).bind_tools([web_search()])
    cost = llm.invoke("Any news?").response_metadata["cost"]
    assert cost["builtin_tool_calls"] == {"deepseek_web_search": 1}
    assert cost["tool_call_cost"] == pytest.approx(0.00075)
    assert cost["total_cost"] == pytest.approx(cost["input_cost"] + cost["output_cost"] + 0.00075)


def test_a_streamed_search_is_in_the_cost(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.clock = AFTER_BILLING_BEGAN.timestamp
    emulator.script.reply_web_search("news", HITS, answer="Big news [1].")
    llm = make_llm(model="deepseek-flash", thinking=False, stream_usage=True)
    merged = None
    for chunk in llm.bind_tools([web_search()]).stream("Any news?"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    cost = merged.response_metadata["cost"]
    assert cost["builtin_tool_calls"] == {"deepseek_web_search": 1}
    assert cost["tool_call_cost"] == pytest.approx(0.00075)
