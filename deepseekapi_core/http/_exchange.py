"""One call's attempts as a state machine with no I/O, shared by the sync and async clients.

In the spirit of h11 and of :class:`SSEDecoder`: the clients do the I/O (send, read, sleep,
take and give back the limiter's slot) and tell an :class:`Exchange` what happened (a
response, a transport error, a stream that broke); it answers with what to do next (parse
this reply, try again after so many seconds, raise this error, hand these chunks on, stop).
Retries, ``Retry-After``, the deadline, the mapping of failures to errors, the rules of a
broken stream and when the slot is given back are written here once.

The slot rule, the same in both clients: the slot is taken before each attempt, given back
by :meth:`Exchange.wait` before any wait between attempts, and by the shell's ``finally``
however the call ends (returned, raised, stream finished, closed early or collected).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import httpx

from ..accounting._limiter import Ticket
from ..wire._models import ToolSpec
from ._deadline import Deadline
from ._decode import CHAT_STREAM, StreamDecoder, StreamEnded, StreamShape, interrupted, too_large
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    DeepSeekAPIError,
    InsufficientSystemResourceError,
    beta_not_found,
    make_status_error,
    scrub_transport_message,
)
from ._retry import RetryPolicy, parse_retry_after

logger = logging.getLogger("deepseekapi_core")

DEFAULT_CAPS = (64 * 1024 * 1024, 16 * 1024 * 1024)
"""The default ``max_response_bytes`` and ``max_sse_line_bytes``."""

_T = TypeVar("_T")

STREAM_BREAKS = (httpx.RequestError, StreamEnded, InsufficientSystemResourceError)
"""What may end a stream's body early and still be retried (when nothing was delivered)."""


BetaRoute = tuple[str, str, tuple[str, ...]]
"""A call to the beta endpoint: its URL, where that URL came from, the features needing it."""


class Retry:
    """An attempt failed with ``error``: try again if the retry policy and the deadline allow
    (:meth:`Exchange.wait` decides)."""

    __slots__ = ("error",)

    def __init__(self, error: DeepSeekAPIError) -> None:
        self.error = error


class Exchange:
    """The state of one call across its attempts: deadline, retries taken, limiter ticket.

    Args:
        policy: when and how long to wait before another attempt.
        deadline: seconds the whole call may take, or None (then no clock is ever read).
        ticket: the call's place in its account's concurrency limit.
        recovery_tools: the tools offered, when a stream's leaked tool calls are recovered.
        caps: the longest whole body and stream line accepted (``max_response_bytes``,
            ``max_sse_line_bytes``).
        beta: for a call to the beta endpoint, its URL, where that URL came from, and the
            features that needed it (a 404 then says so).
        shape: what its stream's chunks are (chat's, or FIM's).
    """

    __slots__ = (
        "_policy",
        "_read",
        "_response",
        "_retries",
        "beta",
        "caps",
        "deadline",
        "doing",
        "recovery_tools",
        "request",
        "shape",
        "terms",
        "ticket",
    )

    def __init__(
        self,
        policy: RetryPolicy,
        deadline: float | None,
        ticket: Ticket,
        recovery_tools: list[ToolSpec] | None = None,
        caps: tuple[int, int] = DEFAULT_CAPS,
        beta: BetaRoute | None = None,
        shape: StreamShape[Any] = CHAT_STREAM,
    ) -> None:
        self._policy = policy
        self.shape = shape
        self.beta = beta
        self.caps = caps
        """The longest whole body and the longest stream line accepted, in bytes."""
        self._read = 0
        self._response: httpx.Response | None = None
        self.deadline = Deadline(deadline)
        self.ticket = ticket
        self.recovery_tools = recovery_tools
        self._retries = 0
        self.request: httpx.Request | None = None
        self.doing = _AWAITING_HEADERS
        self.terms: dict[str, Any] = {
            "deadline": self.deadline.end,
            "max_pause": policy.max_retry_after,
        }
        """The keywords of ``ticket.acquire``/``aacquire``: the call's deadline (a slot or a
        shared pause is waited for no longer) and the longest pause it may wait out."""

    def begin(self, request: httpx.Request) -> httpx.Request:
        """Start an attempt with ``request`` (its slot taken), its timeouts capped to the
        deadline's time left; a deadline already passed raises, so nothing is sent after it."""
        self.request = request
        if self.deadline.end is not None:
            if self.deadline.expired:
                raise self.deadline.error(
                    request, "waiting for a concurrency slot or a shared pause"
                )
            self.deadline.cap(request)
            self.doing = _AWAITING_HEADERS
        return request

    def arrived(self, response: httpx.Response) -> httpx.Response:
        """The status line and headers of ``response`` arrived: its body is read next."""
        self.doing = _READING
        self._response, self._read = response, 0
        return response

    def read_whole(self, response: httpx.Response) -> bool:
        """Whether ``response``'s body may be read in one go: its declared length is within
        the cap and nothing decompresses it (a compressed body is counted as it is decoded).
        A declared length past the cap raises at once, the body unread."""
        length = response.headers.get("content-length")
        if length is None or not length.isdigit() or "content-encoding" in response.headers:
            return False
        if int(length) > self.caps[0]:
            raise too_large(response, self.caps[0], "max_response_bytes")
        return True

    def _sent(self) -> httpx.Request:
        request = self.request
        assert request is not None, "begin() starts every attempt"
        return request

    # Whole replies -----------------------------------------------------------------------

    def settle(
        self,
        outcome: httpx.Response | httpx.RequestError,
        parse: Callable[[httpx.Response], _T],
    ) -> _T | Retry:
        """The parsed reply of a whole (read) response, or what to retry after."""
        if isinstance(outcome, httpx.RequestError):
            return self.failed(outcome)
        if outcome.is_success:
            try:
                return parse(outcome)
            except InsufficientSystemResourceError as exc:
                return Retry(exc)
        return self.rejected(outcome)

    def failed(self, exc: httpx.RequestError) -> Retry:
        """The transport failed (connect, write, read, timeout)."""
        return Retry(transport_error(exc, self._sent()))

    def rejected(self, response: httpx.Response) -> Retry:
        """An error status, its body read: its typed error (with any ``Retry-After``)."""
        retry_after = parse_retry_after(response.headers)
        try:
            error = make_status_error(response, retry_after=retry_after)
        except RecursionError:
            # Nested past the parser's depth: the error from the body's opening bytes, which
            # are not JSON on their own, so they are quoted as an excerpt.
            error = make_status_error(_opening(response), retry_after=retry_after)
        if self.beta is not None and response.status_code == 404:
            error = beta_not_found(error, response, *self.beta)
        return Retry(error)

    def piece(self, piece: bytes) -> bytes:
        """A piece of a body read piece by piece, passed on while the body is within its cap
        and the deadline holds (keep-alive blank lines can come for ever, each within the read
        timeout)."""
        self._read += len(piece)
        if self._read > self.caps[0]:
            response = self._response
            assert response is not None, "arrived() precedes the body"
            raise too_large(response, self.caps[0], "max_response_bytes")
        if self.deadline.expired:
            raise self.deadline.error(self._sent(), _READING)
        return piece

    @staticmethod
    def with_body(response: httpx.Response, body: Iterable[bytes]) -> httpx.Response:
        """``response`` with its body, read piece by piece (decoded), as ``.content``.

        The one write into httpx's internals: what its own ``read()`` stores. Building a new
        ``httpx.Response`` from the bytes instead costs about 10 us, 7 % of a call with a
        deadline (the path this serves).
        """
        response._content = b"".join(body)
        return response

    # Streams -----------------------------------------------------------------------------

    def decoder(self, response: httpx.Response) -> StreamDecoder[Any] | None:
        """The decoder of a successful stream response; None for an error status (read its
        body, then :meth:`rejected`)."""
        self.arrived(response)
        if not response.is_success:
            return None
        return StreamDecoder(response, self.deadline, self.recovery_tools, self.caps, self.shape)

    def broke(self, exc: Exception, decoder: StreamDecoder[Any]) -> Retry | None:
        """A stream's body ended early with ``exc`` (one of :data:`STREAM_BREAKS`).

        None when the reply was complete anyway (only ``[DONE]`` was lost); a retry when
        nothing reached the caller; else raises: a deadline that passed, or
        :class:`StreamInterruptedError` with the partial reply (never replayed).
        """
        if isinstance(exc, InsufficientSystemResourceError):
            if exc.delivered:
                raise exc
            return Retry(exc)
        if decoder.accumulator.finished:
            return None
        if self.deadline.expired:
            raise decoder.deadline_error() from exc
        request = self._sent()
        if decoder.delivered:
            raise interrupted(decoder.accumulator, exc, request) from exc
        if isinstance(exc, httpx.RequestError):
            return Retry(transport_error(exc, request))
        detail = scrub_transport_message(str(exc), request)
        return Retry(APIConnectionError(f"Connection error: {detail}", request=request))

    # Between attempts --------------------------------------------------------------------

    def wait(self, retry: Retry) -> float:
        """Give the slot back and share a 429's pause; then the wait before the next attempt.

        Raises the attempt's error when there is none, or :class:`DeadlineExceededError`
        when the wait would outlast the deadline.
        """
        self.ticket.release()
        error = retry.error
        self.ticket.note(error)
        request, deadline = self._sent(), self.deadline
        if deadline.expired and isinstance(error, APITimeoutError):
            raise deadline.error(request, self.doing) from None
        wait = self._policy.wait_before_retry(error, self._retries)
        if wait is None:
            raise error
        remaining = deadline.remaining()
        if remaining is not None and wait >= remaining:
            raise deadline.error(
                request, f"retrying after {error.__class__.__name__}: {error}"
            ) from None
        self._retries += 1
        logger.info(
            "Retrying in %.2f s (attempt %d of %d): %s",
            wait,
            self._retries + 1,
            self._policy.max_retries + 1,
            error,
        )
        return wait


def _opening(response: httpx.Response) -> httpx.Response:
    """``response`` with only the first 200 bytes of its (decoded) body."""
    headers = httpx.Headers(response.headers)
    for name in ("content-encoding", "content-length", "transfer-encoding"):
        headers.pop(name, None)
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=response.content[:200],
        request=response.request,
    )


_AWAITING_HEADERS = "waiting for the reply's status line and headers"
_READING = "reading the reply"


def transport_error(exc: httpx.RequestError, request: httpx.Request) -> APIConnectionError:
    """The error for a failed transport (its message scrubbed of credentials)."""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(request)
    detail = scrub_transport_message(f"{type(exc).__name__}: {exc}", request)
    return APIConnectionError(f"Connection error: {detail}", request=request)
