"""DeepSeekAPI prices each reply when it was answered (peak or off-peak hours) and records the
model and checkpoint that served it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI

PEAK = datetime(2026, 12, 8, 7, 30, tzinfo=timezone.utc)  # a Tuesday, 15:30 in Beijing
OFF_PEAK = datetime(2026, 12, 12, 7, 30, tzinfo=timezone.utc)  # the Saturday after
PRO = {"peak": (0.044, 1.32, 3.96), "off_peak": (0.022, 0.66, 1.98)}  # USD per 1M tokens
HELLO = [ChatMessage(role="user", content="hello")]


def _expected(cost: dict[str, Any], window: str) -> float:
    hit, miss, out = PRO[window]
    return (
        cost["input_cache_hit_tokens"] * hit
        + cost["input_cache_miss_tokens"] * miss
        + cost["output_tokens"] * out
    ) / 1e6


@pytest.mark.parametrize(("at", "window"), [(PEAK, "peak"), (OFF_PEAK, "off_peak")])
def test_a_reply_is_priced_at_the_hour_it_was_answered(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, at: datetime, window: str
) -> None:
    emulator.clock = at.timestamp
    response = make_llm(model="deepseek-v4-pro").chat(HELLO)
    cost = response.additional_kwargs["cost"]
    assert cost["price_window"] == window
    assert cost["answered_at"] == at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cost["total_cost"] == pytest.approx(_expected(cost, window), abs=1e-15)
    assert cost["served_model"] == "deepseek-v4-pro"
    assert cost["system_fingerprint"] and cost["model"] == "deepseek-v4-pro"


def test_a_streamed_reply_carries_the_window_at_the_end(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    emulator.clock = PEAK.timestamp
    last = list(make_llm(model="deepseek-v4-pro").stream_chat(HELLO))[-1]
    cost = last.additional_kwargs["cost"]
    assert cost["price_window"] == "peak" and cost["served_model"] == "deepseek-v4-pro"
    assert cost["total_cost"] == pytest.approx(_expected(cost, "peak"), abs=1e-15)


def test_the_proxys_flat_price_ignores_the_hour(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    llm = make_llm(model="deepseek-v4-pro", prices={"deepseek-v4-pro": [0, 0, 2]})
    for at in (PEAK, OFF_PEAK):
        emulator.clock = at.timestamp
        cost = llm.chat(HELLO).additional_kwargs["cost"]
        assert cost["price_window"] is None
        assert cost["total_cost"] == pytest.approx(2 * cost["output_tokens"] / 1e6)
