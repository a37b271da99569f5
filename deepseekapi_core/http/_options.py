"""Options of the HTTP exchange, never of the JSON body: per client (:class:`ClientOptions`, the
one list of what a client is built from) and per request (:class:`RequestOptions`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx
from pydantic import SecretStr

from ..accounting._limiter import ConcurrencyLimiter, check_limiter_options
from ..wire._prepare import ReasoningReplay
from ..wire._registry import DEFAULT_ERA, Era
from ._config import DEFAULT_MAX_RETRIES, TimeoutSpec, check_base_url, resolve_api_key
from ._errors import InvalidRequestError
from ._retry import RetryPolicy


@dataclass(frozen=True)
class RequestOptions:
    """Per-request HTTP options: a timeout, extra headers and query parameters.

    They apply to one request (each attempt of it) and are merged over the client's defaults.
    """

    timeout: httpx.Timeout | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def merged(self, other: RequestOptions | None) -> RequestOptions:
        """These options with ``other``'s on top (``other`` wins name by name)."""
        if other is None:
            return self
        return RequestOptions(
            timeout=other.timeout if other.timeout is not None else self.timeout,
            headers={**self.headers, **other.headers},
            query={**self.query, **other.query},
        )

    def __bool__(self) -> bool:
        return self.timeout is not None or bool(self.headers) or bool(self.query)


@dataclass(frozen=True)
class ClientOptions:
    """Everything the core clients are built from; checked when created.

    ``transport`` may be sync, async, or both (the emulator's serves both); ``async_transport``
    overrides it for async calls. Injected ``http_client``/``async_http_client`` are used as
    they are and never closed here.

    ``reuse_client=False`` gives each request a connection pool of its own, closed when the
    request (or its stream, however it ends) is done. ``stream_chunk_timeout`` is the read
    timeout of streaming requests (the longest wait between two chunks) when the call sets no
    timeout of its own; its connect, write and pool values stay ``timeout``'s.

    ``max_response_bytes`` (64 MiB) caps a whole reply's body, decoded, and
    ``max_sse_line_bytes`` (16 MiB) one line of a stream: past them the reply is refused with
    :class:`APIResponseValidationError` instead of being buffered whole (a real reply is a few
    hundred KiB at most).

    ``beta_base_url`` is where DeepSeek's beta features are served (strict tools, chat prefix
    completion, fill-in-the-middle); by default the base URL with its ``/v1`` as ``/beta``, or
    the family's beta variable (see :mod:`deepseekapi_core.http._config`). Only requests that
    use a beta feature go there.

    ``proxy`` sends the clients' own pools through an HTTP(S) or SOCKS proxy
    (``"http://user:pass@proxy.internal:3128"``; left out of ``repr``, as it may carry
    credentials). An injected transport or HTTP client brings its own routing, so the two
    together are refused.
    """

    # Left out of the generated repr: a key given as a str would be printed whole.
    api_key: str | SecretStr | None = dataclasses.field(default=None, repr=False)
    base_url: str | None = None
    beta_base_url: str | None = None
    timeout: TimeoutSpec = None
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_policy: RetryPolicy | None = None
    era: Era = DEFAULT_ERA
    reasoning_replay: ReasoningReplay = "auto"
    default_headers: Mapping[str, str] | None = None
    default_query: Mapping[str, str] | None = None
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None
    async_transport: httpx.AsyncBaseTransport | None = None
    http_client: httpx.Client | None = None
    async_http_client: httpx.AsyncClient | None = None
    limiter: ConcurrencyLimiter | Literal["off"] | None = None
    max_concurrency: int | None = None
    deadline: float | None = None
    recover_tool_calls: bool = True
    reuse_client: bool = True
    stream_chunk_timeout: float | None = None
    max_response_bytes: int = 64 * 1024 * 1024
    max_sse_line_bytes: int = 16 * 1024 * 1024
    proxy: str | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        # A key a header cannot carry is refused now, when the adapter is built, not at the
        # first request (the error names the problem, never the key).
        resolve_api_key(self.api_key)
        check_base_url(self.base_url)
        check_base_url(
            self.beta_base_url, source="the beta_base_url argument", param="beta_base_url"
        )
        _positive_or_none("deadline", self.deadline)
        _positive_or_none("stream_chunk_timeout", self.stream_chunk_timeout)
        for name in ("max_response_bytes", "max_sse_line_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidRequestError(
                    f"{name} must be a positive number of bytes, not {value!r}", param=name
                )
        _expect("transport", self.transport, (httpx.BaseTransport, httpx.AsyncBaseTransport))
        _expect("async_transport", self.async_transport, (httpx.AsyncBaseTransport,))
        _expect("http_client", self.http_client, (httpx.Client,))
        _expect("async_http_client", self.async_http_client, (httpx.AsyncClient,))
        _expect("retry_policy", self.retry_policy, (RetryPolicy,))
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise InvalidRequestError(
                f"max_retries must be an int, not {type(self.max_retries).__name__}",
                param="max_retries",
            )
        if self.max_retries < 0:
            raise InvalidRequestError("max_retries must be 0 or more", param="max_retries")
        check_limiter_options(self.limiter, self.max_concurrency)
        if self.proxy is not None:
            self._check_proxy(self.proxy)
        if not isinstance(self.era, Era):  # adapters may pass the value, or None for the default
            object.__setattr__(self, "era", DEFAULT_ERA if self.era is None else Era(self.era))

    def _check_proxy(self, proxy: object) -> None:
        injected = [
            name
            for name in ("transport", "async_transport", "http_client", "async_http_client")
            if getattr(self, name) is not None
        ]
        if injected:
            raise InvalidRequestError(
                f"proxy applies to the clients' own connection pools, but {injected[0]} was "
                "given too: configure the proxy on that transport or HTTP client instead",
                param="proxy",
            )
        scheme = proxy.partition("://")[0].lower() if isinstance(proxy, str) else None
        if scheme not in {"http", "https", "socks5", "socks5h"}:
            # The value itself is never quoted: a proxy URL may carry a password.
            raise InvalidRequestError(
                "proxy must be an http://, https://, socks5:// or socks5h:// URL",
                param="proxy",
            )

    def sync_transport(self) -> httpx.BaseTransport | None:
        """The transport for sync calls; an async-only one is a clear error."""
        transport = self.transport
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise _wrong_transport(
                transport, "is async-only; use the async methods, or pass a sync transport"
            )
        return transport

    def async_transport_to_use(self) -> httpx.AsyncBaseTransport | None:
        """The transport for async calls; a sync-only one is a clear error."""
        if self.async_transport is not None:
            return self.async_transport
        transport = self.transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise _wrong_transport(
                transport, "is sync-only; pass async_transport=... for async calls"
            )
        return transport


def _positive_or_none(name: str, value: object) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
    ):
        raise InvalidRequestError(
            f"{name} must be a positive number of seconds or None, not {value!r}", param=name
        )


def _wrong_transport(transport: object, problem: str) -> InvalidRequestError:
    return InvalidRequestError(f"transport {type(transport).__name__} {problem}", param="transport")


def _expect(name: str, value: object, kinds: tuple[type, ...]) -> None:
    if value is not None and not isinstance(value, kinds):
        wanted = " or ".join(f"{kind.__module__}.{kind.__qualname__}" for kind in kinds)
        raise InvalidRequestError(
            f"{name} must be {wanted}, not {type(value).__name__}", param=name
        )
