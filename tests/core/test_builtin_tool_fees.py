"""The built-in web tools' per-call fees: in the default prices of deepseek-flash from the day
DeepSeek began billing them, counted from the reply by the core."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from deepseekapi_core.accounting._pricing import call_cost
from deepseekapi_core.accounting._totals import reply_cost_metadata
from deepseekapi_core.wire import ChatCompletion, Era, Usage

FEES_START = datetime(2026, 10, 31, 16, tzinfo=timezone.utc)  # 2026-11-01 00:00 in Beijing
USAGE = Usage(prompt_tokens=1000, completion_tokens=100, total_tokens=1100)


def test_search_and_url_reading_cost_0_00075_usd_a_call_from_november_2026() -> None:
    cost = call_cost(
        USAGE,
        "deepseek-flash",
        at=FEES_START,
        builtin_tool_calls={"deepseek_web_search": 2, "deepseek_read_url": 1},
    )
    assert cost is not None
    assert cost.tool_call_cost == pytest.approx(3 * 0.00075)
    assert cost.unpriced_tool_calls == ()
    assert cost.total_cost == pytest.approx(cost.input_cost + cost.output_cost + 3 * 0.00075)


def test_before_billing_began_the_calls_are_counted_but_not_priced() -> None:
    cost = call_cost(
        USAGE,
        "deepseek-flash",
        at=FEES_START.timestamp() - 1,
        builtin_tool_calls={"deepseek_web_search": 2},
    )
    assert cost is not None
    assert cost.tool_call_cost == 0
    assert cost.unpriced_tool_calls == ("deepseek_web_search",)
    assert dict(cost.builtin_tool_calls) == {"deepseek_web_search": 2}


def test_the_reply_s_own_calls_are_counted_when_none_are_given() -> None:
    reply = ChatCompletion.model_validate(
        {
            "id": "x",
            "object": "chat.completion",
            "created": int(FEES_START.timestamp()) + 3600,
            "model": "deepseek-flash",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": "Found it [1].",
                        "server_tool_calls": [
                            {"id": "s1", "type": "deepseek_web_search", "arguments": "{}"},
                            {"id": "s2", "type": "deepseek_read_url", "arguments": "{}"},
                        ],
                    },
                }
            ],
            "usage": USAGE.model_dump(),
        }
    )
    cost = reply_cost_metadata(reply, "deepseek-flash", None, Era.V4_1)["cost"]
    assert cost["builtin_tool_calls"] == {"deepseek_web_search": 1, "deepseek_read_url": 1}
    assert cost["tool_call_cost"] == pytest.approx(2 * 0.00075)
