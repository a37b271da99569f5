"""The core's usage and cost totals, ``llm_output`` usage sums, cost metadata and the
tokenizer fallback both adapters use."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest

from deepseekapi_core import Usage
from deepseekapi_core.accounting import _tokenizer as tokenizer_module
from deepseekapi_core.accounting._pricing import ModelPrice, PriceTable, call_cost
from deepseekapi_core.accounting._tokenizer import DeepSeekTokenizer, tokenizer_or_fallback
from deepseekapi_core.accounting._totals import UsageTotals, add_usage_counts, cost_metadata
from deepseekapi_core.wire._registry import Era
from tests.tokens import figures

CACHE_HIT_USAGE = Usage.model_validate(figures.CACHE_HIT_USAGE)
COUNTS = {
    "prompt_tokens": 1000,
    "prompt_cache_hit_tokens": 896,
    "completion_tokens": 300,
    "reasoning_tokens": 200,
    "total_tokens": 1300,
}


def _cost(model: str = "deepseek-reasoner") -> dict[str, Any]:
    cost = call_cost(CACHE_HIT_USAGE, model, at=figures.V4_ERA_CREATED)
    assert cost is not None
    return cost.as_dict()


def test_totals_add_counts_and_cost_by_model() -> None:
    totals = UsageTotals()
    totals.add(COUNTS, _cost("deepseek-reasoner"))
    totals.add(COUNTS, _cost("deepseek-chat"))
    assert totals.requests == 2
    assert totals.prompt_tokens == 2000 and totals.prompt_cache_hit_tokens == 2 * 896
    assert totals.completion_tokens == 600 and totals.reasoning_tokens == 400
    assert totals.total_tokens == 2600
    assert totals.total_cost == pytest.approx(2 * figures.CACHE_HIT_COST, abs=1e-15)
    assert totals.currency == "USD"
    assert totals.cost_by_model == {
        "deepseek-reasoner": pytest.approx(figures.CACHE_HIT_COST, abs=1e-15),
        "deepseek-chat": pytest.approx(figures.CACHE_HIT_COST, abs=1e-15),
    }


def test_a_call_without_usage_or_cost_counts_as_a_request_only() -> None:
    totals = UsageTotals()
    totals.add(None)
    totals.add({"prompt_tokens": None, "other": 5}, cost="not a cost")
    assert totals.requests == 2 and totals.total_tokens == totals.prompt_tokens == 0
    assert totals.total_cost == 0.0 and totals.cost_by_model == {}


def test_reset_and_as_dict_and_repr() -> None:
    totals = UsageTotals()
    totals.add(COUNTS, _cost())
    snapshot = totals.as_dict()
    assert list(snapshot) == list(UsageTotals.NAMES)
    assert snapshot["requests"] == 1 and snapshot["prompt_tokens"] == 1000
    snapshot["cost_by_model"]["x"] = 1.0  # a copy: the totals do not change
    assert "x" not in totals.cost_by_model
    text = repr(totals)
    assert "Tokens Used: 1300" in text and "Prompt Tokens Cached: 896" in text
    assert "Successful Requests: 1" in text and "Total Cost (USD): 0.00010107" in text
    totals.reset()
    assert totals.as_dict() == {
        **dict.fromkeys(UsageTotals.NAMES[:6], 0),
        "total_cost": 0.0,
        "currency": "USD",
        "cost_by_model": {},
    }


def test_totals_are_exact_under_concurrent_calls() -> None:
    totals = UsageTotals()
    cost = _cost()

    def work() -> None:
        for _ in range(500):
            totals.add(COUNTS, cost)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert totals.requests == 4000 and totals.total_tokens == 4000 * 1300
    assert totals.total_cost == pytest.approx(4000 * figures.CACHE_HIT_COST)


def test_add_usage_counts_sums_numbers_and_merges_nested_usage() -> None:
    total: dict[str, Any] = {}
    add_usage_counts(total, {"prompt_tokens": 3, "details": {"reasoning": 2}, "note": "a"})
    add_usage_counts(
        total, {"prompt_tokens": 4, "details": {"reasoning": 1, "cached": 5}, "note": "b"}
    )
    add_usage_counts(total, {"prompt_tokens": None, "flag": True, "cost": 0.5})
    assert total == {
        "prompt_tokens": 7,
        "details": {"reasoning": 3, "cached": 5},
        "note": "a",  # the first text wins; texts are not added up
        "flag": True,  # a bool is not a count
        "cost": 0.5,
    }


def test_cost_metadata_is_the_cost_dict_or_nothing() -> None:
    v4 = figures.V4_ERA_CREATED
    assert cost_metadata(CACHE_HIT_USAGE, "deepseek-reasoner", None, Era.V4, answered_at=v4) == {
        "cost": _cost()
    }
    assert cost_metadata(None, "deepseek-reasoner", None, Era.V4) == {}
    assert cost_metadata(CACHE_HIT_USAGE, "someone-elses-model", None, Era.V4) == {}
    custom = cost_metadata(
        CACHE_HIT_USAGE,
        "deepseek-chat",
        {"deepseek-chat": {"input_cache_hit": 0, "input_cache_miss": 1, "output": 1}},
        Era.V4,
    )
    assert custom["cost"]["total_cost"] == pytest.approx((104 + 300) / 1e6)


def test_the_fallback_warns_once_per_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenizer_module, "tokenizer_available", lambda: False)
    monkeypatch.setattr(tokenizer_module, "_FALLBACKS_WARNED", set())
    with pytest.warns(UserWarning) as caught:
        assert tokenizer_or_fallback("Model.count", "a rough guess", stacklevel=1) is None
    [warning] = caught
    message = str(warning.message)
    assert message.startswith("Model.count: ") and message.endswith("; using a rough guess")
    assert "deepseekapi-integrations[tokenizer]" in message
    assert warning.filename == __file__  # stacklevel=1: the line that asked
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not on every count
        assert tokenizer_or_fallback("Model.other", "a rough guess") is None
    with pytest.warns(UserWarning, match="another guess"):
        tokenizer_or_fallback("Model.count", "another guess")


def test_with_the_tokenizer_there_is_no_fallback(tokenizer: DeepSeekTokenizer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tokenizer_or_fallback("Model.count", "a rough guess") is tokenizer


def test_totals_take_the_currency_of_the_prices() -> None:
    """Costs priced in CNY are totalled and shown as CNY, not as the USD the totals start in."""
    table = PriceTable(prices={"deepseek-chat": ModelPrice(1.0, 2.0, 3.0)}, currency="CNY")
    cost = call_cost(CACHE_HIT_USAGE, "deepseek-chat", table)
    assert cost is not None
    totals = UsageTotals()
    totals.add(COUNTS, cost.as_dict())
    assert totals.currency == "CNY"
    assert totals.as_dict()["currency"] == "CNY"
    assert "Total Cost (CNY): 0.00200400" in repr(totals)
