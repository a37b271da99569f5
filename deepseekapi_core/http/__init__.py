"""The HTTP layer: the clients, their options, retries, server-sent events, deadlines and errors.

:class:`DeepSeekClient` and :class:`AsyncDeepSeekClient` are thin shells over one I/O-free
exchange (send, classify the reply, wait, retry, fold a stream); :class:`ClientOptions` is the
one list of what a client is built from. Every error the core raises is a
:class:`DeepSeekAPIError`, mapped from the status code as the design table says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "._client": ("DeepSeekClient", "AsyncDeepSeekClient"),
    "._options": ("ClientOptions", "RequestOptions"),
    "._retry": ("RetryPolicy", "parse_retry_after"),
    "._sse": ("DONE", "SSEDecoder", "ServerSentEvent"),
    "._config": (
        "API_KEY_ENV_VARS",
        "BASE_URL_ENV_VAR",
        "DEFAULT_BASE_URL",
        "DEEPSEEK_BASE_URL_ENV_VARS",
        "DEEPSEEK_DEFAULT_BASE_URL",
        "Endpoint",
        "resolve_endpoint",
    ),
    "._errors": (
        "DeepSeekAPIError",
        "APIStatusError",
        "APIConnectionError",
        "APITimeoutError",
        "APIResponseValidationError",
        "APIStreamError",
        "BadRequestError",
        "AuthenticationError",
        "InsufficientCreditsError",
        "PermissionDeniedError",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
        "ServiceUnavailableError",
        "InsufficientSystemResourceError",
        "StreamInterruptedError",
        "DeadlineExceededError",
        "InvalidRequestError",
        "InvalidAPIKeyError",
        "MissingAPIKeyError",
        "UnsupportedParameterError",
        "EmptyJSONReplyError",
    ),
}

if TYPE_CHECKING:  # written from _EXPORTS by scripts/public_surface.py
    from ._client import (
        AsyncDeepSeekClient,
        DeepSeekClient,
    )
    from ._config import (
        API_KEY_ENV_VARS,
        BASE_URL_ENV_VAR,
        DEEPSEEK_BASE_URL_ENV_VARS,
        DEEPSEEK_DEFAULT_BASE_URL,
        DEFAULT_BASE_URL,
        Endpoint,
        resolve_endpoint,
    )
    from ._errors import (
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
    from ._options import (
        ClientOptions,
        RequestOptions,
    )
    from ._retry import (
        RetryPolicy,
        parse_retry_after,
    )
    from ._sse import (
        DONE,
        ServerSentEvent,
        SSEDecoder,
    )

    __all__ = [
        "API_KEY_ENV_VARS",
        "BASE_URL_ENV_VAR",
        "DEEPSEEK_BASE_URL_ENV_VARS",
        "DEEPSEEK_DEFAULT_BASE_URL",
        "DEFAULT_BASE_URL",
        "DONE",
        "APIConnectionError",
        "APIResponseValidationError",
        "APIStatusError",
        "APIStreamError",
        "APITimeoutError",
        "AsyncDeepSeekClient",
        "AuthenticationError",
        "BadRequestError",
        "ClientOptions",
        "ConflictError",
        "DeadlineExceededError",
        "DeepSeekAPIError",
        "DeepSeekClient",
        "EmptyJSONReplyError",
        "Endpoint",
        "InsufficientCreditsError",
        "InsufficientSystemResourceError",
        "InternalServerError",
        "InvalidAPIKeyError",
        "InvalidRequestError",
        "MissingAPIKeyError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "RequestOptions",
        "RetryPolicy",
        "SSEDecoder",
        "ServerSentEvent",
        "ServiceUnavailableError",
        "StreamInterruptedError",
        "UnprocessableEntityError",
        "UnsupportedParameterError",
        "parse_retry_after",
        "resolve_endpoint",
    ]
else:
    __all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
