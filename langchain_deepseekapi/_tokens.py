"""Token counts and cost for LangChain: the model's counting methods and ``get_deepseek_callback``.

The logic is the core's (``deepseekapi_core.tokenizer``, ``deepseekapi_core.pricing``); this
module turns LangChain messages and results into what the core takes, and totals cost over a
block of code the way ``get_openai_callback()`` does for OpenAI.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

if TYPE_CHECKING:
    from deepseekapi_core import Era, PriceTable, Usage

__all__ = [
    "DeepSeekCallbackHandler",
    "add_cost",
    "count_message_tokens",
    "get_deepseek_callback",
    "token_ids",
]

_warned_fallback = False


def _warn_fallback(what: str) -> None:
    """Say once per process why counts are LangChain's approximation, and how to get exact ones."""
    global _warned_fallback
    if _warned_fallback:
        return
    _warned_fallback = True
    from deepseekapi_core.tokenizer import TOKENIZER_EXTRA_HINT

    warnings.warn(
        f"ChatDeepSeekAPI.{what}: {TOKENIZER_EXTRA_HINT}; using LangChain's default "
        "(a GPT-2 tokenizer from transformers), which miscounts DeepSeek's tokens",
        UserWarning,
        stacklevel=3,
    )


def token_ids(text: str, what: str) -> list[int] | None:
    """The DeepSeek token ids of ``text``; None (after a warning) without the tokenizer."""
    from deepseekapi_core.tokenizer import get_tokenizer, tokenizer_available

    if not tokenizer_available():
        _warn_fallback(what)
        return None
    return get_tokenizer().encode(text)


def count_message_tokens(
    messages: Sequence[BaseMessage],
    *,
    tools: Sequence[Any] | None,
    thinking: bool,
    era: Era,
) -> int | None:
    """The prompt tokens of ``messages`` as the service counts them (chat template included);
    None (after a warning) without the tokenizer."""
    from deepseekapi_core.tokenizer import count_prompt_tokens, tokenizer_available

    from ._messages import to_core_messages

    if not tokenizer_available():
        _warn_fallback("get_num_tokens_from_messages")
        return None
    wire_tools = None
    if tools:
        from langchain_core.utils.function_calling import convert_to_openai_tool

        wire_tools = [convert_to_openai_tool(tool) for tool in tools]
    return count_prompt_tokens(
        to_core_messages(messages), tools=wire_tools, thinking=thinking, era=era
    )


def add_cost(
    message: BaseMessage,
    usage: Usage | None,
    model: str,
    prices: PriceTable | dict[str, Any] | None,
    era: Era,
) -> None:
    """Put the call's cost into ``message.response_metadata["cost"]`` (when the model is priced)."""
    from deepseekapi_core.pricing import call_cost

    cost = call_cost(usage, model, prices, era=era)
    if cost is not None:
        message.response_metadata["cost"] = cost.as_dict()


class DeepSeekCallbackHandler(BaseCallbackHandler):
    """Totals the tokens and cost of every ``ChatDeepSeekAPI`` call it sees.

    Thread-safe: calls in threads, ``batch`` and async tasks may finish at the same time. Costs
    come from each reply's ``response_metadata["cost"]`` (the model's own price table); a reply
    without one (an unpriced model) adds tokens but no cost.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.total_tokens = 0
        self.prompt_tokens = 0
        self.prompt_cache_hit_tokens = 0
        self.completion_tokens = 0
        self.reasoning_tokens = 0
        self.successful_requests = 0
        self.total_cost = 0.0
        self.currency = "USD"
        self.cost_by_model: dict[str, float] = {}

    def __repr__(self) -> str:
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tPrompt Tokens: {self.prompt_tokens}\n"
            f"\t\tPrompt Tokens Cached: {self.prompt_cache_hit_tokens}\n"
            f"\tCompletion Tokens: {self.completion_tokens}\n"
            f"\t\tReasoning Tokens: {self.reasoning_tokens}\n"
            f"Successful Requests: {self.successful_requests}\n"
            f"Total Cost ({self.currency}): {self.total_cost:.8f}"
        )

    @property
    def always_verbose(self) -> bool:
        """Called even when the model is not verbose (like LangChain's own usage handlers)."""
        return True

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Add one finished call (streamed calls arrive here once, merged)."""
        for generations in response.generations:
            for generation in generations:
                if isinstance(generation, ChatGeneration) and isinstance(
                    generation.message, AIMessage
                ):
                    self._add(generation.message)

    def _add(self, message: AIMessage) -> None:
        usage = message.usage_metadata
        cost = message.response_metadata.get("cost")
        with self._lock:
            self.successful_requests += 1
            if usage:
                self.total_tokens += usage.get("total_tokens", 0)
                self.prompt_tokens += usage.get("input_tokens", 0)
                self.completion_tokens += usage.get("output_tokens", 0)
                self.prompt_cache_hit_tokens += usage.get("input_token_details", {}).get(
                    "cache_read", 0
                )
                self.reasoning_tokens += usage.get("output_token_details", {}).get("reasoning", 0)
            if isinstance(cost, dict):
                total = float(cost.get("total_cost", 0.0))
                self.total_cost += total
                self.currency = str(cost.get("currency", self.currency))
                model = str(cost.get("model", ""))
                self.cost_by_model[model] = self.cost_by_model.get(model, 0.0) + total


_deepseek_callback: ContextVar[DeepSeekCallbackHandler | None] = ContextVar(
    "deepseek_callback", default=None
)
# Every run configured while the variable holds a handler gets it, in child runs too.
register_configure_hook(_deepseek_callback, inheritable=True)


@contextmanager
def get_deepseek_callback() -> Generator[DeepSeekCallbackHandler, None, None]:
    """Total the tokens and cost of the DeepSeek calls made inside the ``with`` block.

    Sync, async, batched and streamed calls are all counted (the handler is thread-safe)::

        with get_deepseek_callback() as cb:
            llm.invoke("Hello")
            for _ in llm.stream("Hi"):
                pass
        print(cb.total_tokens, cb.total_cost)
    """
    handler = DeepSeekCallbackHandler()
    token = _deepseek_callback.set(handler)
    try:
        yield handler
    finally:
        _deepseek_callback.reset(token)
