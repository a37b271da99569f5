"""A thin, typed core for the DeepSeek chat-completions API, on httpx and pydantic.

Sync and async clients, wire models, an incremental SSE decoder, errors mapped from status
codes, a retry policy that honours ``Retry-After``, the model registry and the reasoner's
history rules. It imports no agent framework; the LangChain and LlamaIndex adapters build on it.

Importing the package is cheap: each name below is imported from its module on first use
(``deepseekapi_core.DeepSeekClient`` brings httpx and pydantic with it). So the adapters can
import the core's light modules (:mod:`deepseekapi_core.adapter_mixins`) without paying for httpx.
Adapter support lives in :mod:`deepseekapi_core.integration`; the tokenizer and prices in
:mod:`deepseekapi_core.tokenizer` and :mod:`deepseekapi_core.pricing`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports these
    from ._client import AsyncDeepSeekClient, DeepSeekClient
    from ._config import API_KEY_ENV_VARS, BASE_URL_ENV_VAR, DEFAULT_BASE_URL
    from ._exceptions import (
        APIConnectionError,
        APIResponseValidationError,
        APIStatusError,
        APIStreamError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        DeadlineExceededError,
        DeepSeekAPIError,
        EmptyJSONReplyError,
        InsufficientCreditsError,
        InsufficientSystemResourceError,
        InternalServerError,
        InvalidAPIKeyError,
        InvalidRequestError,
        MissingAPIKeyError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ServiceUnavailableError,
        StreamInterruptedError,
        UnprocessableEntityError,
        UnsupportedParameterError,
    )
    from ._images import (
        MAX_IMAGE_BYTES,
        SUPPORTED_IMAGE_TYPES,
        ImageInfo,
        image_part_from_bytes,
        image_part_from_path,
        image_part_from_url,
        image_tokens,
        inspect_image,
    )
    from ._options import RequestOptions
    from ._prepare import IgnoredParameterWarning, ReasoningReplay, build_request_body
    from ._retry import RetryPolicy, parse_retry_after
    from ._types import (
        AssistantMessage,
        ChatCompletion,
        ChatCompletionChunk,
        ChatMessage,
        ChatRequest,
        Choice,
        ChunkChoice,
        CompletionTokensDetails,
        ContentPart,
        Delta,
        FunctionCall,
        FunctionCallDelta,
        FunctionSpec,
        ImagePart,
        ImageURL,
        Model,
        ModelList,
        NamedToolChoice,
        PromptTokensDetails,
        ReasoningEffort,
        ResponseFormat,
        Role,
        StreamOptions,
        TextPart,
        ThinkingConfig,
        ToolCall,
        ToolCallDelta,
        ToolSpec,
        Usage,
    )
    from ._version import __version__
    from .models import (
        DEFAULT_ERA,
        REASONING_EFFORTS,
        Era,
        ModelProfile,
        ThinkingSupport,
        get_model_profile,
        listed_model_ids,
    )
    from .preflight import ContextWindowExceededError
    from .tokenizer import TokenizerUnavailableError

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "DEFAULT_BASE_URL",
    "DEFAULT_ERA",
    "MAX_IMAGE_BYTES",
    "REASONING_EFFORTS",
    "SUPPORTED_IMAGE_TYPES",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AssistantMessage",
    "AsyncDeepSeekClient",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "ChatRequest",
    "Choice",
    "ChunkChoice",
    "CompletionTokensDetails",
    "ConflictError",
    "ContentPart",
    "ContextWindowExceededError",
    "DeadlineExceededError",
    "DeepSeekAPIError",
    "DeepSeekClient",
    "Delta",
    "EmptyJSONReplyError",
    "Era",
    "FunctionCall",
    "FunctionCallDelta",
    "FunctionSpec",
    "IgnoredParameterWarning",
    "ImageInfo",
    "ImagePart",
    "ImageURL",
    "InsufficientCreditsError",
    "InsufficientSystemResourceError",
    "InternalServerError",
    "InvalidAPIKeyError",
    "InvalidRequestError",
    "MissingAPIKeyError",
    "Model",
    "ModelList",
    "ModelProfile",
    "NamedToolChoice",
    "NotFoundError",
    "PermissionDeniedError",
    "PromptTokensDetails",
    "RateLimitError",
    "ReasoningEffort",
    "ReasoningReplay",
    "RequestOptions",
    "ResponseFormat",
    "RetryPolicy",
    "Role",
    "ServiceUnavailableError",
    "StreamInterruptedError",
    "StreamOptions",
    "TextPart",
    "ThinkingConfig",
    "ThinkingSupport",
    "TokenizerUnavailableError",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "UnprocessableEntityError",
    "UnsupportedParameterError",
    "Usage",
    "__version__",
    "build_request_body",
    "get_model_profile",
    "image_part_from_bytes",
    "image_part_from_path",
    "image_part_from_url",
    "image_tokens",
    "inspect_image",
    "listed_model_ids",
    "parse_retry_after",
]

# Each public name's module, imported when the name is first used.
_HOMES: dict[str, str] = {
    "API_KEY_ENV_VARS": "._config",
    "BASE_URL_ENV_VAR": "._config",
    "DEFAULT_BASE_URL": "._config",
    "DEFAULT_ERA": ".models",
    "MAX_IMAGE_BYTES": "._images",
    "REASONING_EFFORTS": ".models",
    "SUPPORTED_IMAGE_TYPES": "._images",
    "APIConnectionError": "._exceptions",
    "APIResponseValidationError": "._exceptions",
    "APIStatusError": "._exceptions",
    "APIStreamError": "._exceptions",
    "APITimeoutError": "._exceptions",
    "AssistantMessage": "._types",
    "AsyncDeepSeekClient": "._client",
    "AuthenticationError": "._exceptions",
    "BadRequestError": "._exceptions",
    "ChatCompletion": "._types",
    "ChatCompletionChunk": "._types",
    "ChatMessage": "._types",
    "ChatRequest": "._types",
    "Choice": "._types",
    "ChunkChoice": "._types",
    "CompletionTokensDetails": "._types",
    "ConflictError": "._exceptions",
    "ContentPart": "._types",
    "ContextWindowExceededError": ".preflight",
    "DeadlineExceededError": "._exceptions",
    "DeepSeekAPIError": "._exceptions",
    "DeepSeekClient": "._client",
    "Delta": "._types",
    "EmptyJSONReplyError": "._exceptions",
    "Era": ".models",
    "FunctionCall": "._types",
    "FunctionCallDelta": "._types",
    "FunctionSpec": "._types",
    "IgnoredParameterWarning": "._prepare",
    "ImageInfo": "._images",
    "ImagePart": "._types",
    "ImageURL": "._types",
    "InsufficientCreditsError": "._exceptions",
    "InsufficientSystemResourceError": "._exceptions",
    "InternalServerError": "._exceptions",
    "InvalidAPIKeyError": "._exceptions",
    "InvalidRequestError": "._exceptions",
    "MissingAPIKeyError": "._exceptions",
    "Model": "._types",
    "ModelList": "._types",
    "ModelProfile": ".models",
    "NamedToolChoice": "._types",
    "NotFoundError": "._exceptions",
    "PermissionDeniedError": "._exceptions",
    "PromptTokensDetails": "._types",
    "RateLimitError": "._exceptions",
    "ReasoningEffort": "._types",
    "ReasoningReplay": "._prepare",
    "RequestOptions": "._options",
    "ResponseFormat": "._types",
    "RetryPolicy": "._retry",
    "Role": "._types",
    "ServiceUnavailableError": "._exceptions",
    "StreamInterruptedError": "._exceptions",
    "StreamOptions": "._types",
    "TextPart": "._types",
    "ThinkingConfig": "._types",
    "ThinkingSupport": ".models",
    "TokenizerUnavailableError": ".tokenizer",
    "ToolCall": "._types",
    "ToolCallDelta": "._types",
    "ToolSpec": "._types",
    "UnprocessableEntityError": "._exceptions",
    "UnsupportedParameterError": "._exceptions",
    "Usage": "._types",
    "__version__": "._version",
    "build_request_body": "._prepare",
    "get_model_profile": ".models",
    "image_part_from_bytes": "._images",
    "image_part_from_path": "._images",
    "image_part_from_url": "._images",
    "image_tokens": "._images",
    "inspect_image": "._images",
    "listed_model_ids": ".models",
    "parse_retry_after": "._retry",
}

# Public submodules that ``import deepseekapi_core`` used to load, reachable as attributes.
_SUBMODULES = frozenset(
    {"integration", "limiter", "models", "preflight", "pricing", "sse", "tokenizer"}
)

# Names exported here up to 0.1.0 and moved since: still importable, with a DeprecationWarning.
_MOVED: dict[str, str] = {
    "call_cost": "pricing",
    "CallCost": "pricing",
    "check_request_images": "integration",
    "coerce_chat_request": "integration",
    "count_prompt_tokens": "tokenizer",
    "DEEPSEEK_BASE_URL_ENV_VARS": "integration",
    "DEEPSEEK_DEFAULT_BASE_URL": "integration",
    "DeepSeekTokenizer": "tokenizer",
    "default_price_table": "pricing",
    "Endpoint": "integration",
    "ENV_VARS": "integration",
    "forced_tool_choice_allowed": "integration",
    "get_tokenizer": "tokenizer",
    "invalid_request_from": "integration",
    "join_text_parts": "integration",
    "ModelPrice": "pricing",
    "parse_json_reply": "integration",
    "parse_tool_arguments": "integration",
    "prepare_messages": "integration",
    "PriceTable": "pricing",
    "recover_tool_calls": "integration",
    "RecoveredToolCalls": "integration",
    "resolve_endpoint": "integration",
    "resolve_price_table": "pricing",
    "schema_problems": "integration",
    "sort_options": "integration",
    "SortedOptions": "integration",
    "StreamAccumulator": "integration",
    "tokenizer_available": "tokenizer",
    "tool_spec_from": "integration",
    "ToolCallBuilder": "integration",
    "usage_summary": "integration",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is not None:
        value = getattr(importlib.import_module(home, __name__), name)
        globals()[name] = value  # later lookups find it without calling __getattr__
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    new_home = _MOVED.get(name)
    if new_home is not None:
        import warnings

        warnings.warn(
            f"deepseekapi_core.{name} moved to deepseekapi_core.{new_home}.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(f".{new_home}", __name__), name)
    raise AttributeError(f"module 'deepseekapi_core' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
