"""A thin, typed core for the DeepSeek chat-completions API, on httpx and pydantic.

What a user of the core writes: the clients and their options, the wire models, the errors, the
model registry, the image helpers, the accounting entry points and the emulator. Everything is
also in its concept's subpackage, with the rest of that concept:

* :mod:`deepseekapi_core.http`: clients, options, retries, SSE, deadlines, every error class;
* :mod:`deepseekapi_core.wire`: request and response models, the model registry, the
  reasoner's rules, messages and images;
* :mod:`deepseekapi_core.tools`: tool specs and choice, tool-call parsing and recovery;
* :mod:`deepseekapi_core.accounting`: tokenizer, prices, usage totals, the concurrency
  limiter, the pre-flight context check;
* :mod:`deepseekapi_core.testing`: the offline emulator and its pytest plugin;
* :mod:`deepseekapi_core.cli`: the ``deepseekapi`` command and its demo.

``deepseekapi_core._adapters`` is the private support the LangChain and LlamaIndex adapters
share; it is outside semver. Nothing here imports an agent framework.

Importing the package is cheap: each name is imported on first use
(``deepseekapi_core.DeepSeekClient`` brings httpx and pydantic with it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

_EXPORTS = {
    ".http": (
        "DeepSeekClient",
        "AsyncDeepSeekClient",
        "ClientOptions",
        "RequestOptions",
        "RetryPolicy",
        "DeepSeekAPIError",
        "APIStatusError",
        "APIConnectionError",
        "APITimeoutError",
        "BadRequestError",
        "AuthenticationError",
        "InsufficientCreditsError",
        "PermissionDeniedError",
        "NotFoundError",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
        "ServiceUnavailableError",
        "StreamInterruptedError",
        "DeadlineExceededError",
        "InvalidRequestError",
        "MissingAPIKeyError",
    ),
    ".wire": (
        "ChatRequest",
        "ChatMessage",
        "ToolSpec",
        "ResponseFormat",
        "ChatCompletion",
        "ChatCompletionChunk",
        "Usage",
        "ToolCall",
        "Model",
        "TextPart",
        "ImagePart",
        "IgnoredParameterWarning",
        "Era",
        "ModelProfile",
        "get_model_profile",
        "image_part_from_path",
        "image_part_from_bytes",
        "image_part_from_url",
    ),
    ".accounting": (
        "ContextWindowExceededError",
        "count_prompt_tokens",
        "PriceTable",
        "ConcurrencyLimiter",
        "RedisLimiter",
    ),
    ".testing": ("Emulator", "EmulatorServer"),
    "._version": ("__version__",),
}

if TYPE_CHECKING:  # written from _EXPORTS by scripts/public_surface.py
    from ._version import (
        __version__,
    )
    from .accounting import (
        ConcurrencyLimiter,
        ContextWindowExceededError,
        PriceTable,
        RedisLimiter,
        count_prompt_tokens,
    )
    from .http import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AsyncDeepSeekClient,
        AuthenticationError,
        BadRequestError,
        ClientOptions,
        DeadlineExceededError,
        DeepSeekAPIError,
        DeepSeekClient,
        InsufficientCreditsError,
        InternalServerError,
        InvalidRequestError,
        MissingAPIKeyError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        RequestOptions,
        RetryPolicy,
        ServiceUnavailableError,
        StreamInterruptedError,
        UnprocessableEntityError,
    )
    from .testing import (
        Emulator,
        EmulatorServer,
    )
    from .wire import (
        ChatCompletion,
        ChatCompletionChunk,
        ChatMessage,
        ChatRequest,
        Era,
        IgnoredParameterWarning,
        ImagePart,
        Model,
        ModelProfile,
        ResponseFormat,
        TextPart,
        ToolCall,
        ToolSpec,
        Usage,
        get_model_profile,
        image_part_from_bytes,
        image_part_from_path,
        image_part_from_url,
    )

    __all__ = [
        "APIConnectionError",
        "APIStatusError",
        "APITimeoutError",
        "AsyncDeepSeekClient",
        "AuthenticationError",
        "BadRequestError",
        "ChatCompletion",
        "ChatCompletionChunk",
        "ChatMessage",
        "ChatRequest",
        "ClientOptions",
        "ConcurrencyLimiter",
        "ContextWindowExceededError",
        "DeadlineExceededError",
        "DeepSeekAPIError",
        "DeepSeekClient",
        "Emulator",
        "EmulatorServer",
        "Era",
        "IgnoredParameterWarning",
        "ImagePart",
        "InsufficientCreditsError",
        "InternalServerError",
        "InvalidRequestError",
        "MissingAPIKeyError",
        "Model",
        "ModelProfile",
        "NotFoundError",
        "PermissionDeniedError",
        "PriceTable",
        "RateLimitError",
        "RedisLimiter",
        "RequestOptions",
        "ResponseFormat",
        "RetryPolicy",
        "ServiceUnavailableError",
        "StreamInterruptedError",
        "TextPart",
        "ToolCall",
        "ToolSpec",
        "UnprocessableEntityError",
        "Usage",
        "__version__",
        "count_prompt_tokens",
        "get_model_profile",
        "image_part_from_bytes",
        "image_part_from_path",
        "image_part_from_url",
    ]
else:
    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
