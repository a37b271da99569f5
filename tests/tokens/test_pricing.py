"""Prices per model and the cost of a call, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from deepseekapi_core import InvalidRequestError, Usage
from deepseekapi_core.accounting._pricing import (
    PRICES_ENV_VAR,
    ModelPrice,
    PriceTable,
    call_cost,
    default_price_table,
    resolve_price_table,
)
from deepseekapi_core.wire._registry import Era, known_model_ids
from tests.tokens import figures

# A cache-hit call as the service reports it.
CACHE_HIT_USAGE = Usage.model_validate(figures.CACHE_HIT_USAGE)
# The hand-worked figures below are the V4 era's flat prices.
V4 = figures.V4_ERA_CREATED


def test_a_cache_hit_call_on_the_default_prices() -> None:
    cost = call_cost(CACHE_HIT_USAGE, "deepseek-reasoner", at=V4)
    assert cost is not None
    # By hand, V4 Flash at $0.0028 / $0.14 / $0.28 per million tokens:
    #   896 x 0.0028 / 1e6 = 0.0000025088   (cache hits)
    #   104 x 0.14   / 1e6 = 0.00001456     (cache misses)
    #   300 x 0.28   / 1e6 = 0.000084       (output, the 200 reasoning tokens included)
    assert cost.input_cache_hit_cost == pytest.approx(0.0000025088, abs=1e-15)
    assert cost.input_cache_miss_cost == pytest.approx(0.00001456, abs=1e-15)
    assert cost.output_cost == pytest.approx(0.000084, abs=1e-15)
    assert cost.total_cost == pytest.approx(0.0001010688, abs=1e-15)
    assert (cost.input_cache_hit_tokens, cost.input_cache_miss_tokens) == (896, 104)
    assert (cost.output_tokens, cost.reasoning_tokens) == (300, 200)
    assert cost.summary() == (
        "cost $0.00010107 (896 cached + 104 uncached in, 300 out, 200 of them reasoning)"
    )
    assert cost.as_dict()["total_cost"] == cost.total_cost


def test_pro_costs_more_than_flash_for_the_same_usage() -> None:
    flash = call_cost(CACHE_HIT_USAGE, "deepseek-v4-flash", at=V4)
    pro = call_cost(CACHE_HIT_USAGE, "deepseek-v4-pro", at=V4)
    assert flash is not None and pro is not None
    # 896 x 0.003625 + 104 x 0.435 + 300 x 0.87 = 3.248 + 45.24 + 261 = 309.488 per million
    assert pro.total_cost == pytest.approx(309.488e-6, abs=1e-15)
    assert pro.total_cost > flash.total_cost


def test_usage_with_only_openai_style_cached_tokens() -> None:
    usage = Usage.model_validate(
        {
            "prompt_tokens": 500,
            "completion_tokens": 10,
            "total_tokens": 510,
            "prompt_tokens_details": {"cached_tokens": 384},
        }
    )
    cost = call_cost(usage, "deepseek-chat", at=V4)
    assert cost is not None
    assert (cost.input_cache_hit_tokens, cost.input_cache_miss_tokens) == (384, 116)
    assert cost.total_cost == pytest.approx((384 * 0.0028 + 116 * 0.14 + 10 * 0.28) / 1e6)


def test_every_current_model_has_a_default_price() -> None:
    table = default_price_table()
    for era in (Era.V4, Era.V4_1):
        assert all(table.price_of(model) is not None for model in known_model_ids(era))
    assert table.price_of("some-proxy-model") is None
    assert call_cost(CACHE_HIT_USAGE, "some-proxy-model") is None
    assert call_cost(None, "deepseek-chat") is None


def test_the_v3_2_era_has_its_own_prices() -> None:
    in_v3_2 = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)
    cost = call_cost(CACHE_HIT_USAGE, "deepseek-chat", era=Era.V3_2, at=in_v3_2)
    assert cost is not None
    # 896 x 0.028 + 104 x 0.28 + 300 x 0.42 = 25.088 + 29.12 + 126 = 180.208 per million
    assert cost.total_cost == pytest.approx(180.208e-6, abs=1e-15)
    # The era does not pick the prices: the time does (one dated table for every era).
    assert default_price_table(Era.R1) is default_price_table(Era.V4_1)
    before_any = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert default_price_table().price_of("deepseek-chat", before_any) is None


def test_the_proxys_own_prices_by_argument() -> None:
    table = PriceTable(prices={"deepseek-chat": ModelPrice(1.0, 2.0, 3.0)}, currency="EUR")
    cost = call_cost(CACHE_HIT_USAGE, "deepseek-chat", table)  # a flat price: at any time
    assert cost is not None
    assert cost.total_cost == pytest.approx((896 * 1 + 104 * 2 + 300 * 3) / 1e6)
    assert cost.currency == "EUR" and cost.summary().startswith("cost EUR 0.002004 ")
    # A mapping overrides the defaults model by model.
    mixed = resolve_price_table({"deepseek-chat": [0, 0, 1]})
    assert mixed.price_of("deepseek-chat") == ModelPrice(0, 0, 1)
    assert mixed.price_of("deepseek-v4-pro") == default_price_table().price_of("deepseek-v4-pro")


def test_the_proxys_own_prices_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        PRICES_ENV_VAR,
        '{"*": {"input_cache_hit": 0.1, "input_cache_miss": 1, "output": 2},'
        ' "deepseek-v4-pro": [1, 10, 20], "currency": "CNY"}',
    )
    table = resolve_price_table()
    assert table.currency == "CNY"
    assert table.price_of("deepseek-chat") == ModelPrice(0.1, 1, 2)  # "*" replaces the defaults
    assert table.price_of("deepseek-v4-pro") == ModelPrice(1, 10, 20)
    cost = call_cost(CACHE_HIT_USAGE, "anything")
    assert cost is not None
    assert cost.total_cost == pytest.approx((896 * 0.1 + 104 * 1 + 300 * 2) / 1e6)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2, 3]", "JSON object"),
        ('{"deepseek-chat": [1, 2]}', "must be \\[input_cache_hit"),
        ('{"deepseek-chat": {"hit": 1}}', "must be \\[input_cache_hit"),
        ('{"deepseek-chat": [1, -2, 3]}', "input_cache_miss must be a number >= 0"),
        ('{"deepseek-chat": [1, "2", 3]}', "input_cache_miss must be a number"),
        ('{"currency": 5}', "currency must be a name"),
    ],
)
def test_bad_prices_are_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, raw: str, problem: str
) -> None:
    monkeypatch.setenv(PRICES_ENV_VAR, raw)
    with pytest.raises(InvalidRequestError, match=problem):
        resolve_price_table()


def test_the_cli_chat_prints_the_cost_line(capsys: pytest.CaptureFixture[str]) -> None:
    from deepseekapi_core import cli

    assert cli.main(["chat", "hello"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("deepseek-chat: ") and "prompt + " in last
    assert "; cost $0.0000" in last and "uncached in" in last


def test_amounts_show_at_least_two_decimals_and_no_trailing_zeros_beyond() -> None:
    table = PriceTable(prices={"deepseek-chat": ModelPrice(0.0, 0.0, 5_000.0)})
    cost = call_cost(CACHE_HIT_USAGE, "deepseek-chat", table)  # 300 out x $5,000 / 1e6
    assert cost is not None and cost.total_cost == 1.5
    assert cost.summary().startswith("cost $1.50 (")
    whole = call_cost(CACHE_HIT_USAGE, "deepseek-chat", PriceTable(default=ModelPrice(0, 0, 1e4)))
    assert whole is not None and whole.summary().startswith("cost $3.00 (")
    tiny = call_cost(CACHE_HIT_USAGE, "deepseek-chat", PriceTable(default=ModelPrice(0, 0, 0.41)))
    assert tiny is not None and tiny.summary().startswith("cost $0.000123 (")
