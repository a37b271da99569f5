"""The sync and async clients: one pooled httpx client each, retries, streaming."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from ._config import (
    DEFAULT_MAX_RETRIES,
    TimeoutSpec,
    require_api_key,
    resolve_endpoint,
    resolve_timeout,
)
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    APITimeoutError,
    DeepSeekAPIError,
    InvalidRequestError,
    StreamInterruptedError,
    make_status_error,
    redact_credentials,
)
from ._options import RequestOptions
from ._prepare import ReasoningReplay, build_request_body
from ._retry import RetryPolicy, parse_retry_after
from ._stream import StreamAccumulator
from ._types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    Model,
    ModelList,
    attach_response_headers,
)
from ._version import __version__
from .models import DEFAULT_ERA, Era
from .sse import DONE, ServerSentEvent, SSEDecoder

__all__ = ["AsyncDeepSeekClient", "DeepSeekClient"]

logger = logging.getLogger("deepseekapi_core")

_USER_AGENT = f"deepseekapi-integrations/{__version__}"
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_ModelT = TypeVar("_ModelT", bound=BaseModel)


class _StreamEnded(Exception):
    """A stream closed with neither ``data: [DONE]`` nor a finish reason."""


def coerce_chat_request(request: ChatRequest | None, params: Mapping[str, Any]) -> ChatRequest:
    """A :class:`ChatRequest` from an instance or from keyword parameters, validated.

    Raises :class:`InvalidRequestError` naming each offending field.
    """
    if request is not None:
        if params:
            raise InvalidRequestError("pass either a ChatRequest or keyword parameters, not both")
        return request
    try:
        return ChatRequest.model_validate(params)
    except ValidationError as exc:
        raise invalid_request_from(exc) from None


# Pydantic puts the union member tried into an error's location ("stop.str",
# "tool_choice.literal['none','auto','required']", "thinking.ThinkingConfig"); it is no field.
_UNION_MEMBER = re.compile(
    r"^(?:str|int|float|bool|none|(?:list|dict|tuple|set|literal|function-[a-z-]+)\[.*\]"
    r"|[A-Z][A-Za-z0-9_]*)$"
)


def _field_path(error: ErrorDetails) -> str:
    loc = error["loc"]
    extra = error["type"] == "extra_forbidden"  # the last part is the caller's unknown key
    parts = [
        str(part)
        for index, part in enumerate(loc)
        if isinstance(part, int)
        or (extra and index == len(loc) - 1)
        or not _UNION_MEMBER.match(part)
    ]
    return ".".join(parts) or "request"


def invalid_request_from(exc: ValidationError) -> InvalidRequestError:
    """An :class:`InvalidRequestError` that lists each field pydantic refused and why."""
    problems: list[str] = []
    first_field: str | None = None
    for error in exc.errors(include_url=False, include_input=False):
        where = _field_path(error)
        first_field = first_field or where
        problem = f"{where}: {error['msg'].removeprefix('Value error, ')}"
        if problem not in problems:
            problems.append(problem)
    return InvalidRequestError("Invalid request: " + "; ".join(problems), param=first_field)


class _BaseClient:
    """Configuration and the parts of a call that do no I/O, shared by both clients."""

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        base_url: str | None,
        timeout: TimeoutSpec,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        era: Era,
        reasoning_replay: ReasoningReplay,
        default_headers: Mapping[str, str] | None,
        default_query: Mapping[str, str] | None = None,
    ) -> None:
        endpoint = resolve_endpoint(api_key, base_url)
        self._api_key = endpoint.api_key
        self.base_url = endpoint.base_url
        self.timeout = resolve_timeout(timeout)
        # Set on each request only when asked for, so an injected client keeps its own timeout
        # unless the caller gave one (which must then take effect, not be dropped).
        self._defaults = RequestOptions(
            timeout=self.timeout if timeout is not None else None,
            headers=dict(default_headers or {}),
            query=dict(default_query or {}),
        )
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.era = era
        self.reasoning_replay: ReasoningReplay = reasoning_replay
        self._chat_url = httpx.URL(f"{self.base_url}/chat/completions")
        self._models_url = httpx.URL(f"{self.base_url}/models")

    def __repr__(self) -> str:
        key = "set" if self._api_key is not None else "missing"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=<{key}>)"

    @property
    def has_api_key(self) -> bool:
        """Whether a key was configured (the key itself is never exposed)."""
        return self._api_key is not None

    def build_body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        """The JSON body this client would send for ``request`` (reasoner rules applied)."""
        return build_request_body(
            request, stream=stream, era=self.era, reasoning_replay=self.reasoning_replay
        )

    def _encode_chat(
        self, request: ChatRequest | None, params: Mapping[str, Any], *, stream: bool
    ) -> bytes:
        body = self.build_body(coerce_chat_request(request, params), stream=stream)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        try:
            return text.encode()
        except UnicodeEncodeError:
            where = _surrogate_path(body) or "request"
            raise InvalidRequestError(
                f"Invalid request: {where}: text contains a lone surrogate (not valid Unicode, "
                "so it cannot be sent as UTF-8); decode your input with errors='replace'",
                param=where,
            ) from None

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        url: httpx.URL,
        options: RequestOptions | None,
        content: bytes | None = None,
    ) -> httpx.Request:
        effective = self._defaults.merged(options)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
            **effective.headers,
            # Last, so no header option can send the key elsewhere or replace it.
            "Authorization": f"Bearer {require_api_key(self._api_key)}",
        }
        extra: dict[str, Any] = {}
        if effective.timeout is not None:
            extra["timeout"] = effective.timeout
        if effective.query:
            extra["params"] = dict(effective.query)
        return http.build_request(method, url, content=content, headers=headers, **extra)

    def _post_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        content: bytes,
        options: RequestOptions | None = None,
    ) -> httpx.Request:
        return self._build(http, "POST", self._chat_url, options, content)

    def _get_request(
        self, http: httpx.Client | httpx.AsyncClient, options: RequestOptions | None = None
    ) -> httpx.Request:
        return self._build(http, "GET", self._models_url, options)

    def _next_wait(self, error: DeepSeekAPIError, retries_taken: int) -> float:
        """The wait before the next attempt; re-raises ``error`` when there is none."""
        wait = self.retry_policy.wait_before_retry(error, retries_taken)
        if wait is None:
            raise error
        logger.info(
            "Retrying in %.2f s (attempt %d of %d): %s",
            wait,
            retries_taken + 2,
            self.retry_policy.max_retries + 1,
            error,
        )
        return wait


def _surrogate_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return path or "request"
        return None
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        found = _surrogate_path(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def _transport_error(exc: httpx.RequestError, request: httpx.Request) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(request)
    return APIConnectionError(f"Connection error: {type(exc).__name__}: {exc}", request=request)


def _status_error(response: httpx.Response) -> DeepSeekAPIError:
    return make_status_error(response, retry_after=parse_retry_after(response.headers))


def _parse_body(model: type[_ModelT], response: httpx.Response) -> _ModelT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        excerpt = response.text[:200]
        raise APIResponseValidationError(
            f"The service's reply is not a valid {model.__name__} "
            f"({exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}): {excerpt!r}",
            response=response,
            body=excerpt,
        ) from None


def _with_headers(completion: ChatCompletion, response: httpx.Response) -> ChatCompletion:
    attach_response_headers(completion, dict(response.headers))
    return completion


def _chunk_from_event(
    event: ServerSentEvent, accumulator: StreamAccumulator, response: httpx.Response
) -> ChatCompletionChunk:
    try:
        chunk = ChatCompletionChunk.model_validate_json(event.data)
    except ValidationError as exc:
        raise APIResponseValidationError(
            f"A stream event is not a chat completion chunk: {event.data[:200]!r}",
            response=response,
            body=event.data[:200],
        ) from exc
    extra = chunk.model_extra
    if extra and "error" in extra and not chunk.choices:
        # Parsed again from the redacted text, so an echoed key reaches neither text nor body.
        error = json.loads(redact_credentials(event.data, response.request))["error"]
        error = error if isinstance(error, dict) else {"message": str(error)}
        raise APIStreamError(
            f"The service sent an error inside the stream: {error.get('message', error)}",
            error=error,
            partial_content=accumulator.text,
            partial_reasoning=accumulator.reasoning_text,
            partial_tool_calls=[call.as_dict() for call in accumulator.tool_calls.values()],
            request=response.request,
        )
    return chunk


def _interrupted(
    accumulator: StreamAccumulator, cause: BaseException, request: httpx.Request
) -> StreamInterruptedError:
    return StreamInterruptedError(
        f"The stream broke after {len(accumulator.text)} characters of answer and "
        f"{len(accumulator.reasoning_text)} of reasoning had been delivered ({cause}); "
        "not retried, so no token is shown twice",
        partial_content=accumulator.text,
        partial_reasoning=accumulator.reasoning_text,
        partial_tool_calls=[call.as_dict() for call in accumulator.tool_calls.values()],
        request=request,
    )


class _ChunkDecoder:
    """Turns a response's bytes into chunks, folding each into the accumulator as it is parsed.

    A bad event (an error object from the service, or an event that is not a chunk) ends the
    decoding; the chunks before it, often in the same network read, are still returned, and
    :meth:`raise_failure` raises its error once the caller has been handed them.
    """

    def __init__(
        self, response: httpx.Response, accumulator: StreamAccumulator, request: httpx.Request
    ) -> None:
        self._response = response
        self._accumulator = accumulator
        self._request = request
        self._decoder = SSEDecoder()
        self._failure: DeepSeekAPIError | None = None
        self._headers = dict(response.headers)
        self.done = False
        self.delivered = False
        """Whether a chunk carried something the caller sees (text, reasoning, a tool call)."""

    def feed(self, raw: bytes) -> list[ChatCompletionChunk]:
        return self._chunks(self._decoder.feed(raw))

    def finish(self) -> list[ChatCompletionChunk]:
        chunks = self._chunks(self._decoder.flush())
        if self._failure is None and not self.done and not self._accumulator.finished:
            raise _StreamEnded("the stream ended with neither a finish reason nor [DONE]")
        return chunks

    def raise_failure(self) -> None:
        """Raise the error of a bad event that ``feed``/``finish`` held back, if any."""
        if self._failure is not None:
            raise self._failure

    def _chunks(self, events: list[ServerSentEvent]) -> list[ChatCompletionChunk]:
        chunks = []
        accumulator = self._accumulator
        for event in events:
            if self.done or self._failure is not None:
                break
            if event.data == DONE:
                self.done = True
                break
            try:
                chunk = _chunk_from_event(event, accumulator, self._response)
            except APIResponseValidationError as exc:
                # A broken event after delivered text is a broken stream: hand over the text.
                self._failure = (
                    _interrupted(accumulator, exc, self._request) if self.delivered else exc
                )
                break
            except APIStreamError as exc:
                self._failure = exc
                break
            self.delivered = accumulator.add(chunk) or self.delivered
            attach_response_headers(chunk, self._headers)
            chunks.append(chunk)
        return chunks


class DeepSeekClient(_BaseClient):
    """A synchronous client of the DeepSeek chat-completions API.

    Args:
        api_key: the key; else from the environment, paired with its base URL (see
            :func:`deepseekapi_core.resolve_endpoint`: ``DEEPSEEKAPI_API_KEY`` with
            ``DEEPSEEKAPI_BASE_URL`` or the proxy, else ``DEEPSEEK_API_KEY`` with
            ``DEEPSEEK_API_BASE``/``DEEPSEEK_BASE_URL`` or ``https://api.deepseek.com``).
        base_url: the base URL; else paired with the key as above.
        timeout: read timeout in seconds (also between stream events), a ``(connect, read)``
            tuple, or an ``httpx.Timeout``.
        max_retries: retries after the first attempt (ignored when ``retry_policy`` is given).
        retry_policy: the full :class:`RetryPolicy`.
        era: which era's rules to follow for the reasoner's history (newest by default).
        reasoning_replay: ``"auto"`` (the era's rules), ``"always"`` or ``"never"``.
        default_headers: headers added to every request.
        default_query: query parameters added to every request's URL.
        http_client: an ``httpx.Client`` to use (not closed by this client).
        transport: an httpx transport (e.g. the emulator's) for a client built here.
        sleep: how to wait between retries (tests inject a recorder).
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: TimeoutSpec = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        era: Era = DEFAULT_ERA,
        reasoning_replay: ReasoningReplay = "auto",
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            era=era,
            reasoning_replay=reasoning_replay,
            default_headers=default_headers,
            default_query=default_query,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=self.timeout, limits=_LIMITS
        )
        self._sleep = sleep

    def chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> ChatCompletion:
        """Send a chat request and return the completion.

        Takes a :class:`ChatRequest` or its fields as keyword arguments; ``options`` are this
        request's timeout, extra headers and query parameters.
        """
        content = self._encode_chat(request, params, stream=False)
        response = self._send(lambda: self._post_request(self._http, content, options))
        return _with_headers(_parse_body(ChatCompletion, response), response)

    def stream_chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> Iterator[ChatCompletionChunk]:
        """Send a chat request and iterate over the streamed chunks.

        The request is validated now; nothing is sent until iteration starts. A failure before
        any data was delivered is retried; after that it raises :class:`StreamInterruptedError`.
        """
        content = self._encode_chat(request, params, stream=True)
        return self._stream(content, options)

    def list_models(self) -> list[Model]:
        """The models the account may use (``GET /models``)."""
        response = self._send(lambda: self._get_request(self._http))
        return _parse_body(ModelList, response).data

    def _send(self, build: Callable[[], httpx.Request]) -> httpx.Response:
        retries = 0
        while True:
            request = build()
            try:
                response = self._http.send(request)
            except httpx.RequestError as exc:
                error: DeepSeekAPIError = _transport_error(exc, request)
            else:
                if response.is_success:
                    return response
                error = _status_error(response)
            self._sleep(self._next_wait(error, retries))
            retries += 1

    def _stream(
        self, content: bytes, options: RequestOptions | None
    ) -> Iterator[ChatCompletionChunk]:
        retries = 0
        while True:
            accumulator = StreamAccumulator()
            request = self._post_request(self._http, content, options)
            try:
                response = self._http.send(request, stream=True)
            except httpx.RequestError as exc:
                error: DeepSeekAPIError = _transport_error(exc, request)
            else:
                try:
                    if not response.is_success:
                        response.read()
                        error = _status_error(response)
                    else:
                        decoder = _ChunkDecoder(response, accumulator, request)
                        try:
                            for raw in response.iter_bytes():
                                yield from decoder.feed(raw)
                                decoder.raise_failure()
                                if decoder.done:
                                    break
                            yield from decoder.finish()
                            decoder.raise_failure()
                            return
                        except (httpx.RequestError, _StreamEnded) as exc:
                            if accumulator.finished:
                                # Only [DONE] was lost: the reply and its usage are complete.
                                return
                            if decoder.delivered:
                                raise _interrupted(accumulator, exc, request) from exc
                            error = _stream_failure(exc, request)
                finally:
                    response.close()
            self._sleep(self._next_wait(error, retries))
            retries += 1

    def close(self) -> None:
        """Close the connection pool (unless it was injected)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> DeepSeekClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncDeepSeekClient(_BaseClient):
    """An asynchronous client of the DeepSeek chat-completions API.

    Takes the same arguments as :class:`DeepSeekClient`, with an ``httpx.AsyncClient`` or an
    async transport, and an async ``sleep`` (``asyncio.sleep``: the event loop never blocks).
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: TimeoutSpec = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        era: Era = DEFAULT_ERA,
        reasoning_replay: ReasoningReplay = "auto",
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            era=era,
            reasoning_replay=reasoning_replay,
            default_headers=default_headers,
            default_query=default_query,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=self.timeout, limits=_LIMITS
        )
        self._sleep = sleep

    async def chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> ChatCompletion:
        """Send a chat request and return the completion (``options`` as in the sync client)."""
        content = self._encode_chat(request, params, stream=False)
        response = await self._send(lambda: self._post_request(self._http, content, options))
        return _with_headers(_parse_body(ChatCompletion, response), response)

    def stream_chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> AsyncIterator[ChatCompletionChunk]:
        """Send a chat request and iterate asynchronously over the streamed chunks.

        Validation happens now; the request is sent when iteration starts.
        """
        content = self._encode_chat(request, params, stream=True)
        return self._stream(content, options)

    async def list_models(self) -> list[Model]:
        """The models the account may use (``GET /models``)."""
        response = await self._send(lambda: self._get_request(self._http))
        return _parse_body(ModelList, response).data

    async def _send(self, build: Callable[[], httpx.Request]) -> httpx.Response:
        retries = 0
        while True:
            request = build()
            try:
                response = await self._http.send(request)
            except httpx.RequestError as exc:
                error: DeepSeekAPIError = _transport_error(exc, request)
            else:
                if response.is_success:
                    return response
                error = _status_error(response)
            await self._sleep(self._next_wait(error, retries))
            retries += 1

    async def _stream(
        self, content: bytes, options: RequestOptions | None
    ) -> AsyncIterator[ChatCompletionChunk]:
        retries = 0
        while True:
            accumulator = StreamAccumulator()
            request = self._post_request(self._http, content, options)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.RequestError as exc:
                error: DeepSeekAPIError = _transport_error(exc, request)
            else:
                try:
                    if not response.is_success:
                        await response.aread()
                        error = _status_error(response)
                    else:
                        decoder = _ChunkDecoder(response, accumulator, request)
                        try:
                            async for raw in response.aiter_bytes():
                                for chunk in decoder.feed(raw):
                                    yield chunk
                                decoder.raise_failure()
                                if decoder.done:
                                    break
                            for chunk in decoder.finish():
                                yield chunk
                            decoder.raise_failure()
                            return
                        except (httpx.RequestError, _StreamEnded) as exc:
                            if accumulator.finished:
                                # Only [DONE] was lost: the reply and its usage are complete.
                                return
                            if decoder.delivered:
                                raise _interrupted(accumulator, exc, request) from exc
                            error = _stream_failure(exc, request)
                finally:
                    await response.aclose()
            await self._sleep(self._next_wait(error, retries))
            retries += 1

    async def aclose(self) -> None:
        """Close the connection pool (unless it was injected)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncDeepSeekClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _stream_failure(exc: Exception, request: httpx.Request) -> APIConnectionError:
    if isinstance(exc, httpx.RequestError):
        return _transport_error(exc, request)
    return APIConnectionError(f"Connection error: {exc}", request=request)
