"""Replies into models, with no I/O: a whole body into a completion, a stream's bytes into
chunks (folded into a :class:`StreamAccumulator` as they are parsed), and the rules a finished
reply may need (the resource error, leaked tool-call recovery)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ..tools._recovery import recover_tool_calls
from ..wire._fim import FIMAccumulator, FIMChunk, FIMCompletion, fim_chunks_from_completion
from ..wire._models import ToolSpec
from ..wire._responses import (
    ChatCompletion,
    ChatCompletionChunk,
    FunctionCallDelta,
    ToolCallDelta,
    attach_response_headers,
)
from ..wire._stream import StreamAccumulator, chunks_from_completion
from ._deadline import Deadline
from ._errors import (
    APIResponseValidationError,
    APIStreamError,
    DeepSeekAPIError,
    InsufficientSystemResourceError,
    StreamInterruptedError,
    error_from_ok_body,
    redact_credentials,
    scrub_transport_message,
)
from ._sse import DONE, SSEDecoder

_DONE = DONE.encode()

logger = logging.getLogger("deepseekapi_core")

_ModelT = TypeVar("_ModelT", bound=BaseModel)


# The one fast path into pydantic: the validator model_validate_json calls, without that
# method's Python wrapper. Measured (pydantic 2.14): 3.7 us against 4.4 us a chunk, about 13 %
# of a stream's decoding; drop it when the gap closes below 5 %.
_parse_chunk: Callable[[bytes], ChatCompletionChunk] = (
    ChatCompletionChunk.__pydantic_validator__.validate_json
)


_ChunkT = TypeVar("_ChunkT", bound=BaseModel)


class Folding(Protocol):
    """What a stream's accumulator offers the decoder and its errors (chat's and FIM's)."""

    def add(self, chunk: Any) -> bool: ...

    @property
    def text(self) -> str: ...

    @property
    def reasoning_text(self) -> str: ...

    @property
    def tool_calls(self) -> dict[int, Any]: ...

    @property
    def finished(self) -> bool: ...


@dataclass(frozen=True)
class StreamShape(Generic[_ChunkT]):
    """What one kind of stream is made of: its chunk model (and fast parser), its accumulator,
    and the whole reply a stream request may be answered with instead (and its chunks)."""

    name: str
    chunk: type[_ChunkT]
    parse: Callable[[bytes], _ChunkT]
    accumulator: Callable[[], Folding]
    whole: type[BaseModel]
    to_chunks: Callable[[Any], list[_ChunkT]]


CHAT_STREAM: StreamShape[ChatCompletionChunk] = StreamShape(
    "chat completion chunk",
    ChatCompletionChunk,
    _parse_chunk,
    StreamAccumulator,
    ChatCompletion,
    chunks_from_completion,
)
FIM_STREAM: StreamShape[FIMChunk] = StreamShape(
    "FIM completion chunk",
    FIMChunk,
    FIMChunk.__pydantic_validator__.validate_json,
    FIMAccumulator,
    FIMCompletion,
    fim_chunks_from_completion,
)


class StreamEnded(Exception):
    """A stream closed with neither ``data: [DONE]`` nor a finish reason."""


def parse_body(model: type[_ModelT], response: httpx.Response) -> _ModelT:
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


def too_large(
    response: httpx.Response, cap: int | None, option: str, what: str = ""
) -> APIResponseValidationError:
    """The error for a reply past a size cap (it is not read further)."""
    what = what or f"the reply's body is larger than {cap} bytes"
    return APIResponseValidationError(
        f"Refused: {what} (the {option} client option); a real reply is far smaller, so it "
        "was not read further. Raise the option if this reply is expected.",
        response=response,
        body=None,
    )


def _json_or_none(content: bytes) -> object:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # ~1,000 levels of nesting exhaust the parser
        return None


def _not_a_chunk(
    data: str, response: httpx.Response, cause: ValidationError, what: str
) -> APIResponseValidationError:
    error = APIResponseValidationError(
        f"A stream event is not a {what}: {data[:200]!r}",
        response=response,
        body=data[:200],
    )
    error.__cause__ = cause  # as ``raise ... from cause`` would
    return error


def _error_in_stream(data: str, accumulator: Folding, response: httpx.Response) -> APIStreamError:
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


def interrupted(
    accumulator: Folding, cause: BaseException, request: httpx.Request
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
    accumulator: Folding, request: httpx.Request, *, reply: object
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


def finish_fim(completion: FIMCompletion, request: httpx.Request) -> FIMCompletion:
    """A whole FIM reply cut short for want of capacity raises its error (as chat's does)."""
    if completion.finish_reason == _INSUFFICIENT_RESOURCE:
        accumulator = FIMAccumulator()
        for chunk in fim_chunks_from_completion(completion):
            accumulator.add(chunk)
        raise _resource_error(accumulator, request, reply=completion)
    return completion


def finish_completion(
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


class StreamDecoder(Generic[_ChunkT]):
    """Turns a response's bytes into chunks (of ``shape``: chat's by default), folding each
    into the accumulator as it is parsed.

    A bad event (an error object from the service, or an event that is not a chunk) or a
    deadline that passed ends the decoding: the chunks before it, often in the same network
    read, are still returned, and :meth:`finish` raises its error once the caller has been
    handed them. The I/O shells feed each read, stop reading when ``stop`` is set or
    :meth:`past_deadline` says so, and call :meth:`finish` when the body ends or they stop.
    """

    def __init__(
        self,
        response: httpx.Response,
        deadline: Deadline,
        recovery_tools: list[ToolSpec] | None = None,
        caps: tuple[int, int] | None = None,
        shape: StreamShape[_ChunkT] = CHAT_STREAM,  # type: ignore[assignment]
    ) -> None:
        self._response = response
        self._shape = shape
        self._parse = shape.parse
        max_body, max_line = caps or (None, None)
        self._max_body: int | None = max_body
        """The longest plain (non-stream) body and stream line accepted, in bytes."""
        self.accumulator = shape.accumulator()
        self._request = response.request
        self._deadline = deadline
        self.end = deadline.end
        """When the deadline passes (None: never), read once for the check after each read."""
        self._recovery_tools = recovery_tools
        """The tools offered, when leaked tool calls are to be recovered at the finish."""
        self._decoder = SSEDecoder(max_line)
        self._plain_size = 0
        self.failure: DeepSeekAPIError | None = None
        """The error that ends the decoding, raised once the chunks before it are handed on."""
        self._head: bytes | None = b""
        """The body's first bytes while it is unknown whether they are a stream (None after)."""
        self._plain: list[bytes] | None = None
        """The body of a plain (non-stream) 200 answer, collected whole."""
        self._headers = response.headers
        self.done = False
        self.stop = False
        """Whether decoding is over ([DONE] or a failure): the shells stop reading then."""
        self.delivered = False
        """Whether a chunk carried something the caller sees (text, reasoning, a tool call)."""

    def past_deadline(self) -> bool:
        """Whether the deadline passed (its error is then the failure :meth:`finish` raises).

        The shells ask after handing on each read's chunks (so their consumer's time counts
        too), and only when there is a deadline (``end`` set): no clock read otherwise.
        """
        if self.end is not None and time.monotonic() >= self.end:
            self.failure = self.deadline_error()
            self.stop = True
        return self.stop

    def deadline_error(self) -> DeepSeekAPIError:
        """The deadline's error, carrying what was delivered."""
        accumulator = self.accumulator
        return self._deadline.error(
            self._request,
            "streaming the reply",
            partial_content=accumulator.text,
            partial_reasoning=accumulator.reasoning_text,
            partial_tool_calls=[call.as_dict() for call in accumulator.tool_calls.values()],
        )

    def feed(self, raw: bytes) -> list[_ChunkT]:
        """The chunks one network read completes (``stop`` tells whether decoding is over)."""
        if self._head is not None:
            raw = self._sniff(raw)
        if self._plain is not None:
            self._plain.append(raw)
            self._plain_size += len(raw)
            if self._max_body is not None and self._plain_size > self._max_body:
                self._plain = []
                raise too_large(self._response, self._max_body, "max_response_bytes")
            return []
        if not raw:
            return []
        try:
            events = self._decoder.feed_bytes(raw)
        except ValueError as exc:  # a line past the cap
            raise too_large(self._response, None, "max_sse_line_bytes", str(exc)) from None
        chunks = self._chunks(events)
        self.stop = self.done or self.failure is not None
        return chunks

    def finish(self) -> list[_ChunkT]:
        """The chunks still held when the body ended; raises the failure that stopped the
        decoding, or :class:`StreamEnded` for a body that stopped short."""
        self.raise_failure()
        if self._head:
            # The body ended before it could be told apart: judge what there is.
            head, self._head = self._head, None
            self._plain = [head] if _looks_plain(head) else None
            if self._plain is None:
                self._decoder.feed(head)
        if self._plain is not None:
            return self._chunks_from_plain_body(b"".join(self._plain))
        chunks = self._chunks(self._decoder.flush_bytes())
        if self.failure is None and not self.done and not self.accumulator.finished:
            raise StreamEnded("the stream ended with neither a finish reason nor [DONE]")
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

    def _chunks_from_plain_body(self, body: bytes) -> list[_ChunkT]:
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
                completion = self._shape.whole.model_validate(parsed)
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

    def _chunks_from_completion(self, completion: BaseModel) -> list[_ChunkT]:
        chunks: list[_ChunkT] = []
        for chunk in self._shape.to_chunks(completion):
            if not self._take(chunk, chunks):
                break
        self.done = True
        return chunks

    def _take(self, chunk: Any, chunks: list[Any]) -> bool:
        """Fold ``chunk`` in and hand it on; False when it ends the decoding with a failure."""
        accumulator = self.accumulator
        choices = chunk.choices
        finish_reason = choices[0].finish_reason if choices else None
        if finish_reason == "stop" and self._recovery_tools and not accumulator.tool_calls:
            assert isinstance(accumulator, StreamAccumulator)  # tools: a chat stream
            chunk = _recover_in_finish_chunk(chunk, accumulator, self._recovery_tools)
        attach_response_headers(chunk, self._headers)
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

    def _parse_text(self, data: str, exc: ValidationError) -> _ChunkT | None:
        """An event's data that is no chunk as bytes, tried as text (invalid UTF-8 replaced,
        as a text decoding does); else the decoding ends with its error (None)."""
        try:
            return self._shape.chunk.model_validate_json(data)
        except ValidationError:
            pass
        error = _not_a_chunk(data, self._response, exc, self._shape.name)
        # A broken event after delivered text is a broken stream: hand over the text.
        self.failure = (
            interrupted(self.accumulator, error, self._request) if self.delivered else error
        )
        return None

    def raise_failure(self) -> None:
        """Raise the error of a bad event that ``feed``/``finish`` held back, if any."""
        if self.failure is not None:
            raise self.failure

    def _chunks(self, events: list[bytes]) -> list[_ChunkT]:
        """The chunks of the events' data, each folded in; stops at [DONE] or a bad event.

        This loop runs once per streamed chunk, so the common chunk (no finish reason) is
        handled inline: one validation, the headers, the fold. The finishing chunk and a
        usage-only chunk go through :meth:`_take`.
        """
        chunks: list[Any] = []
        if self.done or self.failure is not None:
            return chunks
        accumulator = self.accumulator
        headers = self._headers
        # Bound once: three lookups fewer per chunk.
        attach, add, append, done = attach_response_headers, accumulator.add, chunks.append, _DONE
        parse = self._parse
        for data in events:
            if data == done:
                self.done = True
                break
            try:
                chunk: Any = parse(data)
            except ValidationError as exc:
                parsed = self._parse_text(data.decode("utf-8", errors="replace"), exc)
                if parsed is None:
                    break
                chunk = parsed
            choices = chunk.choices
            if not choices:
                extra = chunk.model_extra
                if extra and "error" in extra:
                    text = data.decode("utf-8", errors="replace")
                    self.failure = _error_in_stream(text, accumulator, self._response)
                    break
            elif choices[0].finish_reason is None:
                attach(chunk, headers)
                if add(chunk):
                    self.delivered = True
                append(chunk)
                continue
            if not self._take(chunk, chunks):
                break
        return chunks
