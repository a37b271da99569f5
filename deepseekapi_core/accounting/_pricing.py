"""What a call cost: a price table per model and the cost of a call from its usage.

Prices are per million tokens, in three buckets: input served from the context cache (a cache
hit), input not served from it (a miss), and output. Reasoning tokens are output tokens (the
service bills them as such; they are part of ``completion_tokens``). Built-in tools the service
runs (web search, URL reading) may add a fee per call.

A model's price may change with the date and the hour (:class:`PriceSchedule`); a call is priced
at the time it was answered (the reply's ``created``; now when unknown). The defaults are
DeepSeek's published prices over time (see ``DEEPSEEK_PRICES_SOURCE`` and ``docs/pricing.md``).
The proxy resells the service and may charge its own: pass a :class:`PriceTable` (or a mapping)
where a cost is computed, or set ``DEEPSEEKAPI_PRICES`` to JSON such as
``{"deepseek-chat": [0.0028, 0.14, 0.28], "*": {"input_cache_hit": 0.01, "input_cache_miss":
0.2, "output": 0.4}}`` (``"*"`` prices every other model; ``"currency"`` names the unit). A flat
price given so overrides the defaults for that model at every hour and date.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from ..http._errors import InvalidRequestError
from ..wire._builtin_tools import builtin_tool_call_counts
from ..wire._registry import DEFAULT_ERA, Era
from ..wire._responses import Usage
from ._price_defaults import DEEPSEEK_PRICES_SOURCE, DEFAULT_SCHEDULES, PEAK_HOURS
from ._price_schedule import ModelPrice, PriceSchedule, PriceWindow, utc_moment

__all__ = [
    "DEEPSEEK_PRICES_SOURCE",
    "PRICES_ENV_VAR",
    "CallCost",
    "ModelPrice",
    "PriceEntry",
    "PriceSchedule",
    "PriceTable",
    "call_cost",
    "default_price_table",
    "resolve_price_table",
]

PRICES_ENV_VAR = "DEEPSEEKAPI_PRICES"

PriceEntry = ModelPrice | PriceSchedule
"""A model's price: the same at all times, or by date and hour."""

_MILLION = 1_000_000


@dataclass(frozen=True)
class CallCost:
    """The cost of one call, by bucket, in the table's currency, and the facts it was read from.

    ``answered_at`` is the time the call was priced at; ``price_window`` is ``"peak"`` or
    ``"off_peak"`` when the price differs by the hour then (None when it does not);
    ``served_model`` and ``system_fingerprint`` are what the reply named (the checkpoint behind
    the id). ``builtin_tool_calls`` counts the service's own tool calls by name;
    ``tool_call_cost`` is what the priced ones cost, and ``unpriced_tool_calls`` names the tools
    called whose fee is not known (not in ``total_cost``).
    """

    model: str
    input_cache_hit_tokens: int
    input_cache_miss_tokens: int
    output_tokens: int
    reasoning_tokens: int
    input_cache_hit_cost: float
    input_cache_miss_cost: float
    output_cost: float
    currency: str = "USD"
    answered_at: datetime | None = None
    price_window: PriceWindow | None = None
    served_model: str | None = None
    system_fingerprint: str | None = None
    builtin_tool_calls: Mapping[str, int] = field(default_factory=dict, hash=False)
    tool_call_cost: float = 0.0
    unpriced_tool_calls: tuple[str, ...] = ()

    @property
    def input_cost(self) -> float:
        """The prompt's cost (hits and misses)."""
        return self.input_cache_hit_cost + self.input_cache_miss_cost

    @property
    def total_cost(self) -> float:
        """The whole call's cost: tokens and priced tool calls."""
        return self.input_cost + self.output_cost + self.tool_call_cost

    def as_dict(self) -> dict[str, Any]:
        """A flat, JSON-ready summary (what the adapters put in their metadata)."""
        answered = self.answered_at
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
            "tool_call_cost": self.tool_call_cost,
            "total_cost": self.total_cost,
            "builtin_tool_calls": dict(self.builtin_tool_calls),
            "unpriced_tool_calls": list(self.unpriced_tool_calls),
            "answered_at": (
                answered.isoformat(timespec="seconds").replace("+00:00", "Z")
                if answered is not None
                else None
            ),
            "price_window": self.price_window,
            "served_model": self.served_model,
            "system_fingerprint": self.system_fingerprint,
        }

    def summary(self) -> str:
        """One line for a person: ``cost $0.000123 (12 cached + 34 uncached in, 56 out)``, with
        ``at peak price`` when the peak price applied and the built-in tool calls at the end."""
        symbol = "$" if self.currency == "USD" else f"{self.currency} "
        peak = " at peak price" if self.price_window == "peak" else ""
        line = (
            f"cost {symbol}{_money(self.total_cost)}{peak} ({self.input_cache_hit_tokens} cached "
            f"+ {self.input_cache_miss_tokens} uncached in, {self.output_tokens} out"
            + (f", {self.reasoning_tokens} of them reasoning" if self.reasoning_tokens else "")
            + ")"
        )
        for tool, count in self.builtin_tool_calls.items():
            if count:
                calls = f"{count} {tool} call{'s' if count != 1 else ''}"
                unpriced = tool in self.unpriced_tool_calls
                line += f"; {calls} " + ("not priced" if unpriced else "priced in")
        return line


def _money(amount: float) -> str:
    """An amount with as many decimals as a fraction of a cent needs (up to 8), at least 2."""
    whole, _, decimals = f"{amount:.8f}".partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


def _tool_counts(calls: Mapping[str, int] | None) -> dict[str, int]:
    if calls is None:
        return {}
    if not isinstance(calls, Mapping):
        raise InvalidRequestError(
            f"builtin_tool_calls must map tool names to counts, got {calls!r}",
            param="builtin_tool_calls",
        )
    for tool, count in calls.items():
        if not isinstance(tool, str) or isinstance(count, bool) or not isinstance(count, int):
            raise InvalidRequestError(
                f"builtin_tool_calls must map tool names to counts, got {tool!r}: {count!r}",
                param="builtin_tool_calls",
            )
        if count < 0:
            raise InvalidRequestError(
                f"the count of {tool} calls must be >= 0, got {count}", param="builtin_tool_calls"
            )
    return dict(calls)


@dataclass(frozen=True)
class PriceTable:
    """Prices by model id; ``default`` prices the ids not listed (None: no cost for them).

    A price is a :class:`ModelPrice` (the same at every hour and date) or a
    :class:`PriceSchedule` (by date and hour, UTC).
    """

    prices: Mapping[str, PriceEntry] = field(default_factory=dict)
    default: PriceEntry | None = None
    currency: str = "USD"

    def entry_of(self, model: str) -> PriceEntry | None:
        """The price entry of ``model``, the default, or None when the table does not price it."""
        return self.prices.get(model, self.default)

    def price_at(
        self, model: str, at: datetime | float | None = None
    ) -> tuple[ModelPrice, PriceWindow | None] | None:
        """The price of ``model`` at ``at`` (now when None) and its window, or None."""
        entry = self.entry_of(model)
        if isinstance(entry, ModelPrice):
            return entry, None
        if entry is None:
            return None
        return entry.price_at(utc_moment(at))

    def price_of(self, model: str, at: datetime | float | None = None) -> ModelPrice | None:
        """The price of ``model`` at ``at`` (now when None), or None when it has none then."""
        found = self.price_at(model, at)
        return found[0] if found is not None else None

    def cost(
        self,
        usage: Usage,
        model: str,
        at: datetime | float | None = None,
        *,
        served_model: str | None = None,
        system_fingerprint: str | None = None,
        builtin_tool_calls: Mapping[str, int] | None = None,
    ) -> CallCost | None:
        """The cost of a call of ``model`` that used ``usage``, answered at ``at`` (a datetime
        or unix seconds; now when None); None when ``model`` has no price then."""
        moment = utc_moment(at)
        counts = _tool_counts(builtin_tool_calls)
        found = self.price_at(model, moment)
        if found is None:
            return None
        price, window = found
        hit = usage.cache_hit_tokens
        miss = usage.cache_miss_tokens
        output = usage.completion_tokens
        fees = price.tool_call_fees
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
            answered_at=moment,
            price_window=window,
            served_model=served_model or None,
            system_fingerprint=system_fingerprint or None,
            builtin_tool_calls=counts,
            tool_call_cost=sum(n * fees[tool] for tool, n in counts.items() if tool in fees),
            unpriced_tool_calls=tuple(t for t, n in counts.items() if n and t not in fees),
        )

    def with_holidays(self, days: Any) -> PriceTable:
        """This table with ``days`` (dates) off-peak all day wherever a price has peak hours
        (DeepSeek's peak hours exclude Chinese public holidays, of which it publishes no list)."""
        holidays = frozenset(_date(day) for day in days)
        prices = {
            model: entry.with_holidays(holidays) if isinstance(entry, PriceSchedule) else entry
            for model, entry in self.prices.items()
        }
        default = self.default
        if isinstance(default, PriceSchedule):
            default = default.with_holidays(holidays)
        return replace(self, prices=prices, default=default)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base: PriceTable | None = None) -> PriceTable:
        """A table from ``{model: price}``; a price is ``[hit, miss, output]``, a dict with those
        keys (and optionally ``tool_call_fees``), or ``{"off_peak": price, "peak": price}`` for
        DeepSeek's peak hours; ``"*"`` prices every model not listed; ``"currency"`` names the
        unit; ``"holidays"`` lists dates (``"2026-10-01"``) that are off-peak all day.

        Models not in ``data`` keep ``base``'s prices (the defaults when read from the
        environment), unless ``"*"`` is given.
        """
        prices: dict[str, PriceEntry] = dict(base.prices) if base is not None else {}
        default = base.default if base is not None else None
        currency = base.currency if base is not None else "USD"
        holidays: list[date] = []
        for key, value in data.items():
            if key == "currency":
                if not isinstance(value, str) or not value:
                    raise InvalidRequestError(f"currency must be a name, got {value!r}")
                currency = value
            elif key == "holidays":
                if not isinstance(value, list | tuple):
                    raise InvalidRequestError(
                        f"holidays must be a list of dates, got {value!r}", param="holidays"
                    )
                holidays.extend(_date(day) for day in value)
            elif key == "*":
                default = _price_from(key, value)
                prices = {model: p for model, p in prices.items() if model in data}
            else:
                prices[key] = _price_from(key, value)
        table = cls(prices=prices, default=default, currency=currency)
        return table.with_holidays(holidays) if holidays else table


def _date(day: Any) -> date:
    if type(day) is date:
        return day
    try:
        return date.fromisoformat(day)
    except (TypeError, ValueError):
        raise InvalidRequestError(
            f"a holiday must be a date such as '2026-10-01', got {day!r}", param="holidays"
        ) from None


def _price_from(model: str, value: Any) -> PriceEntry:
    if isinstance(value, ModelPrice | PriceSchedule):
        return value
    if isinstance(value, list | tuple) and len(value) == 3:
        return ModelPrice(*value)
    if isinstance(value, Mapping) and set(value) == {"off_peak", "peak"}:
        off_peak, peak = _price_from(model, value["off_peak"]), _price_from(model, value["peak"])
        if isinstance(off_peak, ModelPrice) and isinstance(peak, ModelPrice):
            return PriceSchedule.always(off_peak, peak, PEAK_HOURS, source="the proxy's prices")
    elif isinstance(value, Mapping):
        try:
            return ModelPrice(**value)
        except TypeError:
            pass
    raise InvalidRequestError(
        f"the price of {model!r} must be [input_cache_hit, input_cache_miss, output] or a dict "
        f"with those keys (per million tokens), or {{'off_peak': price, 'peak': price}}, got "
        f"{value!r}",
        param=model,
    )


_DEEPSEEK_PRICES = PriceTable(prices=DEFAULT_SCHEDULES)


def default_price_table(era: Era = DEFAULT_ERA) -> PriceTable:
    """DeepSeek's published prices, by date and hour (UTC).

    The same table for every ``era``: a call is priced by the time it was answered, which also
    tells the era; ``era`` is kept for callers that pass it.
    """
    return _DEEPSEEK_PRICES


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
    at: datetime | float | None = None,
    served_model: str | None = None,
    system_fingerprint: str | None = None,
    builtin_tool_calls: Mapping[str, int] | None = None,
) -> CallCost | None:
    """The cost of one call from its usage; None without usage or a price for ``model``.

    ``model`` is the id the request named (the service may answer with the id of the model
    behind an alias; the request's id is what the proxy bills, and the reply's id is recorded as
    ``served_model``). ``at`` is when the call was answered (the reply's ``created``: a datetime
    or unix seconds; now when None); ``builtin_tool_calls`` counts the service's own tool calls
    by name, priced by the entry's ``tool_call_fees``.
    """
    if usage is None:
        return None
    return resolve_price_table(prices, era=era).cost(
        usage,
        model,
        at,
        served_model=served_model,
        system_fingerprint=system_fingerprint,
        builtin_tool_calls=builtin_tool_calls,
    )


class AnsweredReply(Protocol):
    """What a reply tells about its own cost: a ``ChatCompletion``, a ``ChatCompletionChunk``,
    a folded stream or a FIM completion."""

    @property
    def usage(self) -> Usage | None: ...
    @property
    def created(self) -> int: ...
    @property
    def model(self) -> str: ...
    @property
    def system_fingerprint(self) -> str | None: ...


def reply_cost(
    reply: AnsweredReply,
    model: str,
    prices: PriceTable | Mapping[str, Any] | None = None,
    *,
    era: Era = DEFAULT_ERA,
    builtin_tool_calls: Mapping[str, int] | None = None,
) -> CallCost | None:
    """:func:`call_cost` of ``reply``, of a request that named ``model``: priced when it was
    answered (its ``created``; 0, a reply without the field: now), with the model and
    checkpoint it names. Its built-in tool calls are counted from ``reply`` unless
    ``builtin_tool_calls`` gives them (a stream chunk holds only its own)."""
    if builtin_tool_calls is None:
        builtin_tool_calls = builtin_tool_call_counts(reply)
    return call_cost(
        reply.usage,
        model,
        prices,
        era=era,
        at=reply.created or None,
        served_model=reply.model,
        system_fingerprint=reply.system_fingerprint,
        builtin_tool_calls=builtin_tool_calls,
    )
