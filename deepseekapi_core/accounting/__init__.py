"""What a call costs and may spend: tokens, prices, usage totals, the concurrency limiter and the
pre-flight context check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "._tokenizer": (
        "TOKENIZER_FILE_ENV_VAR",
        "DeepSeekTokenizer",
        "RenderedPrompt",
        "TokenizerUnavailableError",
        "count_prompt_tokens",
        "get_tokenizer",
        "render_prompt",
        "tokenizer_available",
    ),
    "._pricing": (
        "PRICES_ENV_VAR",
        "CallCost",
        "ModelPrice",
        "PriceTable",
        "call_cost",
        "default_price_table",
        "resolve_price_table",
    ),
    "._totals": ("UsageTotals",),
    "._slots": ("ConcurrencyLimiter", "LimiterUnavailableError", "concurrency_cap"),
    "._in_process": ("InProcessLimiter", "default_limiter"),
    "._redis": ("RedisLimiter",),
    "._preflight": ("ContextWindowExceededError", "check_context_window"),
}

if TYPE_CHECKING:  # written from _EXPORTS by scripts/public_surface.py
    from ._in_process import (
        InProcessLimiter,
        default_limiter,
    )
    from ._preflight import (
        ContextWindowExceededError,
        check_context_window,
    )
    from ._pricing import (
        PRICES_ENV_VAR,
        CallCost,
        ModelPrice,
        PriceTable,
        call_cost,
        default_price_table,
        resolve_price_table,
    )
    from ._redis import (
        RedisLimiter,
    )
    from ._slots import (
        ConcurrencyLimiter,
        LimiterUnavailableError,
        concurrency_cap,
    )
    from ._tokenizer import (
        TOKENIZER_FILE_ENV_VAR,
        DeepSeekTokenizer,
        RenderedPrompt,
        TokenizerUnavailableError,
        count_prompt_tokens,
        get_tokenizer,
        render_prompt,
        tokenizer_available,
    )
    from ._totals import (
        UsageTotals,
    )

    __all__ = [
        "PRICES_ENV_VAR",
        "TOKENIZER_FILE_ENV_VAR",
        "CallCost",
        "ConcurrencyLimiter",
        "ContextWindowExceededError",
        "DeepSeekTokenizer",
        "InProcessLimiter",
        "LimiterUnavailableError",
        "ModelPrice",
        "PriceTable",
        "RedisLimiter",
        "RenderedPrompt",
        "TokenizerUnavailableError",
        "UsageTotals",
        "call_cost",
        "check_context_window",
        "concurrency_cap",
        "count_prompt_tokens",
        "default_limiter",
        "default_price_table",
        "get_tokenizer",
        "render_prompt",
        "resolve_price_table",
        "tokenizer_available",
    ]
else:
    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
