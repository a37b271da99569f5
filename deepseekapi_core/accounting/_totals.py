"""Usage and cost totals: what both adapters' cost handlers and ``llm_output`` sums compute.

A framework hands over each finished call's token counts (by the service's names) and the
cost the adapter attached to the reply (``CallCost.as_dict()``); this module adds them up.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from datetime import datetime

    from ..wire._registry import Era
    from ..wire._responses import Usage
    from ._pricing import AnsweredReply, PriceTable

TOKEN_COUNT_NAMES = (
    "total_tokens",
    "prompt_tokens",
    "prompt_cache_hit_tokens",
    "completion_tokens",
    "reasoning_tokens",
)
"""The token counts a :class:`UsageTotals` sums, by the service's usage names."""


class UsageTotals:
    """Running totals of tokens, requests and cost over many calls. Thread-safe.

    Calls in threads, batches and async tasks may finish at the same time, so every update
    happens under one lock. Attributes: the counts in :data:`TOKEN_COUNT_NAMES`, ``requests``,
    ``total_cost``, ``currency`` and ``cost_by_model`` (model id -> its total cost).
    """

    total_tokens: int
    prompt_tokens: int
    prompt_cache_hit_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    requests: int
    total_cost: float
    currency: str
    cost_by_model: dict[str, float]

    NAMES: ClassVar[tuple[str, ...]] = (
        *TOKEN_COUNT_NAMES,
        "requests",
        "total_cost",
        "currency",
        "cost_by_model",
    )
    """The attributes holding the totals, in :meth:`as_dict`'s order."""

    def __init__(self) -> None:
        super().__init__()  # a mixin: let the other bases initialise too
        self._lock = threading.Lock()
        self._zero()

    def _zero(self) -> None:
        for name in TOKEN_COUNT_NAMES:
            setattr(self, name, 0)
        self.requests = 0
        self.total_cost = 0.0
        self.currency = "USD"
        self.cost_by_model = {}

    def add(self, counts: Mapping[str, Any] | None, cost: Any = None) -> None:
        """Count one finished call.

        ``counts`` maps usage names (:data:`TOKEN_COUNT_NAMES`; others are ignored, missing or
        None ones count 0); ``cost`` is the reply's ``CallCost.as_dict()``, or anything else
        (None, for an unpriced model or another LLM's reply) to add tokens but no cost.
        """
        with self._lock:
            self.requests += 1
            for name in TOKEN_COUNT_NAMES:
                setattr(self, name, getattr(self, name) + int((counts or {}).get(name) or 0))
            if isinstance(cost, Mapping):
                amount = float(cost.get("total_cost", 0.0))
                self.total_cost += amount
                self.currency = str(cost.get("currency", self.currency))
                model = str(cost.get("model", ""))
                self.cost_by_model[model] = self.cost_by_model.get(model, 0.0) + amount

    def reset(self) -> None:
        """Start the totals again from zero."""
        with self._lock:
            self._zero()

    def as_dict(self) -> dict[str, Any]:
        """The totals as a JSON-ready dict (a copy)."""
        with self._lock:
            totals = {name: getattr(self, name) for name in self.NAMES}
            totals["cost_by_model"] = dict(self.cost_by_model)
        return totals

    def __repr__(self) -> str:
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tPrompt Tokens: {self.prompt_tokens}\n"
            f"\t\tPrompt Tokens Cached: {self.prompt_cache_hit_tokens}\n"
            f"\tCompletion Tokens: {self.completion_tokens}\n"
            f"\t\tReasoning Tokens: {self.reasoning_tokens}\n"
            f"Successful Requests: {self.requests}\n"
            f"Total Cost ({self.currency}): {self.total_cost:.8f}"
        )


def add_usage_counts(total: dict[str, Any], usage: Mapping[str, Any]) -> None:
    """Add ``usage`` into ``total`` in place: numbers summed, nested mappings merged the same
    way, None skipped, other values (strings...) kept from the first usage that had them."""
    for key, value in usage.items():
        # Exact int/float first: nearly every value is a count, and this test is the cheapest
        # (LangChain runs this for every generate() call); bool is excluded by it too.
        kind = type(value)
        if kind is int or kind is float:
            total[key] = total.get(key, 0) + value
        elif value is None:
            continue
        elif isinstance(value, Mapping):
            add_usage_counts(total.setdefault(key, {}), value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
        else:
            total.setdefault(key, value)


def cost_metadata(
    usage: Usage | None,
    model: str,
    prices: PriceTable | Mapping[str, Any] | None,
    era: Era,
    *,
    answered_at: datetime | float | None = None,
    served_model: str | None = None,
    system_fingerprint: str | None = None,
    builtin_tool_calls: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """``{"cost": CallCost.as_dict()}`` for a reply's metadata, or ``{}`` when the call has no
    usage or ``model`` no price (so ``metadata.update(cost_metadata(...))`` always works).

    ``answered_at`` is the reply's ``created`` (unix seconds; 0 or None: now), the time the
    price is read at; ``served_model`` and ``system_fingerprint`` are recorded beside the cost.
    """
    from ._pricing import call_cost

    cost = call_cost(
        usage,
        model,
        prices,
        era=era,
        at=answered_at or None,  # created=0 is a reply without the field
        served_model=served_model,
        system_fingerprint=system_fingerprint,
        builtin_tool_calls=builtin_tool_calls,
    )
    return {"cost": cost.as_dict()} if cost is not None else {}


def reply_cost_metadata(
    reply: AnsweredReply,
    model: str,
    prices: PriceTable | Mapping[str, Any] | None,
    era: Era,
    *,
    builtin_tool_calls: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """``{"cost": ...}`` for ``reply``'s metadata (see :func:`~._pricing.reply_cost`), or
    ``{}`` when it has no usage or ``model`` no price: what both adapters attach."""
    from ._pricing import reply_cost

    cost = reply_cost(reply, model, prices, era=era, builtin_tool_calls=builtin_tool_calls)
    return {"cost": cost.as_dict()} if cost is not None else {}
