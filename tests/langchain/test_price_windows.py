"""ChatDeepSeekAPI prices each reply when it was answered (peak or off-peak hours) and records
the model and checkpoint that served it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from deepseekapi_core.testing import Emulator

from .conftest import ModelFactory

PEAK = datetime(2026, 12, 7, 2, 15, tzinfo=timezone.utc)  # a Monday, 10:15 in Beijing
OFF_PEAK = datetime(2026, 12, 7, 12, 15, tzinfo=timezone.utc)
FLASH = {"peak": (0.006, 0.3, 1.2), "off_peak": (0.003, 0.15, 0.6)}  # USD per 1M tokens


def _expected(cost: dict[str, Any], window: str) -> float:
    hit, miss, out = FLASH[window]
    return (
        cost["input_cache_hit_tokens"] * hit
        + cost["input_cache_miss_tokens"] * miss
        + cost["output_tokens"] * out
    ) / 1e6


@pytest.mark.parametrize(("at", "window"), [(PEAK, "peak"), (OFF_PEAK, "off_peak")])
def test_a_reply_is_priced_at_the_hour_it_was_answered(
    make_llm: ModelFactory, emulator: Emulator, at: datetime, window: str
) -> None:
    emulator.clock = at.timestamp
    message = make_llm(model="deepseek-flash").invoke("hello")
    cost = message.response_metadata["cost"]
    assert cost["price_window"] == window
    assert cost["answered_at"] == at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cost["total_cost"] == pytest.approx(_expected(cost, window), abs=1e-15)
    assert cost["served_model"] == message.response_metadata["model_name"] == "deepseek-flash"
    assert cost["system_fingerprint"] == message.response_metadata["system_fingerprint"]
    assert cost["system_fingerprint"]


def test_a_streamed_reply_is_priced_at_its_last_chunks_time(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    emulator.clock = PEAK.timestamp
    merged = None
    for chunk in make_llm(model="deepseek-chat", stream_usage=True).stream("hello"):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    cost = merged.response_metadata["cost"]
    assert cost["price_window"] == "peak" and cost["model"] == "deepseek-chat"
    assert cost["total_cost"] == pytest.approx(_expected(cost, "peak"), abs=1e-15)
    assert cost["served_model"]  # the id the service answered with, beside the one billed


def test_the_proxys_flat_price_ignores_the_hour(make_llm: ModelFactory, emulator: Emulator) -> None:
    llm = make_llm(model="deepseek-flash", prices={"deepseek-flash": [0, 0, 1]})
    costs = []
    for at in (PEAK, OFF_PEAK):
        emulator.clock = at.timestamp
        costs.append(llm.invoke("same question").response_metadata["cost"])
    assert all(c["price_window"] is None for c in costs)
    assert [c["total_cost"] for c in costs] == [
        pytest.approx(c["output_tokens"] / 1e6) for c in costs
    ]
