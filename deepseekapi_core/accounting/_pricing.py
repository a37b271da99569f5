"""What a call cost: a price table per model and the cost of a call from its usage.

Prices are per million tokens, in three buckets: input served from the context cache (a cache
hit), input not served from it (a miss), and output. Reasoning tokens are output tokens (the
service bills them as such; they are part of ``completion_tokens``).

The defaults are DeepSeek's published prices (see ``DEEPSEEK_PRICES_SOURCE``). The proxy resells
the service and may charge its own: pass a :class:`PriceTable` (or a mapping) where a cost is
computed, or set ``DEEPSEEKAPI_PRICES`` to JSON such as
``{"deepseek-chat": [0.0028, 0.14, 0.28], "*": {"input_cache_hit": 0.01, "input_cache_miss":
0.2, "output": 0.4}}`` (``"*"`` prices every other model; ``"currency"`` names the unit).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..http._errors import InvalidRequestError
from ..wire._models import Usage
from ..wire._registry import DEFAULT_ERA, Era

PRICES_ENV_VAR = "DEEPSEEKAPI_PRICES"

DEEPSEEK_PRICES_SOURCE = (
    "DeepSeek's Models & Pricing page (api-docs.deepseek.com/quick_start/pricing), USD per 1M "
    "tokens. V4 era: as listed from 2026-04-26 (cache-hit input cut to a tenth) and still on "
    "2026-06-28 per third-party copies of the page (tokenmix.ai 2026-04-30, deepseekv4pro.com "
    "2026-06-28); deepseek-v4-pro at its listed discounted rate (regular: 0.0145 / 1.74 / 3.48). "
    "V3.2 era: 0.028 / 0.28 / 0.42 (docs of 2025-12, deepseek-wire.md 1.2). The V4.1 "
    "deepseek-flash is priced as deepseek-v4-flash, which it serves."
)
"""Where the default prices come from, and as of when."""

_MILLION = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model per million tokens."""

    input_cache_hit: float
    input_cache_miss: float
    output: float

    def __post_init__(self) -> None:
        for name in ("input_cache_hit", "input_cache_miss", "output"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidRequestError(
                    f"price {name} must be a number >= 0 (per million tokens), got {value!r}",
                    param=name,
                )


@dataclass(frozen=True)
class CallCost:
    """The cost of one call, by bucket, in the table's currency."""

    model: str
    input_cache_hit_tokens: int
    input_cache_miss_tokens: int
    output_tokens: int
    reasoning_tokens: int
    input_cache_hit_cost: float
    input_cache_miss_cost: float
    output_cost: float
    currency: str = "USD"

    @property
    def input_cost(self) -> float:
        """The prompt's cost (hits and misses)."""
        return self.input_cache_hit_cost + self.input_cache_miss_cost

    @property
    def total_cost(self) -> float:
        """The whole call's cost."""
        return self.input_cost + self.output_cost

    def as_dict(self) -> dict[str, Any]:
        """A flat, JSON-ready summary (what the adapters put in their metadata)."""
        return {
            "model": self.model,
            "currency": self.currency,
            "input_cache_hit_tokens": self.input_cache_hit_tokens,
            "input_cache_miss_tokens": self.input_cache_miss_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "input_cache_hit_cost": self.input_cache_hit_cost,
            "input_cache_miss_cost": self.input_cache_miss_cost,
            "input_cost": self.input_cost,
            "output_cost": self.output_cost,
            "total_cost": self.total_cost,
        }

    def summary(self) -> str:
        """One line for a person: ``cost $0.000123 (12 hit + 34 miss in, 56 out)``."""
        symbol = "$" if self.currency == "USD" else f"{self.currency} "
        return (
            f"cost {symbol}{_money(self.total_cost)} ({self.input_cache_hit_tokens} cached + "
            f"{self.input_cache_miss_tokens} uncached in, {self.output_tokens} out"
            + (f", {self.reasoning_tokens} of them reasoning" if self.reasoning_tokens else "")
            + ")"
        )


def _money(amount: float) -> str:
    """An amount with as many decimals as a fraction of a cent needs (up to 8), at least 2."""
    whole, _, decimals = f"{amount:.8f}".partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


@dataclass(frozen=True)
class PriceTable:
    """Prices by model id; ``default`` prices the ids not listed (None: no cost for them)."""

    prices: Mapping[str, ModelPrice] = field(default_factory=dict)
    default: ModelPrice | None = None
    currency: str = "USD"

    def price_of(self, model: str) -> ModelPrice | None:
        """The price of ``model``, the default, or None when the table does not price it."""
        return self.prices.get(model, self.default)

    def cost(self, usage: Usage, model: str) -> CallCost | None:
        """The cost of a call of ``model`` that used ``usage`` (None when ``model`` is unpriced)."""
        price = self.price_of(model)
        if price is None:
            return None
        hit = usage.cache_hit_tokens
        miss = usage.cache_miss_tokens
        output = usage.completion_tokens
        return CallCost(
            model=model,
            input_cache_hit_tokens=hit,
            input_cache_miss_tokens=miss,
            output_tokens=output,
            reasoning_tokens=usage.reasoning_tokens,
            input_cache_hit_cost=hit * price.input_cache_hit / _MILLION,
            input_cache_miss_cost=miss * price.input_cache_miss / _MILLION,
            output_cost=output * price.output / _MILLION,
            currency=self.currency,
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base: PriceTable | None = None) -> PriceTable:
        """A table from ``{model: price}``; a price is ``[hit, miss, output]`` or a dict with
        those keys; ``"*"`` prices every model not listed; ``"currency"`` names the unit.

        Models not in ``data`` keep ``base``'s prices (the defaults when read from the
        environment), unless ``"*"`` is given.
        """
        prices: dict[str, ModelPrice] = dict(base.prices) if base is not None else {}
        default = base.default if base is not None else None
        currency = base.currency if base is not None else "USD"
        for key, value in data.items():
            if key == "currency":
                if not isinstance(value, str) or not value:
                    raise InvalidRequestError(f"currency must be a name, got {value!r}")
                currency = value
                continue
            price = _price_from(key, value)
            if key == "*":
                default = price
                prices = {model: p for model, p in prices.items() if model in data}
            else:
                prices[key] = price
        return cls(prices=prices, default=default, currency=currency)


def _price_from(model: str, value: Any) -> ModelPrice:
    if isinstance(value, ModelPrice):
        return value
    if isinstance(value, list | tuple) and len(value) == 3:
        return ModelPrice(*value)
    if isinstance(value, Mapping):
        try:
            return ModelPrice(**value)
        except TypeError:
            pass
    raise InvalidRequestError(
        f"the price of {model!r} must be [input_cache_hit, input_cache_miss, output] or a dict "
        f"with those keys (per million tokens), got {value!r}",
        param=model,
    )


_V4_FLASH = ModelPrice(input_cache_hit=0.0028, input_cache_miss=0.14, output=0.28)
_V4_PRO = ModelPrice(input_cache_hit=0.003625, input_cache_miss=0.435, output=0.87)
_V3_2 = ModelPrice(input_cache_hit=0.028, input_cache_miss=0.28, output=0.42)

_V4_PRICES = PriceTable(
    prices={
        "deepseek-chat": _V4_FLASH,
        "deepseek-reasoner": _V4_FLASH,
        "deepseek-v4-flash": _V4_FLASH,
        "deepseek-v4-flash-vision-exp": _V4_FLASH,
        "deepseek-flash": _V4_FLASH,
        "deepseek-v4-pro": _V4_PRO,
    }
)

_DEFAULTS: dict[Era, PriceTable] = {
    # V4.1 (deepseek-flash, from 2026-09-10) serves every Flash id; no new prices were reported.
    Era.V4_1: _V4_PRICES,
    Era.V4: _V4_PRICES,
    Era.V3_2: PriceTable(prices={"deepseek-chat": _V3_2, "deepseek-reasoner": _V3_2}),
}


_NO_PRICES = PriceTable()


def default_price_table(era: Era = DEFAULT_ERA) -> PriceTable:
    """DeepSeek's published prices in ``era`` (empty for eras we hold no sourced prices for)."""
    # A shared empty table rather than a new one per call: this runs for every reply.
    return _DEFAULTS.get(era, _NO_PRICES)


def resolve_price_table(
    prices: PriceTable | Mapping[str, Any] | None = None, *, era: Era = DEFAULT_ERA
) -> PriceTable:
    """The table to use: ``prices`` if given, else ``$DEEPSEEKAPI_PRICES`` over the defaults,
    else the defaults. A mapping given here also overrides the defaults model by model."""
    defaults = default_price_table(era)
    if isinstance(prices, PriceTable):
        return prices
    if prices is not None:
        return PriceTable.from_mapping(prices, base=defaults)
    raw = os.environ.get(PRICES_ENV_VAR)
    if not raw:
        return defaults
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise InvalidRequestError(f"{PRICES_ENV_VAR} is not valid JSON ({exc})") from None
    if not isinstance(data, Mapping):
        raise InvalidRequestError(f"{PRICES_ENV_VAR} must be a JSON object of model prices")
    return PriceTable.from_mapping(data, base=defaults)


def call_cost(
    usage: Usage | None,
    model: str,
    prices: PriceTable | Mapping[str, Any] | None = None,
    *,
    era: Era = DEFAULT_ERA,
) -> CallCost | None:
    """The cost of one call from its usage; None without usage or a price for ``model``.

    ``model`` is the id the request named (the service may answer with the id of the model
    behind an alias; the request's id is what the proxy bills).
    """
    if usage is None:
        return None
    return resolve_price_table(prices, era=era).cost(usage, model)
