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
    check_request_images,
    image_part_from_bytes,
    image_part_from_path,
    image_part_from_url,
    image_tokens,
    inspect_image,
)
from ._json_mode import parse_json_reply
from ._options import RequestOptions, SortedOptions, sort_options
from ._prepare import IgnoredParameterWarning, ReasoningReplay, build_request_body
from ._retry import RetryPolicy, parse_retry_after
from ._tool_recovery import RecoveredToolCalls, recover_tool_calls, schema_problems
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
from .pricing import (
    CallCost,
    ModelPrice,
    PriceTable,
    call_cost,
    default_price_table,
    resolve_price_table,
)
from .tokenizer import (
    DeepSeekTokenizer,
    TokenizerUnavailableError,
    count_prompt_tokens,
    get_tokenizer,
    tokenizer_available,
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
    "CallCost",
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
    "DeepSeekTokenizer",
    "Delta",
    "EmptyJSONReplyError",
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
    "InsufficientSystemResourceError",
    "InternalServerError",
    "InvalidAPIKeyError",
    "InvalidRequestError",
    "MissingAPIKeyError",
    "Model",
    "ModelList",
    "ModelPrice",
    "ModelProfile",
    "NamedToolChoice",
    "NotFoundError",
    "PermissionDeniedError",
    "PriceTable",
    "PromptTokensDetails",
    "RateLimitError",
    "ReasoningEffort",
    "ReasoningReplay",
    "RecoveredToolCalls",
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
    "TokenizerUnavailableError",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "UnprocessableEntityError",
    "UnsupportedParameterError",
    "Usage",
    "__version__",
    "build_request_body",
    "call_cost",
    "check_request_images",
    "count_prompt_tokens",
    "default_price_table",
    "get_model_profile",
    "get_tokenizer",
    "image_part_from_bytes",
    "image_part_from_path",
    "image_part_from_url",
    "image_tokens",
    "inspect_image",
    "listed_model_ids",
    "parse_json_reply",
    "parse_retry_after",
    "recover_tool_calls",
    "resolve_endpoint",
    "resolve_price_table",
    "schema_problems",
    "sort_options",
    "tokenizer_available",
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
