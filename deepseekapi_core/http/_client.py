"""The sync and async clients: one pooled httpx client each, retries, streaming."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import ErrorDetails

from .._version import __version__
from ..accounting._limiter import AccountGate, ConcurrencyLimiter, Ticket
from ..accounting._preflight import check_context_window
from ..tools._recovery import recover_tool_calls
from ..wire._models import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    FunctionCallDelta,
    Model,
    ModelList,
    ToolCallDelta,
    ToolSpec,
    attach_response_headers,
    json_problem,
)
from ..wire._prepare import ReasoningReplay, build_request_body
from ..wire._registry import DEFAULT_ERA, Era
from ..wire._stream import StreamAccumulator, chunks_from_completion
from ._config import (
    DEFAULT_MAX_RETRIES,
    TimeoutSpec,
    check_header_values,
    require_api_key,
    resolve_endpoint,
    resolve_timeout,
)
from ._deadline import Deadline
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    APITimeoutError,
    DeepSeekAPIError,
    InsufficientSystemResourceError,
    InvalidRequestError,
    StreamInterruptedError,
    error_from_ok_body,
    make_status_error,
    redact_credentials,
    scrub_transport_message,
)
from ._options import RequestOptions
from ._retry import RetryPolicy, parse_retry_after
from ._sse import DONE, SSEDecoder

__all__ = ["AsyncDeepSeekClient", "DeepSeekClient"]

logger = logging.getLogger("deepseekapi_core")

_USER_AGENT = f"deepseekapi-integrations/{__version__}"
_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
_ModelT = TypeVar("_ModelT", bound=BaseModel)
_T = TypeVar("_T")


class _StreamEnded(Exception):
    """A stream closed with neither ``data: [DONE]`` nor a finish reason."""


def coerce_chat_request(request: ChatRequest | None, params: Mapping[str, Any]) -> ChatRequest:
    """A :class:`ChatRequest` from an instance or from keyword parameters, validated.

    Raises :class:`InvalidRequestError` naming each offending field.
    """
    if request is not None:
        if params:
            raise InvalidRequestError("pass either a ChatRequest or keyword parameters, not both")
        if not isinstance(request, ChatRequest):
            raise InvalidRequestError(
                f"the request must be a ChatRequest, not {type(request).__name__}; pass its "
                "fields as keyword arguments instead (client.chat(**fields))"
            )
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
        limiter: ConcurrencyLimiter | Literal["off"] | None = None,
        max_concurrency: int | None = None,
        deadline: float | None = None,
        recover_tool_calls: bool = True,
    ) -> None:
        if deadline is not None and not (isinstance(deadline, (int, float)) and deadline > 0):
            raise InvalidRequestError(
                f"deadline must be a positive number of seconds or None, not {deadline!r}",
                param="deadline",
            )
        self.deadline = None if deadline is None else float(deadline)
        self.recover_tool_calls = recover_tool_calls
        check_header_values(default_headers or {})
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
        self.limits = AccountGate(
            limiter,
            max_concurrency,
            base_url=self.base_url,
            api_key=self._api_key,
            max_pause=self.retry_policy.max_retry_after,
        )

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
    ) -> tuple[bytes, list[ToolSpec] | None]:
        """The request's bytes, and the tools to recover leaked calls of (None: no recovery)."""
        chat_request = coerce_chat_request(request, params)
        body = self.build_body(chat_request, stream=stream)
        tools = chat_request.tools if self.recover_tool_calls and chat_request.tools else None
        return self._serialise(body), tools

    def _serialise(self, body: dict[str, Any]) -> bytes:
        try:
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            # A value nested where the models accept Any (tool schemas, extra_body fields
            # assigned after validation): name it rather than pass on json's bare TypeError.
            problem = json_problem(body, "request") or "the request cannot be written as JSON"
            where = problem.split(" ", 1)[0]
            raise InvalidRequestError(f"Invalid request: {problem}", param=where) from None
        try:
            encoded = text.encode()
        except UnicodeEncodeError:
            where = _surrogate_path(body) or "request"
            raise InvalidRequestError(
                f"Invalid request: {where}: text contains a lone surrogate (not valid Unicode, "
                "so it cannot be sent as UTF-8); decode your input with errors='replace'",
                param=where,
            ) from None
        check_context_window(body, len(encoded), era=self.era)
        return encoded

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

    def _next_wait(
        self,
        error: DeepSeekAPIError,
        retries_taken: int,
        deadline: Deadline,
        request: httpx.Request,
    ) -> float:
        """The wait before the next attempt; re-raises ``error`` when there is none, or a
        :class:`DeadlineExceededError` when the wait would outlast the deadline."""
        if deadline.expired and isinstance(error, APITimeoutError):
            raise deadline.error(request, "waiting for the service") from None
        wait = self.retry_policy.wait_before_retry(error, retries_taken)
        if wait is None:
            raise error
        remaining = deadline.remaining()
        if remaining is not None and wait >= remaining:
            raise deadline.error(
                request, f"retrying after {error.__class__.__name__}: {error}"
            ) from None
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
    detail = scrub_transport_message(f"{type(exc).__name__}: {exc}", request)
    return APIConnectionError(f"Connection error: {detail}", request=request)


def _status_error(response: httpx.Response) -> DeepSeekAPIError:
    return make_status_error(response, retry_after=parse_retry_after(response.headers))


def _parse_body(model: type[_ModelT], response: httpx.Response) -> _ModelT:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        parsed = _json_or_none(response.content)
        if isinstance(parsed, dict) and "error" in parsed:
            raise error_from_ok_body(response, parsed, streaming=False) from None
        excerpt = response.text[:200]
        raise APIResponseValidationError(
            f"The service's reply is not a valid {model.__name__} "
            f"({exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}): {excerpt!r}",
            response=response,
            body=excerpt,
        ) from None


def _json_or_none(content: bytes) -> object:
    try:
        return json.loads(content)
    except ValueError:
        return None


_set_attribute = object.__setattr__


def _with_headers(completion: ChatCompletion, response: httpx.Response) -> ChatCompletion:
    # The headers object itself: response_headers copies it only when asked.
    attach_response_headers(completion, response.headers)
    return completion


# What ChatCompletionChunk.model_validate_json calls, without that method's Python wrapper
# (0.4 us of the 8 us a streamed chunk costs the client).
_parse_chunk: Callable[[str], ChatCompletionChunk] = (
    ChatCompletionChunk.__pydantic_validator__.validate_json
)


def _not_a_chunk(
    data: str, response: httpx.Response, cause: ValidationError
) -> APIResponseValidationError:
    error = APIResponseValidationError(
        f"A stream event is not a chat completion chunk: {data[:200]!r}",
        response=response,
        body=data[:200],
    )
    error.__cause__ = cause  # as ``raise ... from cause`` would
    return error


def _error_in_stream(
    data: str, accumulator: StreamAccumulator, response: httpx.Response
) -> APIStreamError:
    # Parsed again from the redacted text, so an echoed key reaches neither text nor body.
    error = json.loads(redact_credentials(data, response.request))["error"]
    error = error if isinstance(error, dict) else {"message": str(error)}
    return APIStreamError(
        f"The service sent an error inside the stream: {error.get('message', error)}",
        error=error,
        partial_content=accumulator.text,
        partial_reasoning=accumulator.reasoning_text,
        partial_tool_calls=[call.as_dict() for call in accumulator.tool_calls.values()],
        request=response.request,
    )


def _interrupted(
    accumulator: StreamAccumulator, cause: BaseException, request: httpx.Request
) -> StreamInterruptedError:
    return StreamInterruptedError(
        f"The stream broke after {len(accumulator.text)} characters of answer and "
        f"{len(accumulator.reasoning_text)} of reasoning had been delivered "
        f"({scrub_transport_message(str(cause), request)}); "
        "not retried, so no token is shown twice",
        partial_content=accumulator.text,
        partial_reasoning=accumulator.reasoning_text,
        partial_tool_calls=[call.as_dict() for call in accumulator.tool_calls.values()],
        request=request,
    )


_INSUFFICIENT_RESOURCE = "insufficient_system_resource"


def _resource_error(
    accumulator: StreamAccumulator, request: httpx.Request, *, reply: object
) -> InsufficientSystemResourceError:
    """The error for a reply the service cut short for want of capacity."""
    partial_calls = [call.as_dict() for call in accumulator.tool_calls.values()]
    delivered = bool(accumulator.text or accumulator.reasoning_text or partial_calls)
    if delivered:
        message = (
            "The service ran out of resources mid-reply (finish_reason "
            f"'insufficient_system_resource') after {len(accumulator.text)} characters of "
            f"answer and {len(accumulator.reasoning_text)} of reasoning; the partial reply is "
            "on this error (partial_content, partial_reasoning); not retried"
        )
    else:
        message = (
            "The service ran out of resources before replying (finish_reason "
            "'insufficient_system_resource'); retryable"
        )
    return InsufficientSystemResourceError(
        message,
        partial_content=accumulator.text,
        partial_reasoning=accumulator.reasoning_text,
        partial_tool_calls=partial_calls,
        request=request,
        reply=reply,
    )


def _recover_in_finish_chunk(
    chunk: ChatCompletionChunk, accumulator: StreamAccumulator, tools: list[ToolSpec]
) -> ChatCompletionChunk:
    """The finishing chunk, carrying the tool calls leaked into the streamed content if any.

    The text already streamed stays delivered (a stream cannot take it back): the calls are
    added on this last chunk, with ``finish_reason`` "tool_calls" and ``tool_calls_recovered``.
    """
    delta = chunk.choices[0].delta
    recovered = recover_tool_calls(accumulator.text + (delta.content or ""), tools)
    if recovered is None:
        return chunk
    fragments = [
        ToolCallDelta(
            index=index,
            id=call.id,
            type="function",
            function=FunctionCallDelta(name=call.function.name, arguments=call.function.arguments),
        )
        for index, call in enumerate(recovered.calls)
    ]
    logger.info(
        "Recovered %d tool call(s) leaked into the streamed content as %s",
        len(fragments),
        recovered.shape,
    )
    choice = chunk.choices[0].model_copy(
        update={
            "delta": delta.model_copy(update={"tool_calls": fragments}),
            "finish_reason": "tool_calls",
        }
    )
    return chunk.model_copy(
        update={"choices": [choice, *chunk.choices[1:]], "tool_calls_recovered": recovered.shape}
    )


def _finish_completion(
    completion: ChatCompletion, request: httpx.Request, recovery_tools: list[ToolSpec] | None
) -> ChatCompletion:
    """Apply what a whole reply may need: the resource error, leaked tool-call recovery."""
    if completion.finish_reason == _INSUFFICIENT_RESOURCE:
        accumulator = StreamAccumulator()
        for chunk in chunks_from_completion(completion):
            accumulator.add(chunk)
        raise _resource_error(accumulator, request, reply=completion)
    message = completion.message
    if (
        recovery_tools
        and completion.finish_reason == "stop"
        and not message.tool_calls
        and message.content
    ):
        recovered = recover_tool_calls(message.content, recovery_tools)
        if recovered is not None:
            logger.info(
                "Recovered %d tool call(s) leaked into the content as %s",
                len(recovered.calls),
                recovered.shape,
            )
            new_message = message.model_copy(
                update={"content": recovered.text, "tool_calls": recovered.calls}
            )
            choice = completion.choices[0].model_copy(
                update={"message": new_message, "finish_reason": "tool_calls"}
            )
            return completion.model_copy(
                update={
                    "choices": [choice, *completion.choices[1:]],
                    "tool_calls_recovered": recovered.shape,
                }
            )
    return completion


_SSE_STARTS = (b"data", b"event", b"id", b"retry", b":")
_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = max(len(field) for field in _SSE_STARTS)


def _looks_plain(start: bytes) -> bool:
    """Whether the first non-blank bytes of a 200 body are not an SSE stream."""
    start = start.lstrip().removeprefix(_BOM)
    return bool(start) and not any(start.startswith(field) for field in _SSE_STARTS)


class _ChunkDecoder:
    """Turns a response's bytes into chunks, folding each into the accumulator as it is parsed.

    A bad event (an error object from the service, or an event that is not a chunk) ends the
    decoding; the chunks before it, often in the same network read, are still returned, and
    :meth:`raise_failure` raises its error once the caller has been handed them.
    """

    def __init__(
        self,
        response: httpx.Response,
        accumulator: StreamAccumulator,
        request: httpx.Request,
        recovery_tools: list[ToolSpec] | None = None,
    ) -> None:
        self._response = response
        self._accumulator = accumulator
        self._request = request
        self._recovery_tools = recovery_tools
        """The tools offered, when leaked tool calls are to be recovered at the finish."""
        self._decoder = SSEDecoder()
        self.failure: DeepSeekAPIError | None = None
        """The error of a bad event, raised once the chunks before it have been handed on."""
        self._head: bytes | None = b""
        """The body's first bytes while it is unknown whether they are a stream (None after)."""
        self._plain: list[bytes] | None = None
        """The body of a plain (non-stream) 200 answer, collected whole."""
        self._headers = dict(response.headers)
        self._private = {"_headers": self._headers}
        self.done = False
        self.delivered = False
        """Whether a chunk carried something the caller sees (text, reasoning, a tool call)."""

    def feed(self, raw: bytes) -> list[ChatCompletionChunk]:
        if self._head is not None:
            raw = self._sniff(raw)
        if self._plain is not None:
            self._plain.append(raw)
            return []
        return self._chunks(self._decoder.feed_data(raw)) if raw else []

    def finish(self) -> list[ChatCompletionChunk]:
        if self._head:
            # The body ended before it could be told apart: judge what there is.
            head, self._head = self._head, None
            self._plain = [head] if _looks_plain(head) else None
            if self._plain is None:
                self._decoder.feed(head)
        if self._plain is not None:
            return self._chunks_from_plain_body(b"".join(self._plain))
        chunks = self._chunks(self._decoder.flush_data())
        if self.failure is None and not self.done and not self._accumulator.finished:
            raise _StreamEnded("the stream ended with neither a finish reason nor [DONE]")
        return chunks

    def _sniff(self, raw: bytes) -> bytes:
        """Tell a stream from a plain body by its first bytes: an SSE stream starts with a
        field name or a comment, a JSON reply or error with ``{``, a gateway's page with
        ``<``. Returns the bytes to pass on once decided (all of them), else ``b""``."""
        head = (self._head or b"") + raw
        start = head.lstrip().removeprefix(_BOM)
        if len(start) < _SNIFF_BYTES and any(
            field.startswith(start[: len(field)]) for field in _SSE_STARTS
        ):
            self._head = head
            return b""
        self._head = None
        if _looks_plain(start):
            self._plain = []
        return head

    def _chunks_from_plain_body(self, body: bytes) -> list[ChatCompletionChunk]:
        """A stream request answered with a plain 200 body: not retried (it may have been
        billed). A reply becomes chunks; an error, its typed error; anything else an error
        quoting the start of the body."""
        response = self._response
        text = redact_credentials(body.decode("utf-8", errors="replace"), self._request)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "error" in parsed and "choices" not in parsed:
            raise error_from_ok_body(response, parsed, streaming=True)
        if isinstance(parsed, dict) and "choices" in parsed:
            try:
                completion = ChatCompletion.model_validate(parsed)
            except ValidationError:
                pass
            else:
                logger.debug("a stream request was answered with a plain JSON reply; using it")
                return self._chunks_from_completion(completion)
        excerpt = text.strip()[:200]
        raise APIResponseValidationError(
            "The service answered a stream request with a plain HTTP 200 body that is neither "
            f"a stream nor a chat completion (Content-Type "
            f"{response.headers.get('content-type', 'missing')!r}); not retried. "
            f"The body starts: {excerpt!r}",
            response=response,
            body=excerpt,
        )

    def _chunks_from_completion(self, completion: ChatCompletion) -> list[ChatCompletionChunk]:
        chunks: list[ChatCompletionChunk] = []
        for chunk in chunks_from_completion(completion):
            if not self._take(chunk, chunks):
                break
        self.done = True
        return chunks

    def _take(self, chunk: ChatCompletionChunk, chunks: list[ChatCompletionChunk]) -> bool:
        """Fold ``chunk`` in and hand it on; False when it ends the decoding with a failure."""
        accumulator = self._accumulator
        choices = chunk.choices
        finish_reason = choices[0].finish_reason if choices else None
        if finish_reason is not None:
            if finish_reason == "stop" and self._recovery_tools and not accumulator.tool_calls:
                chunk = _recover_in_finish_chunk(chunk, accumulator, self._recovery_tools)
            attach_response_headers(chunk, self._headers)
        else:
            # The hot path: the same private slot (the response's headers) for every chunk.
            _set_attribute(chunk, "__pydantic_private__", self._private)
        if accumulator.add(chunk):
            self.delivered = True
        if finish_reason == _INSUFFICIENT_RESOURCE:
            error = _resource_error(accumulator, self._request, reply=chunk)
            if error.delivered:
                chunks.append(chunk)  # its usage belongs to what the caller already has
            self.failure = error
            return False
        chunks.append(chunk)
        return True

    def raise_failure(self) -> None:
        """Raise the error of a bad event that ``feed``/``finish`` held back, if any."""
        if self.failure is not None:
            raise self.failure

    def _chunks(self, events: list[str]) -> list[ChatCompletionChunk]:
        """The chunks of the events' data, each folded in; stops at [DONE] or a bad event.

        This loop runs once per streamed chunk, so the common chunk (no finish reason) is
        handled inline: one validation, the shared private slot, the fold. The finishing chunk
        and a usage-only chunk go through :meth:`_take`.
        """
        chunks: list[ChatCompletionChunk] = []
        if self.done or self.failure is not None:
            return chunks
        accumulator = self._accumulator
        private = self._private
        for data in events:
            if data == DONE:
                self.done = True
                break
            try:
                chunk = _parse_chunk(data)
            except ValidationError as exc:
                error = _not_a_chunk(data, self._response, exc)
                # A broken event after delivered text is a broken stream: hand over the text.
                self.failure = (
                    _interrupted(accumulator, error, self._request) if self.delivered else error
                )
                break
            choices = chunk.choices
            if not choices:
                extra = chunk.model_extra
                if extra and "error" in extra:
                    self.failure = _error_in_stream(data, accumulator, self._response)
                    break
            elif choices[0].finish_reason is None:
                # The hot path: the same private slot (the response's headers) for every chunk.
                _set_attribute(chunk, "__pydantic_private__", private)
                if accumulator.add(chunk):
                    self.delivered = True
                chunks.append(chunk)
                continue
            if not self._take(chunk, chunks):
                break
        return chunks


class DeepSeekClient(_BaseClient):
    """A synchronous client of the DeepSeek chat-completions API.

    Args:
        api_key: the key; else from the environment, paired with its base URL (see
            :func:`deepseekapi_core._adapters.resolve_endpoint`: ``DEEPSEEKAPI_API_KEY`` with
            ``DEEPSEEKAPI_BASE_URL`` or the proxy, else ``DEEPSEEK_API_KEY`` with
            ``DEEPSEEK_API_BASE``/``DEEPSEEK_BASE_URL`` or ``https://api.deepseek.com``).
            Surrounding whitespace is stripped; a key with any other character a header cannot
            carry raises :class:`InvalidAPIKeyError` here.
        base_url: the base URL; else paired with the key as above.
        timeout: read timeout in seconds (also between stream events), a ``(connect, read)``
            tuple, or an ``httpx.Timeout``.
        max_retries: retries after the first attempt (ignored when ``retry_policy`` is given).
        retry_policy: the full :class:`RetryPolicy`.
        era: which era's rules to follow for the reasoner's history (newest by default).
        reasoning_replay: ``"auto"`` (the era's rules), ``"always"`` or ``"never"``.
        default_headers: headers added to every request.
        default_query: query parameters added to every request's URL.
        deadline: seconds one request may take in all (attempts, waits, streaming), or None
            (the default: thinking can take many minutes). Past it: :class:`DeadlineExceededError`.
        recover_tool_calls: recover tool calls the service leaked into ``content`` (on by
            default; see ``deepseekapi_core.tools``).
        http_client: an ``httpx.Client`` to use (not closed by this client).
        transport: an httpx transport (e.g. the emulator's) for a client built here.
        sleep: how to wait between retries and out a shared pause (tests inject a recorder).
        limiter: where the account's in-flight limit lives (:mod:`deepseekapi_core.accounting`):
            None for the process-wide one, a ``RedisLimiter`` for a fleet, or ``"off"``.
        max_concurrency: this client's cap on the account's requests in flight (None: the
            limiter's, else the model's documented cap).
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
        deadline: float | None = None,
        recover_tool_calls: bool = True,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        limiter: ConcurrencyLimiter | Literal["off"] | None = None,
        max_concurrency: int | None = None,
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
            limiter=limiter,
            max_concurrency=max_concurrency,
            deadline=deadline,
            recover_tool_calls=recover_tool_calls,
        )
        self._owns_http = http_client is None
        self._transport = transport
        self._http = http_client or httpx.Client(
            transport=transport, timeout=self.timeout, limits=_LIMITS
        )
        self._sleep = sleep

    def __deepcopy__(self, memo: dict[int, Any]) -> DeepSeekClient:
        # A connection pool holds locks and sockets, which cannot be copied: a copy shares an
        # injected client and builds its own pool otherwise.
        return _copy_client(self, memo)

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
        content, tools = self._encode_chat(request, params, stream=False)
        return self._send(
            lambda: self._post_request(self._http, content, options),
            lambda response: _with_headers(
                _finish_completion(_parse_body(ChatCompletion, response), response.request, tools),
                response,
            ),
            _model_of(request, params),
        )

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
        content, tools = self._encode_chat(request, params, stream=True)
        ticket = self.limits.ticket(_model_of(request, params), self._sleep)
        return self._stream(content, tools, options, ticket)

    def list_models(self) -> list[Model]:
        """The models the account may use (``GET /models``)."""
        return self._send(
            lambda: self._get_request(self._http),
            lambda response: _parse_body(ModelList, response).data,
        )

    def _send(
        self,
        build: Callable[[], httpx.Request],
        parse: Callable[[httpx.Response], _T],
        model: str | None = None,
    ) -> _T:
        deadline = Deadline(self.deadline)
        retries = 0
        ticket = self.limits.ticket(model, self._sleep)
        while True:
            request = build()
            deadline.cap(request)
            ticket.acquire()
            try:
                if deadline.end is None:
                    # Nothing to check between pieces of the body: httpx reads it whole
                    # itself, a few microseconds cheaper than reading it piece by piece.
                    response = self._http.send(request)
                else:
                    response = self._http.send(request, stream=True)
                    try:
                        _read_within(response, response.iter_bytes(), deadline)
                    finally:
                        response.close()
            except httpx.RequestError as exc:
                error: DeepSeekAPIError = _transport_error(exc, request)
            else:
                if response.is_success:
                    try:
                        return parse(response)
                    except InsufficientSystemResourceError as exc:
                        error = exc
                else:
                    error = _status_error(response)
            finally:
                ticket.release()
            ticket.note(error)
            self._sleep(self._next_wait(error, retries, deadline, request))
            retries += 1

    def _stream(
        self,
        content: bytes,
        tools: list[ToolSpec] | None,
        options: RequestOptions | None,
        ticket: Ticket,
    ) -> Iterator[ChatCompletionChunk]:
        # The slot is given back however the stream ends (done, failed, closed, collected) by
        # the outer try/finally: a wrapping generator would cost every chunk one more hop.
        deadline = Deadline(self.deadline)
        retries = 0
        try:
            while True:
                accumulator = StreamAccumulator()
                request = self._post_request(self._http, content, options)
                deadline.cap(request)
                ticket.acquire()
                try:
                    response = self._http.send(request, stream=True)
                except httpx.RequestError as exc:
                    error: DeepSeekAPIError = _transport_error(exc, request)
                else:
                    try:
                        if not response.is_success:
                            _read_within(response, response.iter_bytes(), deadline)
                            error = _status_error(response)
                        else:
                            decoder = _ChunkDecoder(response, accumulator, request, tools)
                            # Read once: a deadline check per network read is then one
                            # comparison, and no clock read at all without a deadline.
                            deadline_end = deadline.end
                            try:
                                for raw in response.iter_bytes():
                                    yield from decoder.feed(raw)
                                    if decoder.failure is not None:
                                        raise decoder.failure
                                    if decoder.done:
                                        break
                                    if (
                                        deadline_end is not None
                                        and time.monotonic() >= deadline_end
                                    ):
                                        _check_deadline(deadline, accumulator, request)
                                yield from decoder.finish()
                                decoder.raise_failure()
                                return
                            except InsufficientSystemResourceError as exc:
                                if exc.delivered:
                                    raise
                                error = exc
                            except (httpx.RequestError, _StreamEnded) as exc:
                                if accumulator.finished:
                                    # Only [DONE] was lost: the reply and its usage are complete.
                                    return
                                _check_deadline(deadline, accumulator, request, cause=exc)
                                if decoder.delivered:
                                    raise _interrupted(accumulator, exc, request) from exc
                                error = _stream_failure(exc, request)
                    finally:
                        response.close()
                ticket.release()
                ticket.note(error)
                self._sleep(self._next_wait(error, retries, deadline, request))
                retries += 1
        finally:
            ticket.release()

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
        deadline: float | None = None,
        recover_tool_calls: bool = True,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        limiter: ConcurrencyLimiter | Literal["off"] | None = None,
        max_concurrency: int | None = None,
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
            limiter=limiter,
            max_concurrency=max_concurrency,
            deadline=deadline,
            recover_tool_calls=recover_tool_calls,
        )
        self._owns_http = http_client is None
        self._transport = transport
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=self.timeout, limits=_LIMITS
        )
        self._sleep = sleep

    def __deepcopy__(self, memo: dict[int, Any]) -> AsyncDeepSeekClient:
        return _copy_client(self, memo)

    async def chat(
        self,
        request: ChatRequest | None = None,
        /,
        *,
        options: RequestOptions | None = None,
        **params: Any,
    ) -> ChatCompletion:
        """Send a chat request and return the completion (``options`` as in the sync client)."""
        content, tools = self._encode_chat(request, params, stream=False)
        return await self._send(
            lambda: self._post_request(self._http, content, options),
            lambda response: _with_headers(
                _finish_completion(_parse_body(ChatCompletion, response), response.request, tools),
                response,
            ),
            _model_of(request, params),
        )

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
        content, tools = self._encode_chat(request, params, stream=True)
        ticket = self.limits.ticket(_model_of(request, params), self._sleep)
        return _ahold_slot(self._stream(content, tools, options, ticket), ticket)

    async def list_models(self) -> list[Model]:
        """The models the account may use (``GET /models``)."""
        return await self._send(
            lambda: self._get_request(self._http),
            lambda response: _parse_body(ModelList, response).data,
        )

    async def _send(
        self,
        build: Callable[[], httpx.Request],
        parse: Callable[[httpx.Response], _T],
        model: str | None = None,
    ) -> _T:
        deadline = Deadline(self.deadline)
        retries = 0
        ticket = self.limits.ticket(model, self._sleep)
        while True:
            request = build()
            deadline.cap(request)
            await ticket.aacquire()
            try:
                if deadline.end is None:
                    # As in the sync client: no deadline, so httpx reads the body whole.
                    response = await self._http.send(request)
                else:
                    response = await self._http.send(request, stream=True)
                    try:
                        await _aread_within(response, deadline)
                    finally:
                        await response.aclose()
            except httpx.RequestError as exc:
                error: DeepSeekAPIError = _transport_error(exc, request)
            else:
                if response.is_success:
                    try:
                        return parse(response)
                    except InsufficientSystemResourceError as exc:
                        error = exc
                else:
                    error = _status_error(response)
            finally:
                ticket.release()
            ticket.note(error)
            await self._sleep(self._next_wait(error, retries, deadline, request))
            retries += 1

    async def _stream(
        self,
        content: bytes,
        tools: list[ToolSpec] | None,
        options: RequestOptions | None,
        ticket: Ticket,
    ) -> AsyncGenerator[ChatCompletionChunk, None]:
        deadline = Deadline(self.deadline)
        retries = 0
        while True:
            accumulator = StreamAccumulator()
            request = self._post_request(self._http, content, options)
            deadline.cap(request)
            await ticket.aacquire()
            try:
                response = await self._http.send(request, stream=True)
            except httpx.RequestError as exc:
                error: DeepSeekAPIError = _transport_error(exc, request)
            else:
                try:
                    if not response.is_success:
                        await _aread_within(response, deadline)
                        error = _status_error(response)
                    else:
                        decoder = _ChunkDecoder(response, accumulator, request, tools)
                        deadline_end = deadline.end  # as in the sync loop
                        try:
                            async for raw in response.aiter_bytes():
                                for chunk in decoder.feed(raw):
                                    yield chunk
                                if decoder.failure is not None:
                                    raise decoder.failure
                                if decoder.done:
                                    break
                                if deadline_end is not None and time.monotonic() >= deadline_end:
                                    _check_deadline(deadline, accumulator, request)
                            for chunk in decoder.finish():
                                yield chunk
                            decoder.raise_failure()
                            return
                        except InsufficientSystemResourceError as exc:
                            if exc.delivered:
                                raise
                            error = exc
                        except (httpx.RequestError, _StreamEnded) as exc:
                            if accumulator.finished:
                                # Only [DONE] was lost: the reply and its usage are complete.
                                return
                            _check_deadline(deadline, accumulator, request, cause=exc)
                            if decoder.delivered:
                                raise _interrupted(accumulator, exc, request) from exc
                            error = _stream_failure(exc, request)
                finally:
                    await response.aclose()
            ticket.release()
            ticket.note(error)
            await self._sleep(self._next_wait(error, retries, deadline, request))
            retries += 1

    async def aclose(self) -> None:
        """Close the connection pool (unless it was injected)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncDeepSeekClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


_ClientT = TypeVar("_ClientT", DeepSeekClient, AsyncDeepSeekClient)


def _copy_client(client: _ClientT, memo: dict[int, Any]) -> _ClientT:
    """A copy with the same settings; an injected HTTP client is shared, an owned pool is not."""
    copy = object.__new__(type(client))
    memo[id(client)] = copy
    for name, value in vars(client).items():
        if name == "_http":
            continue
        setattr(copy, name, value if name in _SHARED_ON_COPY else _deepcopy(value, memo))
    if client._owns_http:
        http_class = httpx.Client if isinstance(client, DeepSeekClient) else httpx.AsyncClient
        copy._http = http_class(transport=client._transport, timeout=client.timeout, limits=_LIMITS)
    else:
        copy._http = client._http
    return copy


# Shared by reference: a transport (the emulator's holds its state), the sleep function, the
# retry policy (frozen), the key (immutable) and the concurrency limits (shared on purpose).
_SHARED_ON_COPY = frozenset({"_transport", "_sleep", "retry_policy", "_api_key", "limits"})


def _deepcopy(value: Any, memo: dict[int, Any]) -> Any:
    import copy

    return copy.deepcopy(value, memo)


def _read_within(response: httpx.Response, pieces: Iterator[bytes], deadline: Deadline) -> None:
    """Read a whole body, checking the deadline after every piece (keep-alive blank lines
    can come for ever, each within the read timeout)."""
    body: list[bytes] = []
    for piece in pieces:
        body.append(piece)
        if deadline.expired:
            raise deadline.error(response.request, "reading the reply")
    # What httpx's own read() stores: the body is then available as .content and .text.
    response._content = b"".join(body)


async def _aread_within(response: httpx.Response, deadline: Deadline) -> None:
    body: list[bytes] = []
    async for piece in response.aiter_bytes():
        body.append(piece)
        if deadline.expired:
            raise deadline.error(response.request, "reading the reply")
    response._content = b"".join(body)


def _check_deadline(
    deadline: Deadline,
    accumulator: StreamAccumulator,
    request: httpx.Request,
    cause: BaseException | None = None,
) -> None:
    """Raise :class:`DeadlineExceededError` (with what was delivered) if the deadline passed."""
    if deadline.expired:
        raise deadline.error(
            request,
            "streaming the reply",
            partial_content=accumulator.text,
            partial_reasoning=accumulator.reasoning_text,
            partial_tool_calls=[call.as_dict() for call in accumulator.tool_calls.values()],
        ) from cause


def _model_of(request: ChatRequest | None, params: Mapping[str, Any]) -> str | None:
    model = request.model if request is not None else params.get("model")
    return model if isinstance(model, str) else None


async def _ahold_slot(
    chunks: AsyncGenerator[ChatCompletionChunk, None], ticket: Ticket
) -> AsyncIterator[ChatCompletionChunk]:
    """As :func:`_hold_slot`; a cancelled task or an abandoned loop ends up here too."""
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        ticket.release()
        await chunks.aclose()


def _stream_failure(exc: Exception, request: httpx.Request) -> APIConnectionError:
    if isinstance(exc, httpx.RequestError):
        return _transport_error(exc, request)
    return APIConnectionError(
        f"Connection error: {scrub_transport_message(str(exc), request)}", request=request
    )
