"""A thin, typed core for the DeepSeek chat-completions API, on httpx and pydantic.

Sync and async clients, wire models, an incremental SSE decoder, errors mapped from status
codes, a retry policy that honours ``Retry-After``, the model registry and the reasoner's
history rules. It imports no agent framework; the LangChain and LlamaIndex adapters build on it.
"""

from typing import Any

from ._client import AsyncDeepSeekClient, DeepSeekClient
from ._config import (
    API_KEY_ENV_VARS,
    BASE_URL_ENV_VAR,
    DEEPSEEK_BASE_URL_ENV_VARS,
    DEEPSEEK_DEFAULT_BASE_URL,
    DEFAULT_BASE_URL,
    ENV_VARS,
    Endpoint,
    resolve_endpoint,
)
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DeepSeekAPIError,
    InsufficientCreditsError,
    InternalServerError,
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
    check_request_images,
    image_part_from_bytes,
    image_part_from_path,
    image_part_from_url,
    image_tokens,
    inspect_image,
)
from ._options import RequestOptions, SortedOptions, sort_options
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

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "DEEPSEEK_BASE_URL_ENV_VARS",
    "DEEPSEEK_DEFAULT_BASE_URL",
    "DEFAULT_BASE_URL",
    "DEFAULT_ERA",
    "ENV_VARS",
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
    "DeepSeekAPIError",
    "DeepSeekClient",
    "Delta",
    "Endpoint",
    "Era",
    "FunctionCall",
    "FunctionCallDelta",
    "FunctionSpec",
    "IgnoredParameterWarning",
    "ImageInfo",
    "ImagePart",
    "ImageURL",
    "InsufficientCreditsError",
    "InternalServerError",
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
    "SortedOptions",
    "StreamInterruptedError",
    "StreamOptions",
    "TextPart",
    "ThinkingConfig",
    "ThinkingSupport",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "UnprocessableEntityError",
    "UnsupportedParameterError",
    "Usage",
    "__version__",
    "build_request_body",
    "check_request_images",
    "get_model_profile",
    "image_part_from_bytes",
    "image_part_from_path",
    "image_part_from_url",
    "image_tokens",
    "inspect_image",
    "listed_model_ids",
    "parse_retry_after",
    "resolve_endpoint",
    "sort_options",
]

# Adapter support used to be exported here; it lives in deepseekapi_core.integration now.
_MOVED_TO_INTEGRATION = frozenset(
    {
        "StreamAccumulator",
        "ToolCallBuilder",
        "coerce_chat_request",
        "forced_tool_choice_allowed",
        "invalid_request_from",
        "join_text_parts",
        "parse_tool_arguments",
        "prepare_messages",
        "tool_spec_from",
        "usage_summary",
    }
)


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_INTEGRATION:
        import warnings

        from . import integration

        warnings.warn(
            f"deepseekapi_core.{name} moved to deepseekapi_core.integration.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(integration, name)
    raise AttributeError(f"module 'deepseekapi_core' has no attribute {name!r}")
