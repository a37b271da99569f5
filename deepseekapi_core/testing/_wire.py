"""Wire-level constants and small builders shared by the emulator's modules."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_ERRORS",
    "EmulatedResponse",
    "RecordedRequest",
    "dumps",
    "error_response",
    "plain_error",
    "retry_headers",
    "sse_data",
    "status_error",
]

EMULATOR_HEADER = ("x-emulated-by", "deepseekapi-emulator")

DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("Invalid Format: the request body could not be accepted", "invalid_request_error"),
    401: ("Authentication Fails, Your api key: ****-key is invalid", "authentication_error"),
    402: ("Insufficient Balance", "unknown_error"),
    403: ("Permission Denied", "permission_error"),
    404: ("Not Found", "invalid_request_error"),
    408: ("Request Timeout", "timeout_error"),
    409: ("Conflict", "invalid_request_error"),
    422: ("Invalid Parameters", "invalid_request_error"),
    429: ("Rate Limit Reached", "rate_limit_error"),
    500: ("Server Error", "server_error"),
    502: ("Bad Gateway", "server_error"),
    503: ("Server Overloaded", "server_error"),
    504: ("Gateway Timeout", "server_error"),
}
"""Message and ``type`` the emulator sends for each status unless told otherwise."""

HTML_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>elb</center>\r\n"
    "</body>\r\n</html>\r\n"
)

REASONS: dict[int, str] = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    """Compact JSON with non-ASCII text kept as UTF-8, as the service sends it."""
    return _ENCODER.encode(value).encode()


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received.

    ``headers`` has lower-case names and never the ``Authorization`` header; ``json`` is the
    parsed body (None when there is no body or it is not JSON).
    """

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    body: bytes = b""


@dataclass
class EmulatedResponse:
    """A transport-neutral response: a body, or a list of SSE frames to stream.

    ``events`` holds complete frames (``data: ...\\n\\n`` or ``: keep-alive\\n\\n``).
    ``cut_after`` drops the connection after that many frames; ``stall_after`` goes silent
    after that many frames for ``stall_seconds`` (None: until the client leaves) and then
    closes it; ``drop`` drops it before any response; ``delay``/``event_delay`` are waits
    before the headers and between frames.

    Whoever delivers the response calls :meth:`close` once it is delivered or abandoned
    (the transports and the server do), which frees the request's in-flight slot.
    """

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    events: list[bytes] | None = None
    delay: float = 0.0
    event_delay: float = 0.0
    cut_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float | None = None
    drop: bool = False
    on_close: Callable[[], None] | None = field(default=None, repr=False)

    def close(self) -> None:
        """Mark the response delivered or abandoned (idempotent)."""
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            on_close()


def error_response(
    status: int,
    message: str,
    *,
    error_type: str = "invalid_request_error",
    code: str | None = "invalid_request_error",
    content_type: str = "application/json",
    headers: list[tuple[str, str]] | None = None,
) -> EmulatedResponse:
    """An OpenAI-shaped error body ``{"error": {message, type, param, code}}``."""
    body = dumps({"error": {"message": message, "type": error_type, "param": None, "code": code}})
    all_headers = [("content-type", content_type), EMULATOR_HEADER]
    if headers:
        all_headers.extend(headers)
    return EmulatedResponse(status, all_headers, body)


def plain_error(status: int, message: str) -> EmulatedResponse:
    """A plain-text error, as the service's body parser sends (e.g. its 422s)."""
    return EmulatedResponse(
        status,
        [("content-type", "text/plain; charset=utf-8"), EMULATOR_HEADER],
        message.encode(),
    )


def sse_data(value: Any) -> bytes:
    """One SSE frame carrying ``value`` as JSON: ``data: {...}\\n\\n``."""
    return b"data: " + dumps(value) + b"\n\n"


def status_error(
    status: int,
    *,
    trace_id: str,
    message: str | None = None,
    error_type: str | None = None,
    code: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> EmulatedResponse:
    """The service's error response for ``status``, its defaults overridable."""
    default_message, default_type = DEFAULT_ERRORS.get(
        status,
        (
            REASONS.get(status, "Error"),
            "server_error" if status >= 500 else "invalid_request_error",
        ),
    )
    return error_response(
        status,
        message or default_message,
        error_type=error_type or default_type,
        code=code or "invalid_request_error",
        headers=[("x-ds-trace-id", trace_id), *(headers or [])],
    )


def retry_headers(
    retry_after: float | str | None, retry_after_ms: float | None
) -> list[tuple[str, str]]:
    """``Retry-After`` (seconds, or a string sent as is) and ``retry-after-ms`` headers."""
    headers: list[tuple[str, str]] = []
    if retry_after is not None:
        headers.append(("retry-after", _number(retry_after)))
    if retry_after_ms is not None:
        headers.append(("retry-after-ms", _number(float(retry_after_ms))))
    return headers


def _number(value: float | str) -> str:
    if isinstance(value, str):
        return value
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)
