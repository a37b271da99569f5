"""Token counts and cost for LangChain: the model's counting methods and ``get_deepseek_callback``.

The logic is the core's (``deepseekapi_core.accounting``, ``deepseekapi_core.accounting``); this
module turns LangChain messages and results into what the core takes, and totals cost over a
block of code the way ``get_openai_callback()`` does for OpenAI.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

from deepseekapi_core import Era
from deepseekapi_core.accounting._tokenizer import count_prompt_tokens, tokenizer_or_fallback
from deepseekapi_core.accounting._totals import UsageTotals

__all__ = [
    "DeepSeekCallbackHandler",
    "count_message_tokens",
    "get_deepseek_callback",
    "token_ids",
    "usage_counts",
]

_LANGCHAIN_COUNTER = (
    "LangChain's default (a GPT-2 tokenizer from transformers), which miscounts DeepSeek's tokens"
)


def token_ids(text: str, what: str) -> list[int] | None:
    """The DeepSeek token ids of ``text``; None (after a warning) without the tokenizer."""
    tokenizer = tokenizer_or_fallback(f"ChatDeepSeekAPI.{what}", _LANGCHAIN_COUNTER, stacklevel=3)
    return tokenizer.encode(text) if tokenizer is not None else None


def count_message_tokens(
    messages: Sequence[BaseMessage],
    *,
    tools: Sequence[Any] | None,
    thinking: bool,
    era: Era,
) -> int | None:
    """The prompt tokens of ``messages`` as the service counts them (chat template included);
    None (after a warning) without the tokenizer."""
    from ._messages import to_core_messages

    what = "ChatDeepSeekAPI.get_num_tokens_from_messages"
    tokenizer = tokenizer_or_fallback(what, _LANGCHAIN_COUNTER, stacklevel=3)
    if tokenizer is None:
        return None
    wire_tools = None
    if tools:
        from langchain_core.utils.function_calling import convert_to_openai_tool

        wire_tools = [convert_to_openai_tool(tool) for tool in tools]
    return count_prompt_tokens(
        to_core_messages(messages),
        tools=wire_tools,
        thinking=thinking,
        era=era,
        tokenizer=tokenizer,
    )


def usage_counts(usage: UsageMetadata | None) -> dict[str, int]:
    """LangChain's ``usage_metadata`` by the service's usage names (what the core totals)."""
    if not usage:
        return {}
    return {
        "total_tokens": usage.get("total_tokens", 0),
        "prompt_tokens": usage.get("input_tokens", 0),
        "prompt_cache_hit_tokens": usage.get("input_token_details", {}).get("cache_read", 0),
        "completion_tokens": usage.get("output_tokens", 0),
        "reasoning_tokens": usage.get("output_token_details", {}).get("reasoning", 0),
    }


class DeepSeekCallbackHandler(UsageTotals, BaseCallbackHandler):
    """Totals the tokens and cost of every ``ChatDeepSeekAPI`` call it sees.

    Thread-safe: calls in threads, ``batch`` and async tasks may finish at the same time. Costs
    come from each reply's ``response_metadata["cost"]`` (the model's own price table); a reply
    without one (an unpriced model) adds tokens but no cost. The totals are
    :class:`~deepseekapi_core._adapters.UsageTotals`' attributes (``total_tokens``,
    ``prompt_tokens``, ``total_cost``, ``cost_by_model``...).
    """

    @property
    def successful_requests(self) -> int:
        """The calls counted (LangChain's name for ``requests``)."""
        return self.requests

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
                    message = generation.message
                    self.add(
                        usage_counts(message.usage_metadata), message.response_metadata.get("cost")
                    )


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
